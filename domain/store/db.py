"""Engines and sessions, built by a factory from settings, never at import time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Engine, any_, bindparam, create_engine, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine tuned per backend: SQLite gets WAL and a busy timeout so the shell, the server and
    the jobs can share one file; PostgreSQL gets a pool sized for a threaded server.

    `read_only` is for requests that only read: on SQLite they do not take the write lock, on
    PostgreSQL each statement runs on its own (autocommit)."""
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
    return create_engine(url, **kwargs)


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
    terms current (`domain.renewal.keep_renewal_terms`)."""
    import domain.renewal  # noqa: F401 - registers the flush hook before any session exists

    info = {} if catalog is None else {"catalog": catalog}
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def id_in(session: Session, column: QueryableAttribute[Any], ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN (…)`; on PostgreSQL `column = ANY(array)`: one parameter the driver passes as it is,
    rather than thousands of literals it splices into the statement's text (the daily jobs' chunks)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    return column.in_(ids)
