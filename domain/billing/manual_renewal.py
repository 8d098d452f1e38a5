"""Renewing a cancelled, expired or archived account (SPEC §4): who may, what it costs, what follows.

A renewal of an account that is cancelled but still in its paid period buys the next cycle from the
period's end; any other renewal starts a new cycle today, whose day becomes the renewal day. The
purchase date is kept, because the renewal rules depend on it.

Why in `domain.billing`: it is the renewal a person asks for (`/accounts renew`), beside the one the
daily run makes (`run`, `batch`); both price the cycle with `renewal` and charge through `charges`,
so renewal has one home.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import audit
from domain.accounts import rules
from domain.accounts.common import AccountPorts, agency_today, facts, via_vendor
from domain.accounts.queries import by_name
from domain.accounts.service import plan_json, set_plan
from domain.agency import Actor
from domain.billing.charges import ChargeRequest, InvoiceLine, active_profile, charge, find_invoice
from domain.billing.renewal import add_tax, renewed_choice
from domain.errors import Conflict, PaymentDeclined
from domain.i18n import N_
from domain.periods import add_cycle
from domain.plans import PlanChoice
from domain.portfolio import count_active_paid, migration_of
from domain.ports import Capability
from domain.quotes import CyclePrice, cycle_price
from domain.roles import Permission
from domain.store.models import Account, Agency, AuditEntry, Invoice
from domain.store.uow import SqlUnitOfWork
from domain.tiers import discount_tier
from domain.vendor_billing import billing_vendor, invoice_vendor


@dataclass(frozen=True)
class Cancellation:
    """The cancellation a renewal would undo: the account is cancelled, or ended after one."""

    reason: str | None
    on: date


# The status moves that start or end an account's life: the latest one says whether it ended cancelled.
_LIFE_ACTIONS = ("account.cancelled", "account.renewed", "account.enabled", "account.added")


def cancellation_of(session: Session, account: Account) -> Cancellation | None:
    """Whether renewing `account` undoes a cancellation (SPEC §4: only by an explicit choice).

    A cancelled account says so itself; an expired or archived one was cancelled when its latest
    life-changing audit entry is the cancellation (the expiry job overwrites the status reason)."""
    if account.status == "cancelled":
        on = account.status_changed_at.date() if account.status_changed_at else account.period_end
        return Cancellation(account.status_reason, on)
    if account.status not in ("expired", "archived"):
        return None
    last = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.agency_id == account.agency_id,
            AuditEntry.target == account.name,
            AuditEntry.action.in_(_LIFE_ACTIONS),
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()
    if last is not None and last.action == "account.cancelled":
        return Cancellation(last.reason, last.at.date())
    if last is None and account.status_reason == "cancelled period ended":
        return Cancellation(None, account.period_end)
    return None


@dataclass(frozen=True)
class RenewalPreview:
    name: str
    choice: PlanChoice
    price: CyclePrice
    period_start: date
    period_end: date
    tax: Decimal = Decimal(0)
    """VAT of a per-seat subscription (none with a valid VAT number or outside the EU)."""
    tax_lines: tuple[InvoiceLine, ...] = ()
    loses_discount: bool = False
    """A client user was made administrator: this renewal is the one that drops the discount."""
    cancellation: Cancellation | None = None
    """The cancellation this renewal undoes: the card says so and asks for that choice."""


@dataclass(frozen=True)
class Renewed:
    name: str
    invoice_number: str
    total: Decimal
    credit_used: Decimal
    card_charged: Decimal
    period_start: date
    period_end: date
    vendor: str | None = None
    """The vendor's name when it billed the renewal itself (SPEC §9): nothing was drawn or charged."""


def refuse_unless_renewable(account: Account, day: date) -> None:
    refusal = rules.renewal_refusal(
        rules.RenewalFacts(
            status=account.status,
            version=account.pricing_version,
            is_commission=account.is_commission,
            purchased_on=account.purchased_on or account.created_at.date(),
            archived_on=account.archived_on,
            period_end=account.period_end,
        ),
        day,
    )
    if refusal is not None:
        message, params = refusal
        raise Conflict(message, **params)


def _preview(ports: AccountPorts, session_count: int, account: Account, day: date) -> RenewalPreview:
    choice = renewed_choice(account)  # the scheduled change, however it was stored
    tier = discount_tier(ports.catalog.discount_tiers, session_count)
    cycle = account.cycles_billed + 1
    deal = migration_of(account)
    percent = deal.percent if deal is not None and deal.applies_to(cycle) else None
    loses_discount = bool(account.discount_loss_pending)
    eligible = bool(account.discount_eligible) and not loses_discount
    price = cycle_price(
        ports.catalog,
        choice,
        reseller_percent=tier.percent if eligible else Decimal(0),
        migration_percent=percent,
    )
    if account.status == "cancelled" and day < account.period_end:
        anchor = account.purchased_on or account.period_start
        start, end = account.period_end, add_cycle(anchor, account.period_end, choice.months)
    else:
        start, end = day, add_cycle(day, day, choice.months)
    taxed: list[InvoiceLine] = []
    tax = add_tax(ports.catalog, account, choice, price.per_cycle, taxed)
    return RenewalPreview(account.name, choice, price, start, end, tax, tuple(taxed), loses_discount)


