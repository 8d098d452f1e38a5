"""Commission accounts (SPEC §4): referred clients billed by the provider, never by the agency, never
counted for tiers and never in notices. The agency sees them, its monthly commission and its link."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from domain import audit
from domain.accounts import rules
from domain.accounts.common import AccountPorts
from domain.accounts.queries import commission_accounts
from domain.agency import Actor
from domain.money import ZERO, round_money
from domain.plans import list_price
from domain.portfolio import plan_choice_of
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
