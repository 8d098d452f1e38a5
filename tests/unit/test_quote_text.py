"""Reading `/quote` text into a plan choice: what people type, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.quote_text import parse_count, parse_quote
from domain.catalog import load_catalog
from domain.errors import InvalidInput

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("2500", 2500),
        ("2,500", 2500),
        ("2.500", 2500),
        ("2.5k", 2500),
        ("100k", 100_000),
        ("150000", 150_000),
    ],
)
def test_counts(typed: str, value: int) -> None:
    """Contacts are written many ways; all mean the same number."""
    assert parse_count(typed, what="contacts") == value


@pytest.mark.parametrize("typed", ["abc", "0", "-5", "2,50", "1e3", ""])
def test_bad_counts(typed: str) -> None:
    """Anything that is not a positive count is refused with an example."""
    with pytest.raises(InvalidInput):
        parse_count(typed, what="contacts")


def test_full_contact_tiered_request() -> None:
    """`plus 2500 annual seats 3 addons sms` is the issue's own example."""
    request = parse_quote(CATALOG, ["plus", "2500", "annual", "seats", "3", "addons", "sms"])
    choice = request.choice
    assert (choice.product, choice.tier, choice.contacts, choice.frequency, choice.seats, choice.addons) == (
        "marketing",
        "plus",
        2500,
        "annual",
        3,
        ("sms",),
    )


def test_product_and_migration() -> None:
    """A product name may come first; `migration 20%/3` covers three cycles."""
    request = parse_quote(CATALOG, ["bundle", "professional", "10k", "migration", "20%/3"])
    assert request.choice.product == "bundle" and request.choice.contacts == 10_000
    assert request.migration is not None
    assert (request.migration.percent, request.migration.cycles) == (Decimal(20), 3)


def test_licenses_with_vat() -> None:
    """`licenses 12 monthly vat FR…` is the per-seat form."""
    request = parse_quote(CATALOG, ["licenses", "12", "monthly", "vat", "fr40303265045"])
    assert request.choice.licenses == 12 and request.vat_number == "FR40303265045"


@pytest.mark.parametrize(
    "typed",
    [
        "platinum 2500",
        "plus",
        "plus 2500 weekly",
        "plus 2500 seats",
        "plus 2500 migration 150%",
        "licenses",
        "licenses x",
    ],
)
def test_refusals_name_the_problem(typed: str) -> None:
    """Unknown tier, missing contacts, unknown words and bad values are refused with an example."""
    with pytest.raises(InvalidInput) as error:
        parse_quote(CATALOG, typed.split())
    assert "Example" in error.value.message or "like" in error.value.message
