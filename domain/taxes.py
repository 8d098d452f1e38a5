"""The tax lines at the end of a quote (SPEC §3 item 6).

Contact-tiered products are quoted without tax, as the provider does. Products flagged `vat` in the
catalog are sold to EU customers: a valid VAT number means reverse charge, otherwise the customer's
country rate applies, and a country without a rate in the catalog is outside EU VAT.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from domain.catalog import Catalog, ContactsProduct, PerSeatProduct
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.money import ZERO, round_money
from domain.quotes import HUNDRED, QuoteLine
from domain.vat import VatNumber, check_vat_number

REVERSE_CHARGE = N_("No VAT: reverse charge, VAT number {vat_number}.")
"""The line an EU reverse-charge quote and invoice carry: the mention and the customer's VAT number."""


@dataclass(frozen=True)
class Taxes:
    mode: Literal["not_included", "reverse_charge", "vat", "outside_eu", "country_unknown"]
    rate: Decimal = ZERO
    country: str | None = None
    number: VatNumber | None = None


def resolve_taxes(
    catalog: Catalog,
    product: ContactsProduct | PerSeatProduct,
    product_name: str,
    vat_number: str | None,
    customer_country: str | None,
    *,
    require_country: bool = True,
) -> Taxes:
    """Decide the tax treatment before any amount, so an invalid VAT number is refused first."""
    if product.taxes == "not_included":
        return Taxes("not_included")
    if vat_number is not None and vat_number.strip():
        checked = check_vat_number(vat_number)
        country = (customer_country or "").strip().upper()
        if country and country != checked.country:
            # A reverse charge is for a business in the country that issued its VAT number.
            raise InvalidInput(
                N_(
                    "The VAT number {number} was issued in {vat_country}, but the customer's country is {country}: "
                    "a reverse charge needs a VAT number of the customer's own country. Correct the country or the VAT number."
                ),
                field="vat",
                number=checked.number,
                vat_country=checked.country,
                country=country,
            )
        return Taxes("reverse_charge", country=checked.country, number=checked)
    if not customer_country and not require_country:
        return Taxes("country_unknown")
    if not customer_country:
        raise InvalidInput(
            N_("{product} is charged VAT: give the customer's country or a valid EU VAT number."),
            field="country",
            product=product_name,
        )
    country = customer_country.strip().upper()
    rate = catalog.vat_rate(country)
    if rate is None:
        return Taxes("outside_eu", country=country)
    return Taxes("vat", rate=rate, country=country)


def tax_lines(taxes: Taxes, today: Decimal) -> tuple[tuple[QuoteLine, ...], Decimal]:
    """The tax lines for today's amount, and the VAT they add."""
    if taxes.mode == "not_included":
        return (QuoteLine("taxes_not_included", N_("Taxes not included."), None),), ZERO
    if taxes.mode == "country_unknown":
        label = N_("Plus VAT at the customer's country rate (none with a valid EU VAT number).")
        return (QuoteLine("taxes_not_included", label, None),), ZERO
    if taxes.mode == "reverse_charge":
        number = taxes.number.number if taxes.number else ""
        line = QuoteLine(
            "vat_reverse_charge",
            REVERSE_CHARGE,
            ZERO,
            {"vat_number": number},
        )
        vat = ZERO
    elif taxes.mode == "outside_eu":
        line = QuoteLine(
            "no_vat",
            N_("No VAT: {country} is outside the EU VAT area."),
            ZERO,
            {"country": taxes.country or ""},
        )
        vat = ZERO
    else:
        vat = round_money(today * taxes.rate / HUNDRED)
        line = QuoteLine(
            "vat", N_("VAT {rate}% ({country})"), vat, {"rate": taxes.rate, "country": taxes.country or ""}
        )
    total = QuoteLine("total_today", N_("Total today"), today + vat)
    return (line, total), vat
