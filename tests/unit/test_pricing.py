"""The pricing engine: list prices, quotes in SPEC §3 order, proration, top-ups and taxes.

Amounts come from the packaged catalog; each test writes its arithmetic so a reader can check it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalog import Catalog, ContactsProduct, load_catalog
from domain.errors import InvalidInput
from domain.i18n import Count
from domain.periods import FREQUENCIES, Frequency, current_period
from domain.pricing import (
    CurrentPlan,
    MigrationDiscount,
    PlanChoice,
    Quote,
    QuoteLine,
    list_price,
    quote,
    topup_quote,
    validate_choice,
)

CATALOG: Catalog = load_catalog()
D = Decimal


def plan(
    tier: str | None = "plus",
    contacts: int | None = 2500,
    frequency: Frequency = "monthly",
    *,
    product: str = "marketing",
    seats: int | None = None,
    addons: tuple[str, ...] = (),
    limits: tuple[tuple[str, str | int], ...] = (),
    licenses: int | None = None,
) -> PlanChoice:
    return PlanChoice(
        "V3",
        product,
        tier=tier,
        contacts=contacts,
        frequency=frequency,
        seats=seats,
        addons=addons,
        limits=limits,
        licenses=licenses,
    )


def licenses(count: int, frequency: Frequency = "annual") -> PlanChoice:
    return PlanChoice("V3", "business-licenses", licenses=count, frequency=frequency)


def line(q: Quote, kind: str) -> QuoteLine:
    found = next((candidate for candidate in q.lines if candidate.kind == kind), None)
    assert found is not None, f"no {kind} line"
    return found


def amounts(q: Quote) -> list[tuple[str, Decimal | None]]:
    return [(each.kind, each.amount) for each in q.lines]


def assert_adds_up(q: Quote) -> None:
    """Lines 1-3 make the per-cycle line and today's amount plus VAT makes the total, to the cent."""
    parts = [
        each.amount
        for each in q.lines
        if each.kind in ("plan_value", "migration_discount", "reseller_discount")
    ]
    assert sum(p for p in parts if p is not None) == q.per_cycle
    assert line(q, "per_cycle").amount == q.per_cycle
    assert line(q, "today").amount == q.today
    assert q.today + q.vat == q.total_today
    for each in q.lines:
        assert each.amount is None or each.amount == each.amount.quantize(D("0.01"))


# --- list price ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (plan("starter", 1000), D("19.00")),
        (plan("starter", 1), D("19.00")),
        (plan("plus", 1001), D("99.00")),  # 1,001 contacts is the 2,500 bracket
        (plan("plus", 2500, "annual"), D("948.00")),  # the price of the yearly cycle
        (plan("enterprise", 100_000), D("1859.00")),
        # custom: 100,000 bracket + started blocks of 1,000 above it
        (plan("professional", 100_001), D("1473.00")),  # 1459 + 1 × 14.00
        (plan("professional", 130_500), D("1893.00")),  # 1459 + 31 × 14.00 (30,500 → 31 blocks)
        (plan("professional", 130_500, "annual"), D("18170.40")),  # 14004 + 31 × 134.40
        (plan("plus", 2500, product="bundle"), D("144.00")),  # bundle plus 2,500 monthly
        (plan("plus", 2500, seats=3), D("99.00")),  # plus includes 3 seats
        (plan("plus", 2500, seats=5), D("137.00")),  # 99 + 2 × 19.00
        (plan("plus", 2500, addons=("sms", "landing-pages")), D("148.00")),  # 99 + 10 + 39
        (licenses(5, "annual"), D("720.00")),  # 5 × 12.00 × 12 months
        (licenses(5, "monthly"), D("60.00")),  # 5 × 12.00
        (PlanChoice("V1", "EM", level="trial"), D("0.00")),
    ],
)
def test_list_price(choice: PlanChoice, expected: Decimal) -> None:
    """List price per cycle: bracket or custom rate, extra seats, add-ons (per-seat: licenses × months)."""
    validate_choice(CATALOG, choice)
    assert list_price(CATALOG, choice) == expected


