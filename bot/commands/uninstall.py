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


def app_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
    deps: Deps = context["deps"]
    workspace = _workspace(context)
    if workspace is None or _older_than_installation(deps, workspace, body):
        return
    if deps.installations is not None:
        TokenRevocationListeners(deps.installations).handle_app_uninstalled_events(context)
    _suspend(deps, workspace, "app_uninstalled")


def tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """Only the bot's token matters: the app holds no user token (`tokens.oauth`)."""
    deps: Deps = context["deps"]
    tokens = event.get("tokens") if isinstance(event, dict) else None
    bots = tokens.get("bot") if isinstance(tokens, dict) else None
    if not isinstance(bots, list) or not bots:
        return
    workspace = _workspace(context)
    if workspace is None or _older_than_installation(deps, workspace, body):
        return
    if deps.installations is not None:
        TokenRevocationListeners(deps.installations).handle_tokens_revoked_events(event, context)
    _suspend(deps, workspace, "tokens_revoked")


def _workspace(context: BoltContext) -> Workspace | None:
    """The team or organisation the signed event is about (its authorisation's)."""
    workspace = Workspace(context.team_id, context.enterprise_id, bool(context.is_enterprise_install))
    if workspace.key is None:  # a signed event naming no workspace: nothing to stop
        log.warning("a removal event without a team or organisation: ignored")
        return None
    return workspace


def _older_than_installation(deps: Deps, workspace: Workspace, body: dict[str, Any]) -> bool:
    """A removal Slack sends again (a retry) after the workspace installed the app anew is about the
    old installation: the new one stays, and so does the agency."""
    if deps.installations is None:
        return False
    sent = body.get("event_time")
    if not isinstance(sent, int | float) or isinstance(sent, bool):
        return False
    bot = deps.installations.find_bot(
        enterprise_id=workspace.enterprise_id,
        team_id=None if workspace.is_enterprise_install else workspace.team_id,
        is_enterprise_install=workspace.is_enterprise_install,
    )
    # `event_time` is whole seconds: an installation from a later second came after the removal.
    stale = bot is not None and bot.installed_at >= sent + 1
    if stale:
        log.info("a removal of %s older than its installation: ignored", workspace.key)
    return stale


def _suspend(deps: Deps, workspace: Workspace, reason: str) -> None:
    assert workspace.key is not None
    with deps.uow() as uow:
        if suspend(uow, deps.clock, workspace.key, reason):
            log.info("workspace %s suspended: %s", workspace.key, reason)
