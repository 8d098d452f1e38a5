"""What an account's next cycle costs (SPEC §3, §5, §7), computed the same way for the billing run,
the accounts screens and the "renewal coming" notices, so what a notice announces is what is charged.

The plan renewed is the account's plan with its scheduled downgrade applied; the tier is the agency's
count of active paid accounts at the moment of computing (the account itself included, since it is
active); credit is drawn earmark first, then the general balance, then the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from domain import ledger
from domain.accounts.rules import plan_size
from domain.billing.charges import InvoiceLine
from domain.catalog import Catalog, PerSeatProduct
from domain.i18n import N_
from domain.money import ZERO, round_money
from domain.periods import add_cycle
from domain.portfolio import (
    PER_SEAT_TIER,
    count_active_paid,
    current_plan_of,
    is_active_paid,
    migration_of,
    plan_choice_of,
)
from domain.pricing import PlanChoice, cycle_price
from domain.quotes import CyclePrice, MigrationDiscount
from domain.store.models import Account
from domain.taxes import resolve_taxes, tax_lines
from domain.tiers import discount_tier

# Columns a scheduled change (`Account.pending_change`) may set; `licenses` is stored in `seats`.
PLAN_COLUMNS = ("pricing_version", "product", "tier", "contacts", "frequency", "seats", "addons", "limits")
PLAN_EXTRA = ("plan_size",)
# What the next renewal's terms depend on (`domain.store.renewal_terms` refreshes them on a change).
RENEWAL_INPUTS = (*PLAN_COLUMNS, "pending_change", "cycles_billed", "migration_percent", "migration_cycles")


@dataclass(frozen=True)
class NextCharge:
    account_id: int
    choice: PlanChoice
    cycle_number: int
    """The cycle being charged: 1 is the first; the migration discount covers cycles 1..N."""
    plan_value: Decimal
    per_cycle: Decimal
    """After the migration and reseller discounts, before tax: the account's new price_per_cycle."""
    tax: Decimal
    total: Decimal
    lines: tuple[InvoiceLine, ...]
    draw: ledger.Draw
    reseller_percent: Decimal
    active_paid_count: int
    period_start: date
    period_end: date
    applies_change: bool
    loses_discount: bool


def planned_columns(account: Account) -> dict[str, Any]:
    """The plan columns as they will be after the next renewal (the scheduled change applied).

    A scheduled change is stored flat (`{"tier": "plus"}`) or, as Edit and the seats screen write
    it, under `plan` (`{"plan": {"version": "V3", "tier": "plus", ...}, "effective": ...}` or
    `{"plan": {"seats": 3}, ...}`); both are read here, so the downgrade is what renews.
    """
    columns: dict[str, Any] = {name: getattr(account, name) for name in (*PLAN_COLUMNS, *PLAN_EXTRA)}
    change = dict(account.pending_change or {})
    nested = change.pop("plan", None)
    if isinstance(nested, dict):
        change.update(_plan_columns(nested))
    for key, value in change.items():
        if key == "licenses":
            columns["seats"] = value
        elif key in columns:
            columns[key] = value
    if change:
        licenses = columns["seats"] if columns["tier"] == PER_SEAT_TIER else None
        columns["plan_size"] = plan_size(columns["tier"], columns["contacts"], licenses)
    return columns


def _plan_columns(plan: dict[str, Any]) -> dict[str, Any]:
    """A `plan_json` dict (whole, or only the keys that change) as account columns."""
    out = {("pricing_version" if key == "version" else key): value for key, value in plan.items()}
    out.pop("level", None)
    if "limits" in out:
        limits = out["limits"] or []
        out["limits"] = dict(limits) if isinstance(limits, dict) else {str(k): v for k, v in limits}
    if out.get("licenses") is not None:
        out["tier"], out["seats"] = PER_SEAT_TIER, out.pop("licenses")
    else:
        out.pop("licenses", None)
    return out


def renewed_choice(account: Account) -> PlanChoice:
    columns = planned_columns(account)
    if not account.pending_change:
        return plan_choice_of(account)
    shadow = Account(**columns)
    return plan_choice_of(shadow)


def describe_plan(choice: PlanChoice) -> str:
    """A short, language-neutral plan label for invoice lines (`marketing plus 2500 monthly`)."""
    if choice.licenses is not None and choice.tier is None:
        return f"{choice.product} {choice.licenses} {PER_SEAT_TIER} {choice.frequency}"
    parts = [choice.product, choice.tier or choice.level or "", str(choice.contacts or ""), choice.frequency]
    return " ".join(part for part in parts if part)


