"""Where Slack's OAuth installations live: the tables of slack_sdk's SQLAlchemy installation and
OAuth state stores, declared on the app's own metadata so Alembic creates and checks them.

They are written here with SQLAlchemy alone (nothing below `domain/` imports Slack); a test holds
them column for column to `SQLAlchemyInstallationStore.build_*_table` and
`SQLAlchemyOAuthStateStore.build_oauth_states_table`, so a store upgrade that changes its schema is
caught before it reaches a database. Slack's tables, not ours: their columns and the naive UTC
`DateTime`s are what the stores read and write.

One difference on purpose: the token columns are `String(TOKEN_LENGTH)`, not `String(200)`, because
the app stores every token sealed (`SealedToken`, migration `0011_x`), and a sealed token is about
2.6 times as long as the token (Fernet: version, time, IV, padded ciphertext and MAC, in base64).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Boolean, Column, DateTime, Dialect, Index, Integer, String, Table, func
from sqlalchemy.types import TypeDecorator

from domain.store.models import Base

INSTALLATIONS = "slack_installations"
BOTS = "slack_bots"
OAUTH_STATES = "slack_oauth_states"

TOKEN_LENGTH = 500
"""Room for a sealed token of up to 255 characters (420 once sealed); Slack's tokens are 55 to 80
characters today, and rotating ones (`xoxe.xoxb-…`) about 150."""
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
"""The columns that hold a credential: never stored readable (`SealedToken`)."""


class Cipher(Protocol):
    """Seals a token for the database and opens it again (`bot.workspaces.TokenCipher`)."""

    def seal(self, text: str) -> str: ...

    def open(self, sealed: str) -> str | None:
        """The token, or None when it does not open (another key, altered): not installed."""


class SealedToken(TypeDecorator[str]):
    """A token column as the stores see it: written sealed, read opened, never readable in a row."""

    impl = String(TOKEN_LENGTH)
    cache_ok = True  # the cipher is part of the statement cache key: two keys never share a statement

    def __init__(self, cipher: Cipher) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.open(value)


def seal_tokens(cipher: Cipher, *tables: Table) -> None:
    """Make the token columns of a store's own `tables` (slack_sdk builds them) sealed ones."""
    for table in tables:
        for name in TOKEN_COLUMNS:
            if name in table.c:
                table.c[name].type = SealedToken(cipher)


def _workspace() -> list[Column[Any]]:
    """The columns both tables start with: which app, which organisation."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]


installations = Table(
    INSTALLATIONS,
    Base.metadata,
    *_workspace(),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(TOKEN_LENGTH)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(TOKEN_LENGTH)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(TOKEN_LENGTH)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(TOKEN_LENGTH)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(f"{INSTALLATIONS}_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

bots = Table(
    BOTS,
    Base.metadata,
    *_workspace(),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(TOKEN_LENGTH)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(TOKEN_LENGTH)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(f"{BOTS}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

oauth_states = Table(
    OAUTH_STATES,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
