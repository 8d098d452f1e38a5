"""The one charge path (SPEC §5, §7): earmark, then general prepaid balance, then the card.

First cycles, renewals, upgrades, top-ups and credit purchases all go through `charge`, which writes
one invoice with its lines. It is idempotent by key: a retried request finds its invoice and
charges nothing again; the gateway is given the same key, so even a crash between the card charge
and the commit cannot charge twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import ledger
from domain.clock import Clock
from domain.errors import InvalidInput, NotFound, PaymentUnavailable
from domain.i18n import N_, stored
from domain.money import ZERO, round_money
from domain.ports import PaymentGateway
from domain.store.invoice_numbers import invoice_number, reserve
from domain.store.models import BillingProfile, Invoice


@dataclass(frozen=True)
class InvoiceLine:
    label: str
    """A message id (N_) the reader's language renders; params fill its placeholders."""
    amount: Decimal
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "amount": str(self.amount),
            "params": {k: stored(v) for k, v in self.params.items()},
        }


@dataclass(frozen=True)
class ChargeRequest:
    agency_id: int
    kind: str
    """first_cycle, renewal, upgrade, topup, credit_purchase."""
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    """What is due before tax; the sum of the lines."""
    idempotency_key: str
    actor: str
    currency: str
    account_id: int | None = None
    tax: Decimal = ZERO
    billing_profile_id: int | None = None
    payment_method: str = "card"
    """card or transfer (per-seat subscriptions may wait for a bank transfer)."""
    use_credit: bool = True
    """False for buying prepaid credit itself, which cannot be paid with prepaid credit."""
    period_start: date | None = None
    period_end: date | None = None
    vendor: str | None = None
    """Set (the vendor's name, maybe empty) when the account's vendor bills the agency itself
    (`domain.vendor_billing.billing_vendor`): the charge is recorded as billed by the vendor, no
    gateway is called and no prepaid credit is drawn (SPEC §9 "Money moves once")."""

    @property
    def vendor_billed(self) -> bool:
        return self.vendor is not None


def find_invoice(session: Session, agency_id: int, key: str) -> Invoice | None:
    return session.scalars(
        select(Invoice).where(Invoice.agency_id == agency_id, Invoice.idempotency_key == key)
    ).first()


def active_profile(session: Session, agency_id: int, profile_id: int | None) -> BillingProfile | None:
    if profile_id is None:
        return None
    profile = session.get(BillingProfile, profile_id)
    if profile is None or profile.agency_id != agency_id or profile.deleted_at is not None:
        raise NotFound(
            N_("That billing profile does not exist. `/billing profiles` lists them."), field="profile"
        )
    return profile


def preview_draw(session: Session, request: ChargeRequest) -> ledger.Draw:
    """What a confirm card shows before anything is charged."""
    total = round_money(request.subtotal + request.tax)
    if not request.use_credit or request.vendor_billed:
        return ledger.Draw(ZERO, ZERO, total)
    if request.account_id:
        earmark, general = ledger.earmark_and_general(
            session, request.agency_id, "prepaid", request.account_id
        )
    else:
        earmark, general = ZERO, ledger.balance(session, request.agency_id, "prepaid")
    return ledger.plan_draw(total, earmark, general)


def charge(session: Session, gateway: PaymentGateway, clock: Clock, request: ChargeRequest) -> Invoice:
    """Charge once; return the invoice (status paid, awaiting_transfer or failed).

    A declined card gives a `failed` invoice and no credit is drawn; the caller decides what follows
    (a renewal expires the account). A retryable gateway failure raises PaymentUnavailable and writes
    nothing, so the same request can be tried again later.
    """
    ledger.lock_agency(session, request.agency_id)
    existing = find_invoice(session, request.agency_id, request.idempotency_key)
    if existing is not None:
        return existing
    profile = active_profile(session, request.agency_id, request.billing_profile_id)
    draw = preview_draw(session, request)
    now = clock.now()
    invoice = settle(gateway, request, profile, draw, now)
    _number(session, invoice, now.year)
    if invoice.status != "failed" and not request.vendor_billed:
        for entry in draw_entries(request, draw, invoice.id, now):
            ledger.append(session, **entry)
    return invoice


