"""Whole numbers read from what people type or click: the one parser every count, pack size, page,
limit and id goes through.

`str.isdigit()` accepts `²` and `١٢٣` (which `int()` then refuses or reads as another number), and
`int()` of a 5,000-digit string raises; a number past the 64-bit range cannot be stored or looked up
in PostgreSQL (`bigint out of range`). Here only ASCII digits count, at most 19 of them (after
leading zeros), and the value must fit the bound: anything else is "not a number" (None) and the
caller says so, or says "not found" for an id.

Hand-written rather than Babel's `parse_decimal` (which `domain.money.parse_money` uses for amounts):
that one hands the text to `Decimal`, which reads other scripts' digits, exponents (`1e5`) and any
number of digits, the three things this parser exists to refuse.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1
"""The largest id a database row can have (a signed 64-bit integer)."""
MAX_DIGITS = len(str(MAX_ID))
_ASCII_DIGITS = frozenset("0123456789")


def whole_number(text: object, *, maximum: int = MAX_ID, separators: str = "") -> int | None:
    """`text` as a whole number from 0 to `maximum`, or None when it is not one.

    `separators` are thousands separators to ignore (`","`, `"_"`); surrounding spaces are ignored.
    Never raises, whatever `text` is (a number, None, a list, 5,000 digits)."""
    if not isinstance(text, str):
        return None
    cleaned = text.strip()
    for separator in separators:
        cleaned = cleaned.replace(separator, "")
    if not cleaned or not set(cleaned) <= _ASCII_DIGITS:
        return None
    significant = cleaned.lstrip("0") or "0"
    if len(significant) > MAX_DIGITS:
        return None
    value = int(significant)
    return value if value <= maximum else None


def too_large(text: object, *, maximum: int = MAX_ID, separators: str = "") -> bool:
    """Whether `text` is written as a whole number (ASCII digits) but above `maximum`, so the reply
    can name the bound rather than say "not a number"."""
    if not isinstance(text, str):
        return False
    cleaned = text.strip()
    for separator in separators:
        cleaned = cleaned.replace(separator, "")
    return bool(cleaned) and set(cleaned) <= _ASCII_DIGITS and whole_number(cleaned, maximum=maximum) is None


def row_id(text: object) -> int | None:
    """An id typed or clicked: None when it is not written as a whole number; a number past the
    64-bit range is 0, an id no row has, so the look-up answers "not found" in its own words instead
    of the database failing with `bigint out of range`."""
    value = whole_number(text)
    if value is None and too_large(text):
        return 0
    return value
