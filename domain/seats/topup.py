"""More licenses, or user seats on contact-tiered plans, through the one charge path (SPEC §3, §6).

`/seats buy` first quotes, then a confirm card carries a pending-confirmation id: the charge's key
is built from it, and the request's stored result answers a double click or a Slack retry, so the
licenses grow once and the card is charged once. Removing user seats is a downgrade: nothing is
charged or refunded, the change waits in `pending_change` for the renewal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from domain import audit, ledger
from domain.agency import Actor
from domain.billing.charges import ChargeRequest, preview_draw
from domain.billing.charges import charge as charge_once
from domain.catalog import Catalog, ContactsProduct
from domain.clock import Clock, today
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_, Word
from domain.ledger import Draw
from domain.money import ZERO
from domain.portfolio import PER_SEAT_TIER, count_active_paid, current_plan_of, migration_of, plan_choice_of
from domain.ports import PaymentGateway, Provider
from domain.pricing import Note, Quote, quote, topup_quote
from domain.roles import Permission
from domain.seats.charging import invoice_lines, recall, remember
from domain.seats.rules import BUYABLE_STATUSES
from domain.store.models import Account
from domain.store.seats import find_account
from domain.store.uow import SqlUnitOfWork
from domain.vendor_billing import billing_vendor


@dataclass(frozen=True)
class TopUp:
    """What the confirm card shows."""

    account: str
    extra: int
    per_seat: bool
    quote: Quote
    draw: Draw
    payment_method: str
    vendor: str | None = None
    """The vendor's name when it bills the agency itself (SPEC §9): nothing is drawn or charged here."""


@dataclass(frozen=True)
class Bought:
    account: str
    extra: int
    total_after: int
    invoice_number: str
    invoice_status: str
    total: str
    repeated: bool = False


def _seats_now(catalog: Catalog, account: Account) -> int:
    if account.tier == PER_SEAT_TIER:
        return account.seats or 0
    spec = catalog.product(account.product)
    if not isinstance(spec, ContactsProduct) or account.tier not in spec.tiers:
        raise InvalidInput(
            N_("{account} has no user seats to change."), field="account", account=account.name
        )
    return account.seats or spec.tiers[account.tier].included_seats


def _quote(uow: SqlUnitOfWork, catalog: Catalog, clock: Clock, account: Account, extra: int) -> Quote:
    """Per-seat: whole months left at the monthly license price; contact-tiered: prorated upgrade."""
    offer = _priced(uow, catalog, clock, account, extra)
    if not account.discount_loss_pending:
        return offer
    # A client admin keeps today's discount but ends it from the renewal on: say what that costs.
    reseller = sum((line.amount or ZERO for line in offer.lines if line.kind == "reseller_discount"), ZERO)
    message = N_(
        "From the renewal on {date} a client user administers this subscription: it then costs "
        "{amount} per cycle, without the reseller discount."
    )
    note = Note(message, {"date": account.period_end, "amount": offer.per_cycle - reseller})
    return replace(offer, notes=(note, *offer.notes))


def _priced(uow: SqlUnitOfWork, catalog: Catalog, clock: Clock, account: Account, extra: int) -> Quote:
    session = uow.session
    day = today(clock, uow.agencies.get(account.agency_id).timezone)
    count = count_active_paid(session, account.agency_id)
    current = current_plan_of(account)
    if account.tier == PER_SEAT_TIER:
        return topup_quote(
            catalog,
            current,
            extra,
            today=day,
            active_paid_count=count,
            migration=migration_of(account),
            vat_number=account.vat_number,
            # The account's treatment, as recorded when it was created: its VAT number decides.
            customer_country=None if account.vat_number else account.country,
            discount_eligible=account.discount_eligible,
        )
    total = _seats_now(catalog, account) + extra
    return quote(
        catalog,
        replace(plan_choice_of(account), seats=total),
        active_paid_count=count,
        today=day,
        current=current,
        migration=migration_of(account),
        discount_eligible=account.discount_eligible,
    )


def _request(
    account: Account, offer: Quote, actor: Actor, currency: str, key: str, *, provider: Provider | None
) -> ChargeRequest:
    per_seat = account.tier == PER_SEAT_TIER
    return ChargeRequest(
        agency_id=account.agency_id,
        kind="topup" if per_seat else "upgrade",
        lines=invoice_lines(offer, today_only=True),
        subtotal=offer.today,
        tax=offer.vat,
        idempotency_key=key,
        actor=actor.user_id,
        currency=currency,
        account_id=account.id,
        billing_profile_id=account.billing_profile_id,
        payment_method=account.payment_method,
        period_start=offer.period_start,
        period_end=offer.period_end,
        vendor=None if provider is None else billing_vendor(provider, account.product),
    )


