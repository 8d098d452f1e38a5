"""Serving many workspaces in tests: the app in multi-workspace mode (SPEC §11), and workspaces
installed into its installation store as a completed OAuth flow leaves them, their tokens known to
LocalSlack's `auth.test`."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from slack_sdk.oauth.installation_store import Installation

from bot.settings import Settings
from bot.shell.localslack import LocalSlack

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-for-tests"
TOKEN_KEY = "3q2pJ0Cq3y5kq0n2YcQ1wz7m2lG7tqB2f8m5e9ZkXGQ="  # a Fernet key for tests only


def many_workspaces(settings: Settings, **extra: Any) -> Settings:
    """`settings` installing through OAuth instead of one bot token."""
    return settings.model_copy(
        update={
            "slack_bot_token": None,
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": SecretStr(CLIENT_SECRET),
            "slack_token_key": SecretStr(TOKEN_KEY),
            **extra,
        }
    )


def install(
    app: Any,
    slack: LocalSlack,
    team: str | None,
    installer: str,
    *,
    enterprise: str | None = None,
    org_wide: bool = False,
) -> str:
    """Store an installation of `team` (or of the organisation, org-wide) as the OAuth flow would,
    and return its bot token. The agency is not created: the first request of a configured owner or
    of the installer does it, as after a real install (or `domain.workspaces.install`)."""
    token = f"xoxb-{enterprise or 'E0'}-{team or 'org'}-{installer}"
    slack.install(token, team, enterprise=enterprise, org_wide=org_wide)
    store = app._installation_store  # Bolt's store: the app's SQLAlchemy installation store
    store.save(
        Installation(
            app_id="A0RESELLER",
            enterprise_id=enterprise,
            team_id=None if org_wide else team,
            bot_token=token,
            bot_id="B0BOT",
            bot_user_id="U0BOT",
            bot_scopes="commands,chat:write",
            user_id=installer,
            is_enterprise_install=org_wide,
        )
    )
    return token
