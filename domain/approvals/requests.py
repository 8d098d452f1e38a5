"""The four-eyes service (SPEC §1): above the agency's amount, a purchase, plan change, renewal or
license top-up waits for a second owner or billing member before anything is charged.

The confirm step stores what it would have executed (`payload`, with the confirm card's pending-confirmation id as `nonce`)
instead of charging. Approving executes it through the same domain service with the same idempotency
key, so a double approve, a Slack retry, or a click after a crash mid-execution charges once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain import audit
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.approvals.actions import Outcome, run
from domain.approvals.expiry import VALIDITY, aware, record
from domain.approvals.rules import already, refusal
from domain.errors import DomainError, Forbidden, NotFound, PaymentUnavailable
from domain.i18n import N_
from domain.i18n import stored as stored_param
from domain.roles import Permission
from domain.store import approvals as store
from domain.store.models import Agency, Approval, ProcessedRequest
from domain.store.uow import SqlUnitOfWork


def threshold_of(uow: SqlUnitOfWork, agency_id: int) -> Decimal | None:
    value = uow.agencies.get(agency_id).approval_threshold
    return None if value is None else Decimal(value)


def set_threshold(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, amount: Decimal | None) -> None:
    actor.require(Permission.MANAGE_AGENCY)
    agency: Agency = uow.agencies.get(actor.agency_id)
    before = None if agency.approval_threshold is None else str(agency.approval_threshold)
    agency.approval_threshold = amount
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="agency.approval_threshold",
        before={"approval_threshold": before},
        after={"approval_threshold": None if amount is None else str(amount)},
    )
    uow.commit()


def request(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    kind: str,
    *,
    payload: dict[str, Any],
    amount: Decimal,
) -> tuple[Approval, bool]:
    """Record the request (nothing is charged); the requester must be allowed to do it themselves.

    Keyed by the confirm card's pending-confirmation id, so a double click on Confirm asks once: the second click gets
    the first request back (`created` is False) and nothing is posted twice.
    """
    actor.require(Permission.SPEND_MONEY)
    key = f"approval:{kind}:{payload.get('nonce')}"
    seen = uow.requests.get(actor.agency_id, key)
    if seen is not None:
        return get(uow, actor, int(seen.result["approval"])), False
    now = ports.clock.now()
    approval = Approval(
        agency_id=actor.agency_id,
        kind=kind,
        requester=actor.user_id,
        amount=amount,
        summary=str(payload.get("name") or payload.get("kind") or kind),
        payload=payload,
        status="pending",
        expires_at=now + VALIDITY,
        created_at=now,
    )
    uow.session.add(approval)
    uow.session.flush()
    uow.requests.add(
        ProcessedRequest(agency_id=actor.agency_id, key=key, result={"approval": approval.id}, at=now)
    )
    _audit(uow, ports, actor, approval, "approval.requested")
    uow.commit()
    return approval, True


def attach_message(uow: SqlUnitOfWork, approval_id: int, channel: str, ts: str) -> None:
    approval = uow.session.get(Approval, approval_id)
    if approval is not None:
        approval.channel, approval.message_ts = channel, ts
        uow.commit()


def get(uow: SqlUnitOfWork, actor: Actor, approval_id: int) -> Approval:
    approval = uow.session.get(Approval, approval_id)
    if approval is None or approval.agency_id != actor.agency_id:
        raise NotFound(N_("There is no approval request {id}."), id=approval_id)
    return approval


def decide(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, approval_id: int, *, approve: bool
) -> Approval:
    """Approve or reject once; an approved request whose execution did not finish may be run again."""
    approval = get(uow, actor, approval_id)
    now = ports.clock.now()
    # Approved, then interrupted before the result was stored: running it again is safe.
    resumable = approve and approval.status == "approved" and "result" not in approval.payload
    why = refusal(
        role=actor.role,
        user=actor.user_id,
        requester=approval.requester,
        status="pending" if resumable else approval.status,
        now=approval.created_at if resumable else now,
        expires_at=aware(approval.expires_at, now),
    )
    if why is not None:
        if approval.status == "pending" and now >= aware(approval.expires_at, now):
            approval.status = "expired"
            _audit(uow, ports, actor, approval, "approval.expired")
            uow.commit()
        raise Forbidden(why[0], **why[1])
    if resumable:
        return approval
    approval.status = "approved" if approve else "rejected"
    approval.decided_by, approval.decided_at = actor.user_id, now
    _audit(uow, ports, actor, approval, "approval.approved" if approve else "approval.rejected")
    uow.commit()
    return approval


def execute(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, approval_id: int) -> Outcome:
    """Run the stored action as the approver; the charge key is the original confirm card's id."""
    approval = get(uow, actor, approval_id)
    stored = approval.payload.get("result")
    if approval.status != "approved" or stored is not None:
        if stored is None:
            message, params = already(approval.status)
            return Outcome(False, message, params)
        return Outcome(bool(stored["ok"]), stored["message"], {"status": approval.status, **stored["params"]})
    kind, p = approval.kind, dict(approval.payload)
    try:
        outcome = run(uow, ports, actor, kind, p)
    except PaymentUnavailable:
        raise  # nothing happened; the request stays approved and Approve can be clicked again
    except DomainError as error:
        uow.session.rollback()
        outcome = Outcome(False, error.message, error.params)
    approval = get(uow, actor, approval_id)
    result = {
        "ok": outcome.ok,
        "message": outcome.message,
        "params": {k: stored_param(v) for k, v in outcome.params.items()},
    }
    approval.payload = {**approval.payload, "result": result}
    if not outcome.ok:
        approval.status = "failed"
    _audit(uow, ports, actor, approval, "approval.executed" if outcome.ok else "approval.failed")
    uow.commit()
    return outcome


def recent(uow: SqlUnitOfWork, actor: Actor, limit: int = 15) -> list[Approval]:
    actor.require(Permission.READ)
    return store.latest(uow.session, actor.agency_id, limit)


def _audit(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, approval: Approval, action: str) -> None:
    record(uow, ports.clock, actor.user_id, approval, action)