def test_list_price_with_everything() -> None:
    """Enterprise 10,000 annual with extra seats, two add-ons, a custom and a named limit, summed."""
    choice = plan(
        "enterprise",
        10_000,
        "annual",
        seats=12,
        addons=("sms", "predictive-sending"),
        limits=(("email-sending", 25_000), ("activities", "extended")),
    )
    validate_choice(CATALOG, choice)
    # 5940.00 bracket + 2 × 374.40 seats + 96.00 sms + 470.40 predictive
    # + ceil(25,000 / 10,000) = 3 × 19.20 custom email sending + 192.00 extended activities
    assert list_price(CATALOG, choice) == D("5940.00") + D("748.80") + D("96.00") + D("470.40") + D(
        "57.60"
    ) + D("192.00")
    assert list_price(CATALOG, choice) == D("7504.80")


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "field", "words"),
    [
        (plan("starter", addons=("sms",)), "addons", "not available on starter"),
        (plan("gold"), "tier", "Unknown tier"),
        (plan(None), "tier", "Unknown tier"),
        (PlanChoice("V3", "newsletter"), "product", "Unknown product"),
        (PlanChoice("V2", "marketing"), "version", "Unknown pricing version"),
        (PlanChoice("V3", "EM", level="trial"), "product", "Unknown product"),
        (plan(contacts=0), "contacts", "above 0"),
        (plan(contacts=-5), "contacts", "above 0"),
        (plan(contacts=None), "contacts", "above 0"),
        (replace(plan(), frequency=cast(Frequency, "weekly")), "frequency", "`monthly` or `annual`"),
        (plan(seats=0), "seats", "includes 3"),
        (plan(seats=2), "seats", "includes 3"),
        (plan(addons=("fax",)), "addons", "Unknown add-on"),
        (plan(addons=("sms", "sms")), "addons", "twice"),
        (plan("plus", addons=("predictive-sending",)), "addons", "professional, enterprise"),
        (plan("enterprise", limits=(("activities", "custom"),)), "limits", "needs a number"),
        (plan("enterprise", limits=(("activities", 0),)), "limits", "needs a number above 0"),
        (plan("plus", limits=(("activities", 50_000),)), "limits", "available on: professional, enterprise"),
        (
            plan("starter", limits=(("activities", "extended"),)),
            "limits",
            "not available for the activities limit on starter",
        ),
        (plan(limits=(("api-calls", "standard"),)), "limits", "Unknown account limit"),
        (plan(limits=(("activities", "standard"), ("activities", "extended"))), "limits", "set twice"),
        (plan(licenses=3), "licenses", "does not apply"),
        (licenses(0), "licenses", "at least 1"),
        (licenses(-2), "licenses", "at least 1"),
        (replace(licenses(2), tier="plus"), "tier", "does not apply"),
        (PlanChoice("V1", "EM", level="gold"), "level", "trial, sandbox"),
        (PlanChoice("V1", "EM"), "level", "trial, sandbox"),
        (PlanChoice("V1", "EM", level="trial", contacts=1000), "contacts", "does not apply"),
    ],
)
def test_invalid_choices_are_refused(choice: PlanChoice, field: str, words: str) -> None:
    """Each broken rule is refused on its field with a message saying what to write."""
    with pytest.raises(InvalidInput) as caught:
        validate_choice(CATALOG, choice)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_unknown_tier_message_has_a_valid_example() -> None:
    """The example in an error is itself a valid choice of this catalog."""
    with pytest.raises(InvalidInput) as caught:
        validate_choice(CATALOG, plan("gold"))
    assert caught.value.params["choices"] == "starter, plus, professional, enterprise"
    assert caught.value.params["example"] == "marketing plus 2500 annual"
    validate_choice(CATALOG, plan("plus", 2500, "annual"))


def test_free_plans_have_nothing_to_quote() -> None:
    """V1 trial and sandbox accounts are free: a quote for them is refused, not zero-priced."""
    for level in ("trial", "sandbox"):
        choice = PlanChoice("V1", "EM", level=level)
        validate_choice(CATALOG, choice)
        with pytest.raises(InvalidInput, match="free"):
            quote(CATALOG, choice, active_paid_count=3, today=date(2024, 1, 1))


# --- new accounts ----------------------------------------------------------------------------------


