"""The agency, its members and its settings (SPEC §1)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain import audit
from domain.accounts.rules import clean_email
from domain.clock import Clock
from domain.errors import Conflict, InvalidInput, NotAMember, NotFound
from domain.i18n import N_
from domain.money import MAX_AMOUNT
from domain.roles import Permission, Role, require
from domain.store.models import Agency, AgencyStats, Member
from domain.store.uow import SqlUnitOfWork
from domain.uow import UnitOfWork

DEFAULT_AGENCY_NAME = N_("My agency")
LANGUAGES = ("en", "fr", "it")


_NOT_A_MEMBER = N_(
    "You are not a member of this agency's Reseller Desk, so nothing was done. "
    "Ask an owner to add you with `/agency members add @you viewer`."
)


@dataclass(frozen=True)
class Actor:
    """The member acting, as resolved from the Slack user for this request."""

    agency_id: int
    user_id: str
    role: Role

    def require(self, permission: Permission) -> None:
        require(self.role, permission)


@dataclass(frozen=True)
class SettingsInput:
    name: str
    notice_channel: str | None
    currency: str
    timezone: str
    low_balance_threshold: Decimal
    language: str = "en"
    notification_email: str | None = None
    """The agency's address new accounts get as their notification email; None leaves it unset."""
    large_charge: Decimal | None = None
    """A charge above this amount shows an extra warning on its confirm step; None keeps the current."""
    prepaid_advice_day: int | None = None
    """The day of the month (1 to 28) the monthly prepaid advice is posted; None keeps the current."""


@dataclass(frozen=True)
class AgencyFacts:
    """What every interaction needs of its agency, read with the member in one query."""

    name: str
    currency: str
    timezone: str
    language: str
    active_paid: int
    suspended: bool = False
    """The workspace removed the app (SPEC §11): nothing is posted for the agency until it is back."""


def find_actor(session: Session, team_id: str, user_id: str) -> tuple[Actor, AgencyFacts] | None:
    """The member and their agency in one round trip — the hot path of every request. None when the
    agency or the member is missing, for `resolve_actor` to bootstrap or refuse."""
    row = session.execute(
        select(
            Agency.id,
            Agency.name,
            Agency.currency,
            Agency.timezone,
            Agency.language,
            Member.role,
            AgencyStats.active_paid,
            Agency.suspended_at,
        )
        .join(Member, (Member.agency_id == Agency.id) & (Member.user_id == user_id))
        .outerjoin(AgencyStats, AgencyStats.agency_id == Agency.id)
        .where(Agency.team_id == team_id)
    ).first()
    if row is None:
        return None
    agency_id, name, currency, timezone, language, role, active_paid, suspended_at = row
    facts = AgencyFacts(name, currency, timezone, language, int(active_paid or 0), suspended_at is not None)
    return Actor(agency_id=agency_id, user_id=user_id, role=Role(role)), facts


def bootstrap_actor(
    new_uow: Callable[[], SqlUnitOfWork],
    clock: Clock,
    team_id: str,
    user_id: str,
    configured_owners: Collection[str],
) -> tuple[Actor, AgencyFacts] | None:
    """`resolve_actor` for a first request, safe when a burst of first requests races to create the
    agency and its configured owner: the one that loses the insert (a unique violation on
    `agencies.team_id` or `members(agency_id, user_id)`) rolls back and reads what the winner wrote."""
    for attempt in range(3):
        try:
            with new_uow() as uow:
                resolve_actor(uow, clock, team_id, user_id, configured_owners)
                return find_actor(uow.session, team_id, user_id)
        except IntegrityError:
            if attempt == 2:
                raise
    return None  # pragma: no cover - the loop returns or raises


