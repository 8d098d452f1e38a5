"""Pure rules of credits and billing: card-number detection, draw order, packs and amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.cards import contains_card_number, parse_expiry
from domain.catalog import Catalog
from domain.credit_pools import sms_refusal
from domain.credits import parse_pack, parse_prepaid
from domain.errors import InvalidInput
from domain.ledger import plan_draw
from domain.store.models import Account


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424242",
        "note: 4242 4242 4242 4242",
        "4000-0000-0000-9995",
        "card 4242 4242 4242 4242 cvc 123",
        "378282246310005",
    ],
)
def test_card_numbers_are_found_with_spaces_or_dashes(text: str) -> None:
    """Any Luhn-valid run of 13-19 digits, grouped or not, is a card number."""
    assert contains_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "buy prepaid 500",
        "4242424242424241",
        "INV-2026-000001",
        "999999999999 999999999999",
        "+33 1 23 45 67 89",
    ],
)
def test_ordinary_numbers_are_not_card_numbers(text: str) -> None:
    """Amounts, invoice numbers, phone numbers and Luhn-invalid runs pass."""
    assert not contains_card_number(text)


def test_expiry_is_read_and_an_expired_card_refused() -> None:
    """MM/YY or MM/YYYY; a month already over is refused."""
    assert parse_expiry("08/29", date(2026, 11, 25)) == (8, 2029)
    assert parse_expiry("11/2026", date(2026, 11, 25)) == (11, 2026)
    for bad in ("10/26", "13/29", "0829", ""):
        with pytest.raises(InvalidInput):
            parse_expiry(bad, date(2026, 11, 25))


def test_draw_order_is_earmark_then_general_then_card() -> None:
    """Earmark first, general balance next, the card for the rest; never more than each holds."""
    draw = plan_draw(Decimal("74.25"), Decimal("50"), Decimal("10"))
    assert (draw.from_earmark, draw.from_general, draw.from_card) == (
        Decimal(50),
        Decimal(10),
        Decimal("14.25"),
    )
    assert plan_draw(Decimal("20"), Decimal("50"), Decimal("10")).from_card == 0
    assert plan_draw(Decimal("20"), Decimal("0"), Decimal("0")).from_card == Decimal("20")


def test_packs_are_read_by_units(catalog: Catalog) -> None:
    """`5000`, `5,000` and `5k` name the same pack; an unknown size lists the packs."""
    assert parse_pack(catalog, "sms", "5k").units == parse_pack(catalog, "sms", "5,000").units == 5000
    with pytest.raises(InvalidInput) as refused:
        parse_pack(catalog, "preview", "7")
    assert 1000 in refused.value.params["choices"]  # numbers: the reader's locale groups them


def test_prepaid_amounts_stay_within_the_catalog_range(catalog: Catalog) -> None:
    """Prepaid credit from the catalog's min to max, read as Decimal money."""
    assert parse_prepaid(catalog, "1,200.50") == Decimal("1200.50")
    for bad in ("10", "20000", "lots"):
        with pytest.raises(InvalidInput):
            parse_prepaid(catalog, bad)


@pytest.mark.parametrize(
    ("tier", "status", "allowed"),
    [
        ("plus", "active", True),
        ("trial", "trial", True),
        ("enterprise", "active", True),
        ("starter", "active", False),
        ("sandbox", "active", False),
        ("plus", "disabled", False),
        ("plus", "expired", False),
        ("licenses", "active", False),
    ],
)
def test_sms_goes_only_to_the_named_plans_and_live_statuses(tier: str, status: str, allowed: bool) -> None:
    """SMS credits: trial, plus, professional, enterprise; active or trial only."""
    assert (sms_refusal(Account(tier=tier, status=status)) is None) is allowed
