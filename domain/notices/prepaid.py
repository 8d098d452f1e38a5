"""The vendor's billing advice, done for the agency (seed 000, billing FAQ): "to have your card
charged once a month, buy prepaid credit on the first day to cover the month's accounts".

`month_advice` adds up what the billing run will charge for every account renewing in the month from
a day (the same computation as the renewal notices and the weekly digest: scheduled plan changes,
the discount tier in force, taxes), takes off the credit earmarked for those accounts and the
general prepaid balance, and says what to buy to cover the rest: a whole amount within the
catalog's prepaid range. The monthly notice, `/credits` and the App Home all show this figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import ledger
from domain.catalog import Catalog
from domain.money import ZERO
from domain.notices import rules
from domain.notices.sweep import CHUNK, OPEN_STATUSES, _earmarks, _facts
from domain.portfolio import count_active_paid
from domain.store.models import Account, Agency


@dataclass(frozen=True)
class MonthAdvice:
    start: date
    end: date
    """The month covered: renewals on `start` up to the day before `end`."""
    renewals: int
    cost: Decimal
    """What those renewals will charge, after the reseller discount (tax included where charged)."""
    earmarked: Decimal
    """The part of it credit already earmarked for those accounts pays."""
    prepaid: Decimal
    """The general prepaid balance."""
    shortfall: Decimal
    """What neither covers: `cost - earmarked - prepaid`, never below zero."""
    to_buy: Decimal | None
    """The prepaid credit to buy: the shortfall rounded up to a whole amount within the catalog's
    prepaid range; None when nothing is short."""

    def payload(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "renewals": self.renewals,
            "cost": str(self.cost),
            "earmarked": str(self.earmarked),
            "prepaid": str(self.prepaid),
            "shortfall": str(self.shortfall),
            "to_buy": None if self.to_buy is None else str(self.to_buy),
        }


def month_end(day: date) -> date:
    return day + relativedelta(months=1)


def month_advice(session: Session, catalog: Catalog, agency_id: int, day: date) -> MonthAdvice:
    end = month_end(day)
    count = count_active_paid(session, agency_id)
    query = (
        select(Account)
        .where(
            Account.agency_id == agency_id,
            Account.status.in_(OPEN_STATUSES),
            Account.is_commission.is_(False),
            Account.period_end >= day,
            Account.period_end < end,
        )
        .order_by(Account.period_end, Account.id)
        .execution_options(yield_per=CHUNK)
    )
    renewals, cost, earmarked = 0, ZERO, ZERO
    for chunk in session.scalars(query).partitions():
        earmarks = _earmarks(session, agency_id, [a.id for a in chunk])
        for account in chunk:
            fact = _facts(session, catalog, account, count, balances=(ZERO, ZERO))
            if fact.charge is None:  # free, trial, or a plan the catalog no longer prices
                continue
            renewals += 1
            cost += fact.charge.total
            earmarked += min(fact.charge.total, max(earmarks.get(account.id, ZERO), ZERO))
    prepaid = ledger.balance(session, agency_id, "prepaid")
    shortfall = max(cost - earmarked - max(prepaid, ZERO), ZERO)
    return MonthAdvice(day, end, renewals, cost, earmarked, prepaid, shortfall, to_buy(catalog, shortfall))


def to_buy(catalog: Catalog, shortfall: Decimal) -> Decimal | None:
    if shortfall <= ZERO:
        return None
    whole = shortfall.to_integral_value(rounding=ROUND_CEILING)
    limits = catalog.credits.prepaid
    return min(max(whole, limits.min), limits.max).quantize(Decimal("0.01"))


CATCH_UP_DAYS = 3
"""A sweep that missed the advice day posts it up to this many days later, not later in the month."""


def advice_due(advice_day: int, day: date) -> bool:
    return 0 <= day.day - (advice_day or 1) < CATCH_UP_DAYS


def advice_notice(agency: Agency, advice: MonthAdvice, day: date) -> rules.Due | None:
    """Once a month, on the agency's advice day (or a sweep up to `CATCH_UP_DAYS` later, a missed
    day caught up): its due date is the month's first day, so the outbox keeps one per month."""
    if not advice_due(agency.prepaid_advice_day, day) or advice.renewals == 0:
        return None
    return rules.Due(rules.PREPAID_ADVICE, None, day.replace(day=1), advice.payload())
