"""`app_uninstalled` and `tokens_revoked` (SPEC §11): the workspace removed the app, so its
installation leaves the store and its agency is suspended at once: no post, job or notice for it
until it installs the app again (`domain.workspaces.install` resumes it). Its data stays.

Slack sends both events for one removal, and retries: each step is idempotent. Bolt does not ask
`auth.test` for these two events (the token is gone), so the workspace is the one the signed event
names: its authorisation's team or organisation.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners

from bot.context import Deps
from domain.workspaces import Workspace, suspend

log = logging.getLogger("reseller_desk.workspaces")


def register(app: App) -> None:
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)


def app_uninstalled(context: BoltContext) -> None:
    deps: Deps = context["deps"]
    if deps.installations is not None:
        TokenRevocationListeners(deps.installations).handle_app_uninstalled_events(context)
    _suspend(deps, context, "app_uninstalled")


def tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
    """Only the bot's token matters: the app holds no user token (`tokens.oauth`)."""
    deps: Deps = context["deps"]
    tokens = event.get("tokens") if isinstance(event, dict) else None
    bots = tokens.get("bot") if isinstance(tokens, dict) else None
    if not isinstance(bots, list) or not bots:
        return
    if deps.installations is not None:
        TokenRevocationListeners(deps.installations).handle_tokens_revoked_events(event, context)
    _suspend(deps, context, "tokens_revoked")


def _suspend(deps: Deps, context: BoltContext, reason: str) -> None:
    org_wide = bool(context.is_enterprise_install)
    key = Workspace(context.team_id, context.enterprise_id, org_wide).key
    if key is None:  # a signed event naming no workspace: nothing to stop
        log.warning("%s without a team or organisation: ignored", reason)
        return
    with deps.uow() as uow:
        if suspend(uow, deps.clock, key, reason):
            log.info("workspace %s suspended: %s", key, reason)
