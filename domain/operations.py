"""Slow vendor calls, run after the ack from durable state (SPEC §9 Slow vendors).

A request that needs the vendor records a `VendorOperation` (unique per agency and idempotency key,
so a retried or double-submitted request is one operation) and answers at once. A runner then claims
it with one conditional UPDATE (pending and due, or running with an expired lease), so two runners
never both run it and a crashed run is taken over once its lease expires. The kind's handler does
the vendor call and writes its outcome in the same transaction that marks the operation done; that
write is conditional on still holding the lease, so a runner that lost its lease writes nothing.

Retryable vendor failures (`ProviderError.retryable`: timeouts, 429, 5xx) go back to pending with a
durable `next_attempt_at` (backoff doubling from 30 s, at most `MAX_ATTEMPTS` tries); a refusal fails
at once and the handler undoes what the request did (a charge is voided).

Run one by hand: `reseller-bot operations run [ID]` (every due one without ID).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from domain.accounts.common import AccountPorts
from domain.ports import ProviderError
from domain.store.models import VendorOperation
from domain.store.uow import SqlUnitOfWork

log = logging.getLogger("reseller_desk.operations")

LEASE = timedelta(minutes=5)
"""A runner holds an operation this long; past it, another runner takes it over."""
MAX_ATTEMPTS = 6
FIRST_BACKOFF = timedelta(seconds=30)


@dataclass
class Outcome:
    """What a run came to, for the person who asked. `secret` (a one-time password) lives only here."""

    operation_id: int
    kind: str
    state: str
    """succeeded, failed, or pending (a retryable failure: tried again later)."""
    agency_id: int
    target: str
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_field: str | None = None
    notify: dict[str, Any] = field(default_factory=dict)
    requested_by: str = ""
    secret: str | None = field(default=None, repr=False)


Progress = Callable[[Any], None]


class Handler(Protocol):
    def call(
        self, sessions: sessionmaker[Session], ports: AccountPorts, op_id: int, progress: Progress
    ) -> Any:
        """Read what the vendor needs (a short transaction, closed before the call), then call it.

        No transaction is open during the vendor call: a slow vendor holds no lock. A long call (one
        vendor call per account) reports `progress`, which also extends the runner's lease."""

    def record(
        self, uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, called: Any
    ) -> tuple[dict[str, Any], str | None]:
        """Write what the vendor did; returns the result (no secret) and the one-time secret."""

    def fail(
        self, uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, error: ProviderError
    ) -> None:
        """Undo what the request did before the vendor refused (void its charge, free the name)."""


HANDLERS: dict[str, Handler] = {}


def start(
    uow: SqlUnitOfWork,
    *,
    agency_id: int,
    kind: str,
    key: str,
    requested_by: str,
    now: datetime,
    target: str = "",
    account_id: int | None = None,
    payload: dict[str, Any] | None = None,
    notify: dict[str, Any] | None = None,
) -> VendorOperation:
    """The operation of this key, recorded now (in the caller's transaction) unless it exists."""
    found = find(uow.session, agency_id, key)
    if found is not None:
        return found
    op = VendorOperation(
        agency_id=agency_id,
        kind=kind,
        key=key,
        account_id=account_id,
        target=target,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        payload=payload or {},
        requested_by=requested_by,
        notify=notify or {},
        created_at=now,
    )
    uow.session.add(op)
    uow.session.flush()
    return op


def find(session: Session, agency_id: int, key: str) -> VendorOperation | None:
    return session.scalars(
        select(VendorOperation).where(VendorOperation.agency_id == agency_id, VendorOperation.key == key)
    ).first()


def _claimable(now: datetime) -> Any:
    return or_(
        (VendorOperation.state == "pending")
        & or_(VendorOperation.next_attempt_at.is_(None), VendorOperation.next_attempt_at <= now),
        (VendorOperation.state == "running") & (VendorOperation.lease_until < now),
    )


def due(sessions: sessionmaker[Session], now: datetime, limit: int = 100) -> list[int]:
    """Operations a sweep should run: pending and due, or running under an expired lease."""
    with sessions() as session:
        query = select(VendorOperation.id).where(_claimable(now)).order_by(VendorOperation.id).limit(limit)
        return [int(i) for i in session.scalars(query)]


