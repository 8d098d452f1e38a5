"""Money is Decimal, rounded once per line, half-up to the cent."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import NumberFormatError, parse_decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")
MAX_DECIMALS = 6
_TYPED_AMOUNT = re.compile(r"^-?\d(?:[\d.,]*\d)?$")
"""Digits (of any script, as `Decimal` reads them) with points and commas between them."""
ZERO = Decimal("0.00")


def round_money(amount: Decimal) -> Decimal:
    """Round a line's amount the one way the product rounds: half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(text: str) -> Decimal:
    """Read an amount a person typed (`120`, `120.50`, `1,200.50`, `120,50`, `1.234,56`) as Decimal.

    Babel's `parse_decimal` reads it, the English way (`,` groups) or the German way (`.` groups,
    `,` is the decimal mark: French and Italian write it so too). Two pieces stay hand-written
    because Babel leaves them to the caller: which of the two a text is written in (a comma is the
    decimal mark when it comes after the last point, or when it is not followed by exactly three
    digits), and what may be typed at all (digits, one leading `-`, the two marks; at most six
    decimals, below `MAX_AMOUNT`), since `Decimal` would also take `1e999999` or `NaN`.

    Raises ValueError on anything else, so callers turn it into a user-facing error.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    for symbol in ("$", "€", "£", "USD", "EUR", "GBP", "CHF"):
        cleaned = cleaned.replace(symbol, "")
    msg = f"not an amount: {text!r}"
    if not _TYPED_AMOUNT.match(cleaned):
        raise ValueError(msg)
    try:
        value = parse_decimal(cleaned, locale="de" if _comma_is_decimal(cleaned) else "en")
    except NumberFormatError as exc:
        raise ValueError(msg) from exc
    if abs(value) >= MAX_AMOUNT or -int(value.as_tuple().exponent) > MAX_DECIMALS:
        raise ValueError(msg)
    return value


def _comma_is_decimal(cleaned: str) -> bool:
    head, comma, tail = cleaned.rpartition(",")
    return bool(comma) and "." not in tail and ("." in head or len(tail) != 3)
