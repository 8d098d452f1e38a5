"""Calendar rules for billing cycles.

Every renewal date is computed from the account's anchor date (its creation or conversion day), never
from the previous renewal, so that an anchor on the 29th-31st falls back to the month's last day in
short months and returns to the anchor day when the month has it (31 Jan -> 28/29 Feb -> 31 Mar).
Periods are half-open: a period [start, end) ends on the day the next one starts, which is the
renewal day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from dateutil.relativedelta import relativedelta

Frequency = Literal["monthly", "annual"]
FREQUENCIES: tuple[Frequency, ...] = ("monthly", "annual")

_MONTHS: dict[Frequency, int] = {"monthly": 1, "annual": 12}


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return days_in_period(self.start, self.end)


def cycle_months(frequency: Frequency) -> int:
    return _MONTHS[frequency]


def frequency_of(months: int) -> Frequency:
    """The frequency a per-seat product's billing months stand for."""
    for frequency, count in _MONTHS.items():
        if count == months:
            return frequency
    msg = f"no billing frequency of {months} months"
    raise ValueError(msg)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def renewal_on(anchor: date, cycles: int, months: int) -> date:
    """The start of cycle number `cycles` (0 = the anchor itself).

    relativedelta clips to the month's last day, and counting from the anchor each time is what
    brings the day back to 29-31 after a short month.
    """
    return anchor + relativedelta(months=cycles * months)


@lru_cache(maxsize=4096)
def add_cycle(anchor: date, start: date, months: int) -> date:
    """The end of the cycle that starts on `start` (itself a renewal day of `anchor`).

    Cached: a sweep asks it for every account renewing this week, mostly with the same few dates.
    """
    elapsed = _month_index(start) - _month_index(anchor)
    return anchor + relativedelta(months=elapsed + months)


def current_period(anchor: date, today: date, months: int) -> Period:
    """The cycle that contains `today`; before the anchor, the first cycle."""
    if months <= 0:
        msg = "a cycle lasts at least one month"
        raise ValueError(msg)
    cycles = max(0, (_month_index(today) - _month_index(anchor)) // months)
    while cycles > 0 and renewal_on(anchor, cycles, months) > today:
        cycles -= 1
    while renewal_on(anchor, cycles + 1, months) <= today:
        cycles += 1
    return Period(renewal_on(anchor, cycles, months), renewal_on(anchor, cycles + 1, months))


def days_in_period(start: date, end: date) -> int:
    return (end - start).days


def remaining_days(today: date, period_end: date) -> int:
    """Days left in the period, today included: on the first day the whole period remains."""
    return max(0, (period_end - today).days)


def remaining_months_rounded_up(today: date, period_end: date) -> int:
    """Whole calendar months of the period that are not over yet, the current one included.

    Counted back from the period end in calendar months (relativedelta), not in 30-day blocks,
    because the period's months are its billing months: with the end on 15 Mar, 15 Jan leaves
    exactly 2, and 50 days left are 2 because one month back from the end is still after today.
    """
    if today >= period_end:
        return 0
    months = max(0, _month_index(period_end) - _month_index(today) - 1)
    while period_end - relativedelta(months=months) > today:
        months += 1
    return months
