"""Billing profiles: the agency's cards (SPEC §7).

The card number and CVC go straight to the gateway and are dropped: only holder, brand, last four,
expiry and the gateway's token are stored, and nothing here puts the number in an error, an audit
entry or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain import audit
from domain.agency import Actor
from domain.cards import parse_expiry, refuse_card_numbers
from domain.clock import Clock, today
from domain.errors import Conflict, InvalidInput, NotFound
from domain.i18n import N_
from domain.ports import CardDetails, PaymentGateway
from domain.roles import Permission
from domain.store.models import Account, BillingProfile
from domain.store.uow import SqlUnitOfWork

NOT_IN_USE = ("archived",)
"""Archived accounts keep their profile for history; they are never charged again."""
SHOWN_ACCOUNTS = 10


@dataclass(frozen=True)
class NewCard:
    holder: str
    number: str
    expiry: str
    cvc: str
    label: str = ""

    def __repr__(self) -> str:
        # Keeps the number and CVC out of tracebacks and debug logs.
        return f"NewCard(holder={self.holder!r}, number=<hidden>, expiry={self.expiry!r}, cvc=<hidden>)"


@dataclass(frozen=True)
class ProfileRow:
    profile: BillingProfile
    accounts: tuple[str, ...]


def _get(uow: SqlUnitOfWork, agency_id: int, profile_id: int) -> BillingProfile:
    profile = uow.session.get(BillingProfile, profile_id)
    if profile is None or profile.agency_id != agency_id or profile.deleted_at is not None:
        raise NotFound(
            N_("There is no billing profile {id}. `/billing profiles` lists them."),
            field="profile",
            id=profile_id,
        )
    return profile


def accounts_using(uow: SqlUnitOfWork, profile_id: int) -> list[str]:
    return list(
        uow.session.scalars(
            select(Account.name)
            .where(Account.billing_profile_id == profile_id, Account.status.not_in(NOT_IN_USE))
            .order_by(Account.name)
        )
    )


def list_profiles(uow: SqlUnitOfWork, actor: Actor) -> list[ProfileRow]:
    actor.require(Permission.READ)
    profiles = uow.session.scalars(
        select(BillingProfile)
        .where(BillingProfile.agency_id == actor.agency_id, BillingProfile.deleted_at.is_(None))
        .order_by(BillingProfile.id)
    )
    return [ProfileRow(profile, tuple(accounts_using(uow, profile.id))) for profile in profiles]


def add_profile(
    uow: SqlUnitOfWork, gateway: PaymentGateway, clock: Clock, actor: Actor, card: NewCard
) -> BillingProfile:
    actor.require(Permission.SPEND_MONEY)
    holder = card.holder.strip()
    refuse_card_numbers(holder, field="holder")
    refuse_card_numbers(card.label, field="label")
    if not 2 <= len(holder) <= 120:
        raise InvalidInput(N_("Give the card holder's name as printed on the card."), field="holder")
    month, year = parse_expiry(card.expiry, today(clock))
    cvc = card.cvc.strip()
    if not cvc.isdigit() or len(cvc) not in (3, 4):
        raise InvalidInput(N_("The security code is the 3 or 4 digits on the card."), field="cvc")
    token = gateway.tokenize(
        CardDetails(number=card.number, holder=holder, exp_month=month, exp_year=year, cvc=cvc)
    )
    label = (card.label or "").strip()[:80] or f"{token.brand.title()} ···· {token.last4}"
    profile = BillingProfile(
        agency_id=actor.agency_id,
        label=label,
        holder=holder,
        brand=token.brand,
        last4=token.last4,
        exp_month=token.exp_month,
        exp_year=token.exp_year,
        token=token.token,
        created_by=actor.user_id,
        created_at=clock.now(),
    )
    uow.session.add(profile)
    uow.flush()
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="billing_profile.added",
        target=str(profile.id),
        after={"label": label, "brand": token.brand, "last4": token.last4, "expiry": f"{month:02d}/{year}"},
    )
    uow.commit()
    return profile


def delete_profile(uow: SqlUnitOfWork, clock: Clock, actor: Actor, profile_id: int) -> BillingProfile:
    """Soft delete: invoices keep pointing at the card they were charged to."""
    actor.require(Permission.SPEND_MONEY)
    profile = _get(uow, actor.agency_id, profile_id)
    using = accounts_using(uow, profile.id)
    if using:
        shown = ", ".join(using[:SHOWN_ACCOUNTS])
        more = len(using) - SHOWN_ACCOUNTS
        raise Conflict(
            N_(
                "Billing profile {id} pays for {count} account(s), so it cannot be deleted: {accounts}. "
                "Move them to another profile first."
            ),
            id=profile.id,
            count=len(using),
            accounts=shown + (f" (+{more})" if more > 0 else ""),
        )
    profile.deleted_at = clock.now()
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="billing_profile.deleted",
        target=str(profile.id),
        before={"label": profile.label, "last4": profile.last4},
    )
    uow.commit()
    return profile
