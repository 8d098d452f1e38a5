"""Card numbers must never be stored or logged (SPEC §7, §10), so every free text is checked for one.

How a text is read (the rule, decided for issue 13 §3):
1. Unicode NFKC (full-width, mathematical and superscript digits become ASCII), then every remaining
   Unicode decimal digit of any script (Arabic-Indic, Devanagari…) becomes its ASCII digit.
2. Invisible characters (format characters such as zero-width spaces, word joiners, soft hyphens,
   and combining marks) are dropped.
3. Digits separated by at most `MAX_GAP` characters that are neither letters nor digits (spaces of
   any kind, line breaks, tabs, dots, slashes, dashes, underscores, commas, any punctuation or
   symbol) are one run of digit groups. A letter ends a run.
4. A card number is any sequence of whole consecutive groups of a run that has 13 to 19 digits,
   passes the Luhn check (`stdnum.luhn`), does not start with 0 (no payment card does: ISO/IEC 7812
   major industry identifier 0 is not a card network) and is not one digit repeated
   (`0000000000000`, `4444444444444444` are placeholders, not cards).
Requiring Luhn and whole groups keeps ordinary long numbers passing (invoice and order references,
phone numbers, `999999999999 999999999999`): only one random digit string in ten passes Luhn.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

from stdnum import luhn

from domain.errors import InvalidInput
from domain.i18n import N_

MIN_DIGITS, MAX_DIGITS = 13, 19
MAX_GAP = 3
"""Most visible separator characters between two digit groups of one card number (`4242 - 4242`)."""

_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")
_INVISIBLE = {"Cf", "Mn", "Me"}

CARD_REFUSED = N_(
    "That text contains a card number. Card numbers are never typed into Slack, stored or logged "
    "here: nothing was saved. A billing profile is a reference: see `/billing profiles add`."
)


def normalize_digits(text: str) -> str:
    """NFKC, decimal digits of every script as ASCII, invisible characters dropped."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text):
        if "0" <= char <= "9":
            out.append(char)
        elif char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif unicodedata.category(char) not in _INVISIBLE:
            out.append(char)
    return "".join(out)


def _runs(text: str) -> Iterator[list[str]]:
    """Runs of digit groups: groups split by at most MAX_GAP non-alphanumeric characters."""
    groups: list[str] = []
    digits = ""
    gap = 0
    for char in text:
        if "0" <= char <= "9":
            if not digits and groups and gap > MAX_GAP:
                yield groups
                groups = []
            digits += char
            gap = 0
        elif char.isalnum():
            if digits:
                groups.append(digits)
                digits = ""
            if groups:
                yield groups
                groups = []
            gap = 0
        else:
            if digits:
                groups.append(digits)
                digits = ""
            gap += 1
    if digits:
        groups.append(digits)
    if groups:
        yield groups


def is_card_number(digits: str) -> bool:
    """`digits` (ASCII digits only) is a card number by the rule above."""
    return (
        MIN_DIGITS <= len(digits) <= MAX_DIGITS
        and digits[0] != "0"
        and len(set(digits)) > 1
        and luhn.is_valid(digits)
    )


def contains_card_number(text: str | None) -> bool:
    """True when `text`, however spelled (see the module's rule), holds a card number."""
    if not text:
        return False
    for groups in _runs(normalize_digits(text)):
        # A card may sit among other digit groups (`4242 4242 4242 4242 123`): try every run of
        # whole groups, never digits cut out of a group, so long references are not mistaken for one.
        for first in range(len(groups)):
            digits = ""
            for group in groups[first:]:
                digits += group
                if len(digits) > MAX_DIGITS:
                    break
                if is_card_number(digits):
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
