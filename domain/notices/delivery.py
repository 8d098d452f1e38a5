"""Claiming and marking outbox rows, so each notice is posted once however many senders run.

A sender claims an agency's due notices in one short transaction (status `sending`, a claim token,
the time), commits, and only then posts; other senders see a fresh claim and leave that agency alone,
which also keeps each channel to one poster at a time. Before posting, each planned message gets a
marker (`claimed_by`) that travels in the message's metadata: if the process dies between the post
and the mark, the next sender to take over the stale claim finds the message by its marker and
records its `ts` instead of posting again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from domain.notices.rules import snoozed
from domain.store.models import Account, Agency, Notice

LEASE = timedelta(minutes=10)
"""How long a claim protects notices being sent; a claim older than this is taken over."""
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    account_id: int | None
    account_name: str | None
    due_on: date
    payload: dict[str, Any]
    marker: str | None
    """The marker of an earlier attempt that may have posted it; None if never tried or surely not."""


@dataclass
class Claim:
    token: str
    notices: list[Claimed] = field(default_factory=list)

    def earlier_markers(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for notice in self.notices:
            if notice.marker is not None and notice.marker != self.token:
                found.setdefault(notice.marker, []).append(notice.id)
        return found


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most 6 hours: retried, never dropped."""
    return min(timedelta(minutes=2 ** min(max(0, attempts - 1), 10)), MAX_BACKOFF)


def _lock_agency(session: Session, agency_id: int) -> None:
    # Claimers of one agency queue here for a moment; on SQLite BEGIN IMMEDIATE already does it.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Agency.id).where(Agency.id == agency_id).with_for_update())


def claim(session: Session, agency: Agency, now: datetime, token: str) -> Claim | None:
    """Take the agency's due notices, or None when another sender holds a fresh claim on them.

    Muted kinds and snoozed accounts are marked `skipped` here, so what others enqueue (charge
    failures, full license pools) obeys the same settings as what the sweep finds.
    """
    _lock_agency(session, agency.id)
    stale = now - LEASE
    busy = session.scalar(
        select(Notice.id)
        .where(Notice.agency_id == agency.id, Notice.status == "sending", Notice.claimed_at >= stale)
        .limit(1)
    )
    if busy is not None:
        return None
    due = (
        select(Notice, Account.name)
        .outerjoin(Account, Account.id == Notice.account_id)
        .where(
            Notice.agency_id == agency.id,
            or_(
                (Notice.status == "pending") & (Notice.next_attempt_at <= now),
                (Notice.status == "sending") & (Notice.claimed_at < stale),
            ),
        )
        .order_by(Notice.id)
        .with_for_update(skip_locked=True, of=Notice)
    )
    result = Claim(token)
    mutes, snoozes = set(agency.notice_mutes or ()), dict(agency.notice_snoozes or {})
    for notice, name in session.execute(due).all():
        if notice.kind in mutes or snoozed(snoozes, notice.account_id, notice.due_on):
            notice.status, notice.claimed_by, notice.claimed_at = "skipped", None, now
            continue
        marker = notice.claimed_by
        notice.status, notice.claimed_at, notice.attempts = "sending", now, notice.attempts + 1
        notice.claimed_by = marker or token
        notice.channel = agency.notice_channel
        result.notices.append(
            Claimed(notice.id, notice.kind, notice.account_id, name, notice.due_on, notice.payload, marker)
        )
    session.flush()
    return result


def assign(session: Session, ids: Sequence[int], marker: str, now: datetime) -> None:
    """Name the message these notices are about to be posted in, before it is posted."""
    session.execute(
        update(Notice).where(Notice.id.in_(ids)).values(claimed_by=marker, claimed_at=now),
        execution_options={"synchronize_session": False},
    )


def mark_sent(session: Session, ids: Sequence[int], channel: str, ts: str, now: datetime) -> int:
    """Record the post; only rows still in this sender's `sending` state (a takeover wins)."""
    result = session.execute(
        update(Notice)
        .where(Notice.id.in_(ids), Notice.status == "sending")
        .values(status="sent", channel=channel, message_ts=ts, sent_at=now, last_error=None),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release(session: Session, ids: Sequence[int], now: datetime, error: str, *, maybe_posted: bool) -> None:
    """Back to the outbox for a later run. `maybe_posted` keeps the marker so it is looked up first."""
    rows = session.scalars(select(Notice).where(Notice.id.in_(ids), Notice.status == "sending"))
    for notice in rows:
        notice.status = "pending"
        notice.next_attempt_at = now + backoff(notice.attempts)
        notice.last_error = error[:500]
        if not maybe_posted:
            notice.claimed_by = None
    session.flush()


def refresh(session: Session, ids: Sequence[int], now: datetime) -> None:
    """Keep a long send's claim fresh, so no one takes it over while it is still progressing."""
    if ids:
        session.execute(
            update(Notice).where(Notice.id.in_(ids), Notice.status == "sending").values(claimed_at=now),
            execution_options={"synchronize_session": False},
        )


def pending(session: Session, agency_id: int, limit: int = 20) -> tuple[int, list[tuple[Notice, str | None]]]:
    """What is waiting in the outbox (pending or being sent), for `/agency notices`."""
    waiting = (Notice.agency_id == agency_id) & Notice.status.in_(("pending", "sending"))
    total = len(session.scalars(select(Notice.id).where(waiting)).all())
    rows = session.execute(
        select(Notice, Account.name)
        .outerjoin(Account, Account.id == Notice.account_id)
        .where(waiting)
        .order_by(Notice.due_on, Notice.id)
        .limit(limit)
    ).all()
    return total, [(notice, name) for notice, name in rows]


def in_message(session: Session, agency_id: int, marker: str) -> list[tuple[Notice, str | None]]:
    """Every notice of one posted message, for its "list all" button."""
    rows = session.execute(
        select(Notice, Account.name)
        .outerjoin(Account, Account.id == Notice.account_id)
        .where(Notice.agency_id == agency_id, Notice.claimed_by == marker)
        .order_by(Notice.due_on, Notice.id)
    ).all()
    return [(notice, name) for notice, name in rows]