def resolve_actor(
    uow: UnitOfWork, clock: Clock, team_id: str, user_id: str, configured_owners: Collection[str]
) -> Actor:
    """Find the member behind a request, creating the workspace's agency on first contact.

    Owners listed in configuration become members the first time they act, so an agency can always
    be recovered by its configured owners; anyone else who is not a member is refused.
    """
    agency = uow.agencies.by_team(team_id)
    if agency is None:
        if user_id not in configured_owners:
            raise NotAMember(_NOT_A_MEMBER)
        agency = Agency(
            team_id=team_id,
            name=DEFAULT_AGENCY_NAME,
            currency="USD",
            timezone="UTC",
            language="en",
            low_balance_threshold=Decimal("100.00"),
            notice_lead_days="7,1",
            archive_after_days=30,
            branding={},
            created_at=clock.now(),
        )
        uow.agencies.add(agency)
        uow.flush()
        audit.record(uow, clock, agency_id=agency.id, actor="system", action="agency.created", target=team_id)
        uow.commit()
    member = uow.members.get(agency.id, user_id)
    if member is None and user_id in configured_owners:
        member = Member(
            agency_id=agency.id,
            user_id=user_id,
            role=Role.OWNER.value,
            added_by="config",
            created_at=clock.now(),
        )
        uow.members.add(member)
        audit.record(
            uow,
            clock,
            agency_id=agency.id,
            actor="config",
            action="member.bootstrapped",
            target=user_id,
            after={"role": Role.OWNER.value},
        )
        uow.commit()
    if member is None:
        raise NotAMember(_NOT_A_MEMBER)
    return Actor(agency_id=agency.id, user_id=user_id, role=Role(member.role))


def list_members(uow: UnitOfWork, actor: Actor) -> list[Member]:
    actor.require(Permission.READ)
    return uow.members.list(actor.agency_id)


def add_member(uow: UnitOfWork, clock: Clock, actor: Actor, user_id: str, role: Role) -> Member:
    """Add a member, or change the role of an existing one; the same request twice changes nothing."""
    actor.require(Permission.MANAGE_AGENCY)
    _lock_members(uow, actor)
    member = uow.members.get(actor.agency_id, user_id)
    if member is not None:
        if member.role == role.value:
            return member
        if member.role == Role.OWNER.value and role != Role.OWNER:
            _refuse_last_owner(uow, actor.agency_id)
        before = {"role": member.role}
        member.role = role.value
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="member.role_changed",
            target=user_id,
            before=before,
            after={"role": role.value},
        )
    else:
        member = Member(
            agency_id=actor.agency_id,
            user_id=user_id,
            role=role.value,
            added_by=actor.user_id,
            created_at=clock.now(),
        )
        uow.members.add(member)
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="member.added",
            target=user_id,
            after={"role": role.value},
        )
    uow.commit()
    return member


def remove_member(
    uow: UnitOfWork, clock: Clock, actor: Actor, user_id: str, configured_owners: Collection[str]
) -> None:
    actor.require(Permission.MANAGE_AGENCY)
    _lock_members(uow, actor)
    member = uow.members.get(actor.agency_id, user_id)
    if member is None:
        raise NotFound(N_("<@{user}> is not a member, so there is nothing to remove."), user=user_id)
    if member.role == Role.OWNER.value:
        _refuse_last_owner(uow, actor.agency_id)
        if user_id in configured_owners:
            raise Conflict(
                N_(
                    "<@{user}> is an owner listed in RESELLER_OWNERS; remove them from the configuration first."
                ),
                user=user_id,
            )
    uow.members.remove(member)
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="member.removed",
        target=user_id,
        before={"role": member.role},
    )
    uow.commit()


def _lock_members(uow: UnitOfWork, actor: Actor) -> None:
    """Member changes of one agency take turns (a row lock on PostgreSQL, SQLite's write lock), and
    the actor's role is read again once it is their turn: two owners removing or demoting each other
    at the same moment cannot both pass the last-owner check, and one just removed acts no more."""
    uow.agencies.lock(actor.agency_id)
    current = uow.members.get(actor.agency_id, actor.user_id)
    if current is None:
        raise NotAMember(N_("You are not a member of this agency's Reseller Desk, so nothing was done."))
    require(Role(current.role), Permission.MANAGE_AGENCY)


def _refuse_last_owner(uow: UnitOfWork, agency_id: int) -> None:
    owners = [m for m in uow.members.list(agency_id) if m.role == Role.OWNER.value]
    if len(owners) <= 1:
        raise Conflict(N_("An agency needs at least one owner: add another owner first."))


def default_notification_email(agency: Agency) -> str | None:
    """The agency's address that a new account gets as its notification email (SPEC §4): the agency
    setting, else its branding's support email, else its payout email; never the client's."""
    email = agency.notification_email or (agency.branding or {}).get("support_email") or agency.payout_email
    return str(email) if email else None


def notification_email_of(agency: Agency) -> str:
    """`default_notification_email`, or a refusal saying where to set it."""
    email = default_notification_email(agency)
    if not email:
        raise Conflict(
            N_(
                "Set the agency's notification email first (`/agency settings`): provider messages go there, never to the client."
            )
        )
    return str(email)


