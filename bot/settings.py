"""Configuration from the environment (and an optional `.env`), validated once at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///var/reseller-desk.db"
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
AC_PRODUCTION_URL = "https://agency-partner-hub-web.global-aws-use1-p.app-us1.com/"
"""The production server of ActiveCampaign's Partners Hub document."""
AC_PORTAL_URL = "https://www.activecampaign.com/partner/"
PROVIDERS = ("simulated", "activecampaign", "manual")
PLACEHOLDERS = ("changeme", "change-me", "your-", "xxx", "<", "todo", "placeholder", "...")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    """With `SLACK_CLIENT_SECRET`: the app installs in many workspaces through Slack's OAuth flow
    (`/slack/install`), each workspace's token kept in the database, instead of one `SLACK_BOT_TOKEN`."""
    slack_client_secret: SecretStr | None = None
    slack_token_key: SecretStr | None = None
    """Many-workspace mode: the Fernet key that seals each workspace's tokens in the database
    (`reseller-bot keygen` makes one); several, comma-separated, to rotate (the first seals)."""
    slack_redirect_uri: str | None = None
    """The public `…/slack/oauth_redirect` URL, when the app has several redirect URLs in Slack."""
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = DEFAULT_DATABASE_URL
    reseller_owners: Annotated[tuple[str, ...], NoDecode] = ()
    reseller_catalog: Path | None = None
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: str | None = None
    """None: INFO when serving Slack (one line per request), WARNING for the shell and the tools."""
    reseller_provider: Literal["simulated", "activecampaign", "manual"] = "simulated"
    """The vendor behind the desk: the built-in simulation, ActiveCampaign's partner API, or a vendor
    without an API (every action becomes a portal task)."""
    ac_partner_api_url: str = AC_PRODUCTION_URL
    ac_partner_api_key: SecretStr | None = Field(default=None, validate_default=True)
    ac_partner_portal_url: str = AC_PORTAL_URL
    """Linked from portal tasks: where a person does what the partner API does not offer."""
    manual_portal_url: str = ""
    """Linked from portal tasks of the `manual` provider: the vendor's own portal, if any."""
    metrics: bool = False
    """`METRICS=on` serves `/metrics` (Prometheus text format) beside `/healthz`; off by default."""
    metrics_token: SecretStr | None = None
    """When set, `/metrics` answers only `Authorization: Bearer <token>` (401 otherwise)."""
    log_format: Literal["text", "json"] = "text"
    """`json`: every log line is one JSON object (`bot.logs`)."""

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics(cls, value: object) -> bool:
        text = str(value if value is not None else "").strip().lower()
        if text in ("", "off", "0", "false", "no"):
            return False
        if text in ("on", "1", "true", "yes"):
            return True
        msg = f"{value!r} is not on or off"
        raise ValueError(msg)

    @field_validator("metrics_token", mode="after")
    @classmethod
    def _metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        secret = value.get_secret_value().strip() if value is not None else ""
        if secret and any(marker in secret.lower() for marker in PLACEHOLDERS):
            msg = "looks like a placeholder, not a real value"
            raise ValueError(msg)
        return SecretStr(secret) if secret else None

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> str:
        text = str(value or "text").strip().lower()
        if text not in ("text", "json"):
            msg = f"{value!r} is not a log format; use text or json"
            raise ValueError(msg)
        return text

    @field_validator("slack_client_id", mode="after")
    @classmethod
    def _client_id(cls, value: str | None) -> str | None:
        text = (value or "").strip()
        if not text:
            return None
        if not re.match(r"^[0-9]+\.[0-9]+$", text):
            msg = "is not a Slack client id (like 1234567890.1234567890, under Basic Information)"
            raise ValueError(msg)
        return text

    @field_validator("slack_token_key", mode="after")
    @classmethod
    def _token_key(cls, value: SecretStr | None) -> SecretStr | None:
        keys = [key.strip() for key in (value.get_secret_value() if value else "").split(",") if key.strip()]
        for key in keys:
            try:
                Fernet(key)
            except (ValueError, TypeError):
                msg = "is not a key made by `reseller-bot keygen` (32 bytes in URL-safe base64)"
                raise ValueError(msg) from None
        return SecretStr(",".join(keys)) if keys else None

    @field_validator("slack_redirect_uri", mode="after")
    @classmethod
    def _redirect_uri(cls, value: str | None) -> str | None:
        text = (value or "").strip()
        if text and not re.match(r"^https?://[^\s/]+/\S*$", text):
            msg = "must be the https URL of /slack/oauth_redirect"
            raise ValueError(msg)
        return text or None

    @field_validator(
        "slack_bot_token", "slack_signing_secret", "slack_app_token", "slack_client_secret", mode="after"
    )
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value().strip()
        if not secret:
            return None
        if any(marker in secret.lower() for marker in PLACEHOLDERS):
            msg = "looks like a placeholder, not a real value"
            raise ValueError(msg)
        return SecretStr(secret)

    @field_validator("slack_bot_token", mode="after")
    @classmethod
    def _bot_token_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            msg = "must be a bot token starting with xoxb-"
            raise ValueError(msg)
        return value

    @field_validator("slack_app_token", mode="after")
    @classmethod
    def _app_token_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            msg = "must be an app-level token starting with xapp-"
            raise ValueError(msg)
        return value

    @field_validator("reseller_provider", mode="before")
    @classmethod
    def _provider(cls, value: object) -> str:
        text = str(value or "simulated").strip().lower()
        if text not in PROVIDERS:
            msg = f"{value!r} is not a provider; use one of {', '.join(PROVIDERS)}"
            raise ValueError(msg)
        return text

    @field_validator("ac_partner_api_url", "ac_partner_portal_url", "manual_portal_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^\s/]+", value):
            msg = "must be an http(s) URL"
            raise ValueError(msg)
        return value

    @field_validator("ac_partner_api_key", mode="after")
    @classmethod
    def _ac_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value().strip() if value is not None else ""
        if secret and any(marker in secret.lower() for marker in PLACEHOLDERS):
            msg = "looks like a placeholder, not a real value"
            raise ValueError(msg)
        if not secret and info.data.get("reseller_provider") == "activecampaign":
            msg = "is required with RESELLER_PROVIDER=activecampaign (the API token from the Partner Portal)"
            raise ValueError(msg)
        return SecretStr(secret) if secret else None

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            msg = "must be an http(s) URL such as https://slack.com/api/"
            raise ValueError(msg)
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            msg = "is not a database URL (sqlite:///path.db or postgresql+psycopg://user@host/db)"
            raise ValueError(msg) from None
        if backend not in ("sqlite", "postgresql"):
            msg = f"backend {backend!r} is not supported; use sqlite or postgresql+psycopg"
            raise ValueError(msg)
        if backend == "postgresql" and value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            msg = f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}"
            raise ValueError(msg)
        return level

    @field_validator("reseller_owners", mode="before")
    @classmethod
    def _owners(cls, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
        elif isinstance(value, list | tuple):
            items = [str(item).strip() for item in value]
        else:
            items = []
        for item in items:
            if not SLACK_USER_ID.match(item):
                msg = f"{item!r} is not a Slack user id (like U012AB3CD)"
                raise ValueError(msg)
        return tuple(items)

    @field_validator("reseller_catalog")
    @classmethod
    def _catalog(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            msg = f"file {value} does not exist"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_way_to_install(self) -> Settings:
        if self.multi_workspace and self.slack_bot_token is not None:
            msg = (
                "SLACK_BOT_TOKEN serves one workspace, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET install in "
                "many: set one or the other, not both"
            )
            raise ValueError(msg)
        if self.multi_workspace and self.reseller_owners:
            msg = (
                "RESELLER_OWNERS names the owners of one workspace's agency; with many workspaces each "
                "agency's first owner is whoever installs the app there: leave it empty"
            )
            raise ValueError(msg)
        if (self.slack_client_id is None) != (self.slack_client_secret is None):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_secret is None else "SLACK_CLIENT_ID"
            msg = f"{missing} is needed too to install in many workspaces (Basic Information in Slack)"
            raise ValueError(msg)
        if self.multi_workspace and self.slack_token_key is None:
            msg = (
                "SLACK_TOKEN_KEY is needed to install in many workspaces (it seals each workspace's token "
                "in the database): make one with `reseller-bot keygen`"
            )
            raise ValueError(msg)
        return self

    @property
    def multi_workspace(self) -> bool:
        """Installed through Slack's OAuth flow in any number of workspaces (SPEC §11)."""
        return self.slack_client_id is not None and self.slack_client_secret is not None


class SettingsError(Exception):
    """One line naming the setting and what is wrong with it."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:  # a rule across settings names them itself
            raise SettingsError(f"settings: {message}") from None
        raise SettingsError(f"setting {str(first['loc'][0]).upper()}: {message}") from None
