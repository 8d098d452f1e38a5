"""The quote's shapes and the per-cycle price every charge is built from.

`cycle_price` is shared by quotes, top-ups and (later) the billing run, so that the amount a quote
promises per cycle is, to the cent, the amount a renewal charges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from domain.catalog import Catalog
from domain.money import ZERO, round_money
from domain.plans import PlanChoice, list_price
from domain.tiers import DiscountTier
from domain.vat import VatNumber

Effect = Literal["new", "now", "at_renewal"]
LineKind = Literal[
    "plan_value",
    "migration_discount",
    "reseller_discount",
    "per_cycle",
    "today",
    "taxes_not_included",
    "vat",
    "vat_reverse_charge",
    "no_vat",
    "total_today",
]
HUNDRED = Decimal(100)


MAX_MIGRATION_CYCLES = 36
"""A migration discount matches what the client paid elsewhere while they move over: three years of
monthly cycles at most. More is a typing error (1200), not a deal."""


@dataclass(frozen=True)
class MigrationDiscount:
    percent: Decimal
    cycles: int
    """The discount covers the account's first `cycles` billing cycles (1 to MAX_MIGRATION_CYCLES)."""

    def applies_to(self, cycle_number: int) -> bool:
        return 0 < cycle_number <= self.cycles


@dataclass(frozen=True)
class CurrentPlan:
    choice: PlanChoice
    anchor: date
    """The day renewals are counted from: creation or conversion day."""
    period_start: date
    period_end: date
    cycles_billed: int = 1
    """Cycles charged so far, the current one included (1 during the first cycle)."""


@dataclass(frozen=True)
class QuoteLine:
    kind: LineKind
    label: str
    amount: Decimal | None
    """Signed: discounts are negative. None for a line that is only text (taxes not included)."""
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Note:
    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    plural: str = ""
    """The plural form of `message`: the reader's language picks one for the int parameter `count`."""
    count: str = ""

    def forms(self) -> tuple[str, str, int] | None:
        """(singular, plural, n) when the note agrees with a number, for `Translator.plural`."""
        if not self.plural:
            return None
        n = self.params.get(self.count)
        return self.message, self.plural, n if isinstance(n, int) else 2


@dataclass(frozen=True)
class Quote:
    choice: PlanChoice
    effect: Effect
    lines: tuple[QuoteLine, ...]
    plan_value: Decimal
    per_cycle: Decimal
    today: Decimal
    vat: Decimal
    total_today: Decimal
    reseller_percent: Decimal
    """The discount applied: the tier's percent, or 0 when the plan is not eligible."""
    tier: DiscountTier
    """The agency's tier now, from the count of active paid accounts given."""
    tier_next_cycle: DiscountTier | None
    """For a new paid account: the tier from the next charge on, with this account counted."""
    period_start: date
    period_end: date
    renewal: date
    """The next charge after today: the end of the period being paid, or when a change applies."""
    vat_number: VatNumber | None
    notes: tuple[Note, ...]

    def line(self, kind: LineKind) -> QuoteLine | None:
        return next((line for line in self.lines if line.kind == kind), None)


@dataclass(frozen=True)
class CyclePrice:
    plan_value: Decimal
    migration_percent: Decimal | None
    """None when no migration discount applies to this cycle."""
    migration: Decimal
    """Negative or zero."""
    reseller: Decimal
    """Negative or zero."""
    per_cycle: Decimal


def discount_amount(amount: Decimal, percent: Decimal) -> Decimal:
    """The discount on `amount`, as a negative line rounded once."""
    return ZERO - round_money(amount * percent / HUNDRED)


def cycle_price(
    catalog: Catalog,
    choice: PlanChoice,
    *,
    reseller_percent: Decimal,
    migration_percent: Decimal | None = None,
) -> CyclePrice:
    """SPEC §3 lines 1-4: list price, minus migration, minus reseller discount on what remains."""
    plan_value = round_money(list_price(catalog, choice))
    migration = ZERO if migration_percent is None else discount_amount(plan_value, migration_percent)
    reseller = discount_amount(plan_value + migration, reseller_percent)
    return CyclePrice(plan_value, migration_percent, migration, reseller, plan_value + migration + reseller)
