"""Pure rules of resold accounts: status machine, renewal eligibility, field validation, filters."""

from __future__ import annotations

from datetime import date

import pytest

from domain.accounts import rules
from domain.accounts.filters import Filters, parse_filters
from domain.accounts.rules import RenewalFacts, renewal_refusal
from domain.errors import Conflict, InvalidInput

TODAY = date(2026, 11, 25)


def facts(status: str, purchased: date, archived: date | None = None, **kw: object) -> RenewalFacts:
    values: dict[str, object] = {
        "status": status,
        "version": "V3",
        "is_commission": False,
        "purchased_on": purchased,
        "archived_on": archived,
        "period_end": date(2026, 11, 1),
    }
    values.update(kw)
    return RenewalFacts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("trial", "active", True),
        ("trial", "expired", True),
        ("trial", "cancelled", False),
        ("active", "disabled", True),
        ("disabled", "active", True),
        ("active", "cancelled", True),
        ("cancelled", "expired", True),
        ("expired", "archived", True),
        ("archived", "trial", False),
        ("expired", "disabled", False),
    ],
)
def test_status_machine(current: str, target: str, allowed: bool) -> None:
    """SPEC §4 transitions: trial→active/expired, active↔disabled, active→cancelled→expired→archived."""
    assert rules.can_move(current, target) is allowed
    if not allowed:
        with pytest.raises(Conflict):
            rules.require_move(current, target)


def test_purchased_on_cutoff_day_follows_the_new_rule() -> None:
    """Purchased on 2023-01-03 exactly: the newer rule, so an expired account is renewable."""
    assert renewal_refusal(facts("expired", date(2023, 1, 3)), TODAY) is None


def test_purchased_the_day_before_cutoff_expired_is_refused_with_edit_hint() -> None:
    """Purchased 2023-01-02 and expired: must choose a plan again through Edit."""
    refusal = renewal_refusal(facts("expired", date(2023, 1, 2)), TODAY)
    assert refusal is not None and "Edit" in refusal[0]


def test_old_purchase_cancelled_not_yet_expired_is_renewable() -> None:
    """Purchased before 2023-01-03 and cancelled (not yet ended): renewable."""
    assert renewal_refusal(facts("cancelled", date(2022, 6, 1)), TODAY) is None


def test_archived_less_than_a_year_is_renewable_under_both_rules() -> None:
    """Archived 364 days ago: renewable whatever the purchase date."""
    archived = date(2025, 11, 26)
    assert renewal_refusal(facts("archived", date(2022, 1, 1), archived), TODAY) is None
    assert renewal_refusal(facts("archived", date(2024, 1, 1), archived), TODAY) is None


def test_archived_exactly_one_year_is_never_renewable() -> None:
    """Archived a year ago today: never renewable, and the refusal says so."""
    refusal = renewal_refusal(facts("archived", date(2024, 1, 1), date(2025, 11, 25)), TODAY)
    assert refusal is not None and "never" in refusal[0]


@pytest.mark.parametrize("status", ["active", "disabled", "trial"])
def test_live_accounts_are_not_renewed_by_hand(status: str) -> None:
    """Active, disabled and trial accounts renew by themselves (or convert): Renew explains."""
    assert renewal_refusal(facts(status, date(2024, 1, 1)), TODAY) is not None


def test_free_and_commission_accounts_are_never_renewed() -> None:
    """Trials/sandboxes (V1) and commission accounts are not the agency's to renew."""
    assert renewal_refusal(facts("expired", date(2024, 1, 1), version="V1"), TODAY) is not None
    assert renewal_refusal(facts("expired", date(2024, 1, 1), is_commission=True), TODAY) is not None


@pytest.mark.parametrize("name", ["acme", "acme-shop", "a1", "x", "shop-2024"])
def test_valid_names(name: str) -> None:
    """Lowercase letters, digits and inner hyphens."""
    assert rules.clean_name(name) == name


@pytest.mark.parametrize("name", ["", "Acme", "-acme", "acme-", "acme_shop", "acme.shop", "a" * 64, "café"])
def test_invalid_names(name: str) -> None:
    """Anything else is refused on the name field."""
    with pytest.raises(InvalidInput) as info:
        rules.clean_name(name)
    assert info.value.field == "name"


@pytest.mark.parametrize("host", ["crm.acme.com", "a.b.example", "CRM.Acme.COM."])
def test_valid_hostnames(host: str) -> None:
    """Full hostnames, case and a trailing dot normalised."""
    assert rules.clean_hostname(host) == host.lower().rstrip(".")


@pytest.mark.parametrize("host", ["acme", "-a.com", "a..com", "a_b.com", "1.2.3.4", "a" * 64 + ".com"])
def test_invalid_hostnames(host: str) -> None:
    """Single labels, bad characters, IP addresses and over-long labels are refused."""
    with pytest.raises(InvalidInput):
        rules.clean_hostname(host)


def test_country_region_language_timezone() -> None:
    """Country by code or name gives its data-centre region; language and time zone are checked."""
    assert rules.clean_country("fr") == "FR" and rules.region_of("FR") == "eu"
    assert rules.clean_country("Canada") == "CA" and rules.region_of("CA") == "us"
    assert rules.region_of("AU") == "au" and rules.region_of("JP") == "global"
    assert rules.clean_language("es") == "es" and rules.clean_language("German") == "de"
    assert rules.clean_timezone("Europe/Rome") == "Europe/Rome"
    for bad in (
        lambda: rules.clean_country("Atlantis"),
        lambda: rules.clean_language("xx"),
        lambda: rules.clean_timezone("Mars/Base"),
    ):
        with pytest.raises(InvalidInput):
            bad()


def test_emails_are_validated_without_dns() -> None:
    """email-validator with check_deliverability=False: syntax only, normalised."""
    assert rules.clean_email("Boss@Acme.example", field="client_email") == "Boss@acme.example"
    with pytest.raises(InvalidInput) as info:
        rules.clean_email("not-an-email", field="client_email")
    assert info.value.field == "client_email"


def test_filters_default_and_round_trip() -> None:
    """No words: active accounts by name; every filter survives as_text → parse."""
    assert parse_filters([]) == Filters()
    f = parse_filters(
        ["status:expired", "plan:plus", "sort:-expiry", "search:acme", "freq:annual", "country:fr", "page:3"]
    )
    assert (f.status, f.plan, f.sort, f.descending, f.search, f.frequency, f.country, f.page) == (
        "expired",
        "plus",
        "expiry",
        True,
        "acme",
        "annual",
        "FR",
        3,
    )
    assert parse_filters(f.as_text().split()) == f


def test_filters_loose_words_search_and_bad_values_refused() -> None:
    """Words without a key are a search; unknown keys and values are refused with the choices."""
    assert parse_filters(["acme", "shop"]).search == "acme shop"
    assert parse_filters(["expires:2026-12-01..2026-12-31"]).expires_to == date(2026, 12, 31)
    for words in (
        ["status:gone"],
        ["plan:gold"],
        ["sort:price"],
        ["colour:red"],
        ["page:0"],
        ["created:yesterday"],
    ):
        with pytest.raises(InvalidInput):
            parse_filters(words)


def test_plan_size_orders_tier_then_contacts() -> None:
    """A bigger tier sorts above a smaller one whatever the contacts."""
    assert rules.plan_size("plus", 1000, None) > rules.plan_size("starter", 100_000, None)
    assert rules.plan_size("licenses", None, 12) == 12 and rules.plan_size("trial", None, None) == 0
