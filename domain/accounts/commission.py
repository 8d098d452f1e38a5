"""Commission accounts (SPEC §4): referred clients billed by the provider, never by the agency, never
counted for tiers and never in notices. The agency sees them, its monthly commission and its link."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from domain import audit
from domain.accounts import rules
from domain.accounts.common import AccountPorts
from domain.accounts.queries import commission_accounts, name_taken
from domain.accounts.service import set_plan
from domain.agency import Actor
from domain.billing.renewal import describe_plan
from domain.cards import refuse_card_numbers
from domain.clock import today as clock_today
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_
from domain.money import ZERO, round_money
from domain.plans import list_price, validate_choice
from domain.portfolio import plan_choice_of
from domain.pricing import PlanChoice
from domain.roles import Permission
from domain.store.models import Account, Agency
from domain.store.uow import SqlUnitOfWork


@dataclass(frozen=True)
class CommissionLine:
    account: Account
    monthly_list: Decimal
    monthly_commission: Decimal


@dataclass(frozen=True)
class Commissions:
    lines: list[CommissionLine]
    percent: Decimal
    monthly_total: Decimal
    referral_link: str
    payout_email: str | None


def referral_code(agency: Agency) -> str:
    """The stored code, or one derived from the workspace so the link is stable without a write."""
    return agency.referral_code or hashlib.sha256(agency.team_id.encode()).hexdigest()[:10]


def monthly_commission(ports: AccountPorts, account: Account) -> tuple[Decimal, Decimal]:
    """(list price per month, commission per month): the provider pays a share of what the client pays."""
    if account.status not in ("active", "disabled") or account.pricing_version != "V3":
        return ZERO, ZERO
    choice = plan_choice_of(account)
    monthly = round_money(list_price(ports.catalog, choice) / choice.months)
    return monthly, round_money(monthly * ports.catalog.commission_percent / 100)


def commissions(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor) -> Commissions:
    actor.require(Permission.READ)
    agency = uow.agencies.get(actor.agency_id)
    lines = []
    for account in commission_accounts(uow.session, actor.agency_id):
        monthly, commission = monthly_commission(ports, account)
        lines.append(CommissionLine(account, monthly, commission))
    return Commissions(
        lines=lines,
        percent=ports.catalog.commission_percent,
        monthly_total=sum((line.monthly_commission for line in lines), ZERO),
        referral_link=f"https://www.{ports.provider.domain}/?ref={referral_code(agency)}",
        payout_email=agency.payout_email,
    )


def set_payout_email(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, email: str) -> str:
    actor.require(Permission.SPEND_MONEY)
    clean = rules.clean_email(email, field="payout_email")
    agency = uow.agencies.get(actor.agency_id)
    if agency.payout_email == clean:
        return clean
    before = {"payout_email": agency.payout_email}
    agency.payout_email = clean
    audit.record(
        uow,
        ports.clock,
        agency_id=agency.id,
        actor=actor.user_id,
        action="agency.payout_email_changed",
        target=agency.name,
        before=before,
        after={"payout_email": clean},
    )
    uow.commit()
    return clean


@dataclass(frozen=True)
class Referral:
    """A client referred through the agency's link, as `/accounts commission add` records it."""

    name: str
    client_name: str
    referred_on: date
    plan: PlanChoice
    """The plan the client pays the provider for: the commission is a share of its list price."""
    client_email: str | None = None
    country: str | None = None


def record_referral(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, referral: Referral) -> Account:
    """Record a commission account (SPEC §4): the account already exists at the provider, which bills
    the client, so nothing is provisioned or charged; it never counts for the tier, billing or notices.

    Owners and billing members only: commissions are the agency's money, like the payout email.
    """
    actor.require(Permission.SPEND_MONEY)
    name = rules.clean_name(referral.name)
    client = referral.client_name.strip()
    refuse_card_numbers(client, referral.client_email, field="client_name")
    if not client or len(client) > 120:
        raise InvalidInput(N_("Give the client's name (1 to 120 characters)."), field="client_name")
    email = rules.clean_email(referral.client_email, field="client_email") if referral.client_email else ""
    country = rules.clean_country(referral.country) if referral.country else ""
    agency = uow.agencies.get(actor.agency_id)
    today = clock_today(ports.clock, agency.timezone)
    if referral.referred_on > today:
        raise InvalidInput(
            N_(
                "The referral date {date} is in the future: write the day the client signed up, like {today}."
            ),
            field="referred_on",
            date=referral.referred_on,
            today=today,
        )
    if referral.plan.version != "V3":
        raise InvalidInput(
            N_("A referred client pays for a V3 plan; give it like `plan marketing plus 2500 monthly`."),
            field="plan",
        )
    validate_choice(ports.catalog, referral.plan)
    if name_taken(uow.session, actor.agency_id, name):
        raise Conflict(N_("The agency already has an account named {name}."), field="name", name=name)
    now = ports.clock.now()
    account = Account(
        agency_id=actor.agency_id,
        name=name,
        client_name=client,
        client_email=email,
        # The provider's own notices go to the client (SPEC §4), never through the agency.
        notification_email=email,
        country=country,
        region=rules.region_of(country) if country else "global",
        language=agency.language,
        timezone=agency.timezone,
        status="active",
        status_changed_at=now,
        created_at=now,
        purchased_on=None,
        referred_on=referral.referred_on,
        renewal_day=referral.referred_on.day,
        period_start=referral.referred_on,
        period_end=rules.NEVER_ENDS,
        is_commission=True,
        payment_method="provider",
        price_per_cycle=ZERO,
        cycles_billed=0,
        discount_eligible=False,
        discount_loss_pending=False,
        client_price_per="month",
        created_by=actor.user_id,
    )
    set_plan(account, referral.plan)
    uow.session.add(account)
    try:
        uow.session.flush()
    except IntegrityError:  # the same name recorded at the same moment by someone else
        raise Conflict(
            N_("The agency already has an account named {name}."), field="name", name=name
        ) from None
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="account.commission_recorded",
        target=name,
        after={
            "client_name": client,
            "referred_on": referral.referred_on.isoformat(),
            "plan": describe_plan(referral.plan),
        },
    )
    uow.commit()
    return account