def test_new_account_quote_in_spec_order() -> None:
    """New plan value, reseller discount on it, per cycle, today = one full cycle, taxes not included."""
    q = quote(CATALOG, plan("plus", 2500), active_paid_count=2, today=date(2024, 5, 6))
    # 99.00 list; 25% of 99.00 = 24.75; 99.00 - 24.75 = 74.25 per cycle, all due today
    assert amounts(q) == [
        ("plan_value", D("99.00")),
        ("reseller_discount", D("-24.75")),
        ("per_cycle", D("74.25")),
        ("today", D("74.25")),
        ("taxes_not_included", None),
    ]
    assert q.effect == "new"
    assert (q.period_start, q.period_end, q.renewal) == (date(2024, 5, 6), date(2024, 6, 6), date(2024, 6, 6))
    assert line(q, "taxes_not_included").label == "Taxes not included."
    assert_adds_up(q)


def test_new_account_uses_the_count_before_it() -> None:
    """The agency's single account gives 0% on the second account's first charge; the next cycle sees 25%."""
    q = quote(CATALOG, plan("plus", 2500), active_paid_count=1, today=date(2024, 5, 6))
    assert q.reseller_percent == 0
    assert q.today == D("99.00")
    assert q.tier.accounts_to_next == 1
    assert q.tier_next_cycle is not None and q.tier_next_cycle.percent == 25
    assert any("from the next charge" in note.message for note in q.notes)


def test_annual_at_35_percent() -> None:
    """An annual cycle is priced at the yearly list price: 948.00 - 35% (331.80) = 616.20 for a year."""
    q = quote(CATALOG, plan("plus", 2500, "annual"), active_paid_count=25, today=date(2024, 2, 29))
    assert (q.plan_value, q.per_cycle, q.today) == (D("948.00"), D("616.20"), D("616.20"))
    assert q.renewal == date(2025, 2, 28)  # created on 29 Feb: the month's last day next year
    assert q.tier_next_cycle is not None and q.tier_next_cycle.percent == 35  # 26 is still 35%


@pytest.mark.parametrize(
    ("created", "renewal"),
    [
        (date(2024, 1, 31), date(2024, 2, 29)),
        (date(2023, 1, 31), date(2023, 2, 28)),
        (date(2024, 1, 15), date(2024, 2, 15)),
    ],
)
def test_new_account_renewal_day(created: date, renewal: date) -> None:
    """A new account renews on its creation day; 29-31 falls back to the month's last day."""
    q = quote(CATALOG, plan(), active_paid_count=0, today=created)
    assert q.renewal == renewal == q.period_end


def test_migration_then_reseller_discount_rounded_half_up() -> None:
    """Migration 10% first (99.00 → 89.10), then 25% on what remains: 22.275 rounds half-up to 22.28."""
    deal = MigrationDiscount(percent=D(10), cycles=3)
    q = quote(CATALOG, plan("plus", 2500), active_paid_count=5, today=date(2024, 5, 6), migration=deal)
    assert amounts(q)[:4] == [
        ("plan_value", D("99.00")),
        ("migration_discount", D("-9.90")),
        ("reseller_discount", D("-22.28")),
        ("per_cycle", D("66.82")),  # 99.00 - 9.90 - 22.28
    ]
    assert_adds_up(q)


def test_no_discount_when_a_client_administers() -> None:
    """discount_eligible=False prices at 0% reseller discount whatever the tier, and says why."""
    q = quote(
        CATALOG,
        licenses(5),
        active_paid_count=60,
        today=date(2024, 3, 10),
        customer_country="FR",
        discount_eligible=False,
    )
    assert q.tier.percent == 45
    assert q.reseller_percent == 0
    assert q.per_cycle == D("720.00")
    assert any("no reseller discount" in note.message for note in q.notes)


# --- taxes -----------------------------------------------------------------------------------------


def test_vat_by_customer_country() -> None:
    """No VAT number: today's amount bears the country's rate on its own line (540.00 × 19% = 102.60)."""
    q = quote(CATALOG, licenses(5), active_paid_count=5, today=date(2024, 3, 10), customer_country="de")
    # 5 × 12.00 × 12 = 720.00; 25% = 180.00; 540.00 per year, due today
    assert amounts(q)[3:] == [("today", D("540.00")), ("vat", D("102.60")), ("total_today", D("642.60"))]
    assert line(q, "vat").params == {"rate": D("19"), "country": "DE"}
    assert_adds_up(q)


