"""A new per-seat subscription (SPEC §6): quoted, charged for its first cycle, provisioned.

It is an ordinary resold account of the per-seat product (tier `licenses`, licenses in `seats`), so
the accounts overview, the billing run and the notices treat it like every other account. The
submission's nonce is the id of the pending confirmation its quote step held: the same
submission received twice creates one account and one charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain import audit, ledger, operations
from domain.agency import Actor, notification_email_of
from domain.billing.charges import ChargeRequest, active_profile, charge, preview_draw
from domain.catalog import Catalog
from domain.clock import Clock, today
from domain.errors import PaymentDeclined
from domain.i18n import N_
from domain.portfolio import PER_SEAT_TIER, count_active_paid
from domain.ports import PaymentGateway, Provider
from domain.pricing import PlanChoice, Quote, quote
from domain.roles import Permission
from domain.seats.charging import invoice_lines, recall, remember
from domain.seats.new_subscription import NewSubscription, clean, per_seat_product
from domain.seats.rules import account_name_for, candidate_names
from domain.store.models import Account, BillingProfile
from domain.store.seats import name_taken, profiles
from domain.store.uow import SqlUnitOfWork
from domain.vendor_billing import billing_vendor, invoice_vendor


@dataclass(frozen=True)
class Created:
    account: str
    invoice_number: str
    invoice_status: str
    total: str
    repeated: bool = False
    credit_used: str = "0.00"
    """What the invoice drew from prepaid credit; the rest is the card's or awaits the transfer."""
    payment_method: str = "card"
    """card, transfer, or vendor (its vendor bills the agency itself: nothing was charged here)."""
    vendor: str | None = None
    """The vendor's name when it billed the invoice (`payment_method` vendor)."""
    operation_id: int | None = None
    """The vendor operation provisioning it after the answer."""


PROVISION_SEATS = "provision_seats"
CREATING = "creating"


def card_profiles(uow: SqlUnitOfWork, agency_id: int) -> list[BillingProfile]:
    """The agency's cards the new subscription can be charged to, for the form's choice."""
    return profiles(uow.session, agency_id)


def _choice(catalog: Catalog, data: NewSubscription) -> PlanChoice:
    product = per_seat_product(catalog)
    return PlanChoice(version="V3", product=product, frequency=data.frequency, licenses=data.licenses)


def quote_new(
    uow: SqlUnitOfWork, catalog: Catalog, clock: Clock, actor: Actor, data: NewSubscription
) -> Quote:
    """The reseller discount comes from the count before this subscription exists (SPEC §3)."""
    actor.require(Permission.READ)
    agency = uow.agencies.get(actor.agency_id)
    offer = quote(
        catalog,
        _choice(catalog, data),
        active_paid_count=count_active_paid(uow.session, actor.agency_id),
        today=today(clock, agency.timezone),
        vat_number=data.vat_number,
        customer_country=data.country,
    )
    notification_email_of(agency)  # refused before the confirm step when the agency has none
    return offer


def draw_new(uow: SqlUnitOfWork, actor: Actor, data: NewSubscription, offer: Quote) -> ledger.Draw:
    """What the first charge will take from prepaid credit and from the card (or the transfer), in
    the order the charge draws: the new account has no earmark yet, so the general balance, then the
    card (`ledger.plan_draw`)."""
    agency = uow.agencies.get(actor.agency_id)
    request = ChargeRequest(
        agency_id=actor.agency_id,
        kind="first_cycle",
        lines=(),
        subtotal=offer.today,
        tax=offer.vat,
        idempotency_key="preview",
        actor=actor.user_id,
        currency=agency.currency,
        billing_profile_id=data.billing_profile_id,
        payment_method=data.payment_method,
    )
    return preview_draw(uow.session, request)


def account_name(uow: SqlUnitOfWork, agency_id: int, data: NewSubscription) -> str:
    """The sub-domain the subscription gets: the company's (else the customer's) name transliterated,
    like `muller-gmbh` for Müller GmbH, with `-2`, `-3`… when the agency has it. The vendor's own
    check is a vendor call, so it runs after the answer, with the provisioning (SPEC §9)."""
    return next(
        n
        for n in candidate_names(account_name_for(data.company, data.customer_name))
        if not name_taken(uow.session, agency_id, n)
    )


