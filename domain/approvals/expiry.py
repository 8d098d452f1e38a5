"""When four-eyes requests expire (SPEC §1: a request waits 24 hours at most).

A request past its 24 hours is marked expired, audited, and its channel message loses Approve and
Reject. That happens when someone lists approvals or clicks, and every day in the daily jobs
(`expire_all`), so an unattended request does not keep offering buttons. The channel message is
updated after the status is stored; `SHOWN` in the payload records that it was, so a failed update
(Slack down) is tried again by the next run and a second run the same day changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import audit
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.clock import Clock
from domain.roles import Permission
from domain.store import approvals as store
from domain.store.models import Approval
from domain.store.uow import SqlUnitOfWork

VALIDITY = timedelta(hours=24)
SHOWN = "expiry_shown"
"""Payload key set once the channel message says the request expired."""
RECENT = timedelta(days=7)
"""Expired requests whose message is still not updated are retried this long."""
SYSTEM = "system"


def aware(moment: datetime, like: datetime) -> datetime:
    """SQLite returns naive datetimes; they are stored in UTC."""
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment


def overdue(approval: Approval, now: datetime) -> bool:
    """Still marked pending, but its 24 hours are over: it can no longer be decided."""
    return approval.status == "pending" and now >= aware(approval.expires_at, now)


def record(uow: SqlUnitOfWork, clock: Clock, user: str, approval: Approval, action: str) -> None:
    audit.record(
        uow,
        clock,
        agency_id=approval.agency_id,
        actor=user,
        action=action,
        target=f"approval:{approval.id}",
        after={
            "kind": approval.kind,
            "amount": str(approval.amount),
            "status": approval.status,
            "requester": approval.requester,
            "subject": approval.summary,
        },
    )


def _expire(uow: SqlUnitOfWork, clock: Clock, user: str, pending: list[Approval]) -> list[int]:
    now = clock.now()
    expired = [a for a in pending if overdue(a, now)]
    for approval in expired:
        approval.status = "expired"
        record(uow, clock, user, approval, "approval.expired")
    if expired:
        uow.commit()
    return [a.id for a in expired]


def expire_overdue(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor) -> list[int]:
    """Mark the agency's pending requests whose time is over as expired (audited); their ids."""
    actor.require(Permission.READ)
    return _expire(uow, ports.clock, actor.user_id, store.pending(uow.session, actor.agency_id))


def expire_all(uow: SqlUnitOfWork, clock: Clock) -> list[int]:
    """The daily job: every agency's overdue requests, expired and audited by `system` (a suspended
    agency's wait for its reinstall, SPEC §11). Pending requests are few (each waits a day at most),
    so they are read and compared in Python, where SQLite's naive timestamps compare safely."""
    return _expire(uow, clock, SYSTEM, store.pending_of_live_agencies(uow.session))


def messages_to_update(uow: SqlUnitOfWork, clock: Clock) -> list[Approval]:
    """Expired requests of the last week whose channel message still shows the buttons."""
    since = clock.now() - RECENT
    return [
        a
        for a in store.expired_with_message(uow.session)
        if not (a.payload or {}).get(SHOWN) and aware(a.expires_at, since) >= since
    ]


def mark_shown(uow: SqlUnitOfWork, approval_id: int) -> None:
    approval = uow.session.get(Approval, approval_id)
    if approval is not None and not (approval.payload or {}).get(SHOWN):
        approval.payload = {**(approval.payload or {}), SHOWN: True}
        uow.commit()
