"""Four-eyes approvals (SPEC §1): above the agency's amount, a purchase, plan change, renewal or
license top-up waits for a second owner or billing member before anything is charged.

The confirm step stores what it would have executed (`payload`, with the confirm card's own nonce)
instead of charging. Approving executes it through the same domain service with the same idempotency
key, so a double approve, a Slack retry, or a click after a crash mid-execution charges once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from domain import audit
from domain import credits as credit_service
from domain.accounts import changes, renewal
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.errors import DomainError, Forbidden, NotFound, PaymentUnavailable
from domain.i18n import N_
from domain.pricing import PlanChoice
from domain.roles import Permission, Role
from domain.seats_topup import confirm_topup, quote_topup
from domain.store.models import Agency, Approval, ProcessedRequest
from domain.store.uow import SqlUnitOfWork

KINDS = ("credits", "plan", "renewal", "topup")
VALIDITY = timedelta(hours=24)
APPROVERS = (Role.OWNER, Role.BILLING)


def needed(threshold: Decimal | None, amount: Decimal) -> bool:
    """Only amounts strictly above the threshold wait; no threshold (NULL) means the rule is off."""
    return threshold is not None and amount > threshold


def refusal(
    *, role: Role, user: str, requester: str, status: str, now: datetime, expires_at: datetime
) -> tuple[str, dict[str, Any]] | None:
    """Why this member may not decide this request now, or None. Pure, so the rules are unit-tested."""
    if status != "pending":
        return N_("This request is already {status}."), {"status": status}
    if now >= expires_at:
        return N_("This request expired on {when}: nothing was charged. Ask again."), {"when": expires_at}
    if role not in APPROVERS:
        return N_("Only an owner or a billing member can decide; your role is {role}."), {"role": role.value}
    if user == requester:
        return N_("You asked for this, so another owner or billing member must decide it."), {}
    return None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    params: dict[str, Any]


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


def price(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, kind: str, p: dict[str, Any]) -> Decimal:
    """What executing the payload would charge today, computed by the service that would charge it."""
    if kind == "credits":
        currency = uow.agencies.get(actor.agency_id).currency
        return credit_service.offer(uow, ports.catalog, actor, currency, _order(p)).price
    if kind == "plan":
        return changes.preview_plan_change(uow, ports, actor, p["name"], _choice(p["plan"])).today
    if kind == "renewal":
        return renewal.preview_renewal(uow, ports, actor, p["name"]).price.per_cycle
    offer = quote_topup(uow, ports.catalog, ports.clock, actor, name=p["name"], extra=int(p["extra"]))
    return offer.quote.total_today


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

    Keyed by the confirm card's nonce, so a double click on Confirm asks once: the second click gets
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
        expires_at=_aware(approval.expires_at, now),
    )
    if why is not None:
        if approval.status == "pending" and now >= _aware(approval.expires_at, now):
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
    """Run the stored action as the approver; the charge key is the original confirm card's nonce."""
    approval = get(uow, actor, approval_id)
    stored = approval.payload.get("result")
    if approval.status != "approved" or stored is not None:
        stored = stored or {"ok": False, "message": N_("This request is already {status}."), "params": {}}
        return Outcome(bool(stored["ok"]), stored["message"], {"status": approval.status, **stored["params"]})
    kind, p = approval.kind, dict(approval.payload)
    try:
        outcome = _run(uow, ports, actor, kind, p)
    except PaymentUnavailable:
        raise  # nothing happened; the request stays approved and Approve can be clicked again
    except DomainError as error:
        uow.session.rollback()
        outcome = Outcome(False, error.message, error.params)
    approval = get(uow, actor, approval_id)
    result = {
        "ok": outcome.ok,
        "message": outcome.message,
        "params": {k: str(v) for k, v in outcome.params.items()},
    }
    approval.payload = {**approval.payload, "result": result}
    if not outcome.ok:
        approval.status = "failed"
    _audit(uow, ports, actor, approval, "approval.executed" if outcome.ok else "approval.failed")
    uow.commit()
    return outcome


