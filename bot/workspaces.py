"""Serving many workspaces (SPEC §11): Slack's OAuth install through Bolt, the installations in the
app's database through slack_sdk's SQLAlchemy stores, and the workspace each request was
authorised for.

Single-workspace mode (`SLACK_BOT_TOKEN`) and the local shell build none of this: Bolt authorises
their requests with the one token (`auth.test`), and the workspace is that token's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, timedelta
from uuid import uuid4

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_bolt import BoltContext, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, and_

from bot.settings import Settings
from domain.clock import Clock
from domain.store.installations import seal_tokens
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

NOT_INSTALLED = (
    ":warning: Reseller Desk is not installed in this workspace (or its installation was removed), "
    "so nothing was done. Ask a Slack admin of this workspace to install it again from your Reseller "
    "Desk provider's install page."
)
"""What a request from a workspace without an installation is answered (Bolt's
`user_facing_authorize_error_message`). English only: Bolt sends it before any listener runs, from
a fixed string, so it cannot be translated into the reader's language."""


class TokenCipher:
    """Seals Slack tokens for the database with Fernet (AES-128-CBC and HMAC-SHA256) under
    `SLACK_TOKEN_KEY`: one key, or several separated by commas to rotate (the first seals, each
    opens)."""

    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str | None:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            log.error(
                "a stored Slack token does not open with SLACK_TOKEN_KEY (another key, or the row was "
                "altered): its workspace is treated as not installed until it installs again"
            )
            return None


def new_token_key() -> str:
    """A new `SLACK_TOKEN_KEY` (`reseller-bot keygen`)."""
    return Fernet.generate_key().decode()


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store, its token columns sealed (`TokenCipher`): the
    rows hold no token anyone can read or use without the key; the store reads them as before."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        seal_tokens(cipher, self.installations, self.bots)


class ClockedStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's SQLAlchemy OAuth state store on the app's clock, each state used at most once
    even when two redirects race (one `DELETE` both checks and consumes it)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        super().__init__(expiration_seconds=STATE_SECONDS, engine=engine, logger=log)
        self.clock = clock

    def issue(self, *args: object, **kwargs: object) -> str:
        """A new state; those of links nobody followed in time are deleted on the way."""
        state = str(uuid4())
        now = self.clock.now().astimezone(UTC)
        expire_at = now + timedelta(seconds=self.expiration_seconds)
        with self.engine.begin() as conn:
            conn.execute(
                self.oauth_states.delete().where(self.oauth_states.c.expire_at <= now.replace(tzinfo=None))
            )
            conn.execute(
                self.oauth_states.insert(), {"state": state, "expire_at": expire_at.replace(tzinfo=None)}
            )
        return state

    def consume(self, state: str) -> bool:
        now = self.clock.now().astimezone(UTC).replace(tzinfo=None)
        c = self.oauth_states.c
        with self.engine.begin() as conn:
            gone = conn.execute(self.oauth_states.delete().where(and_(c.state == state, c.expire_at > now)))
        return gone.rowcount == 1


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


def installation_store(settings: Settings, engine: Engine) -> SealedInstallationStore:
    assert settings.slack_client_id is not None and settings.slack_token_key is not None
    cipher = TokenCipher(settings.slack_token_key.get_secret_value())
    return SealedInstallationStore(settings.slack_client_id, engine, cipher)


def oauth_settings(
    settings: Settings,
    engine: Engine,
    on_installed: Callable[[SuccessArgs], None],
    clock: Clock,
    read_engine: Engine | None = None,
) -> tuple[OAuthSettings, InstallationStoreAuthorize]:
    """Bolt's OAuth flow on `/slack/install` and `/slack/oauth_redirect`, and the authorisation of
    every request by the installation of its workspace. The app asks for no user token, so only the
    workspace's bot is read (`bot_only`: one indexed read of `slack_bots`, where the full lookup reads
    `slack_installations` twice for anyone but the installer), and `auth.test` answers are cached per
    token: a request costs one query, not a call to Slack. That query goes through `read_engine` when
    given (autocommit on PostgreSQL: one round trip instead of BEGIN, SELECT and ROLLBACK); installs
    and uninstalls write through `engine`."""
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
        installation_store=installation_store(settings, read_engine) if read_engine is not None else store,
        bot_only=True,
        cache_enabled=True,
    )
    flow = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=ClockedStateStore(engine, clock),
        callback_options=CallbackOptions(success=success, failure=failure),
        logger=log,
    )
    return flow, authorize
