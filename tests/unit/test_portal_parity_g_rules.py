"""Issue 18 §1 rules without a database: the overview's columns, the prepaid advice's amount and day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.accounts.views import ALL_COLUMNS, parse_columns
from domain.catalog import load_catalog
from domain.errors import InvalidInput
from domain.notices.prepaid import CATCH_UP_DAYS, advice_due, month_end, to_buy

CATALOG = load_catalog()


def test_columns_are_kept_in_shown_order_whatever_order_they_come_in() -> None:
    assert parse_columns(["margin", "client"]) == ("client", "margin")
    assert parse_columns([]) == ()
    assert parse_columns(list(reversed(ALL_COLUMNS))) == ALL_COLUMNS


@pytest.mark.parametrize("values", [["client", "secret"], "client", [1], None, ["client"] * 7, [["plan"]]])
def test_anything_but_known_columns_is_refused_on_the_field(values: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_columns(values)
    assert raised.value.field == "columns"


@pytest.mark.parametrize(
    ("shortfall", "bought"),
    [
        ("0", None),
        ("-5", None),
        ("0.01", "50.00"),  # the catalog's smallest prepaid purchase
        ("207.00", "207.00"),
        ("207.01", "208.00"),  # a whole amount, rounded up so the month is covered
        ("99999", "10000.00"),  # the catalog's largest purchase
    ],
)
def test_the_amount_to_buy_covers_the_shortfall_within_the_catalog_range(
    shortfall: str, bought: str | None
) -> None:
    assert to_buy(CATALOG, Decimal(shortfall)) == (None if bought is None else Decimal(bought))


def test_the_advice_is_due_on_its_day_and_a_few_days_after_only() -> None:
    due = [d for d in range(1, 32) if d <= 31 and advice_due(5, date(2026, 12, d))]
    assert due == list(range(5, 5 + CATCH_UP_DAYS))
    assert advice_due(1, date(2026, 12, 1)) and not advice_due(1, date(2026, 12, 25))


def test_the_month_runs_to_the_same_day_of_the_next_month() -> None:
    assert month_end(date(2026, 12, 1)) == date(2027, 1, 1)
    assert month_end(date(2027, 1, 28)) == date(2027, 2, 28)
