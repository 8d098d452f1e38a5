"""Alembic, driven from code so `reseller-bot db upgrade`, the shell and the tests share one path."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

SCRIPT_LOCATION = "domain.store:migrations"
MIGRATION_LOCK = 0x5265_7365_6C6C_6572
"""The PostgreSQL advisory lock key every instance takes before migrating ("Reseller" in ASCII)."""

log = logging.getLogger("reseller_desk.migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revisions() -> frozenset[str]:
    """The revisions a database must be at to run this code (every head of the migration graph)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def upgrade(url: str, revision: str = "heads") -> None:
    """Upgrade to every head, so branches added side by side apply before their merge revision.

    Instances started together each call this: they take turns (`migration_lock`), and the ones after
    the first find the database at the head and do nothing."""
    command.upgrade(alembic_config(url), revision)


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the migration lock on the connection Alembic migrates with.

    On PostgreSQL a session-level advisory lock: two instances creating the same tables at once
    would otherwise collide in the catalog (`pg_type_typname_nsp_index`). The lock is taken and the
    transaction ended before Alembic begins its own, and released after Alembic commits. On SQLite a
    lock on a file beside the database: Alembic runs SQLite's DDL outside one transaction, so two
    processes could otherwise both see an empty database and both create its tables."""
    if connection.dialect.name == "sqlite":
        with _file_lock(connection.engine.url.database):
            yield
        return
    if connection.dialect.name != "postgresql":
        yield
        return
    key = {"key": MIGRATION_LOCK}
    if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar_one():
        log.info("another instance is migrating the database: waiting for it")
        connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
    connection.commit()
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
        connection.commit()


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    """An exclusive lock on `<database file>.migrating` (none for an in-memory database)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with Path(f"{database}.migrating").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
