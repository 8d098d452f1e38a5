"""What every account row must satisfy, however it was made (the add service, a renewal, a transfer,
a commission referral, or the demo seeder): one check, so demo portfolios and real ones meet the same
rules and a test can say which row breaks which rule.

Paid (V3) accounts renew on their anchor's day: the anchor is the purchase day, `renewal_day` is its
day of the month, and the period is one cycle of the frequency counted from the anchor (an anchor on
the 31st ends short months on their last day). Free trials last their level's days, sandboxes and
commission accounts never end. Open accounts are inside their period (up to the renewal retry days
past its end); ended ones are past it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Protocol

from domain.accounts.rules import NEVER_ENDS, plan_size
from domain.catalog import Catalog
from domain.periods import add_cycle, current_period
from domain.portfolio import PER_SEAT_TIER
from domain.products import FreeProduct

OPEN = ("active", "disabled", "cancelled", "trial")
ENDED = ("expired", "archived")


class AccountRow(Protocol):
    """The columns the rules read: an `Account`, or a row of the seeder as a namespace."""

    name: str
    pricing_version: str
    product: str
    tier: str
    contacts: int | None
    seats: int | None
    frequency: str
    status: str
    purchased_on: date | None
    renewal_day: int
    period_start: date
    period_end: date
    is_commission: bool
    cycles_billed: int
    plan_size: int
    price_per_cycle: Any


def account_problems(account: AccountRow, catalog: Catalog, today: date) -> list[str]:
    """Every rule `account` breaks, as a sentence naming the account (empty when it is sound)."""
    problems: list[str] = []

    def check(ok: bool, rule: str) -> None:
        if not ok:
            problems.append(f"{account.name}: {rule}")

    size = plan_size(account.tier, account.contacts, account.seats if account.tier == PER_SEAT_TIER else None)
    check(account.plan_size == size, f"plan_size {account.plan_size}, its plan says {size}")
    if account.is_commission:
        check(account.period_end == NEVER_ENDS, "a commission account's period never ends")
        check(account.purchased_on is None, "a commission account is never purchased through the agency")
        check(account.renewal_day == account.period_start.day, "renewal day is the referral's day")
        return problems
    if account.pricing_version != "V3":
        return problems + _free_problems(account, catalog, today)
    return problems + _paid_problems(account, catalog, today)


def _free_problems(account: AccountRow, catalog: Catalog, today: date) -> list[str]:
    problems: list[str] = []
    spec = catalog.product(account.product) if account.product in catalog.product_names() else None
    level = spec.levels.get(account.tier) if isinstance(spec, FreeProduct) else None
    if level is None:
        return [f"{account.name}: {account.product} {account.tier} is not a free plan of the catalog"]
    if account.purchased_on is not None:
        problems.append(f"{account.name}: a free account is never purchased")
    if account.renewal_day != account.period_start.day:
        problems.append(
            f"{account.name}: renewal day {account.renewal_day}, created on {account.period_start}"
        )
    end = account.period_start + timedelta(days=level.days) if level.days else NEVER_ENDS
    if account.period_end != end:
        problems.append(f"{account.name}: a {account.tier} from {account.period_start} ends on {end}")
    if account.status == "trial" and account.period_end < today:
        problems.append(f"{account.name}: a trial past its end ({account.period_end}) is expired")
    if account.status in ENDED and account.period_end > today:
        problems.append(f"{account.name}: {account.status} before its end ({account.period_end})")
    return problems


def _paid_problems(account: AccountRow, catalog: Catalog, today: date) -> list[str]:
    name = account.name
    anchor = account.purchased_on
    if anchor is None:
        return [f"{name}: a paid account has a purchase day"]
    problems: list[str] = []
    months = 12 if account.frequency == "annual" else 1
    if account.renewal_day != anchor.day:
        problems.append(f"{name}: renewal day {account.renewal_day}, purchased on {anchor}")
    if account.period_start < anchor:
        problems.append(f"{name}: period starts {account.period_start}, before its purchase on {anchor}")
    elif current_period(anchor, account.period_start, months).start != account.period_start:
        problems.append(f"{name}: period starts {account.period_start}, not a renewal day of {anchor}")
    expected = add_cycle(anchor, account.period_start, months)
    if account.period_end != expected:
        days = (account.period_end - account.period_start).days
        problems.append(
            f"{name}: a {account.frequency} period from {account.period_start} ends on {expected}, "
            f"not {account.period_end} ({days} days)"
        )
    if account.status in OPEN and account.period_end < today - timedelta(days=catalog.renewal_retry_days):
        problems.append(f"{name}: {account.status} but its period ended on {account.period_end}")
    if account.status in ENDED and account.period_end > today:
        problems.append(f"{name}: {account.status} before its period ends ({account.period_end})")
    if account.cycles_billed < 0:
        problems.append(f"{name}: {account.cycles_billed} cycles billed")
    return problems
