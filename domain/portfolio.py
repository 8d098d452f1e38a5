"""Facts about the whole portfolio that pricing and billing need: the discount tier's account count,
and an account's plan as the pricing engine sees it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.periods import Frequency
from domain.pricing import CurrentPlan, MigrationDiscount, PlanChoice
from domain.store.models import Account, AgencyStats

PAID_STATUSES = ("active", "disabled")
FREE_LEVELS = ("trial", "sandbox")
PER_SEAT_TIER = "licenses"


def count_active_paid(session: Session, agency_id: int, *, excluding: int | None = None) -> int:
    """SPEC §3: active or disabled, on a V3 plan, not a commission account.

    Read from `agency_stats`, which triggers keep exact in the same transaction as every account
    change; `excluding` leaves one account out of the count when it is itself active paid.
    """
    count = int(
        session.scalar(select(AgencyStats.active_paid).where(AgencyStats.agency_id == agency_id)) or 0
    )
    if excluding is not None:
        account = session.get(Account, excluding)
        if account is not None and is_active_paid(account):
            count -= 1
    return max(count, 0)


def is_active_paid(account: Account) -> bool:
    return account.status in PAID_STATUSES and account.pricing_version == "V3" and not account.is_commission


def plan_choice_of(account: Account) -> PlanChoice:
    """The stored plan columns as a PlanChoice.

    Per-seat accounts have tier `licenses` and keep their license count in `seats`; V1 accounts keep
    their level (trial, sandbox) in `tier`.
    """
    if account.pricing_version == "V1":
        return PlanChoice(version="V1", product=account.product, level=account.tier)
    if account.tier == PER_SEAT_TIER:
        return PlanChoice(
            version="V3", product=account.product, frequency=_frequency(account), licenses=account.seats
        )
    limits = tuple(sorted((str(k), v) for k, v in (account.limits or {}).items()))
    return PlanChoice(
        version="V3",
        product=account.product,
        tier=account.tier,
        contacts=account.contacts,
        frequency=_frequency(account),
        seats=account.seats,
        addons=tuple(account.addons or ()),
        limits=limits,
    )


def _frequency(account: Account) -> Frequency:
    return "annual" if account.frequency == "annual" else "monthly"


def current_plan_of(account: Account) -> CurrentPlan:
    return CurrentPlan(
        choice=plan_choice_of(account),
        anchor=account.created_at.date() if account.purchased_on is None else account.purchased_on,
        period_start=account.period_start,
        period_end=account.period_end,
        cycles_billed=max(1, account.cycles_billed),
    )


def migration_of(account: Account) -> MigrationDiscount | None:
    if account.migration_percent is None or not account.migration_cycles:
        return None
    return MigrationDiscount(percent=Decimal(account.migration_percent), cycles=account.migration_cycles)