def get_agency(uow: UnitOfWork, actor: Actor) -> Agency:
    actor.require(Permission.READ)
    return uow.agencies.get(actor.agency_id)


LAST_ADVICE_DAY = 28
"""The last day every month has: the advice day is the same date each month."""


def validate_settings(data: SettingsInput) -> SettingsInput:
    """Check settings field by field; each error names its field so a modal can show it in place."""
    name = data.name.strip()
    if not name or len(name) > 120:
        raise InvalidInput(N_("Give the agency a name of 1 to 120 characters."), field="name")
    currency = data.currency.strip().upper()
    if pycountry.currencies.get(alpha_3=currency) is None:
        raise InvalidInput(
            N_("{currency} is not an ISO 4217 currency code. Write it like USD, EUR or GBP."),
            field="currency",
            currency=data.currency,
        )
    tz = data.timezone.strip()
    if tz not in _timezones():
        raise InvalidInput(
            N_("{tz} is not a time zone. Write it like Europe/Paris or America/New_York."),
            field="timezone",
            tz=data.timezone,
        )
    if data.low_balance_threshold < 0:
        raise InvalidInput(N_("The low-balance threshold cannot be negative."), field="low_balance_threshold")
    if data.language not in LANGUAGES:
        raise InvalidInput(N_("Choose English, French or Italian."), field="language")
    email = (data.notification_email or "").strip() or None
    if email is not None:
        email = clean_email(email, field="notification_email")
    large = data.large_charge
    if large is not None and not (Decimal(0) < large < MAX_AMOUNT):
        raise InvalidInput(
            N_("Large-charge amount: a number above 0 and below {maximum}, like 1000 or 2500.50."),
            field="large_charge",
            maximum=MAX_AMOUNT,
        )
    day = data.prepaid_advice_day
    if day is not None and not 1 <= day <= LAST_ADVICE_DAY:
        raise InvalidInput(
            N_("Prepaid advice day: a day of the month from 1 to {last}, like 1."),
            field="prepaid_advice_day",
            last=LAST_ADVICE_DAY,
        )
    return SettingsInput(
        name=name,
        notice_channel=data.notice_channel or None,
        currency=currency,
        timezone=tz,
        low_balance_threshold=data.low_balance_threshold.quantize(Decimal("0.01")),
        language=data.language,
        notification_email=email,
        large_charge=None if large is None else large.quantize(Decimal("0.01")),
        prepaid_advice_day=day,
    )


def update_settings(uow: UnitOfWork, clock: Clock, actor: Actor, data: SettingsInput) -> Agency:
    actor.require(Permission.MANAGE_AGENCY)
    clean = validate_settings(data)
    agency = uow.agencies.get(actor.agency_id)
    before = _settings_snapshot(agency)
    agency.name = clean.name
    agency.notice_channel = clean.notice_channel
    agency.currency = clean.currency
    agency.timezone = clean.timezone
    agency.low_balance_threshold = clean.low_balance_threshold
    agency.language = clean.language
    if clean.notification_email is not None:
        agency.notification_email = clean.notification_email
    if clean.large_charge is not None:
        agency.large_charge = clean.large_charge
    if clean.prepaid_advice_day is not None:
        agency.prepaid_advice_day = clean.prepaid_advice_day
    after = _settings_snapshot(agency)
    if before != after:
        audit.record(
            uow,
            clock,
            agency_id=agency.id,
            actor=actor.user_id,
            action="agency.settings_changed",
            target=agency.name,
            before=before,
            after=after,
        )
    uow.commit()
    return agency


def _settings_snapshot(agency: Agency) -> dict[str, str | None]:
    return {
        "name": agency.name,
        "notice_channel": agency.notice_channel,
        "currency": agency.currency,
        "timezone": agency.timezone,
        "low_balance_threshold": str(agency.low_balance_threshold),
        "language": agency.language,
        "notification_email": agency.notification_email,
        "large_charge": str(agency.large_charge),
        "prepaid_advice_day": str(agency.prepaid_advice_day),
    }


def is_large_charge(limit: Decimal | None, amount: Decimal | None) -> bool:
    """Whether a charge of `amount` is above the agency's large-charge amount (strictly, like the
    four-eyes threshold)."""
    return limit is not None and amount is not None and amount > limit


_TZ_CACHE: set[str] = set()


def _timezones() -> set[str]:
    if not _TZ_CACHE:
        _TZ_CACHE.update(available_timezones())
    return _TZ_CACHE


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