def create_subscription(
    uow: SqlUnitOfWork,
    catalog: Catalog,
    clock: Clock,
    provider: Provider,
    gateway: PaymentGateway,
    *,
    actor: Actor,
    data: NewSubscription,
    notify: dict[str, Any] | None = None,
) -> Created:
    """Account row (`creating`), first-cycle charge and the vendor operation that provisions it after
    the answer (`domain.accounts.provisioning.ProvisionSeats`): a declined card leaves nothing behind,
    and a vendor refusal voids the charge and removes the row (SPEC §9 Slow vendors)."""
    actor.require(Permission.SPEND_MONEY)
    data = clean(data)
    key = f"seats-new:{data.nonce}"
    session = uow.session
    done = recall(uow, actor.agency_id, key)
    if done is None:
        ledger.lock_agency(session, actor.agency_id)
        done = recall(uow, actor.agency_id, key)
    if done is not None:
        return Created(**done, repeated=True)
    agency = uow.agencies.get(actor.agency_id)
    active_profile(session, actor.agency_id, data.billing_profile_id)
    offer = quote_new(uow, catalog, clock, actor, data)
    day = today(clock, agency.timezone)
    now = clock.now()
    name = account_name(uow, actor.agency_id, data)
    region = "eu" if catalog.vat_rate(data.country) is not None else "global"
    account = Account(
        agency_id=actor.agency_id,
        name=name,
        client_name=data.customer_name,
        client_email=data.email,
        notification_email=notification_email_of(agency),
        company=data.company or None,
        country=data.country,
        region=region,
        language=agency.language,
        timezone=agency.timezone,
        vat_number=offer.vat_number.number if offer.vat_number else None,
        pricing_version="V3",
        product=offer.choice.product,
        tier=PER_SEAT_TIER,
        contacts=None,
        frequency=data.frequency,
        seats=data.licenses,
        addons=[],
        limits={},
        plan_size=data.licenses,
        status=CREATING,
        status_changed_at=now,
        created_at=now,
        purchased_on=day,
        renewal_day=day.day,
        period_start=day,
        period_end=offer.renewal,
        is_commission=False,
        billing_profile_id=data.billing_profile_id,
        payment_method=data.payment_method,
        price_per_cycle=offer.per_cycle,
        cycles_billed=1,
        discount_eligible=True,
        discount_loss_pending=False,
        created_by=actor.user_id,
    )
    session.add(account)
    session.flush()
    invoice = charge(
        session,
        gateway,
        clock,
        ChargeRequest(
            agency_id=actor.agency_id,
            kind="first_cycle",
            lines=invoice_lines(offer),
            subtotal=offer.today,
            tax=offer.vat,
            idempotency_key=key,
            actor=actor.user_id,
            currency=agency.currency,
            account_id=account.id,
            billing_profile_id=data.billing_profile_id,
            payment_method=data.payment_method,
            period_start=day,
            period_end=offer.renewal,
            vendor=billing_vendor(provider, offer.choice.product),
        ),
    )
    if invoice.status == "failed":
        raise PaymentDeclined(
            N_("The card was declined ({reason}), so the subscription was not created."),
            field="profile",
            reason=invoice.failure or "",
        )
    plan = {"product": account.product, "licenses": account.seats, "frequency": account.frequency}
    op = operations.start(
        uow,
        agency_id=actor.agency_id,
        kind=PROVISION_SEATS,
        key=key,
        requested_by=actor.user_id,
        now=now,
        target=name,
        account_id=account.id,
        payload={"status": "active", "plan": plan, "invoice_id": invoice.id},
        notify=notify,
    )
    result: dict[str, Any] = {
        "operation_id": op.id,
        "account": name,
        "invoice_number": invoice.number,
        "invoice_status": invoice.status,
        "total": str(invoice.total),
        "credit_used": str(invoice.credit_used),
        "payment_method": invoice.payment_method
        if invoice_vendor(invoice) is not None
        else data.payment_method,
        "vendor": invoice_vendor(invoice),
    }
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="seats.subscription_created",
        target=name,
        after={
            "licenses": data.licenses,
            "frequency": data.frequency,
            "payment_method": data.payment_method,
            "invoice": invoice.number,
            "invoice_status": invoice.status,
            "total": str(invoice.total),
        },
    )
    remember(uow, clock, actor.agency_id, key, result)
    uow.commit()
    return Created(**result)
