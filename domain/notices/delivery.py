"""Claiming and marking outbox rows, so each notice is posted once however many senders run.

A sender claims an agency's due notices in one short transaction (status `sending`, a claim token,
the time), commits, and only then posts; other senders see a fresh claim and leave that agency alone,
which also keeps each channel to one poster at a time. Before posting, each planned message gets a
marker (`claimed_by`) that travels in the message's metadata: if the process dies between the post
and the mark, the next sender to take over the stale claim finds the message by its marker and
records its `ts` instead of posting again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from domain.store.db import id_in
from domain.store.models import Account, Agency, Notice

LEASE = timedelta(minutes=10)
"""How long a claim protects notices being sent; a claim older than this is taken over."""
MAX_BACKOFF = timedelta(hours=6)
ID_CHUNK = 5000


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


@dataclass(frozen=True)
class Held:
    """A claimed notice as the sender plans it: what the full row is loaded for only if shown."""

    id: int
    kind: str
    marker: str | None


@dataclass
class Claim:
    token: str
    notices: list[Held] = field(default_factory=list)
    since: dict[str, datetime] = field(default_factory=dict)
    """For each earlier marker, when its rows were last claimed: its post, if any, came after."""

    def earlier_markers(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for notice in self.notices:
            if notice.marker is not None and notice.marker != self.token:
                found.setdefault(notice.marker, []).append(notice.id)
        return found


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """Id lists in pieces: a 100,000-notice digest would exceed the driver's 65,535 parameters."""
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


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
    failures, full license pools) obeys the same settings as what the sweep finds. Both steps are
    one UPDATE each over the rows it can lock (others are skipped, as before), returning only ids,
    kinds and markers: a portfolio-wide claim never loads its notices as objects.
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
    due = select(Notice.id).where(
        Notice.agency_id == agency.id,
        or_(
            (Notice.status == "pending") & (Notice.next_attempt_at <= now),
            (Notice.status == "sending") & (Notice.claimed_at < stale),
        ),
    )
    skip: list[ColumnElement[bool]] = []
    if agency.notice_mutes:
        skip.append(Notice.kind.in_(list(agency.notice_mutes)))
    for account_id, until in (agency.notice_snoozes or {}).items():
        skip.append((Notice.account_id == int(account_id)) & (Notice.due_on <= date.fromisoformat(until)))
    options = {"synchronize_session": False}
    if skip:
        locked = due.where(or_(*skip)).with_for_update(skip_locked=True)
        session.execute(
            update(Notice)
            .where(Notice.id.in_(locked))
            .values(status="skipped", claimed_by=None, claimed_at=now),
            execution_options=options,
        )
    # Read before the takeover overwrites it: a crashed sender's post may be hours or days old.
    since = dict(
        session.execute(
            select(Notice.claimed_by, func.min(Notice.claimed_at))
            .where(Notice.id.in_(due), Notice.claimed_by.is_not(None), Notice.claimed_at.is_not(None))
            .group_by(Notice.claimed_by)
        ).all()
    )
    taken = session.execute(
        update(Notice)
        .where(Notice.id.in_(due.with_for_update(skip_locked=True)))
        .values(
            status="sending",
            claimed_at=now,
            attempts=Notice.attempts + 1,
            claimed_by=func.coalesce(Notice.claimed_by, token),
            channel=agency.notice_channel,
        )
        .returning(Notice.id, Notice.kind, Notice.claimed_by),
        execution_options=options,
    )
    held = [Held(i, kind, None if marker == token else marker) for i, kind, marker in taken]
    held.sort(key=lambda h: h.id)
    return Claim(token, held, {str(m): _aware(at) for m, at in since.items() if at is not None})


def _aware(at: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every stored time is UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def details(session: Session, ids: Sequence[int]) -> list[Claimed]:
    """The full rows of the notices a message shows (a digest shows at most a few dozen)."""
    rows = session.execute(
        select(Notice, Account.name)
        .outerjoin(Account, Account.id == Notice.account_id)
        .where(Notice.id.in_(list(ids)))
        .order_by(Notice.id)
    )
    return [Claimed(n.id, n.kind, n.account_id, name, n.due_on, n.payload, n.claimed_by) for n, name in rows]


def assign(session: Session, ids: Sequence[int], marker: str, now: datetime) -> None:
    """Name the message these notices are about to be posted in, before it is posted."""
    for part in _chunks(ids):
        session.execute(
            update(Notice).where(id_in(session, Notice.id, part)).values(claimed_by=marker, claimed_at=now),
            execution_options={"synchronize_session": False},
        )


def mark_sent(session: Session, ids: Sequence[int], channel: str, ts: str, now: datetime) -> int:
    """Record the post; only rows still in this sender's `sending` state (a takeover wins)."""
    done = 0
    for part in _chunks(ids):
        result = session.execute(
            update(Notice)
            .where(id_in(session, Notice.id, part), Notice.status == "sending")
            .values(status="sent", channel=channel, message_ts=ts, sent_at=now, last_error=None),
            execution_options={"synchronize_session": False},
        )
        done += int(getattr(result, "rowcount", 0) or 0)
    return done


def mark_message_sent(
    session: Session, agency_id: int, marker: str, *, channel: str, ts: str, now: datetime
) -> int:
    """`mark_sent` for the notices `assign` gave `marker`, found by it (indexed) rather than by ids."""
    result = session.execute(
        update(Notice)
        .where(Notice.agency_id == agency_id, Notice.claimed_by == marker, Notice.status == "sending")
        .values(status="sent", channel=channel, message_ts=ts, sent_at=now, last_error=None),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release(
    session: Session, ids: Sequence[int], now: datetime, error: str, *, maybe_posted: bool, wait: bool = True
) -> None:
    """Back to the outbox for a later run. `maybe_posted` keeps the marker so it is looked up first.
    `wait=False`: due again at once (the agency was suspended: its next run is after the reinstall)."""
    for part in _chunks(ids):
        rows = session.scalars(select(Notice).where(Notice.id.in_(part), Notice.status == "sending"))
        for notice in rows:
            notice.status = "pending"
            notice.next_attempt_at = now + backoff(notice.attempts) if wait else now
            notice.last_error = error[:500]
            if not maybe_posted:
                notice.claimed_by = None
        session.flush()


def refresh(session: Session, agency_id: int, markers: Sequence[str], now: datetime) -> None:
    """Keep a long send's claim fresh, so no one takes it over while it is still progressing.

    The notices still to post are found by the markers `assign` gave them (an indexed look-up), not
    by listing their ids: a portfolio-wide run would otherwise rewrite every remaining id after each
    message it posts.
    """
    if not markers:
        return
    session.execute(
        update(Notice)
        .where(Notice.agency_id == agency_id, Notice.claimed_by.in_(markers), Notice.status == "sending")
        .values(claimed_at=now),
        execution_options={"synchronize_session": False},
    )


def pending(session: Session, agency_id: int, limit: int = 20) -> tuple[int, list[tuple[Notice, str | None]]]:
    """What is waiting in the outbox (pending or being sent), for `/agency notices`."""
    waiting = (Notice.agency_id == agency_id) & Notice.status.in_(("pending", "sending"))
    total = int(session.scalar(select(func.count(Notice.id)).where(waiting)) or 0)
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
