"""Margin rules (SPEC §4 Margins): what an account earns the agency per month.

Everything is brought to one month, because clients are priced per month or per cycle and cycles are
one or twelve months: an annual cost or client price is divided by 12 and rounded half-up once, to
the cent, so a row and the portfolio total (the sum of the rows) always agree with a hand
computation. The same rounding is done in SQL with integer cents (`domain.accounts.margins`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput
from domain.i18n import N_
from domain.money import ZERO, parse_money, round_money

PRICE_PERIODS = ("month", "cycle")
CLOSE_TO_NEXT_TIER = 5
"""How many accounts away from the next discount tier `/accounts margins` starts showing its effect."""
MAX_CLIENT_PRICE = Decimal("1000000")


def cycle_months(frequency: str) -> int:
    return 12 if frequency == "annual" else 1


def per_month(amount: Decimal, months: int) -> Decimal:
    """An amount per `months` as an amount per month, rounded half-up once."""
    return round_money(Decimal(amount) / months)


@dataclass(frozen=True)
class Margin:
    cost_per_cycle: Decimal
    cost_per_month: Decimal
    client_per_month: Decimal | None
    """None when the agency has not recorded what it charges the client."""

    @property
    def monthly(self) -> Decimal | None:
        if self.client_per_month is None:
            return None
        return self.client_per_month - self.cost_per_month


def margin_of(
    *,
    cost_per_cycle: Decimal,
    frequency: str,
    client_price: Decimal | None,
    client_price_per: str,
    client_frequency: str | None = None,
) -> Margin:
    """Client price per month minus cost per month (cost = the cycle price after discounts).

    `frequency` is the cost's cycle (the next renewal's); `client_frequency` the cycle a client
    price "per cycle" refers to (the account's current one), the same unless a change is scheduled.
    """
    months = cycle_months(frequency)
    client = None
    if client_price is not None:
        client = (
            round_money(Decimal(client_price))
            if client_price_per == "month"
            else per_month(client_price, cycle_months(client_frequency or frequency))
        )
    return Margin(round_money(Decimal(cost_per_cycle)), per_month(cost_per_cycle, months), client)


CLEAR_WORDS = ("off", "remove", "clear", "-")
"""What removes a client price on purpose (`/accounts price acme-shop off`)."""
NOT_PRICES = ("none", "null", "nil", "nan", "inf", "infinity", "undefined", "n/a")


def parse_client_price(words: list[str]) -> tuple[Decimal | None, str]:
    """`120`, `120 month`, `1200 cycle`, or `off`/`remove` to forget it; returns (amount, period).

    `None`, `null` and the like are not prices (a value copied from a program's output must not clear
    the price): they are refused, naming how to remove it on purpose."""
    if not words or len(words) > 2:
        raise InvalidInput(
            N_(
                "Write the client price as an amount and optionally month or cycle, like `120` or `1200 cycle`."
            ),
            field="client_price",
        )
    if words[0].lower() in CLEAR_WORDS and len(words) == 1:
        return None, "month"
    if words[0].lower() in NOT_PRICES:
        raise InvalidInput(
            N_("{value} is not a price: write an amount like 120, or off to remove the client price."),
            field="client_price",
            value=words[0][:40],
        )
    period = words[1].lower() if len(words) == 2 else "month"
    if period not in PRICE_PERIODS:
        raise InvalidInput(
            N_("{value} is not a price period: use month or cycle."), field="client_price", value=words[1]
        )
    try:
        amount = round_money(parse_money(words[0]))
    except ValueError:
        raise InvalidInput(
            N_("Write the client price as a number, like 120 or 99.50."), field="client_price"
        ) from None
    if amount < ZERO or amount >= MAX_CLIENT_PRICE:
        raise InvalidInput(
            N_("A client price is from 0 to {max}."), field="client_price", max=MAX_CLIENT_PRICE - 1
        )
    return amount, period
