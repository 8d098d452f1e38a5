"""Offline EU VAT number checks: valid numbers are compacted, invalid ones refused with the reason."""

from __future__ import annotations

import pytest

from domain.catalog import PerSeatProduct
from domain.errors import InvalidInput
from domain.taxes import resolve_taxes
from domain.vat import VatNumber, check_vat_number
from tests.unit.test_pricing import CATALOG


@pytest.mark.parametrize(
    ("typed", "number", "country"),
    [
        ("FR40303265045", "FR40303265045", "FR"),
        ("fr 403 032 650 45", "FR40303265045", "FR"),
        ("DE136695976", "DE136695976", "DE"),
        ("NL004495445B01", "NL004495445B01", "NL"),
        ("BE 0403.019.261", "BE0403019261", "BE"),
        ("EL094259216", "EL094259216", "GR"),  # Greek numbers use EL; the country is GR
    ],
)
def test_valid_numbers(typed: str, number: str, country: str) -> None:
    """A valid number in any usual spelling is returned compact, with its ISO country."""
    assert check_vat_number(typed) == VatNumber(number=number, country=country)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("FR40303265046", "check digits"),
        ("FR4030326504", "wrong number of characters"),
        ("XX123456789", "does not start with an EU country code"),
        ("12345", "does not start with an EU country code"),
        ("DE12345678A", "characters where its country expects others"),
        ("", "Enter the customer's VAT number"),
    ],
)
def test_invalid_numbers_say_why(typed: str, reason: str) -> None:
    """An invalid number is refused on the vat field with what was wrong and a valid example."""
    with pytest.raises(InvalidInput) as caught:
        check_vat_number(typed)
    error = caught.value
    assert error.field == "vat"
    assert reason in str(error)
    assert error.params["example"] == "FR40303265045"
    assert "FR40303265045" in str(error)


@pytest.mark.parametrize(
    ("vat", "country", "refused"),
    [
        ("FR40303265045", "FR", False),
        ("FR40303265045", "fr", False),
        ("EL094259216", "GR", False),  # a Greek EL number for a Greek (GR) customer
        ("FR40303265045", "DE", True),
        ("DE136695976", "AT", True),
        ("EL094259216", "CY", True),
    ],
)
def test_reverse_charge_needs_a_number_of_the_customers_country(
    vat: str, country: str, refused: bool
) -> None:
    """SPEC §3, issue 14 §5: a German customer with a French VAT number is refused on the VAT field,
    naming both countries; a number of the customer's own country is a reverse charge."""
    product = next(
        name for name in CATALOG.product_names("V3") if isinstance(CATALOG.product(name), PerSeatProduct)
    )
    spec = CATALOG.product(product)
    assert isinstance(spec, PerSeatProduct)
    if not refused:
        assert resolve_taxes(CATALOG, spec, product, vat, country).mode == "reverse_charge"
        return
    with pytest.raises(InvalidInput) as caught:
        resolve_taxes(CATALOG, spec, product, vat, country)
    assert caught.value.field == "vat"
    assert caught.value.params["country"] == country.upper()
    assert caught.value.params["vat_country"] == check_vat_number(vat).country