def settle(
    gateway: PaymentGateway,
    request: ChargeRequest,
    profile: BillingProfile | None,
    draw: ledger.Draw,
    now: datetime,
) -> Invoice:
    """The invoice of one charge, the card charged if credit does not cover it; nothing is written.

    Shared by `charge` and the billing run's batches, which number invoices and draw credit in bulk.
    Raises InvalidInput (a card is needed and none is set) or PaymentUnavailable (retry later).
    """
    invoice = Invoice(
        agency_id=request.agency_id,
        account_id=request.account_id,
        number="pending",
        kind=request.kind,
        status="paid",
        currency=request.currency,
        lines=[line.to_json() for line in request.lines],
        subtotal=round_money(request.subtotal),
        tax=round_money(request.tax),
        total=round_money(request.subtotal + request.tax),
        credit_used=draw.from_credit,
        card_charged=ZERO,
        billing_profile_id=profile.id if profile else None,
        payment_method=request.payment_method,
        period_start=request.period_start,
        period_end=request.period_end,
        idempotency_key=request.idempotency_key,
        actor=request.actor,
        created_at=now,
        paid_at=now,
    )
    if request.vendor_billed:
        return vendor_billed(invoice, request)
    if draw.from_card <= ZERO:
        return invoice
    if request.payment_method == "transfer":
        invoice.status = "awaiting_transfer"
        invoice.paid_at = None
        return invoice
    if profile is None:
        raise InvalidInput(
            N_("{amount} is left to pay after credit: choose a billing profile (a card) to pay it."),
            field="profile",
            amount=draw.from_card,
        )
    result = gateway.charge(profile.token, draw.from_card, request.currency, request.idempotency_key)
    if result.retryable:
        raise PaymentUnavailable(
            N_("The payment network did not answer, so nothing was charged. Try again in a minute.")
        )
    if not result.ok:
        invoice.status = "failed"
        invoice.failure = result.message
        invoice.credit_used = ZERO
        invoice.paid_at = None
        return invoice
    invoice.card_charged = draw.from_card
    invoice.gateway_ref = result.reference
    return invoice


def vendor_billed(invoice: Invoice, request: ChargeRequest) -> Invoice:
    """The vendor bills the whole amount to its own billing profile: recorded, never charged here."""
    invoice.billed_by = "vendor"
    invoice.vendor_name = request.vendor or None
    invoice.payment_method = "vendor"
    invoice.credit_used = ZERO
    invoice.card_charged = ZERO
    invoice.status = "paid"
    return invoice


def draw_entries(
    request: ChargeRequest, draw: ledger.Draw, invoice_id: int, now: datetime
) -> list[dict[str, Any]]:
    """The ledger debits of a paid charge: the earmark's, then the general pool's (keys end so).

    None (an empty list) for an invoice billed by the vendor, which draws no credit of the desk."""
    if request.vendor_billed:
        return []
    common = {"agency_id": request.agency_id, "pool": "prepaid", "kind": "charge", "actor": request.actor}
    common |= {"at": now, "reason": request.kind, "invoice_id": invoice_id}
    key = request.idempotency_key
    entries = []
    if draw.from_earmark > ZERO and request.account_id is not None:
        entries.append(
            {
                **common,
                "amount": -draw.from_earmark,
                "account_id": request.account_id,
                "idempotency_key": f"{key}:earmark",
            }
        )
    if draw.from_general > ZERO:
        entries.append({**common, "amount": -draw.from_general, "idempotency_key": f"{key}:general"})
    return entries


def _number(session: Session, invoice: Invoice, year: int) -> None:
    (n,) = reserve(session, invoice.agency_id, year)
    invoice.number = invoice_number(year, n)
    session.add(invoice)
    session.flush()