def test_valid_vat_number_is_reverse_charged() -> None:
    """A valid EU VAT number removes VAT: a zero reverse-charge line naming the number."""
    q = quote(
        CATALOG, licenses(5), active_paid_count=5, today=date(2024, 3, 10), vat_number="FR 403 032 650 45"
    )
    assert amounts(q)[3:] == [
        ("today", D("540.00")),
        ("vat_reverse_charge", D("0.00")),
        ("total_today", D("540.00")),
    ]
    assert q.vat_number is not None and q.vat_number.number == "FR40303265045"


def test_invalid_vat_number_is_refused_with_the_reason() -> None:
    """An invalid VAT number refuses the quote on the vat field, saying what is wrong."""
    with pytest.raises(InvalidInput) as caught:
        quote(CATALOG, licenses(5), active_paid_count=5, today=date(2024, 3, 10), vat_number="FR40303265046")
    assert caught.value.field == "vat"
    assert "check digits" in str(caught.value)


def test_vat_product_needs_a_country_or_number() -> None:
    """Without a VAT number or a country the VAT cannot be computed: ask for one."""
    with pytest.raises(InvalidInput) as caught:
        quote(CATALOG, licenses(5), active_paid_count=5, today=date(2024, 3, 10))
    assert caught.value.field == "country"


def test_customer_outside_the_eu_pays_no_vat() -> None:
    """A country with no rate in the catalog gets a zero 'no VAT' line."""
    q = quote(CATALOG, licenses(5), active_paid_count=5, today=date(2024, 3, 10), customer_country="US")
    assert line(q, "no_vat").amount == 0 and q.vat == 0 and q.total_today == D("540.00")


def test_contact_products_ignore_vat_numbers() -> None:
    """Contact-tiered products are quoted 'Taxes not included.' even when a VAT number is given."""
    q = quote(CATALOG, plan(), active_paid_count=0, today=date(2024, 1, 1), vat_number="FR40303265046")
    assert line(q, "taxes_not_included").amount is None and q.total_today == q.today


# --- plan changes ----------------------------------------------------------------------------------

# Created 31 Jan 2024, monthly: the second cycle runs 29 Feb → 31 Mar (31 days).
ANCHOR = date(2024, 1, 31)
PLUS_4_SEATS_SMS = plan("plus", 2500, seats=4, addons=("sms",))  # 99 + 1 × 19 + 10 = 128.00
CURRENT = CurrentPlan(PLUS_4_SEATS_SMS, ANCHOR, date(2024, 2, 29), date(2024, 3, 31), cycles_billed=2)


def test_upgrade_mid_cycle_charges_the_prorated_difference() -> None:
    """Upgrade now: (new - current per cycle) × remaining days / days in the cycle, rounded once."""
    new = plan("professional", 2500, seats=5, addons=("sms",))  # 229 + 0 extra seats + 10 = 239.00
    q = quote(CATALOG, new, active_paid_count=30, today=date(2024, 3, 10), current=CURRENT)
    # at 35%: current 128.00 - 44.80 = 83.20; new 239.00 - 83.65 = 155.35; difference 72.15
    # 10 Mar → 31 Mar = 21 days left of 31: 72.15 × 21 / 31 = 48.8758… → 48.88
    assert amounts(q)[:4] == [
        ("plan_value", D("239.00")),
        ("reseller_discount", D("-83.65")),
        ("per_cycle", D("155.35")),
        ("today", D("48.88")),
    ]
    assert q.effect == "now"
    assert (q.period_start, q.period_end, q.renewal) == (
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 3, 31),
    )
    assert line(q, "today").params["days"] == 21
    assert_adds_up(q)


def test_upgrade_on_the_first_day_charges_the_whole_difference() -> None:
    """On the period's first day every day remains: today is the full per-cycle difference."""
    q = quote(
        CATALOG,
        plan("plus", 5000, seats=4, addons=("sms",)),
        active_paid_count=0,
        today=date(2024, 2, 29),
        current=CURRENT,
    )
    assert q.today == D("50.00")  # 149 - 99 at 0%