def _buyable(uow: SqlUnitOfWork, actor: Actor, name: str, extra: int, *, lock: bool) -> Account:
    actor.require(Permission.SPEND_MONEY)
    if extra <= 0:
        raise InvalidInput(N_("Buy at least 1 license; you asked for {n}."), field="licenses", n=extra)
    account = find_account(uow.session, actor.agency_id, name, lock=lock)
    if account.status not in BUYABLE_STATUSES:
        raise Conflict(
            N_("{account} is {status}: renew it before buying licenses."),
            account=account.name,
            status=Word(account.status),
        )
    return account


def quote_topup(
    uow: SqlUnitOfWork,
    catalog: Catalog,
    clock: Clock,
    actor: Actor,
    *,
    name: str,
    extra: int,
    provider: Provider | None = None,
) -> TopUp:
    account = _buyable(uow, actor, name, extra, lock=False)
    offer = _quote(uow, catalog, clock, account, extra)
    currency = uow.agencies.get(actor.agency_id).currency
    request = _request(account, offer, actor, currency, "preview", provider=provider)
    draw = preview_draw(uow.session, request)
    per_seat = account.tier == PER_SEAT_TIER
    return TopUp(account.name, extra, per_seat, offer, draw, account.payment_method, request.vendor)


def confirm_topup(
    uow: SqlUnitOfWork,
    catalog: Catalog,
    clock: Clock,
    gateway: PaymentGateway,
    actor: Actor,
    *,
    name: str,
    extra: int,
    nonce: str,
    provider: Provider | None = None,
) -> Bought:
    """Charge once, then grow the plan; a declined card keeps its failed invoice and grows nothing."""
    key = f"seats-buy:{nonce}"
    ledger.lock_agency(uow.session, actor.agency_id)  # agency before account: the billing run's order
    done = recall(uow, actor.agency_id, key)
    if done is not None:
        return Bought(**done, repeated=True)
    account = _buyable(uow, actor, name, extra, lock=True)
    offer = _quote(uow, catalog, clock, account, extra)
    currency = uow.agencies.get(actor.agency_id).currency
    invoice = charge_once(
        uow.session, gateway, clock, _request(account, offer, actor, currency, key, provider=provider)
    )
    before = _seats_now(catalog, account)
    after = before if invoice.status == "failed" else before + extra
    if invoice.status != "failed":
        account.seats = after
        account.price_per_cycle = offer.per_cycle
        if account.tier == PER_SEAT_TIER:
            account.plan_size = after
    result: dict[str, Any] = {
        "account": account.name,
        "extra": extra,
        "total_after": after,
        "invoice_number": invoice.number,
        "invoice_status": invoice.status,
        "total": str(invoice.total),
    }
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="seats.licenses_bought" if account.tier == PER_SEAT_TIER else "seats.user_seats_added",
        target=account.name,
        before={"seats": before},
        after={"seats": after, "invoice": invoice.number, "invoice_status": invoice.status},
    )
    remember(uow, clock, actor.agency_id, key, result)
    uow.commit()
    return Bought(**result)


def quote_reduce(
    uow: SqlUnitOfWork,
    catalog: Catalog,
    clock: Clock,
    actor: Actor,
    *,
    name: str,
    fewer: int,
    lock: bool = False,
) -> Quote:
    """The quote a seat reduction shows before it is confirmed (SPEC §3): nothing is written."""
    actor.require(Permission.SPEND_MONEY)
    account = find_account(uow.session, actor.agency_id, name, lock=lock)
    if account.tier == PER_SEAT_TIER:
        raise InvalidInput(
            N_(
                "{account} is sold per license: remove members to free licenses; the license count "
                "is chosen again at renewal."
            ),
            field="account",
            account=account.name,
        )
    if fewer <= 0:
        raise InvalidInput(N_("Remove at least 1 seat; you asked for {n}."), field="seats", n=fewer)
    before = _seats_now(catalog, account)
    target = replace(plan_choice_of(account), seats=before - fewer)
    return quote(
        catalog,
        target,
        active_paid_count=count_active_paid(uow.session, account.agency_id),
        today=today(clock, uow.agencies.get(account.agency_id).timezone),
        current=current_plan_of(account),
        migration=migration_of(account),
        discount_eligible=account.discount_eligible,
    )


def reduce_seats(
    uow: SqlUnitOfWork,
    catalog: Catalog,
    clock: Clock,
    actor: Actor,
    *,
    name: str,
    fewer: int,
    reason: str | None = None,
) -> Quote:
    """A downgrade at the next renewal: no refund, and the client keeps the seats until then."""
    offer = quote_reduce(uow, catalog, clock, actor, name=name, fewer=fewer, lock=True)
    account = find_account(uow.session, actor.agency_id, name)
    before = _seats_now(catalog, account)
    pending = {
        "kind": "downgrade",
        "effective_on": offer.renewal.isoformat(),
        "plan": {"seats": before - fewer},
        "per_cycle": str(offer.per_cycle),
        "requested_by": actor.user_id,
    }
    account.pending_change = pending
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="seats.user_seats_reduced",
        target=account.name,
        before={"seats": before},
        after=pending,
        reason=reason,
    )
    uow.commit()
    return offer
