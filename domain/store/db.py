"""Engines and sessions, built by a factory from settings, never at import time."""

from __future__ import annotations

import select
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Engine, any_, bindparam, create_engine, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker

from domain.store.renewal_terms import keep_renewal_terms


def register_session_hooks() -> None:
    """Register the flush hooks every session runs (`domain.store.renewal_terms`); idempotent.

    On the `Session` class, not on one factory: a session opened on an engine directly (a test's
    `Session(engine)`) keeps the renewal terms current too. Called by `make_engine` and
    `make_session_factory`, so it is in place before any session of theirs exists."""
    if not event.contains(Session, "before_flush", keep_renewal_terms):
        event.listen(Session, "before_flush", keep_renewal_terms)


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine tuned per backend: SQLite gets WAL and a busy timeout so the shell, the server and
    the jobs can share one file; PostgreSQL gets a pool sized for a threaded server.

    `read_only` is for requests that only read: on SQLite they do not take the write lock, on
    PostgreSQL each statement runs on its own (autocommit)."""
    register_session_hooks()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_deferred if read_only else _sqlite_begin_immediate)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_recycle", 1800)
    if read_only:
        # A request's reads need no transaction of their own: autocommit saves the BEGIN and the
        # ROLLBACK round trips around every member look-up and overview page.
        kwargs.setdefault("isolation_level", "AUTOCOMMIT")
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        replace_dropped_connections(engine)
    return engine


IDLE_PING_SECONDS = 10.0
"""A pooled connection idle longer than this is pinged before use; a busier one only if it looks
dropped (`replace_dropped_connections`)."""


def replace_dropped_connections(engine: Engine, idle_ping_seconds: float = IDLE_PING_SECONDS) -> None:
    """Pooled connections the server dropped (restart, failover, `pg_terminate_backend`, an idle
    timeout) are replaced before a request gets them, as `pool_pre_ping` would, without its round
    trip on every checkout.

    A connection is checked when it leaves the pool. When the server closes one, it writes the reason
    and closes the socket, so an idle connection with bytes to read is a dropped one: that costs a
    `poll()` on the socket, not a query. A connection idle for longer than `idle_ping_seconds` (or
    with something to read) is pinged with `SELECT 1`; on a disconnect the pool opens a new one and
    the request goes on, none the wiser. Busy pools reuse connections within milliseconds, so they
    almost never pay for the ping; quiet ones barely notice it."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # a connection just opened
            return
        try:
            if time.monotonic() - idle_since < idle_ping_seconds and not _has_input(dbapi_connection):
                return
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:  # a connection that cannot answer SELECT 1 is gone
            raise DisconnectionError(str(exc)) from exc


def _has_input(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket has something to read (the server's goodbye, or EOF)."""
    try:
        fd = dbapi_connection.fileno()
    except (AttributeError, OSError, ValueError):
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off so BEGIN IMMEDIATE below is ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock at the start of every transaction.

    Balances are checked then written in one transaction; a deferred transaction would let two
    writers read the same balance. IMMEDIATE serialises writers, the SQLite analogue of a row lock.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_deferred(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine, catalog: object | None = None) -> sessionmaker[Session]:
    """Sessions carry the catalog (`info["catalog"]`) so a flush can keep each account's renewal
    terms current (`domain.store.renewal_terms`)."""
    register_session_hooks()
    info = {} if catalog is None else {"catalog": catalog}
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


def id_in(session: Session, column: QueryableAttribute[Any], ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN (…)`; on PostgreSQL `column = ANY(array)`: one parameter the driver passes as it is,
    rather than thousands of literals it splices into the statement's text (the daily jobs' chunks)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    return column.in_(ids)