def next_charge(
    session: Session,
    catalog: Catalog,
    account: Account,
    *,
    active_paid_count: int | None = None,
    balances: tuple[Decimal, Decimal] | None = None,
) -> NextCharge:
    """The charge of the cycle that starts at `account.period_end`: anchored on the account's own
    dates, whatever day it is computed.

    `active_paid_count` lets the billing run reuse a count it keeps current, and `balances` (the
    account's earmark, the general prepaid balance) the balances it tracks under the agency lock;
    otherwise both are read now. Writes nothing.
    """
    count = count_active_paid(session, account.agency_id) if active_paid_count is None else active_paid_count
    if account.cycles_billed == 0 and is_active_paid(account):
        # Never charged yet (a confirmed transfer-in): its first charge is at the tier the agency had
        # before it, like a new account's (SPEC §3), so it does not count itself.
        count = max(0, count - 1)
    loses_discount = bool(account.discount_loss_pending)
    eligible = bool(account.discount_eligible) and not loses_discount
    tier = discount_tier(catalog.discount_tiers, count)
    percent = tier.percent if eligible else Decimal(0)
    choice, cycle, deal, price = _next_cycle(catalog, account, percent)
    migration = price.migration_percent
    start = account.period_end
    end = add_cycle(current_plan_of(account).anchor, start, choice.months)
    lines = [
        InvoiceLine(
            N_("{plan}, {start} to {end}"),
            price.plan_value,
            {"plan": describe_plan(choice), "start": start, "end": end},
        )
    ]
    if migration is not None and deal is not None:
        lines.append(
            InvoiceLine(
                N_("Migration discount ({percent}%), cycle {cycle} of {cycles}"),
                price.migration,
                {"percent": migration, "cycle": cycle, "cycles": deal.cycles},
            )
        )
    if eligible:
        lines.append(
            InvoiceLine(
                N_("Reseller discount ({percent}%; active paid accounts: {count})"),
                price.reseller,
                {"percent": percent, "count": count},
            )
        )
    else:
        lines.append(
            InvoiceLine(N_("No reseller discount: a client user administers this subscription"), ZERO)
        )
    tax = add_tax(catalog, account, choice, price.per_cycle, lines)
    total = round_money(price.per_cycle + tax)
    if balances is None:
        earmark, general = ledger.earmark_and_general(session, account.agency_id, "prepaid", account.id)
    else:
        earmark, general = balances
    return NextCharge(
        account_id=account.id,
        choice=choice,
        cycle_number=cycle,
        plan_value=price.plan_value,
        per_cycle=price.per_cycle,
        tax=tax,
        total=total,
        lines=tuple(lines),
        draw=ledger.plan_draw(total, earmark, general),
        reseller_percent=percent,
        active_paid_count=count,
        period_start=start,
        period_end=end,
        applies_change=bool(account.pending_change),
        loses_discount=loses_discount,
    )


def add_tax(
    catalog: Catalog, account: Account, choice: PlanChoice, amount: Decimal, lines: list[InvoiceLine]
) -> Decimal:
    spec = catalog.product(choice.product)
    if not isinstance(spec, PerSeatProduct) or spec.taxes != "vat":
        return ZERO
    # The treatment recorded when the subscription was made: with a VAT number, that number decides.
    country = None if account.vat_number else account.country
    taxes = resolve_taxes(catalog, spec, choice.product, account.vat_number, country)
    taxed, vat = tax_lines(taxes, amount)
    for line in taxed:
        if line.kind in ("vat", "vat_reverse_charge", "no_vat"):
            lines.append(InvoiceLine(line.label, line.amount or ZERO, dict(line.params)))
    return vat


def apply_renewal(account: Account, charge: NextCharge) -> dict[str, Any]:
    """Move the account into its new cycle; returns what changed, for the audit entry."""
    before = {
        "period_end": account.period_end.isoformat(),
        "price_per_cycle": str(account.price_per_cycle),
        "cycles_billed": account.cycles_billed,
    }
    if account.pending_change:
        for name, value in planned_columns(account).items():
            setattr(account, name, value)
        before["pending_change"] = account.pending_change
        account.pending_change = None
    if charge.loses_discount:
        account.discount_eligible = False
        account.discount_loss_pending = False
    account.period_start = charge.period_start
    account.period_end = charge.period_end
    account.price_per_cycle = charge.per_cycle
    account.cycles_billed = max(1, account.cycles_billed) + 1
    return before


def _next_cycle(
    catalog: Catalog, account: Account, reseller_percent: Decimal
) -> tuple[PlanChoice, int, MigrationDiscount | None, CyclePrice]:
    """The renewed plan, the cycle's number, the migration deal and the cycle's price at
    `reseller_percent`: what `next_charge`, the stored renewal terms and margins all price."""
    choice = renewed_choice(account)
    cycle = max(1, account.cycles_billed) + 1
    deal = migration_of(account)
    migration = deal.percent if deal is not None and deal.applies_to(cycle) else None
    price = cycle_price(catalog, choice, reseller_percent=reseller_percent, migration_percent=migration)
    return choice, cycle, deal, price


def renewal_terms(catalog: Catalog, account: Account) -> tuple[Decimal, int]:
    """(plan value of the next cycle after its migration discount, that cycle's months).

    The reseller discount is left out: it depends on the agency's tier on the day it is read, so
    margins apply it then (SQL in `domain.accounts.margins`), exactly as `next_charge` rounds it.
    """
    choice, _, _, price = _next_cycle(catalog, account, ZERO)
    return price.plan_value + price.migration, choice.months


def renewal_cost(catalog: Catalog, account: Account, tier_percent: Decimal) -> Decimal:
    """What the next renewal charges per cycle at `tier_percent` (before credit and taxes)."""
    eligible = bool(account.discount_eligible) and not account.discount_loss_pending
    return _next_cycle(catalog, account, Decimal(tier_percent) if eligible else ZERO)[3].per_cycle