@pytest.mark.parametrize(
    "new",
    [
        plan("starter", 2500),  # lower tier, and sms is not on starter anyway
        plan("plus", 1000, seats=4, addons=("sms",)),  # fewer contacts
        plan("plus", 2500, seats=3, addons=("sms",)),  # fewer seats
        plan("plus", 2500, seats=4),  # add-on removed
        plan("plus", 5000, seats=3, addons=("sms",)),  # more contacts but fewer seats: waits too
    ],
)
def test_downgrade_waits_for_renewal(new: PlanChoice) -> None:
    """Anything smaller takes effect at the next renewal with nothing to pay today and no refund."""
    q = quote(CATALOG, new, active_paid_count=30, today=date(2024, 3, 10), current=CURRENT)
    assert q.effect == "at_renewal"
    assert q.today == 0
    assert (q.period_start, q.period_end, q.renewal) == (
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 3, 31),
    )
    note = next(n for n in q.notes if n.message.startswith("Downgrade"))
    assert note.message == "Downgrade: takes effect at the next renewal on {date}; no refund."
    assert note.params == {"date": date(2024, 3, 31)}


def test_frequency_change_waits_for_renewal_and_keeps_the_anchor_day() -> None:
    """Monthly → annual applies at the renewal on 31 Mar; the yearly cycle then ends 31 Mar 2025."""
    new = replace(PLUS_4_SEATS_SMS, frequency="annual")
    q = quote(CATALOG, new, active_paid_count=0, today=date(2024, 3, 10), current=CURRENT)
    assert q.effect == "at_renewal"
    assert q.today == 0
    assert q.per_cycle == D("1226.40")  # 948.00 + 182.40 seat + 96.00 sms
    assert (q.period_start, q.period_end) == (date(2024, 3, 31), date(2025, 3, 31))
    assert any(n.message.startswith("Billing frequency change") for n in q.notes)


def test_migration_discount_only_while_cycles_remain() -> None:
    """A migration discount for the first 2 cycles applies in cycle 2, not from cycle 3 on."""
    deal = MigrationDiscount(percent=D(20), cycles=2)
    up = quote(
        CATALOG,
        plan("plus", 5000, seats=4, addons=("sms",)),
        active_paid_count=0,
        today=date(2024, 3, 10),
        current=CURRENT,
        migration=deal,
    )
    assert up.line("migration_discount") is not None  # the upgrade is in cycle 2
    down = quote(
        CATALOG,
        plan("plus", 1000),
        active_paid_count=0,
        today=date(2024, 3, 10),
        current=CURRENT,
        migration=deal,
    )
    assert down.line("migration_discount") is None  # the downgrade starts cycle 3
    assert down.per_cycle == D("59.00")
    assert any("has ended" in n.message for n in down.notes)


def test_trial_conversion_is_priced_as_a_new_account() -> None:
    """Converting a V1 trial bills a full cycle today from a new renewal day."""
    trial = CurrentPlan(
        PlanChoice("V1", "EM", level="trial"), date(2024, 3, 1), date(2024, 3, 1), date(2024, 3, 15)
    )
    q = quote(CATALOG, plan(), active_paid_count=0, today=date(2024, 3, 10), current=trial)
    assert q.effect == "new" and q.today == q.per_cycle == D("99.00") and q.renewal == date(2024, 4, 10)


def test_same_plan_and_model_changes_are_refused() -> None:
    """Quoting the current plan again, or moving between pricing models, is refused."""
    with pytest.raises(InvalidInput, match="already the plan"):
        quote(CATALOG, PLUS_4_SEATS_SMS, active_paid_count=0, today=date(2024, 3, 10), current=CURRENT)
    with pytest.raises(InvalidInput) as caught:
        quote(
            CATALOG,
            licenses(5),
            active_paid_count=0,
            today=date(2024, 3, 10),
            current=CURRENT,
            customer_country="FR",
        )
    assert caught.value.field == "product"


# --- per-seat top-up -------------------------------------------------------------------------------

SUBSCRIPTION = CurrentPlan(licenses(5), date(2024, 3, 10), date(2024, 3, 10), date(2025, 3, 10))


def test_topup_50_days_left_is_2_months() -> None:
    """Top-up on 19 Jan with the year ending 10 Mar (50 days): 2 licenses × 2 months × 9.00 = 36.00."""
    q = topup_quote(
        CATALOG, SUBSCRIPTION, 2, today=date(2025, 1, 19), active_paid_count=5, customer_country="SE"
    )
    # discounted monthly license: 12.00 - 25% (3.00) = 9.00; VAT SE 25% of 36.00 = 9.00
    assert q.today == D("36.00")
    assert line(q, "today").params == {
        "licenses": Count(2, "{n} license", "{n} licenses"),
        "months": Count(2, "{n} month", "{n} months"),
        "unit": D("9.00"),
        "date": date(2025, 3, 10),
    }
    assert (q.vat, q.total_today) == (D("9.00"), D("45.00"))
    # the subscription's next yearly cycle: 7 × 12.00 × 12 = 1008.00 - 25% = 756.00
    assert (q.plan_value, q.per_cycle) == (D("1008.00"), D("756.00"))
    assert q.effect == "now" and q.choice.licenses == 7
    assert_adds_up(q)


