"""Buying credits (SPEC §5): prepaid money, SMS packs and inbox-preview packs.

A purchase happens in two steps so nothing is charged before the member has seen what will be: `offer`
validates and prices it and shows the draw (credit vs card); `buy` charges it through the one charge
path with a key built from the confirm card's pending-confirmation id, so a double click or a Slack retry charges once
and answers with the same invoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import audit, ledger
from domain.agency import Actor
from domain.billing.charges import (
    ChargeRequest,
    InvoiceLine,
    active_profile,
    charge,
    find_invoice,
    preview_draw,
)
from domain.catalog import Catalog, Pack
from domain.clock import Clock
from domain.errors import InvalidInput, NotFound
from domain.i18n import N_, Word
from domain.money import ZERO, parse_money, round_money
from domain.numbers import whole_number
from domain.ports import PaymentGateway, Provider
from domain.roles import Permission
from domain.store.models import Account, BillingProfile, Invoice
from domain.store.uow import SqlUnitOfWork
from domain.vendor_billing import refuse_credit_purchase

Kind = Literal["prepaid", "sms", "preview"]
KINDS: tuple[Kind, ...] = ("prepaid", "sms", "preview")
NONCE_CHARS = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Order:
    """What a confirm card carries: enough to charge again from scratch, nothing secret."""

    kind: Kind
    quantity: Decimal
    """Money for prepaid, units of the pack for sms and preview."""
    account_id: int | None = None
    profile_id: int | None = None


@dataclass(frozen=True)
class Offer:
    order: Order
    price: Decimal
    account_name: str | None
    profile: BillingProfile | None
    draw: ledger.Draw


@dataclass(frozen=True)
class Bought:
    order: Order
    invoice_number: str
    status: str
    """paid or failed (declined)."""
    total: Decimal
    credit_used: Decimal
    card_charged: Decimal
    failure: str | None


def find_account(session: Session, agency_id: int, name: str) -> Account:
    account = session.scalars(
        select(Account).where(Account.agency_id == agency_id, Account.name == name.strip().lower())
    ).first()
    if account is None:
        raise NotFound(N_("There is no account named {name}."), field="account", name=name)
    return account


def packs(catalog: Catalog, kind: Kind) -> tuple[Pack, ...]:
    return catalog.credits.sms_packs if kind == "sms" else catalog.credits.inbox_preview_packs


def parse_pack(catalog: Catalog, kind: Kind, text: str) -> Pack:
    """A pack by its number of units: `5000`, `5,000`, `5k`."""
    cleaned = text.strip().lower().replace(",", "").replace("_", "").replace(" ", "")
    multiplier = 1
    if cleaned.endswith("k"):
        cleaned, multiplier = cleaned[:-1], 1000
    choices = packs(catalog, kind)
    count = whole_number(cleaned)
    if count is not None:
        units = count * multiplier
        for pack in choices:
            if pack.units == units:
                return pack
    raise InvalidInput(
        N_("There is no {kind} pack of {pack}. Packs: {choices}."),
        field="quantity",
        kind=ledger.pool_name(kind),
        pack=text,
        choices=tuple(p.units for p in choices),
    )


# Digits with optional thousands separators and decimals, a sign and a currency sign: a number, even
# one too long for `parse_money` to read as an amount (`99999999999999`), so the refusal names the bound.
_NUMBER_LIKE = re.compile(r"^[+-]?[$€£]?\d[\d,.\s\u00a0\u202f']*$")


def parse_prepaid(catalog: Catalog, text: str) -> Decimal:
    try:
        amount = round_money(parse_money(text))
    except ValueError:
        if _NUMBER_LIKE.match(text.strip()):
            _out_of_range(catalog)
        raise InvalidInput(
            N_("Amount: write a number from {min} to {max}, like 500 or 250.50."),
            field="quantity",
            min=catalog.credits.prepaid.min,
            max=catalog.credits.prepaid.max,
        ) from None
    check_prepaid(catalog, amount)
    return amount


def check_prepaid(catalog: Catalog, amount: Decimal) -> None:
    low, high = catalog.credits.prepaid.min, catalog.credits.prepaid.max
    if not low <= amount <= high:
        _out_of_range(catalog)


def _out_of_range(catalog: Catalog) -> NoReturn:
    """The catalog's bounds (`credits.prepaid.min`/`max`), named in the refusal."""
    raise InvalidInput(
        N_("Amount: prepaid credit is bought from {min} to {max} at a time."),
        field="quantity",
        min=catalog.credits.prepaid.min,
        max=catalog.credits.prepaid.max,
    )


