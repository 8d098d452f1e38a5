"""Alembic, driven from code so `reseller-bot db upgrade`, the shell and the tests share one path."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

SCRIPT_LOCATION = "domain.store:migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Upgrade to every head, so branches added side by side apply before their merge revision."""
    command.upgrade(alembic_config(url), revision)
