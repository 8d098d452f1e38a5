"""The pricing engine: what a plan choice costs per cycle and today (SPEC §2-3), without I/O.

The reseller discount always comes from the count of active paid accounts passed in, which callers
take at the moment of computing and without the account being created, so a new account's first
charge is at the tier the agency had before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from domain.catalog import Catalog, ContactsProduct, FreeProduct, PerSeatProduct
from domain.changes import check_change, shrinks
from domain.errors import InvalidInput
from domain.i18n import N_, Count
from domain.money import ZERO, round_money
from domain.periods import add_cycle, days_in_period, remaining_days, remaining_months_rounded_up
from domain.plans import PlanChoice, list_price, validate_choice
from domain.quotes import (
    CurrentPlan,
    CyclePrice,
    Effect,
    LineKind,
    MigrationDiscount,
    Note,
    Quote,
    QuoteLine,
    cycle_price,
)
from domain.taxes import Taxes, resolve_taxes, tax_lines
from domain.tiers import DiscountTier, discount_tier, tier_after_adding

__all__ = [
    "CurrentPlan",
    "CyclePrice",
    "Effect",
    "LineKind",
    "MigrationDiscount",
    "Note",
    "PlanChoice",
    "Quote",
    "QuoteLine",
    "cycle_price",
    "list_price",
    "quote",
    "topup_quote",
    "validate_choice",
]


@dataclass
class _Pricing:
    """What every amount in one quote shares: the catalog, the discount tier, the migration deal."""

    catalog: Catalog
    count: int
    migration: MigrationDiscount | None
    eligible: bool
    notes: list[Note] = field(default_factory=list)
    tier: DiscountTier = field(init=False)
    percent: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.tier = discount_tier(self.catalog.discount_tiers, self.count)
        self.percent = self.tier.percent if self.eligible else Decimal(0)
        if not self.eligible:
            self.notes.append(Note(N_("A client user administers this subscription: no reseller discount.")))

    def price(self, choice: PlanChoice, cycle_number: int) -> CyclePrice:
        deal = self.migration
        percent = deal.percent if deal is not None and deal.applies_to(cycle_number) else None
        return cycle_price(self.catalog, choice, reseller_percent=self.percent, migration_percent=percent)

    def note_migration(self, cycle_number: int) -> None:
        deal = self.migration
        if deal is None:
            return
        if deal.applies_to(cycle_number):
            self.notes.append(
                Note(
                    N_(
                        "The migration discount of {percent}% applies to {cycles} more cycle, this one included."
                    ),
                    {"percent": deal.percent, "cycles": deal.cycles - cycle_number + 1},
                    N_(
                        "The migration discount of {percent}% applies to {cycles} more cycles, this one included."
                    ),
                    "cycles",
                )
            )
        else:
            self.notes.append(
                Note(
                    N_("The migration discount covered the first cycle and has ended."),
                    {"cycles": deal.cycles},
                    N_("The migration discount covered the first {cycles} cycles and has ended."),
                    "cycles",
                )
            )

    def build(
        self,
        choice: PlanChoice,
        effect: Effect,
        prices: CyclePrice,
        *,
        today_line: QuoteLine,
        taxes: Taxes,
        period: tuple[date, date],
        renewal: date,
    ) -> Quote:
        lines = [
            QuoteLine("plan_value", N_("New plan value"), prices.plan_value, {"frequency": choice.frequency})
        ]
        if prices.migration_percent is not None:
            label = N_("Minus migration discount ({percent}%)")
            lines.append(
                QuoteLine(
                    "migration_discount", label, prices.migration, {"percent": prices.migration_percent}
                )
            )
        label = N_("Minus reseller discount ({percent}%)")
        lines.append(QuoteLine("reseller_discount", label, prices.reseller, {"percent": self.percent}))
        lines.append(QuoteLine("per_cycle", N_("What you pay per billing cycle"), prices.per_cycle))
        lines.append(today_line)
        today = today_line.amount or ZERO
        taxed, vat = tax_lines(taxes, today)
        lines.extend(taxed)
        return Quote(
            choice=choice,
            effect=effect,
            lines=tuple(lines),
            plan_value=prices.plan_value,
            per_cycle=prices.per_cycle,
            today=today,
            vat=vat,
            total_today=today + vat,
            reseller_percent=self.percent,
            tier=self.tier,
            tier_next_cycle=self._next_tier() if effect == "new" else None,
            period_start=period[0],
            period_end=period[1],
            renewal=renewal,
            vat_number=taxes.number,
            notes=(*self.notes, *self._tier_notes()),
        )

    def _next_tier(self) -> DiscountTier:
        return tier_after_adding(self.catalog.discount_tiers, self.count)

    def _tier_notes(self) -> tuple[Note, ...]:
        if self.tier.accounts_to_next is None:
            return ()
        return (
            Note(
                N_("{accounts} more active paid account reaches a reseller discount of {percent}%."),
                {"accounts": self.tier.accounts_to_next, "percent": self.tier.next_percent},
                N_("{accounts} more active paid accounts reach a reseller discount of {percent}%."),
                "accounts",
            ),
        )


def _paid_product(catalog: Catalog, choice: PlanChoice) -> ContactsProduct | PerSeatProduct:
    spec = catalog.product(choice.product)
    if isinstance(spec, FreeProduct):
        raise InvalidInput(
            N_("{product} {level} accounts are free: there is nothing to quote."),
            field="plan",
            product=choice.product,
            level=choice.level or "",
        )
    return spec


def quote(
    catalog: Catalog,
    choice: PlanChoice,
    *,
    active_paid_count: int,
    today: date,
    current: CurrentPlan | None = None,
    migration: MigrationDiscount | None = None,
    vat_number: str | None = None,
    customer_country: str | None = None,
    discount_eligible: bool = True,
    require_country: bool = True,
) -> Quote:
    """Everything a plan choice shows before it is confirmed (SPEC §3), for a new or changed plan.

    With `current` on a free plan (a trial being converted) the choice is priced as a new account.
    """
    validate_choice(catalog, choice)
    spec = _paid_product(catalog, choice)
    taxes = resolve_taxes(
        catalog, spec, choice.product, vat_number, customer_country, require_country=require_country
    )
    pricing = _Pricing(catalog, active_paid_count, migration, discount_eligible)
    if current is None or isinstance(catalog.product(current.choice.product), FreeProduct):
        return _new_account(pricing, choice, taxes, today)
    check_change(catalog, spec, current.choice, choice)
    grows_licenses = (choice.licenses or 0) > (current.choice.licenses or 0)
    if isinstance(spec, PerSeatProduct) and choice.frequency == current.choice.frequency and grows_licenses:
        extra = (choice.licenses or 0) - (current.choice.licenses or 0)
        return _topup(pricing, current, extra, taxes, today)
    cycle = current.cycles_billed
    new_price, old_price = pricing.price(choice, cycle), pricing.price(current.choice, cycle)
    if choice.frequency != current.choice.frequency:
        message = N_("Billing frequency change: takes effect at the next renewal on {date}.")
        return _at_renewal(pricing, choice, current, taxes, Note(message, {"date": current.period_end}))
    if new_price.per_cycle < old_price.per_cycle or shrinks(catalog, current.choice, choice):
        message = N_("Downgrade: takes effect at the next renewal on {date}; no refund.")
        return _at_renewal(pricing, choice, current, taxes, Note(message, {"date": current.period_end}))
    pricing.note_migration(cycle)
    period_days = days_in_period(current.period_start, current.period_end)
    left = min(period_days, remaining_days(today, current.period_end))
    difference = new_price.per_cycle - old_price.per_cycle
    amount = round_money(difference * left / period_days) if period_days else ZERO
    params = {"difference": difference, "days": left, "period_days": period_days, "date": current.period_end}
    today_line = QuoteLine("today", N_("Prorated amount: what you pay today"), amount, params)
    message = N_(
        "Upgrade: takes effect now; today you pay the difference for the {days} of {period_days} days "
        "left until {date}."
    )
    pricing.notes.append(Note(message, params))
    period = (current.period_start, current.period_end)
    return pricing.build(
        choice,
        "now",
        new_price,
        today_line=today_line,
        taxes=taxes,
        period=period,
        renewal=current.period_end,
    )


def _new_account(pricing: _Pricing, choice: PlanChoice, taxes: Taxes, today: date) -> Quote:
    prices = pricing.price(choice, 1)
    pricing.note_migration(1)
    renewal = add_cycle(today, today, choice.months)
    message = N_("Billed today for a full cycle; the account renews on {date}.")
    pricing.notes.append(Note(message, {"date": renewal}))
    nxt = tier_after_adding(pricing.catalog.discount_tiers, pricing.count)
    if nxt.percent != pricing.tier.percent:
        message = N_(
            "With this account the agency has {count} active paid account: from the next charge the "
            "reseller discount is {percent}%."
        )
        plural = N_(
            "With this account the agency has {count} active paid accounts: from the next charge the "
            "reseller discount is {percent}%."
        )
        pricing.notes.append(
            Note(message, {"count": pricing.count + 1, "percent": nxt.percent}, plural, "count")
        )
    line = QuoteLine("today", N_("Prorated amount: what you pay today"), prices.per_cycle, {"date": renewal})
    return pricing.build(
        choice, "new", prices, today_line=line, taxes=taxes, period=(today, renewal), renewal=renewal
    )


def _at_renewal(
    pricing: _Pricing, choice: PlanChoice, current: CurrentPlan, taxes: Taxes, note: Note
) -> Quote:
    cycle = current.cycles_billed + 1
    prices = pricing.price(choice, cycle)
    pricing.note_migration(cycle)
    pricing.notes.append(note)
    start = current.period_end
    end = add_cycle(current.anchor, start, choice.months)
    line = QuoteLine("today", N_("Prorated amount: what you pay today"), ZERO, {"date": start})
    return pricing.build(
        choice, "at_renewal", prices, today_line=line, taxes=taxes, period=(start, end), renewal=start
    )


def _topup(pricing: _Pricing, current: CurrentPlan, extra: int, taxes: Taxes, today: date) -> Quote:
    cycle = current.cycles_billed
    choice = replace(current.choice, licenses=(current.choice.licenses or 0) + extra)
    prices = pricing.price(choice, cycle)
    pricing.note_migration(cycle)
    unit = pricing.price(replace(choice, licenses=1, frequency="monthly"), cycle).per_cycle
    months = remaining_months_rounded_up(today, current.period_end)
    params = {
        "licenses": Count(extra, N_("{n} license"), N_("{n} licenses")),
        "months": Count(months, N_("{n} month"), N_("{n} months")),
        "unit": unit,
        "date": current.period_end,
    }
    label = N_("Top-up today: {licenses} × {months} × {unit}")
    line = QuoteLine("today", label, unit * extra * months, params)
    message = N_(
        "Top-up: {licenses} more for the time left until {date} ({months}), at {unit} per license per "
        "month after discounts."
    )
    pricing.notes.append(Note(message, params))
    period = (current.period_start, current.period_end)
    return pricing.build(
        choice, "now", prices, today_line=line, taxes=taxes, period=period, renewal=current.period_end
    )


def topup_quote(
    catalog: Catalog,
    current: CurrentPlan,
    extra_licenses: int,
    *,
    today: date,
    active_paid_count: int,
    migration: MigrationDiscount | None = None,
    vat_number: str | None = None,
    customer_country: str | None = None,
    discount_eligible: bool = True,
) -> Quote:
    """Extra licenses for a per-seat subscription, charged for the whole months left (SPEC §3)."""
    if not isinstance(catalog.product(current.choice.product), PerSeatProduct):
        raise InvalidInput(
            N_("{product} is not sold per license: change its plan instead."),
            field="licenses",
            product=current.choice.product,
        )
    if extra_licenses <= 0:
        raise InvalidInput(
            N_("Add at least 1 license; you asked for {licenses}."), field="licenses", licenses=extra_licenses
        )
    grown = replace(current.choice, licenses=(current.choice.licenses or 0) + extra_licenses)
    return quote(
        catalog,
        grown,
        active_paid_count=active_paid_count,
        today=today,
        current=current,
        migration=migration,
        vat_number=vat_number,
        customer_country=customer_country,
        discount_eligible=discount_eligible,
    )