# Accounts whose charges draw an earmark: the ones the billing run charges (SPEC §7).
EARMARKABLE_STATUSES = ("active", "disabled")


def refuse_unusable_earmark(account: Account) -> None:
    """An earmark is drawn only by the account's own charges: refuse one that could never be used.

    Free levels (trial, sandbox) and commission accounts are never charged to the agency; a cancelled,
    expired, archived or transferred account has no renewal ahead (renewing it is an explicit choice,
    and general prepaid credit pays that charge just as well).
    """
    if account.is_commission:
        raise InvalidInput(
            N_(
                "{name} is a commission account: the provider bills its client, never the agency, so credit earmarked for it could never be used. Buy general prepaid credit instead (leave out `for {name}`)."
            ),
            field="account",
            name=account.name,
        )
    if account.pricing_version != "V3":
        raise InvalidInput(
            N_(
                "{name} is a free {level} account: it is never charged, so credit earmarked for it could never be used. Buy general prepaid credit instead (leave out `for {name}`)."
            ),
            field="account",
            name=account.name,
            level=Word(account.tier),
        )
    if account.status not in EARMARKABLE_STATUSES:
        raise InvalidInput(
            N_(
                "{name} is {status}: it has no renewal ahead, so credit earmarked for it could never be used. Buy general prepaid credit instead (leave out `for {name}`)."
            ),
            field="account",
            name=account.name,
            status=Word(account.status),
        )


def default_profile(session: Session, agency_id: int) -> BillingProfile | None:
    """The agency's first active card: what a purchase uses unless another profile is named."""
    return session.scalars(
        select(BillingProfile)
        .where(BillingProfile.agency_id == agency_id, BillingProfile.deleted_at.is_(None))
        .order_by(BillingProfile.id)
    ).first()


def _price(catalog: Catalog, order: Order) -> Decimal:
    if order.kind == "prepaid":
        check_prepaid(catalog, order.quantity)
        return order.quantity
    if order.account_id is not None:
        raise InvalidInput(N_("Only prepaid credit can be earmarked for an account."), field="account")
    return parse_pack(catalog, order.kind, str(int(order.quantity))).price


def _request(
    agency_id: int,
    currency: str,
    actor: str,
    *,
    order: Order,
    price: Decimal,
    key: str,
    account_name: str | None = None,
) -> ChargeRequest:
    if order.kind == "prepaid":
        label = (
            N_("Prepaid credit") if order.account_id is None else N_("Prepaid credit earmarked for {account}")
        )
    elif order.kind == "sms":
        label = N_("SMS credits pack: {units} SMS")
    else:
        label = N_("Inbox-preview credits pack: {units} previews")
    # The invoice shows the line in the reader's language later: it needs the name, not the id.
    line = InvoiceLine(label, price, {"units": int(order.quantity), "account": account_name or ""})
    return ChargeRequest(
        agency_id=agency_id,
        kind="credit_purchase",
        lines=(line,),
        subtotal=price,
        idempotency_key=key,
        actor=actor,
        currency=currency,
        billing_profile_id=order.profile_id,
        # Buying prepaid credit cannot be paid with prepaid credit; packs can.
        use_credit=order.kind != "prepaid",
    )


