"""Where domain events become notices: one outbox row per (kind, account, due date).

Every part of the domain that has something to tell the agency channel calls `enqueue` inside its own
transaction; the unique key makes a second enqueue of the same notice a no-op, whichever process or
job run does it. Posting is the notices sender's job, never the caller's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from domain.store.models import Notice


def insert_ignoring_duplicates(
    session: Session, model: type[Any], values: dict[str, Any], keys: list[str]
) -> Executable:
    """INSERT ... ON CONFLICT DO NOTHING on both supported databases."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    return sqlite_insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)


def dedupe_key(kind: str, account_id: int | None, due_on: date) -> str:
    return f"{kind}:{account_id if account_id is not None else '-'}:{due_on.isoformat()}"


def enqueue(
    session: Session,
    *,
    agency_id: int,
    kind: str,
    due_on: date,
    now: datetime,
    account_id: int | None = None,
    payload: dict[str, Any] | None = None,
    key: str | None = None,
) -> bool:
    """Record a notice unless the same (kind, account, due date) is already there. True if new.

    `key` replaces that dedupe key for a notice that is unique by something else (a portal task)."""
    values = {
        "agency_id": agency_id,
        "kind": kind,
        "account_id": account_id,
        "due_on": due_on,
        "dedupe_key": key or dedupe_key(kind, account_id, due_on),
        "payload": payload or {},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    result = session.execute(insert_ignoring_duplicates(session, Notice, values, ["agency_id", "dedupe_key"]))
    return bool(getattr(result, "rowcount", 0))
