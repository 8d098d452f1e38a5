"""Calendar rules: renewal days on the 29th-31st, leap years, and whole months left in a period."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.periods import (
    Period,
    add_cycle,
    current_period,
    cycle_months,
    days_in_period,
    frequency_of,
    remaining_days,
    remaining_months_rounded_up,
    renewal_on,
)


@pytest.mark.parametrize(
    ("anchor", "start", "months", "end"),
    [
        (date(2024, 1, 31), date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap February
        (date(2024, 1, 31), date(2024, 2, 29), 1, date(2024, 3, 31)),  # back to the 31st
        (date(2024, 1, 31), date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2023, 1, 31), date(2023, 1, 31), 1, date(2023, 2, 28)),  # common year
        (date(2023, 1, 31), date(2023, 2, 28), 1, date(2023, 3, 31)),
        (date(2024, 1, 30), date(2024, 2, 29), 1, date(2024, 3, 30)),
        (date(2024, 1, 29), date(2024, 1, 29), 1, date(2024, 2, 29)),
        (date(2023, 1, 29), date(2023, 1, 29), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), date(2024, 2, 29), 12, date(2025, 2, 28)),  # annual from 29 Feb
        (date(2024, 2, 29), date(2027, 2, 28), 12, date(2028, 2, 29)),  # and back in a leap year
        (date(2024, 1, 31), date(2024, 3, 31), 12, date(2025, 3, 31)),  # switch to annual keeps the day
        (date(2024, 5, 15), date(2024, 12, 15), 1, date(2025, 1, 15)),  # across the year end
    ],
)
def test_add_cycle_returns_to_the_anchor_day(anchor: date, start: date, months: int, end: date) -> None:
    """A renewal on the 29th-31st falls back to the month's last day and returns when the month allows."""
    assert add_cycle(anchor, start, months) == end


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 120))
def test_renewal_day_is_anchor_day_or_month_end(anchor: date, cycles: int) -> None:
    """Every renewal is on the anchor's day, or on the last day of a month too short for it."""
    day = renewal_on(anchor, cycles, 1)
    assert day.day == min(anchor.day, calendar.monthrange(day.year, day.month)[1])


@pytest.mark.parametrize(
    ("anchor", "today", "months", "period"),
    [
        (date(2024, 1, 31), date(2024, 1, 31), 1, Period(date(2024, 1, 31), date(2024, 2, 29))),
        (date(2024, 1, 31), date(2024, 2, 28), 1, Period(date(2024, 1, 31), date(2024, 2, 29))),
        (date(2024, 1, 31), date(2024, 2, 29), 1, Period(date(2024, 2, 29), date(2024, 3, 31))),
        (date(2024, 1, 31), date(2024, 3, 31), 1, Period(date(2024, 3, 31), date(2024, 4, 30))),
        (date(2024, 3, 10), date(2025, 1, 19), 12, Period(date(2024, 3, 10), date(2025, 3, 10))),
        (date(2024, 3, 10), date(2025, 3, 10), 12, Period(date(2025, 3, 10), date(2026, 3, 10))),
        (date(2024, 3, 10), date(2024, 1, 1), 1, Period(date(2024, 3, 10), date(2024, 4, 10))),
    ],
)
def test_current_period(anchor: date, today: date, months: int, period: Period) -> None:
    """The current period is the half-open cycle [start, end) containing today (the first one before it)."""
    assert current_period(anchor, today, months) == period


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 1, 1)),
    st.integers(0, 4000),
    st.sampled_from([1, 12]),
)
def test_current_period_contains_today(anchor: date, offset: int, months: int) -> None:
    """From the anchor on, today is always inside its current period, which lasts one cycle."""
    today = anchor + timedelta(days=offset)
    period = current_period(anchor, today, months)
    assert period.start <= today < period.end
    assert period.end == add_cycle(anchor, period.start, months)


def test_days_in_period_and_remaining_days() -> None:
    """Days count the whole half-open period; remaining days include today and never go negative."""
    assert days_in_period(date(2024, 2, 29), date(2024, 3, 31)) == 31
    assert Period(date(2024, 1, 31), date(2024, 2, 29)).days == 29
    assert remaining_days(date(2024, 3, 10), date(2024, 3, 31)) == 21
    assert remaining_days(date(2024, 2, 29), date(2024, 3, 31)) == 31
    assert remaining_days(date(2024, 4, 2), date(2024, 3, 31)) == 0


@pytest.mark.parametrize(
    ("today", "end", "months"),
    [
        (date(2025, 1, 19), date(2025, 3, 10), 2),  # 50 days left = 2 months (the seed's example)
        (date(2025, 1, 15), date(2025, 3, 15), 2),  # exactly 2 months
        (date(2025, 1, 16), date(2025, 3, 15), 2),
        (date(2025, 1, 14), date(2025, 3, 15), 3),  # a day more than 2 months
        (date(2025, 3, 14), date(2025, 3, 15), 1),  # one day = one month
        (date(2025, 3, 15), date(2025, 3, 15), 0),  # period over
        (date(2025, 4, 1), date(2025, 3, 15), 0),
        (date(2024, 3, 10), date(2025, 3, 10), 12),  # the whole year
        (date(2025, 2, 28), date(2025, 3, 31), 1),  # 31 Mar minus a month is 28 Feb
        (date(2024, 2, 29), date(2024, 3, 31), 1),  # leap February
        (date(2024, 2, 28), date(2024, 3, 31), 2),
    ],
)
def test_remaining_months_rounded_up(today: date, end: date, months: int) -> None:
    """Calendar months counted back from the period end, rounded up; whole months count exactly."""
    assert remaining_months_rounded_up(today, end) == months


def test_cycle_months() -> None:
    """Monthly is 1 month, annual 12, and billing months map back to the frequency."""
    assert cycle_months("monthly") == 1
    assert cycle_months("annual") == 12
    assert frequency_of(12) == "annual"
    with pytest.raises(ValueError, match="3 months"):
        frequency_of(3)
