"""The rows of a bulk demo portfolio (`bot.shell.seed` writes them): a realistic spread of products,
tiers, statuses, billing frequencies and renewal days, drawn from a seeded random generator so the
same seed gives the same portfolio. Apart from the writer so the shape of a demo account can be read
(and tested) without a database."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.accounts.rules import NEVER_ENDS, plan_size
from domain.catalog import load_catalog
from domain.periods import Frequency, add_cycle, current_period, renewal_on
from domain.portfolio import PER_SEAT_TIER
from domain.pricing import PlanChoice, list_price

STATUSES = [("active", 70), ("disabled", 3), ("trial", 8), ("cancelled", 5), ("expired", 7), ("archived", 5)]
PRODUCTS = [("marketing", 55), ("sales", 15), ("bundle", 20), ("business-licenses", 10)]
TIERS = [("starter", 30), ("plus", 40), ("professional", 22), ("enterprise", 8)]
BRACKETS = [(1_000, 25), (2_500, 25), (5_000, 20), (10_000, 15), (25_000, 9), (50_000, 4), (100_000, 2)]
COUNTRIES = [("FR", 30), ("IT", 25), ("US", 15), ("DE", 10), ("ES", 8), ("BE", 6), ("CA", 6)]
WORDS = (
    "alpine",
    "baker",
    "cobalt",
    "delta",
    "ember",
    "fjord",
    "granite",
    "harbor",
    "indigo",
    "juniper",
    "kestrel",
    "lumen",
    "maple",
    "nimbus",
    "orchid",
    "pioneer",
    "quartz",
    "riviera",
    "sierra",
    "tundra",
)
COLUMNS = (
    "provider_ref",
    "agency_id",
    "name",
    "client_name",
    "client_email",
    "notification_email",
    "country",
    "region",
    "language",
    "timezone",
    "pricing_version",
    "product",
    "tier",
    "contacts",
    "frequency",
    "seats",
    "addons",
    "limits",
    "plan_size",
    "status",
    "status_changed_at",
    "created_at",
    "purchased_on",
    "renewal_day",
    "period_start",
    "period_end",
    "is_commission",
    "billing_profile_id",
    "payment_method",
    "price_per_cycle",
    "cycles_billed",
    "discount_eligible",
    "discount_loss_pending",
    "client_price",
    "client_price_per",
    "created_by",
    "archived_on",
    "referred_on",
)


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


_PRICES: dict[tuple[str, str, int | None, int | None, str], Decimal] = {}


def list_price_of(
    product: str, tier: str, contacts: int | None, seats: int | None, frequency: str
) -> Decimal:
    """The catalog's list price for a demo plan, so demo figures read like real ones."""
    key = (product, tier, contacts, seats, frequency)
    if key not in _PRICES:
        catalog = load_catalog()
        freq: Frequency = "annual" if frequency == "annual" else "monthly"
        if tier == "trial":
            choice = None
        elif tier == "licenses":
            choice = PlanChoice(version="V3", product=product, frequency=freq, licenses=seats)
        else:
            choice = PlanChoice(version="V3", product=product, tier=tier, contacts=contacts, frequency=freq)
        _PRICES[key] = (
            Decimal("0.00") if choice is None else list_price(catalog, choice).quantize(Decimal("0.01"))
        )
    return _PRICES[key]


def _trial_days() -> int:
    """How long the catalog's EM trial lasts, as the add service starts one."""
    level = load_catalog().product("EM").levels["trial"]  # type: ignore[union-attr]
    return int(level.days or 14)