def preview_renewal(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str) -> RenewalPreview:
    """What the confirm card shows: the refusal reason, or the amount and the period it buys."""
    actor.require(Permission.READ)
    account = by_name(uow.session, actor.agency_id, name)
    day = agency_today(ports.clock, uow.agencies.get(actor.agency_id))
    refuse_unless_renewable(account, day)
    preview = _preview(ports, count_active_paid(uow.session, actor.agency_id), account, day)
    return replace(preview, cancellation=cancellation_of(uow.session, account))


def renew(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    name: str,
    *,
    request_key: str,
    billing_profile_id: int | None,
    undo_cancellation: bool = False,
) -> Renewed:
    """Charge a new cycle through the one charge path (kind `renewal`) and make the account active.

    A cancelled account (or one that ended after a cancellation) is renewed only when the person chose
    to undo the cancellation (`undo_cancellation`); the cancellation is then cleared and audited."""
    actor.require(Permission.SPEND_MONEY)
    session = uow.session
    account = by_name(session, actor.agency_id, name, for_update=True)
    agency: Agency = uow.agencies.get(actor.agency_id)
    key = f"renewal:{request_key}"
    day = agency_today(ports.clock, agency)
    done = find_invoice(session, actor.agency_id, key)
    if done is not None and done.status != "failed":
        return _renewed(account.name, done.number, done, account.period_start, account.period_end)
    refuse_unless_renewable(account, day)
    cancelled = cancellation_of(session, account)
    if cancelled is not None and not undo_cancellation:
        raise Conflict(
            N_(
                "{name} was cancelled: renewing it undoes the cancellation. Choose that on its Renew card "
                "(`/accounts renew {name}`)."
            ),
            name=account.name,
        )
    profile_id = billing_profile_id or account.billing_profile_id
    active_profile(session, actor.agency_id, profile_id)
    preview = _preview(ports, count_active_paid(session, actor.agency_id), account, day)
    price = preview.price
    lines = [InvoiceLine(N_("New plan value"), price.plan_value, {"frequency": preview.choice.frequency})]
    if price.migration:
        lines.append(InvoiceLine(N_("Minus migration discount"), price.migration))
    lines.append(InvoiceLine(N_("Minus reseller discount"), price.reseller))
    lines.extend(preview.tax_lines)
    invoice = charge(
        session,
        ports.gateway,
        ports.clock,
        ChargeRequest(
            agency_id=actor.agency_id,
            kind="renewal",
            lines=tuple(lines),
            subtotal=price.per_cycle,
            tax=preview.tax,
            idempotency_key=key,
            actor=actor.user_id,
            currency=agency.currency,
            account_id=account.id,
            billing_profile_id=profile_id,
            period_start=preview.period_start,
            period_end=preview.period_end,
            vendor=billing_vendor(ports.provider, account.product),
        ),
    )
    if invoice.status == "failed":
        raise PaymentDeclined(
            N_("The card was declined ({reason}): {name} was not renewed."),
            field="profile",
            reason=invoice.failure or "",
            name=account.name,
        )
    before = facts(account)
    product = account.product
    set_plan(account, preview.choice)
    account.pending_change = None
    account.status = "active"
    account.status_reason = None
    account.status_changed_at = ports.clock.now()
    account.archived_on = None
    account.period_start, account.period_end = preview.period_start, preview.period_end
    if preview.period_start == day:
        account.renewal_day = day.day
    account.cycles_billed += 1
    account.price_per_cycle = price.per_cycle
    if preview.loses_discount:
        account.discount_eligible = False
        account.discount_loss_pending = False
    account.billing_profile_id = profile_id
    sent = {"status": "active", "plan": plan_json(preview.choice)}
    via_vendor(
        uow,
        ports,
        actor.user_id,
        account,
        (Capability.STATUS, Capability.PLAN),
        values=sent,
        call=lambda provider, ref: provider.update(ref, sent),
        product=product,
    )
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="account.renewed",
        target=account.name,
        before=before,
        after={**facts(account), "invoice": invoice.number},
    )
    if cancelled is not None:
        audit.record(
            uow,
            ports.clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="account.cancellation_undone",
            target=account.name,
            before={"status": before.get("status"), "cancelled_on": cancelled.on.isoformat()},
            after={"status": "active", "invoice": invoice.number},
            reason=cancelled.reason,
        )
    uow.commit()
    return _renewed(account.name, invoice.number, invoice, preview.period_start, preview.period_end)


def _renewed(name: str, number: str, invoice: Invoice, start: date, end: date) -> Renewed:
    return Renewed(
        name=name,
        invoice_number=number,
        total=invoice.total,
        credit_used=invoice.credit_used,
        card_charged=invoice.card_charged,
        vendor=invoice_vendor(invoice),
        period_start=start,
        period_end=end,
    )