def _run(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, kind: str, p: dict[str, Any]) -> Outcome:
    done = N_("Done: invoice {invoice}, {total}.")
    if kind == "credits":
        currency = uow.agencies.get(actor.agency_id).currency
        bought = credit_service.buy(
            uow,
            ports.gateway,
            ports.clock,
            ports.catalog,
            actor,
            currency=currency,
            order=_order(p),
            nonce=p["nonce"],
        )
        return _charged(bought.status, bought.failure, bought.invoice_number, bought.total)
    if kind == "plan":
        changed = changes.change_plan(
            uow, ports, actor, p["name"], _choice(p["plan"]), request_key=p["nonce"], reason=p.get("reason")
        )
        return Outcome(True, done, {"invoice": changed.invoice_number or "–", "total": changed.charged})
    if kind == "renewal":
        renewed = renewal.renew(
            uow, ports, actor, p["name"], request_key=p["nonce"], billing_profile_id=p.get("profile")
        )
        return Outcome(True, done, {"invoice": renewed.invoice_number, "total": renewed.total})
    topped = confirm_topup(
        uow,
        ports.catalog,
        ports.clock,
        ports.gateway,
        actor,
        name=p["name"],
        extra=int(p["extra"]),
        nonce=p["nonce"],
    )
    return _charged(topped.invoice_status, None, topped.invoice_number, Decimal(topped.total))


def _charged(status: str, failure: str | None, invoice: str, total: Decimal) -> Outcome:
    if status == "failed":
        return Outcome(
            False,
            N_("The card was declined ({reason}): invoice {invoice} records the attempt."),
            {"reason": failure or "", "invoice": invoice},
        )
    return Outcome(True, N_("Done: invoice {invoice}, {total}."), {"invoice": invoice, "total": total})


def overdue(approval: Approval, now: datetime) -> bool:
    """Still marked pending, but its 24 hours are over: it can no longer be decided."""
    return approval.status == "pending" and now >= _aware(approval.expires_at, now)


def expire_overdue(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor) -> list[int]:
    """Mark the agency's pending requests whose time is over as expired (audited); their ids.

    Expiry is otherwise noticed only when someone clicks Approve; this lets a listing show, and the
    channel message say, that nothing will be charged.
    """
    actor.require(Permission.READ)
    now = ports.clock.now()
    pending = uow.session.scalars(
        select(Approval).where(Approval.agency_id == actor.agency_id, Approval.status == "pending")
    )
    expired = [a for a in pending if overdue(a, now)]
    for approval in expired:
        approval.status = "expired"
        _audit(uow, ports, actor, approval, "approval.expired")
    if expired:
        uow.commit()
    return [a.id for a in expired]


def recent(uow: SqlUnitOfWork, actor: Actor, limit: int = 15) -> list[Approval]:
    actor.require(Permission.READ)
    query = (
        select(Approval)
        .where(Approval.agency_id == actor.agency_id)
        .order_by(Approval.created_at.desc(), Approval.id.desc())
        .limit(limit)
    )
    return list(uow.session.scalars(query))


def _order(p: dict[str, Any]) -> credit_service.Order:
    kind: credit_service.Kind = next((k for k in credit_service.KINDS if k == p["kind"]), "prepaid")
    return credit_service.Order(kind, Decimal(p["quantity"]), p.get("account_id"), p.get("profile_id"))


def _choice(plan: dict[str, Any]) -> PlanChoice:
    return PlanChoice(
        version=str(plan["version"]),
        product=str(plan["product"]),
        level=plan.get("level"),
        tier=plan.get("tier"),
        contacts=plan.get("contacts"),
        frequency="annual" if plan.get("frequency") == "annual" else "monthly",
        seats=plan.get("seats"),
        addons=tuple(plan.get("addons") or ()),
        licenses=plan.get("licenses"),
        limits=tuple((str(k), v) for k, v in plan.get("limits") or ()),
    )


def _aware(moment: datetime, like: datetime) -> datetime:
    """SQLite returns naive datetimes; they are stored in UTC."""
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment


def _audit(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, approval: Approval, action: str) -> None:
    audit.record(
        uow,
        ports.clock,
        agency_id=approval.agency_id,
        actor=actor.user_id,
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
