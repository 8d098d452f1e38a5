"""Serving many workspaces (SPEC §11): Slack's OAuth install through Bolt, the installations in the
app's database through slack_sdk's SQLAlchemy stores, and the workspace each request was
authorised for.

Single-workspace mode (`SLACK_BOT_TOKEN`) and the local shell build none of this: Bolt authorises
their requests with the one token (`auth.test`), and the workspace is that token's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltContext, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.settings import Settings
from domain.workspaces import Workspace

log = logging.getLogger("reseller_desk.workspaces")

BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "files:write",
    "im:write",
    "users:read",
    "channels:history",
    "groups:history",
)
"""What the code calls, and nothing more (`app_manifest.yml` declares the same; a test compares):
commands; posting to the agency's channel without joining it; the CSV of `/billing history … csv`;
the app DM (`conversations.open`); each reader's language (`users.info`); finding a notice a crashed
sender may have posted (`conversations.history`, public and private channels)."""

STATE_SECONDS = 600
"""An install link is good for ten minutes, once (the state store deletes what it checks)."""


def authorised_workspace(context: BoltContext) -> Workspace | None:
    """The installation Bolt authorised this request for: its team (from `auth.test` of the
    installation's token), or its organisation for an org-wide install. Never the payload's ids,
    which a Slack Connect modal or another workspace of an organisation fills with someone else's."""
    result = context.authorize_result
    if result is None:
        return None
    org_wide = bool(context.is_enterprise_install) or (not result.team_id and bool(result.enterprise_id))
    workspace = Workspace(result.team_id, result.enterprise_id, org_wide)
    return workspace if workspace.key else None


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    assert settings.slack_client_id is not None
    return SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine, logger=log)


def oauth_settings(
    settings: Settings,
    engine: Engine,
    on_installed: Callable[[SuccessArgs], None],
) -> tuple[OAuthSettings, InstallationStoreAuthorize]:
    """Bolt's OAuth flow on `/slack/install` and `/slack/oauth_redirect`, and the authorisation of
    every request by the installation of its workspace. `auth.test` answers are cached per token, so
    a request costs one indexed read of the installation, not a call to Slack."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    store = installation_store(settings, engine)
    secret = settings.slack_client_secret.get_secret_value()

    def success(args: SuccessArgs) -> BoltResponse:
        on_installed(args)
        return args.default.success(args)

    def failure(args: FailureArgs) -> BoltResponse:
        log.warning("an install did not complete: %s", args.reason)
        return args.default.failure(args)

    authorize = InstallationStoreAuthorize(
        logger=log,
        client_id=settings.slack_client_id,
        client_secret=secret,
        installation_store=store,
        cache_enabled=True,
    )
    flow = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        installation_store=store,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine, logger=log),
        callback_options=CallbackOptions(success=success, failure=failure),
        logger=log,
    )
    return flow, authorize
