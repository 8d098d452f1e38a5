"""The daily status job (SPEC §4): trial end → expired, cancelled period end → expired, and expired
for `archive_after_days` → archived.

It works agency by agency (each has its own calendar day and archive delay) and in batches of ids:
one indexed SELECT of up to BATCH ids, one set-based UPDATE guarded by the old status, one bulk
INSERT of audit rows and one of notices (ignoring duplicates), then a commit. A second run finds
nothing left in the old status, and notices are unique per (kind, account, day), so running the job
twice — or two instances at once — changes nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from domain.clock import Clock, agency_clock, today
from domain.jobs import JobReport
from domain.outbox import dedupe_key
from domain.store.models import Account, Agency, AuditEntry, Notice
from domain.store.suspended import LIVE, note_skipped

BATCH = 1000
JOB = "statuses"


def run_transitions(sessions: sessionmaker[Session], clock: Clock, *, day: date | None = None) -> JobReport:
    report = JobReport(JOB, day or today(clock))
    with sessions() as session:
        query = select(Agency.id, Agency.timezone, Agency.archive_after_days).where(LIVE)
        agencies = list(session.execute(query))
        note_skipped(session, report)
    for agency_id, tz, archive_after in agencies:
        local = agency_clock(clock, tz or "UTC")
        agency_day = day or today(local, tz or "UTC")
        _expire(sessions, local, agency_id, agency_day, status="trial", report=report)
        _expire(sessions, local, agency_id, agency_day, status="cancelled", report=report)
        _archive(sessions, local, agency_id, agency_day, after_days=int(archive_after or 30), report=report)
    return report


@dataclass(frozen=True)
class _Step:
    old: str
    new: str
    reason: str
    notice: str | None = None
    archived_on: date | None = None


def _expire(
    sessions: sessionmaker[Session],
    clock: Clock,
    agency_id: int,
    day: date,
    *,
    status: str,
    report: JobReport,
) -> None:
    """Accounts in `status` whose period has ended (period_end on or before `day`) become expired."""
    due = [
        Account.agency_id == agency_id,
        Account.status == status,
        Account.period_end <= day,
        Account.is_commission.is_(False),
    ]
    if status == "trial":
        step = _Step(status, "expired", "trial ended", notice="trial_ended")
    else:
        step = _Step(status, "expired", "cancelled period ended", notice="cancelled_ended")
    _in_batches(sessions, clock, due, step, day=day, report=report)


def _archive(
    sessions: sessionmaker[Session],
    clock: Clock,
    agency_id: int,
    day: date,
    *,
    after_days: int,
    report: JobReport,
) -> None:
    """Expired since `after_days` or more: archived, and `archived_on` is set to the job's day.

    A cancelled account is first expired at its period end, so its archive delay counts from when it
    stopped being usable, not from when someone clicked Cancel.
    """
    cutoff = datetime.combine(day - timedelta(days=after_days - 1), time.min, UTC)
    for status in ("expired", "cancelled"):
        due = [
            Account.agency_id == agency_id,
            Account.status == status,
            Account.status_changed_at < cutoff,
            Account.period_end <= day - timedelta(days=after_days),
        ]
        step = _Step(status, "archived", f"{status} for {after_days} days", archived_on=day)
        _in_batches(sessions, clock, due, step, day=day, report=report)


def _in_batches(
    sessions: sessionmaker[Session],
    clock: Clock,
    due: Sequence[ColumnElement[bool]],
    step: _Step,
    *,
    day: date,
    report: JobReport,
) -> None:
    old, new = step.old, step.new
    while True:
        with sessions() as session:
            query = select(Account.id, Account.agency_id, Account.name).where(*due).limit(BATCH)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(session.execute(query))
            if not rows:
                return
            ids = [row.id for row in rows]
            now = clock.now()
            values: dict[str, Any] = {"status": new, "status_changed_at": now, "status_reason": step.reason}
            if step.archived_on is not None:
                values["archived_on"] = step.archived_on
            session.execute(
                update(Account)
                .where(Account.id.in_(ids), Account.status == old)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                insert(AuditEntry),
                [
                    {
                        "agency_id": row.agency_id,
                        "actor": "system",
                        "action": f"account.{new}",
                        "target": row.name,
                        "before": {"status": old},
                        "after": {"status": new},
                        "reason": step.reason,
                        "at": now,
                    }
                    for row in rows
                ],
            )
            if step.notice is not None:
                _notify(session, rows, step.notice, day, now)
            session.commit()
        report.count(f"{old}→{new}", len(rows))
        report.lines.extend(f"{row.name}: {old} → {new}" for row in rows[:20])


def _notify(session: Session, rows: Sequence[Any], kind: str, day: date, now: datetime) -> None:
    """One INSERT for the batch; a notice already there for (kind, account, day) is left alone."""
    values = [
        {
            "agency_id": row.agency_id,
            "kind": kind,
            "account_id": row.id,
            "due_on": day,
            "dedupe_key": dedupe_key(kind, row.id, day),
            "payload": {"account": row.name},
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for row in rows
    ]
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(cast(Table, Notice.__table__)).on_conflict_do_nothing(
        index_elements=["agency_id", "dedupe_key"]
    )
    session.connection().execute(statement, values)  # executemany: one cached statement per batch
