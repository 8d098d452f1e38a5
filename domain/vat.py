"""EU VAT numbers, checked offline (format and check digits) with python-stdnum.

There is no call to VIES: a quote must work without the network, and a well-formed number with the
right check digits is what the per-seat seed asks for before removing VAT.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat

from domain.errors import InvalidInput
from domain.i18n import N_

EXAMPLE = "FR40303265045"

# VAT numbers use EL for Greece and XI for Northern Ireland; the catalog's rates use ISO 3166.
_ISO_COUNTRY = {"EL": "GR", "XI": "GB"}

_REASONS: tuple[tuple[type[stdnum_errors.ValidationError], str], ...] = (
    (
        stdnum_errors.InvalidComponent,
        N_(
            "The VAT number {number} does not start with an EU country code. "
            "Write the country code first, for example {example}."
        ),
    ),
    (
        stdnum_errors.InvalidLength,
        N_(
            "The VAT number {number} has the wrong number of characters for its country. "
            "Check for a missing or extra digit; for example {example}."
        ),
    ),
    (
        stdnum_errors.InvalidChecksum,
        N_(
            "The VAT number {number} fails its check digits: a character is probably mistyped. "
            "Copy it again from the customer's invoice; for example {example}."
        ),
    ),
    (
        stdnum_errors.InvalidFormat,
        N_(
            "The VAT number {number} has characters where its country expects others. "
            "Write the country code then the number, for example {example}."
        ),
    ),
)


@dataclass(frozen=True)
class VatNumber:
    number: str
    """Compact form: country prefix and digits, no spaces or dots (FR40303265045)."""
    country: str
    """ISO 3166 alpha-2 code of the issuing country (GR for an EL number)."""


def check_vat_number(text: str) -> VatNumber:
    """Accept a valid EU VAT number in any usual spelling; refuse an invalid one with its reason."""
    typed = text.strip()
    if not typed:
        raise InvalidInput(
            N_("Enter the customer's VAT number, for example {example}."), field="vat", example=EXAMPLE
        )
    try:
        number = str(eu_vat.validate(typed))
    except stdnum_errors.ValidationError as exc:
        message = next(
            (reason for kind, reason in _REASONS if isinstance(exc, kind)),
            N_("The VAT number {number} is not valid. Example: {example}."),
        )
        raise InvalidInput(message, field="vat", number=typed, example=EXAMPLE) from None
    prefix = number[:2].upper()
    return VatNumber(number=number, country=_ISO_COUNTRY.get(prefix, prefix))
