"""Pure rules of license seats: emails, capacity, the term, the administrator warning."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n import Translator
from domain.errors import InvalidInput
from domain.seats.rules import (
    ADMIN_WARNING,
    Capacity,
    LicensesExhausted,
    account_name_for,
    check_room,
    frequency_from_months,
    new_emails,
    parse_emails,
    split_emails,
    term_end,
)


def test_emails_are_deduplicated_case_insensitively_in_typed_order() -> None:
    """The same address typed twice in different cases is one member, stored lower-case."""
    assert parse_emails("Ana@Example.com, bo@example.com\nANA@example.COM; <cy@example.com>") == [
        "ana@example.com",
        "bo@example.com",
        "cy@example.com",
    ]


def test_slack_mailto_links_are_read_as_their_address() -> None:
    """Slack turns a typed address into <mailto:a@b|a@b>; it is still that address."""
    assert parse_emails(["<mailto:Ana@Example.com|Ana@Example.com>"]) == ["ana@example.com"]


@pytest.mark.parametrize("bad", ["ana", "ana@", "@example.com", "ana@@example.com", "ana@example..com"])
def test_an_invalid_email_is_refused_by_name(bad: str) -> None:
    """Any invalid address refuses the whole request and names the address."""
    with pytest.raises(InvalidInput) as caught:
        parse_emails(f"ok@example.com {bad}")
    assert caught.value.field == "emails"
    assert caught.value.params["email"] == bad


def test_no_email_at_all_is_refused() -> None:
    """An empty list is a mistake, not a no-op."""
    with pytest.raises(InvalidInput):
        parse_emails(" ,; ")


def test_split_accepts_spaces_commas_semicolons_and_lines() -> None:
    """However the addresses were pasted, each one is found."""
    assert split_emails("a@x.io,b@x.io;c@x.io\n d@x.io") == ["a@x.io", "b@x.io", "c@x.io", "d@x.io"]


def test_members_already_there_are_not_new() -> None:
    """Adding an existing member again takes no second license."""
    assert new_emails(["ana@x.io", "bo@x.io"], ["ANA@x.io"]) == ["bo@x.io"]


def test_capacity_counts_free_licenses() -> None:
    """Free is bought minus used, never below zero."""
    assert Capacity(5, 3).free == 2
    assert Capacity(2, 3).free == 0


def test_more_members_than_free_licenses_adds_none_and_says_how_many_are_free() -> None:
    """All or nothing; the refusal carries the free count and what to buy."""
    check_room("acme", Capacity(5, 3), 2)
    with pytest.raises(LicensesExhausted) as caught:
        check_room("acme", Capacity(5, 3), 4)
    assert caught.value.free == 2 and caught.value.asked == 4 and caught.value.shortfall == 2
    text = Translator("en")(caught.value.message, **caught.value.params)
    assert "2 free licenses and you asked for 4 new members" in text and "none were added" in text


def test_annual_term_ends_with_the_billing_period() -> None:
    """Billed every 12 months: the year and the billing period end together."""
    assert term_end(date(2026, 1, 31), date(2027, 1, 31)) == date(2028, 1, 31)


def test_monthly_billing_keeps_the_one_year_term_from_the_anchor() -> None:
    """Billed every month, the subscription still runs a year from its creation day."""
    anchor = date(2026, 11, 25)
    assert term_end(anchor, date(2026, 11, 25)) == date(2027, 11, 25)
    assert term_end(anchor, date(2027, 10, 25)) == date(2027, 11, 25)
    assert term_end(anchor, date(2027, 11, 25)) == date(2028, 11, 25)


def test_admin_warning_says_the_discount_is_lost_from_the_next_renewal() -> None:
    """The confirm step warns in those words, with the renewal date."""
    text = Translator("en")(ADMIN_WARNING, email="ana@x.io", date=date(2027, 1, 5))
    assert "loses the reseller discount from its next renewal" in text
    assert "Jan 5, 2027" in text and "ana@x.io" in text


@pytest.mark.parametrize(("typed", "expected"), [("1", "monthly"), ("12", "annual"), ("annual", "annual")])
def test_billing_every_1_or_12_months(typed: str, expected: str) -> None:
    """The modal's months are the pricing engine's frequencies."""
    assert frequency_from_months(typed) == expected


def test_other_billing_months_are_refused() -> None:
    """Only 1 or 12 months exist for per-seat products."""
    with pytest.raises(InvalidInput):
        frequency_from_months("6")


def test_account_name_comes_from_the_company() -> None:
    """A valid account name (lowercase, digits, hyphens) is made from the company or the customer."""
    assert account_name_for("Acme SARL", "Ana") == "acme-sarl"
    assert account_name_for("", "Ana Lima") == "ana-lima"
    assert account_name_for("!!!", "") == "seats"