def claim(sessions: sessionmaker[Session], op_id: int, owner: str, now: datetime) -> bool:
    """Take the operation for `owner` if nobody holds it: one conditional UPDATE, one winner."""
    with sessions() as session:
        result = session.execute(
            update(VendorOperation)
            .where(VendorOperation.id == op_id, _claimable(now))
            .values(
                state="running",
                lease_owner=owner,
                lease_until=now + LEASE,
                attempts=VendorOperation.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return bool(getattr(result, "rowcount", 0) == 1)


def extend(sessions: sessionmaker[Session], op_id: int, owner: str, now: datetime) -> None:
    """A runner still working keeps its lease (a long import is not taken over while it runs)."""
    with sessions() as session:
        session.execute(
            update(VendorOperation)
            .where(VendorOperation.id == op_id, VendorOperation.lease_owner == owner)
            .values(lease_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def _finish(session: Session, op_id: int, owner: str, **values: Any) -> bool:
    """Write the operation's end, only if this runner still holds it (else the caller rolls back)."""
    result = session.execute(
        update(VendorOperation)
        .where(
            VendorOperation.id == op_id,
            VendorOperation.state == "running",
            VendorOperation.lease_owner == owner,
        )
        .values(lease_owner=None, lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def backoff(attempts: int) -> timedelta:
    return FIRST_BACKOFF * int(2 ** max(0, attempts - 1))


OBSERVERS: list[Callable[[str, str], None]] = []
"""Called with (kind, outcome state) after each run that claimed its operation (the bot's metrics)."""


def _observe(kind: str, outcome: Outcome | None) -> Outcome | None:
    state = outcome.state if outcome is not None else "unrecorded"
    for observer in OBSERVERS:
        try:
            observer(kind, state)
        except Exception:  # an observer never breaks a run
            log.exception("operation observer failed")
    return outcome


def run(
    sessions: sessionmaker[Session],
    ports: AccountPorts,
    op_id: int,
    *,
    owner: str | None = None,
    claimed: Callable[[], None] | None = None,
    progress: Progress | None = None,
) -> Outcome | None:
    """Claim and run one operation; None when another runner holds it or it is not due."""
    owner = owner or uuid.uuid4().hex
    if not claim(sessions, op_id, owner, ports.clock.now()):
        return None
    if claimed is not None:
        claimed()
    with sessions() as session:
        found = session.get(VendorOperation, op_id)
        if found is None:  # pragma: no cover - claimed rows are never deleted
            return None
        handler = HANDLERS[found.kind]
        kind = found.kind

    def report(done: Any) -> None:
        extend(sessions, op_id, owner, ports.clock.now())
        if progress is not None:
            progress(done)

    try:
        called = handler.call(sessions, ports, op_id, report)
    except ProviderError as error:
        return _observe(kind, _failed(sessions, ports, op_id, owner, error))
    except Exception as exc:  # an adapter's unexpected error: retried like a timeout, bounded
        log.exception("operation %s: unexpected error from the vendor call", op_id)
        unexpected = ProviderError(f"unexpected error ({type(exc).__name__})", retryable=True)
        return _observe(kind, _failed(sessions, ports, op_id, owner, unexpected))
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            recorded = _record(sessions, ports, handler, op_id, owner=owner, called=called)
            break
        except OperationalError:  # a deadlock or a busy database: the vendor's answer is kept in hand
            if attempt == RECORD_ATTEMPTS:
                raise
            log.warning("operation %s: recording the vendor's answer failed; trying again", op_id)
    if recorded is None:
        return _observe(kind, None)
    outcome, result, secret = recorded
    outcome.state, outcome.result, outcome.secret = "succeeded", result, secret
    log.info("operation %s (%s) succeeded", op_id, outcome.kind)
    return _observe(kind, outcome)


RECORD_ATTEMPTS = 3
"""Tries at recording a vendor's answer when the database reports a deadlock or is busy: the vendor
call is not repeated, and the lease is not left to expire for a transient database error."""


def _record(
    sessions: sessionmaker[Session], ports: AccountPorts, handler: Any, op_id: int, *, owner: str, called: Any
) -> tuple[Outcome, dict[str, Any], str | None] | None:
    uow = SqlUnitOfWork(sessions)
    with uow:
        op = uow.session.get(VendorOperation, op_id)
        if op is None:  # pragma: no cover
            return None
        outcome = _outcome(op)
        result, secret = handler.record(uow, ports, op, called)
        now = ports.clock.now()
        if not _finish(uow.session, op_id, owner, state="succeeded", result=result, finished_at=now):
            uow.session.rollback()
            log.warning("operation %s: lease lost before the end; the runner holding it finishes", op_id)
            return None
        uow.commit()
    return outcome, result, secret


def _failed(
    sessions: sessionmaker[Session], ports: AccountPorts, op_id: int, owner: str, error: ProviderError
) -> Outcome | None:
    uow = SqlUnitOfWork(sessions)
    with uow:
        op = uow.session.get(VendorOperation, op_id)
        if op is None:  # pragma: no cover
            return None
        outcome = _outcome(op)
        now = ports.clock.now()
        reason = str(error)[:2000]
        if error.retryable and op.attempts < MAX_ATTEMPTS:
            done = _finish(
                uow.session,
                op_id,
                owner,
                state="pending",
                error=reason,
                next_attempt_at=now + backoff(op.attempts),
            )
            outcome.state = "pending"
        else:
            HANDLERS[op.kind].fail(uow, ports, op, error)
            done = _finish(
                uow.session,
                op_id,
                owner,
                state="failed",
                error=reason,
                error_field=error.field,
                finished_at=now,
            )
            outcome.state = "failed"
        if not done:
            uow.session.rollback()
            return None
        try:
            uow.commit()
        except IntegrityError:  # pragma: no cover - the undo raced a concurrent writer: next sweep
            uow.session.rollback()
            return None
    outcome.error, outcome.error_field = reason, error.field
    log.info("operation %s (%s) %s: %s", op_id, outcome.kind, outcome.state, type(error).__name__)
    return outcome


def _outcome(op: VendorOperation) -> Outcome:
    return Outcome(
        operation_id=op.id,
        kind=op.kind,
        state=op.state,
        agency_id=op.agency_id,
        target=op.target,
        notify=dict(op.notify or {}),
        requested_by=op.requested_by,
    )


def sweep(
    sessions: sessionmaker[Session],
    ports: AccountPorts,
    tell: Callable[[Outcome], None] | None = None,
    limit: int = 100,
) -> list[Outcome]:
    """Run every due operation (the scheduler's minute tick, and `reseller-bot operations run`)."""
    outcomes = []
    for op_id in due(sessions, ports.clock.now(), limit):
        try:
            outcome = run(sessions, ports, op_id)
        except Exception:
            log.exception("operation %s failed unexpectedly; it is retried when its lease expires", op_id)
            continue
        if outcome is not None:
            outcomes.append(outcome)
            if tell is not None and outcome.state != "pending":
                try:
                    tell(outcome)
                except Exception:  # Slack unreachable: the outcome is recorded; the person asks again
                    log.exception("operation %s: telling the person who asked failed", op_id)
    return outcomes