def offer(
    uow: SqlUnitOfWork,
    catalog: Catalog,
    actor: Actor,
    currency: str,
    order: Order,
    *,
    provider: Provider | None = None,
) -> Offer:
    """Price an order and show how it would be paid. Writes nothing.

    Refused when `provider` (the agency's default) bills the agency itself (`refuse_credit_purchase`)."""
    actor.require(Permission.SPEND_MONEY)
    if provider is not None:
        refuse_credit_purchase(provider)
    session = uow.session
    price = _price(catalog, order)
    account_name = None
    if order.account_id is not None:
        account = session.get(Account, order.account_id)
        if account is None or account.agency_id != actor.agency_id:
            raise NotFound(N_("That account no longer exists."), field="account")
        refuse_unusable_earmark(account)
        account_name = account.name
    profile = active_profile(session, actor.agency_id, order.profile_id)
    if profile is None:
        profile = default_profile(session, actor.agency_id)
    order = Order(order.kind, order.quantity, order.account_id, profile.id if profile else None)
    request = _request(
        actor.agency_id,
        currency,
        actor.user_id,
        order=order,
        price=price,
        key="offer",
        account_name=account_name,
    )
    draw = preview_draw(session, request)
    if draw.from_card > ZERO and profile is None:
        raise InvalidInput(
            N_("No billing profile yet: add one with `/billing profiles add`, then buy again."),
            field="profile",
        )
    return Offer(order, price, account_name, profile, draw)


def buy(
    uow: SqlUnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    catalog: Catalog,
    actor: Actor,
    *,
    currency: str,
    order: Order,
    nonce: str,
    provider: Provider | None = None,
) -> Bought:
    """Charge a confirmed order once per nonce and credit the pool; the same nonce answers the same."""
    actor.require(Permission.SPEND_MONEY)
    if provider is not None:
        refuse_credit_purchase(provider)
    if not 16 <= len(nonce) <= 64 or not set(nonce) <= NONCE_CHARS:
        raise InvalidInput(N_("This confirmation is not valid any more. Start the purchase again."))
    session = uow.session
    key = f"credits:{nonce}"
    price = _price(catalog, order)
    account_name = None
    if order.account_id is not None:
        account = session.get(Account, order.account_id)
        if account is None or account.agency_id != actor.agency_id:
            raise NotFound(N_("That account no longer exists."), field="account")
        refuse_unusable_earmark(account)
        account_name = account.name
    if order.profile_id is None:
        profile = default_profile(session, actor.agency_id)
        order = Order(order.kind, order.quantity, order.account_id, profile.id if profile else None)
    existed = find_invoice(session, actor.agency_id, key) is not None
    invoice = charge(
        session,
        gateway,
        clock,
        _request(
            actor.agency_id,
            currency,
            actor.user_id,
            order=order,
            price=price,
            key=key,
            account_name=account_name,
        ),
    )
    if invoice.status == "failed" and not existed:
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="credits.purchase_declined",
            target=order.kind,
            after={"quantity": str(order.quantity), "invoice": invoice.number, "failure": invoice.failure},
        )
    if invoice.status == "paid" and not ledger.already_recorded(session, actor.agency_id, f"{key}:credit"):
        ledger.append(
            session,
            agency_id=actor.agency_id,
            pool=order.kind,
            amount=order.quantity,
            kind="purchase",
            actor=actor.user_id,
            at=clock.now(),
            account_id=order.account_id if order.kind == "prepaid" else None,
            reason=invoice.number,
            idempotency_key=f"{key}:credit",
            invoice_id=invoice.id,
        )
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="credits.purchased",
            target=order.kind,
            after={
                "quantity": str(order.quantity),
                "account_id": order.account_id,
                "invoice": invoice.number,
                "total": str(invoice.total),
                "credit_used": str(invoice.credit_used),
                "card_charged": str(invoice.card_charged),
            },
        )
    uow.commit()
    return _bought(order, invoice)


def _bought(order: Order, invoice: Invoice) -> Bought:
    return Bought(
        order=order,
        invoice_number=invoice.number,
        status=invoice.status,
        total=invoice.total,
        credit_used=invoice.credit_used,
        card_charged=invoice.card_charged,
        failure=invoice.failure,
    )
