"""Card numbers must never be stored or logged (SPEC §7), so every free text is checked for one.

A card number is 13 to 19 digits, possibly grouped by spaces or dashes, that passes the Luhn check.
Requiring Luhn keeps ordinary long numbers (invoice numbers, phone numbers) from being refused, since
only one in ten random digit strings passes it.
"""

from __future__ import annotations

import re
from datetime import date

from domain.errors import InvalidInput
from domain.i18n import N_

# Digits possibly separated by one space or dash, starting and ending on a digit.
_CANDIDATE = re.compile(r"(?<![\d])\d(?:[ \-]?\d){12,}(?![\d])")
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")

CARD_REFUSED = N_(
    "That text contains a card number. Card numbers are never stored or logged here: nothing was "
    "saved. Add a card with `/billing profiles add`, which only keeps its last four digits."
)


def luhn_ok(digits: str) -> bool:
    checksum = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        checksum += value - 9 if value > 9 else value
    return checksum % 10 == 0


def contains_card_number(text: str | None) -> bool:
    """True when any run of 13-19 digits in `text` (spaces and dashes allowed) is Luhn-valid."""
    if not text:
        return False
    for match in _CANDIDATE.finditer(text):
        groups = re.split(r"[ \-]", match.group(0))
        # A card may sit among other digit groups (`4242 4242 4242 4242 123`): try every run of
        # whole groups, never digits cut out of a group, so long references are not mistaken for one.
        for first in range(len(groups)):
            digits = ""
            for group in groups[first:]:
                digits += group
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_ok(digits):
                    return True
    return False


def refuse_card_numbers(*texts: str | None, field: str | None = None) -> None:
    """Raise before anything is parsed or written, so the number reaches no table and no log."""
    if any(contains_card_number(text) for text in texts):
        raise InvalidInput(CARD_REFUSED, field=field)


def parse_expiry(text: str, today: date) -> tuple[int, int]:
    """`MM/YY` or `MM/YYYY` as (month, four-digit year); a card that expired is refused."""
    match = _EXPIRY.match(text or "")
    if not match:
        raise InvalidInput(N_("Write the expiry as MM/YY, like 08/29."), field="expiry")
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    if not 1 <= month <= 12:
        raise InvalidInput(N_("Write the expiry as MM/YY, like 08/29."), field="expiry")
    if (year, month) < (today.year, today.month):
        raise InvalidInput(
            N_("This card expired at the end of {month}/{year}."),
            field="expiry",
            month=f"{month:02d}",
            year=str(year),
        )
    return month, year
