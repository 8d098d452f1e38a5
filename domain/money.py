"""Money is Decimal, rounded once per line, half-up to the cent."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")
_PLAIN_NUMBER = re.compile(r"^-?\d{1,13}(\.\d{1,6})?$")
ZERO = Decimal("0.00")


def round_money(amount: Decimal) -> Decimal:
    """Round a line's amount the one way the product rounds: half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(text: str) -> Decimal:
    """Read an amount a person typed (`120`, `120.50`, `1,200.50`, `120,50`) as Decimal.

    Raises ValueError on anything else, so callers turn it into a user-facing error.
    """
    from decimal import InvalidOperation

    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    for symbol in ("$", "€", "£", "USD", "EUR", "GBP", "CHF"):
        cleaned = cleaned.replace(symbol, "")
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        head, _, tail = cleaned.rpartition(",")
        cleaned = f"{head.replace(',', '')}.{tail}" if len(tail) != 3 else cleaned.replace(",", "")
    if not _PLAIN_NUMBER.match(cleaned):
        msg = f"not an amount: {text!r}"
        raise ValueError(msg)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        msg = f"not an amount: {text!r}"
        raise ValueError(msg) from exc
    if abs(value) >= MAX_AMOUNT:
        msg = f"not an amount: {text!r}"
        raise ValueError(msg)
    return value