def test_topup_on_the_first_day_charges_the_whole_year() -> None:
    """With the whole year left, a top-up is 12 months: 1 × 12 × 12.00 at 0% = 144.00."""
    q = topup_quote(
        CATALOG, SUBSCRIPTION, 1, today=date(2024, 3, 10), active_paid_count=0, vat_number="DE136695976"
    )
    assert q.today == D("144.00") and q.vat == 0


def test_more_licenses_through_quote_is_a_topup() -> None:
    """Asking quote() for more licenses gives the same top-up charge as topup_quote()."""
    via_quote = quote(
        CATALOG,
        licenses(7),
        active_paid_count=5,
        today=date(2025, 1, 19),
        current=SUBSCRIPTION,
        customer_country="SE",
    )
    via_topup = topup_quote(
        CATALOG, SUBSCRIPTION, 2, today=date(2025, 1, 19), active_paid_count=5, customer_country="SE"
    )
    assert via_quote == via_topup


def test_fewer_licenses_wait_for_renewal() -> None:
    """Fewer licenses is a downgrade: next renewal, nothing today."""
    q = quote(
        CATALOG,
        licenses(3),
        active_paid_count=5,
        today=date(2025, 1, 19),
        current=SUBSCRIPTION,
        customer_country="SE",
    )
    assert q.effect == "at_renewal" and q.today == 0 and q.renewal == date(2025, 3, 10)


@pytest.mark.parametrize("extra", [0, -1])
def test_topup_needs_at_least_one_license(extra: int) -> None:
    """Zero or negative extra licenses are refused on the licenses field."""
    with pytest.raises(InvalidInput) as caught:
        topup_quote(
            CATALOG, SUBSCRIPTION, extra, today=date(2025, 1, 19), active_paid_count=5, customer_country="SE"
        )
    assert caught.value.field == "licenses"


def test_topup_only_for_per_seat_products() -> None:
    """A contact-tiered plan has no licenses to top up."""
    with pytest.raises(InvalidInput, match="not sold per license"):
        topup_quote(CATALOG, CURRENT, 1, today=date(2024, 3, 10), active_paid_count=0)


# --- properties ------------------------------------------------------------------------------------

COUNTRIES = [*CATALOG.vat_rates, "US"]


@st.composite
def contact_choices(
    draw: st.DrawFn, product: str | None = None, frequency: Frequency | None = None
) -> PlanChoice:
    name = product or draw(st.sampled_from(["marketing", "sales", "bundle"]))
    spec = CATALOG.product(name)
    assert isinstance(spec, ContactsProduct)
    tier = draw(st.sampled_from(list(spec.tiers)))
    included = spec.tiers[tier].included_seats
    allowed = sorted(n for n, addon in spec.addons.items() if tier in addon.tiers)
    limits = [
        (limit_name, draw(st.sampled_from(limit.choices_on(tier))))
        for limit_name, limit in spec.limits.items()
        if draw(st.booleans())
    ]
    chosen: Frequency = frequency if frequency is not None else draw(st.sampled_from(FREQUENCIES))
    return plan(
        tier,
        draw(st.integers(1, 300_000)),
        chosen,
        product=name,
        seats=draw(st.none() | st.integers(included, included + 5)),
        addons=tuple(draw(st.lists(st.sampled_from(allowed), unique=True))) if allowed else (),
        limits=tuple(limits),
    )


seat_choices = st.builds(licenses, st.integers(1, 500), st.sampled_from(FREQUENCIES))
any_choice = contact_choices() | seat_choices
migrations = st.none() | st.builds(MigrationDiscount, st.decimals(0, 100, places=2), st.integers(1, 24))
counts = st.integers(0, 150)


def _quote(
    choice: PlanChoice,
    count: int,
    *,
    today: date,
    current: CurrentPlan | None = None,
    migration: MigrationDiscount | None = None,
) -> Quote:
    return quote(
        CATALOG,
        choice,
        active_paid_count=count,
        today=today,
        current=current,
        migration=migration,
        customer_country="FR",
    )


