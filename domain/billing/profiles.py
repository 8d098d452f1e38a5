"""Billing profiles: the agency's means of payment, kept as references (SPEC §7, §10).

No card number is ever typed or stored. With a gateway that has test cards (the simulated one), a
profile is one of them, picked from a list, under a random reference. Otherwise (a vendor that bills
the agency) it is the vendor's billing-profile id, with a label, brand, last four digits and expiry
given for display only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from domain import audit
from domain.agency import Actor
from domain.cards import normalize_digits, parse_expiry, refuse_card_numbers
from domain.clock import Clock, today
from domain.errors import Conflict, InvalidInput, NotFound
from domain.i18n import N_, Count
from domain.ports import CardToken, PaymentGateway
from domain.roles import Permission
from domain.store.models import Account, BillingProfile
from domain.store.uow import SqlUnitOfWork

NOT_IN_USE = ("archived",)
"""Archived accounts keep their profile for history; they are never charged again."""
SHOWN_ACCOUNTS = 10


BRANDS = {
    "visa": N_("Visa"),
    "mastercard": N_("Mastercard"),
    "amex": N_("American Express"),
    "discover": N_("Discover"),
    "card": N_("Other"),
}
"""Brands a vendor's billing profile can be shown with (stored key: shown name)."""
TEST_CARD_YEARS = 5
"""A test card's shown expiry: December, this many years ahead (the simulated gateway takes any)."""
_VENDOR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,119}$")


@dataclass(frozen=True)
class TestCardChoice:
    """A test card of the gateway, by its key, with an optional name for the profile."""

    __test__ = False  # not a pytest test class, whatever its name

    card: str
    label: str = ""


@dataclass(frozen=True)
class VendorProfile:
    """The vendor's billing-profile id and what is shown of its card: never a card number."""

    reference: str
    brand: str
    last4: str
    expiry: str
    label: str = ""


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


def add_test_card_profile(
    uow: SqlUnitOfWork, gateway: PaymentGateway, clock: Clock, actor: Actor, choice: TestCardChoice
) -> BillingProfile:
    """A profile for one of the gateway's documented test cards, under a new random reference."""
    actor.require(Permission.SPEND_MONEY)
    label = _label(choice.label)
    year = today(clock).year + TEST_CARD_YEARS
    token = gateway.test_card_reference(choice.card, 12, year)
    return _store(uow, clock, actor, token, label)


def add_vendor_profile(
    uow: SqlUnitOfWork, clock: Clock, actor: Actor, given: VendorProfile
) -> BillingProfile:
    """A profile that names the vendor's billing profile; brand, last four and expiry are for display."""
    actor.require(Permission.SPEND_MONEY)
    reference = normalize_digits(given.reference or "").strip()
    refuse_card_numbers(reference, field="reference")
    if not _VENDOR_ID.match(reference):
        raise InvalidInput(
            N_(
                "Give the vendor's billing-profile id as shown at the vendor: letters, digits, `-`, `_`, "
                "`.` or `:`, up to 120 characters, like `bp_1234`."
            ),
            field="reference",
        )
    label = _label(given.label)
    brand = (given.brand or "").strip().lower()
    if brand not in BRANDS:
        raise InvalidInput(N_("Pick the card's brand in the list."), field="brand")
    last4 = normalize_digits(given.last4 or "").strip()
    if not re.fullmatch(r"[0-9]{4}", last4):
        raise InvalidInput(N_("Give the last four digits of the card, like 4242."), field="last4")
    month, year = parse_expiry(normalize_digits(given.expiry or ""), today(clock))
    taken = uow.session.scalar(
        select(BillingProfile.id).where(
            BillingProfile.agency_id == actor.agency_id,
            BillingProfile.token == reference,
            BillingProfile.deleted_at.is_(None),
        )
    )
    if taken is not None:
        raise Conflict(
            N_("Billing profile {id} already names this vendor billing profile."), field="reference", id=taken
        )
    token = CardToken(token=reference, brand=brand, last4=last4, exp_month=month, exp_year=year)
    return _store(uow, clock, actor, token, label)


def _label(text: str) -> str:
    label = (text or "").strip()
    refuse_card_numbers(label, field="label")
    return label[:80]


def _store(uow: SqlUnitOfWork, clock: Clock, actor: Actor, token: CardToken, label: str) -> BillingProfile:
    label = label or f"{token.brand.title()} ···· {token.last4}"
    profile = BillingProfile(
        agency_id=actor.agency_id,
        label=label,
        holder="",
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
        after={
            "label": label,
            "brand": token.brand,
            "last4": token.last4,
            "expiry": f"{token.exp_month:02d}/{token.exp_year}",
        },
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
                "Billing profile {id} pays for {count}, so it cannot be deleted: {accounts}. Move them to "
                "another profile first."
            ),
            id=profile.id,
            count=Count(len(using), N_("{n} account"), N_("{n} accounts")),
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


@dataclass(frozen=True)
class ProfileChange:
    """What a person may change on a profile (SPEC §7): its name and its card's expiry (MM/YY).
    The reference, brand and last four digits name the card itself: a new card is a new profile."""

    label: str
    expiry: str


def edit_profile(
    uow: SqlUnitOfWork, clock: Clock, actor: Actor, profile_id: int, change: ProfileChange
) -> tuple[BillingProfile, bool]:
    """Change the label and expiry; (profile, changed). Sending the same values again (a retry, a
    second click) changes nothing and records nothing. Every field is checked before any is written."""
    actor.require(Permission.SPEND_MONEY)
    label = _label(change.label)
    month, year = parse_expiry(normalize_digits(change.expiry or "").strip(), today(clock))
    profile = _get(uow, actor.agency_id, profile_id)
    label = label or f"{profile.brand.title()} ···· {profile.last4}"
    before = {"label": profile.label, "expiry": f"{profile.exp_month:02d}/{profile.exp_year}"}
    after = {"label": label, "expiry": f"{month:02d}/{year}"}
    if before == after:
        return profile, False
    profile.label, profile.exp_month, profile.exp_year = label, month, year
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="billing_profile.changed",
        target=str(profile.id),
        before={k: v for k, v in before.items() if v != after[k]},
        after={k: v for k, v in after.items() if v != before[k]},
    )
    uow.commit()
    return profile, True


def get_profile(uow: SqlUnitOfWork, actor: Actor, profile_id: int) -> BillingProfile:
    actor.require(Permission.SPEND_MONEY)
    return _get(uow, actor.agency_id, profile_id)