def _dates(rng: random.Random, status: str, months: int, today: date) -> dict[str, Any]:
    """Anchor, renewal day, period and cycles as real accounts have them (domain.accounts.invariants):
    the period is the cycle of the anchor that contains today (open accounts) or one that ended
    before it (expired and archived), and the renewal day is the anchor's own day."""
    cycle_days = 31 * months
    if status in ("expired", "archived"):  # at least one cycle old, so a whole cycle can have ended
        age = rng.randint(cycle_days + 1, cycle_days + 900)
    else:
        age = rng.randint(1, 900)
    anchor = today - timedelta(days=age)
    current = current_period(anchor, today, months)
    elapsed = (current.start.year - anchor.year) * 12 + current.start.month - anchor.month
    cycles = elapsed // months
    if status in ("expired", "archived"):
        cycles = max(0, cycles - 1 - rng.randint(0, 2))  # the last cycle billed ended on or before today
    start = renewal_on(anchor, cycles, months)
    return {
        "anchor": anchor,
        "period_start": start,
        "period_end": add_cycle(anchor, start, months),
        "cycles_billed": cycles + 1,
    }


def rows(
    agency_id: int, profile_id: int, *, start: int, count: int, today: date, seed: int
) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed + start)
    trial_days = _trial_days()
    for n in range(start, start + count):
        status = _pick(rng, STATUSES)
        product = _pick(rng, PRODUCTS)
        per_seat = product == "business-licenses"
        tier = PER_SEAT_TIER if per_seat else _pick(rng, TIERS)
        commission = status == "active" and rng.random() < 0.02
        annual = rng.random() < 0.2 and status != "trial" and not commission
        months = 12 if annual else 1
        purchased: date | None = None
        if status == "trial":
            product, tier, per_seat = "EM", "trial", False
            anchor = today - timedelta(days=rng.randint(0, trial_days - 1))
            end = anchor + timedelta(days=trial_days)
            dates: dict[str, Any] = {"period_start": anchor, "period_end": end, "cycles_billed": 0}
        elif commission:
            anchor = today - timedelta(days=rng.randint(1, 900))
            dates = {"period_start": anchor, "period_end": NEVER_ENDS, "cycles_billed": 0}
        else:
            dates = _dates(rng, status, months, today)
            anchor = purchased = dates.pop("anchor")
        dates["renewal_day"] = anchor.day
        created = datetime.combine(anchor, datetime.min.time(), UTC)
        ended = datetime.combine(dates["period_end"], datetime.min.time(), UTC)
        contacts = None if per_seat or status == "trial" else _pick(rng, BRACKETS)
        seats = rng.randint(3, 60) if per_seat else None
        country = _pick(rng, COUNTRIES)
        word = WORDS[n % len(WORDS)]
        frequency = "annual" if annual else "monthly"
        price = Decimal("0.00") if commission else list_price_of(product, tier, contacts, seats, frequency)
        yield {
            "agency_id": agency_id,
            "name": f"{word}-{n:07d}",
            "client_name": f"{word.title()} {n}",
            "client_email": f"owner{n}@{word}.example",
            "notification_email": "ops@agency.example",
            "country": country,
            "region": "us" if country in ("US", "CA") else "eu",
            "language": {"FR": "fr", "IT": "it", "BE": "fr"}.get(country, "en"),
            "timezone": "Europe/Paris",
            "pricing_version": "V1" if status == "trial" else "V3",
            "product": product,
            "tier": tier,
            "contacts": contacts,
            "frequency": frequency,
            "seats": seats,
            "addons": json.dumps(["sms"] if tier in ("plus", "professional") and rng.random() < 0.3 else []),
            "limits": json.dumps({}),
            "plan_size": plan_size(tier, contacts, seats if per_seat else None),
            "status": status,
            "status_changed_at": ended if status in ("expired", "archived") else created,
            "created_at": created,
            "purchased_on": purchased,
            **dates,
            "archived_on": dates["period_end"] if status == "archived" else None,
            "referred_on": anchor if commission else None,
            "is_commission": commission,
            "billing_profile_id": None if commission else profile_id,
            "payment_method": "provider" if commission else "card",
            "price_per_cycle": price,
            # No migration discount, no scheduled change: the next cycle's base is its list price.
            "renewal_base": price,
            "renewal_months": months,
            "discount_eligible": not commission,
            "discount_loss_pending": False,
            "client_price": Decimal(rng.randint(30, 1200)) if rng.random() < 0.5 else None,
            "client_price_per": "month",
            "created_by": "seed",
            "provider_ref": f"acc_seed_{n:07d}",
        }