@st.composite
def changes(draw: st.DrawFn) -> tuple[PlanChoice, PlanChoice]:
    """Two plans of one product and frequency: the current one and a change to it."""
    product = draw(st.sampled_from(["marketing", "sales", "bundle"]))
    frequency = draw(st.sampled_from(FREQUENCIES))
    return draw(contact_choices(product, frequency)), draw(contact_choices(product, frequency))


@given(any_choice, counts, counts, migrations)
def test_bigger_discount_never_raises_the_price(
    choice: PlanChoice, a: int, b: int, deal: MigrationDiscount | None
) -> None:
    """Per cycle, a larger count of active paid accounts never costs more."""
    low, high = sorted((a, b))
    day = date(2024, 6, 1)
    assert (
        _quote(choice, high, today=day, migration=deal).per_cycle
        <= _quote(choice, low, today=day, migration=deal).per_cycle
    )


@given(
    changes(),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(0, 400),
    counts,
    migrations,
)
@settings(max_examples=200)
def test_today_never_exceeds_one_cycle(
    pair: tuple[PlanChoice, PlanChoice], anchor: date, offset: int, count: int, deal: MigrationDiscount | None
) -> None:
    """Whatever the change and the day, today's charge is between zero and one cycle of the new plan."""
    old, new = pair
    if old == new:
        return
    today = date.fromordinal(anchor.toordinal() + offset)
    period = current_period(anchor, today, old.months)
    elapsed = (period.start.year - anchor.year) * 12 + period.start.month - anchor.month
    cycles = elapsed // old.months + 1
    current = CurrentPlan(old, anchor, period.start, period.end, cycles_billed=cycles)
    q = _quote(new, count, today=today, current=current, migration=deal)
    assert 0 <= q.today <= q.per_cycle
    assert_adds_up(q)


@given(
    st.integers(1, 300),
    st.integers(1, 300),
    st.sampled_from(FREQUENCIES),
    st.integers(0, 366),
    counts,
)
def test_topup_never_exceeds_one_cycle(
    held: int, extra: int, frequency: Frequency, offset: int, count: int
) -> None:
    """A license top-up costs at most one cycle of the grown subscription."""
    anchor = date(2024, 2, 29)
    today = date.fromordinal(anchor.toordinal() + offset)
    choice = licenses(held, frequency)
    period = current_period(anchor, today, choice.months)
    current = CurrentPlan(choice, anchor, period.start, period.end)
    q = topup_quote(CATALOG, current, extra, today=today, active_paid_count=count, customer_country="IT")
    assert 0 < q.today <= q.per_cycle
    assert_adds_up(q)


@given(any_choice, counts, migrations, st.sampled_from(COUNTRIES), st.booleans(), st.booleans())
def test_lines_always_add_up(
    choice: PlanChoice,
    count: int,
    deal: MigrationDiscount | None,
    country: str,
    reverse: bool,
    eligible: bool,
) -> None:
    """Discount lines make the per-cycle amount and today plus VAT makes the total, to the cent."""
    q = quote(
        CATALOG,
        choice,
        active_paid_count=count,
        today=date(2024, 1, 31),
        migration=deal,
        customer_country="FR" if reverse else country,  # a VAT number is of the customer's country
        vat_number="FR40303265045" if reverse else None,
        discount_eligible=eligible,
    )
    assert_adds_up(q)
    assert q.today == q.per_cycle  # a new account pays one full cycle today


@pytest.mark.parametrize(
    ("choice", "field"),
    [
        (plan(contacts=1_000_000_001), "contacts"),
        (plan(seats=10**30), "seats"),
        (licenses(10**12), "licenses"),
        (plan("enterprise", limits=(("activities", 10**20),)), "limits"),
    ],
)
def test_absurd_quantities_are_refused_before_pricing(choice: PlanChoice, field: str) -> None:
    """Counts above a billion are typing mistakes: refused on their field, without echoing the number."""
    with pytest.raises(InvalidInput) as caught:
        validate_choice(CATALOG, choice)
    assert caught.value.field == field and "at most" in caught.value.message
    validate_choice(CATALOG, plan(contacts=5_000_000))  # the catalog's max_contacts
