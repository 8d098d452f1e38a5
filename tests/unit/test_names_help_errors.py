"""Issue 18 §3 "Names, help and errors" and the pure parts of §4 (the shell's view state and mrkdwn,
the demo rows' invariants): each point seen by a careful user, as a rule on plain values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from bot.commands.accounts import filter_help
from bot.i18n import Translator
from bot.parsing import refuse_extra
from bot.quote_text import parse_count, parse_quote
from bot.render import mrkdwn
from bot.shell.demo_rows import rows
from bot.shell.modalfill import untouched_state, view_state
from domain.accounts.branding import clean_branding
from domain.accounts.filters import FILTERS, parse_filters
from domain.accounts.invariants import account_problems
from domain.accounts.rules import clean_name, slug_name
from domain.catalog import Catalog
from domain.errors import DomainError, InvalidInput, Problems
from domain.margins import parse_client_price
from domain.notices import rules
from domain.seats.new_subscription import read_licenses
from domain.seats.rules import account_name_for
from tests import slackhttp

TODAY = date(2026, 11, 25)


def said(error: DomainError, lang: str = "en") -> str:
    return Translator(lang)(error.message, **error.params)


# names ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Müller GmbH", "muller-gmbh"),
        ("Łódź Café S.A.", "lodz-cafe-s-a"),
        ("Straße & Söhne", "strasse-sohne"),
        ("  Acme SARL  ", "acme-sarl"),
    ],
)
def test_names_from_client_names_are_transliterated(typed: str, name: str) -> None:
    """`Müller GmbH` becomes `muller-gmbh` (what a person would guess), never `m-ller-gmbh`."""
    assert slug_name(typed) == name
    assert account_name_for(typed, "Someone") == name
    assert clean_name(name) == name


def test_a_name_typed_with_accents_is_refused_with_the_name_it_would_make() -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_name("Müller GmbH")
    assert refused.value.field == "name"
    assert "like muller-gmbh" in said(refused.value)
    assert "muller-gmbh" in said(refused.value, "fr") and "muller-gmbh" in said(refused.value, "it")
    with pytest.raises(InvalidInput) as nothing:
        clean_name("!!!")
    assert "like acme-shop" in said(nothing.value)
    assert account_name_for("!!!", "日本") == "ri-ben" and account_name_for("!!!", "") == "seats"


# filters and their help ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "fr", "it"])
def test_help_lists_every_filter_of_the_table(lang: str) -> None:
    """The help is generated from the parser's table: every filter (freq, country, profile, created,
    expires included) and every synonym is listed, in each language."""
    text = "\n".join(filter_help(Translator(lang)))
    for spec in FILTERS:
        assert f"`{spec.key}:`" in text, spec.key
        assert spec.example in text, spec.example
        for synonym in spec.synonyms:
            assert f"`{synonym}:`" in text, synonym
    for key in ("freq", "country", "profile", "created", "expires"):
        assert f"`{key}:`" in text


@pytest.mark.parametrize(
    ("words", "text"),
    [
        (["frequency:annual"], "status:active freq:annual sort:name"),
        (["freq:yearly"], "status:active freq:annual sort:name"),
        (["billing:month"], "status:active freq:monthly sort:name"),
        (["country:France"], "status:active country:FR sort:name"),
        (["expiry:..2026-12-31"], "status:active expires:..2026-12-31 sort:name"),
        (["sort:-expires"], "status:active sort:-expiry"),
        (["state:canceled", "tier:plus"], "status:cancelled plan:plus sort:name"),
        (["plan:seats", "order:renewal"], "status:active plan:licenses sort:expiry"),
    ],
)
def test_filters_accept_the_obvious_synonyms(words: list[str], text: str) -> None:
    assert parse_filters(words).as_text() == text


def test_every_filter_key_and_synonym_is_read_as_its_filter() -> None:
    for spec in FILTERS:
        for key in (spec.key, *spec.synonyms):
            example_value = spec.example.partition(":")[2]
            assert parse_filters([f"{key}:{example_value}"]) == parse_filters([spec.example]), key
    with pytest.raises(InvalidInput) as unknown:
        parse_filters(["colour:red"])
    assert all(key in said(unknown.value) for key in ("freq", "country", "profile", "created", "expires"))


# branding -------------------------------------------------------------------------------------------
def test_branding_reports_every_bad_field_at_once() -> None:
    with pytest.raises(Problems) as refused:
        clean_branding({"colour": "#12", "support_email": "nope", "logo_url": "http://x", "font": "x"})
    fields = [p.field for p in refused.value.problems]
    assert fields == [None, "logo_url", "colour", "support_email"]
    texts = [said(p) for p in refused.value.problems]
    assert any("#RRGGBB" in t for t in texts) and any("nope" in t for t in texts)
    assert any("font" in t for t in texts) and any("https://" in t for t in texts)
    with pytest.raises(InvalidInput) as one:  # a single problem stays a plain InvalidInput
        clean_branding({"colour": "#12"})
    assert not isinstance(one.value, Problems) and one.value.field == "colour"
    assert clean_branding({"colour": "#1F6FEB", "support_email": "a@b.example"}).colour == "#1F6FEB"


# quotes ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        ("plus 2500 monthly monthly annual", "monthly", "annual"),
        ("plus 2500 yearly month", "yearly", "month"),
        ("plus 2500 seats 3 seats 4", "seats 3", "seats 4"),
        ("licenses 12 monthly annual", "monthly", "annual"),
        ("licenses 12 country FR country IT", "country FR", "country IT"),
    ],
)
def test_conflicting_quote_words_are_refused_naming_them(
    catalog: Catalog, text: str, first: str, second: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_quote(catalog, text.split())
    assert f"{first} and {second} say different things" in said(refused.value)


def test_repeating_the_same_word_is_not_a_conflict(catalog: Catalog) -> None:
    assert parse_quote(catalog, ["plus", "2500", "annual", "annual"]).choice.frequency == "annual"


@pytest.mark.parametrize(
    ("text", "field", "bounds"),
    [
        ("licenses -3", "Licenses", "from 1 to 5,000"),
        ("licenses five", "Licenses", "from 1 to 5,000"),
        ("licenses 0", "Licenses", "from 1 to 5,000"),
        ("plus -3", "Contacts", "from 1 to 5,000,000"),
        ("plus 2500 seats -3", "User seats", "from 1 to 1,000"),
        ("plus 2500 seats x", "User seats", "from 1 to 1,000"),
    ],
)
def test_numeric_refusals_name_the_field_and_its_bounds(
    catalog: Catalog, text: str, field: str, bounds: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_quote(catalog, text.split())
    message = said(refused.value)
    assert message.startswith(f"{field}: write a whole number {bounds}"), message
    assert "2.5k" not in message
    fr = "".join(c for c in said(refused.value, "fr") if c.isdigit() or c == " ")
    assert bounds.rsplit(maxsplit=1)[-1].replace(",", "") in fr.replace(" ", "")


def test_parse_count_reads_the_usual_forms() -> None:
    assert parse_count("2.5k", what="contacts") == 2500
    assert parse_count("2,500", what="contacts") == 2500
    with pytest.raises(InvalidInput):
        parse_count("0", what="licenses", minimum=1, maximum=5)


def test_counts_above_the_product_bounds_are_refused_naming_the_bound_and_the_count(
    catalog: Catalog,
) -> None:
    """Past the cap, the plan's own validation answers: the bound and the number asked for."""
    from domain.plans import validate_choice

    for text, expected in [
        ("licenses 99999", "at most 5,000 licenses"),
        ("plus 5000001", "Contacts: at most 5,000,000; you asked for 5,000,001."),
    ]:
        with pytest.raises(InvalidInput) as refused:
            validate_choice(catalog, parse_quote(catalog, text.split()).choice)
        assert expected in said(refused.value), said(refused.value)


# trailing words and prices ---------------------------------------------------------------------------
def test_trailing_words_are_refused() -> None:
    refuse_extra(["history", "acme"], 2, "`/credits history acme`")
    with pytest.raises(InvalidInput) as refused:
        refuse_extra(["history", "north-tools", "99999999999999999999"], 2, "`/credits history acme`")
    assert "99999999999999999999" in said(refused.value) and "/credits history acme" in said(refused.value)


@pytest.mark.parametrize("word", ["None", "null", "NaN", "undefined"])
def test_none_is_not_a_price(word: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_client_price([word])
    assert refused.value.field == "client_price" and word in said(refused.value)


def test_off_removes_a_price_on_purpose() -> None:
    assert parse_client_price(["off"]) == (None, "month")
    assert parse_client_price(["remove"]) == (None, "month")
    assert parse_client_price(["120"]) == (Decimal("120.00"), "month")
    with pytest.raises(InvalidInput):
        parse_client_price(["off", "cycle"])


# the discount tier notice ------------------------------------------------------------------------------
def test_tier_notice_compares_with_the_last_charge_too() -> None:
    zero = {"index": 0, "percent": "0"}
    one = {"index": 1, "percent": "25"}
    assert rules.tier_notice(None, one, TODAY) is None  # nothing known: no notice
    first = rules.tier_notice(None, one, TODAY, charged=zero)  # first sweep, tier moved since the charge
    assert first is not None and first.payload["direction"] == "up"
    assert first.payload["previous_percent"] == "0"
    assert rules.tier_notice(None, one, TODAY, charged=one) is None
    assert rules.tier_notice(one, one, TODAY, charged=one) is None
    down = rules.tier_notice(one, zero, TODAY, charged=one)
    assert down is not None and down.payload["direction"] == "down"


# the shell ------------------------------------------------------------------------------------------
def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value.title()}, "value": value}


def test_the_shell_reports_untouched_inputs_as_slack_does() -> None:
    """Every kind of input, touched or not, gives the state tests/slackhttp.py builds as Slack does."""
    elements = [
        {"type": "plain_text_input", "action_id": "value", "initial_value": "5000"},
        {"type": "plain_text_input", "action_id": "value"},
        {"type": "number_input", "action_id": "value", "is_decimal_allowed": False},
        {"type": "static_select", "action_id": "value", "initial_option": _option("annual")},
        {"type": "static_select", "action_id": "value", "options": [_option("a")]},
        {"type": "radio_buttons", "action_id": "value", "initial_option": _option("card")},
        {"type": "checkboxes", "action_id": "value", "initial_options": [_option("sms")]},
        {"type": "checkboxes", "action_id": "value", "options": [_option("sms")]},
        {"type": "multi_static_select", "action_id": "value", "options": [_option("x")]},
        {"type": "datepicker", "action_id": "value", "initial_date": "2026-12-01"},
        {"type": "users_select", "action_id": "value", "initial_user": "U0OWNER"},
        {"type": "conversations_select", "action_id": "value", "initial_conversation": "C0X"},
        {"type": "channels_select", "action_id": "value"},
        {"type": "timepicker", "action_id": "value", "initial_time": "09:30"},
    ]
    blocks = [
        {"type": "input", "block_id": f"b{i}", "label": {"type": "plain_text", "text": "x"}, "element": e}
        for i, e in enumerate(elements)
    ]
    blocks.append(
        {
            "type": "actions",
            "block_id": "acts",
            "elements": [{"type": "checkboxes", "action_id": "keep", "initial_options": [_option("y")]}],
        }
    )
    view = {"type": "modal", "blocks": blocks}
    assert view_state(view, {}) == slackhttp.view_state(view, {})
    answered = {"b1": {"value": {"type": "plain_text_input", "value": "typed"}}}
    assert view_state(view, answered) == slackhttp.view_state(view, {"b1": answered["b1"]["value"]})
    for element in elements:
        assert untouched_state(element) == slackhttp.rendered_state(element)


def test_mrkdwn_reads_as_text_in_the_shell() -> None:
    assert mrkdwn("*What you pay per billing cycle*") == "What you pay per billing cycle"
    assert mrkdwn("_in italics_ and ~struck~, snake_case_name, 2 * 3 * 4") == (
        "in italics and struck, snake_case_name, 2 * 3 * 4"
    )
    assert mrkdwn("`/accounts price *x*` and ```\n*kept*\n```") == "/accounts price *x* and *kept*"
    assert mrkdwn("<https://portal.example/a?b=1|the portal> <mailto:a@b.example|mail>") == (
        "the portal (https://portal.example/a?b=1) mail (a@b.example)"
    )
    assert mrkdwn("<@U0OWNER> <@U1|maria> <#C0NOTICES> <#C1|billing> <!here>") == (
        "@U0OWNER @maria #C0NOTICES #billing @here"
    )
    assert mrkdwn("AT&amp;T &lt;b&gt; *Tom &amp; Jerry*") == "AT&T <b> Tom & Jerry"
    assert mrkdwn("&lt;https://evil.example|x&gt;") == "<https://evil.example|x>"  # escaped: no link


# demo rows ------------------------------------------------------------------------------------------
def test_demo_rows_satisfy_the_account_invariants(catalog: Catalog) -> None:
    """Every generated row (monthly, annual, per-seat, trials, commission, ended) is sound."""
    generated = [SimpleNamespace(**row) for row in rows(1, 1, start=0, count=3000, today=TODAY, seed=7)]
    assert [p for row in generated for p in account_problems(row, catalog, TODAY)] == []
    statuses = {(r.status, r.frequency, r.is_commission) for r in generated}
    assert {
        ("active", "annual", False),
        ("expired", "monthly", False),
        ("active", "monthly", True),
    } <= statuses
    assert any(r.purchased_on.day > 28 for r in generated if r.purchased_on)  # 29-31 are kept, not clipped


def test_the_invariants_catch_what_the_old_seeder_made(catalog: Catalog) -> None:
    """Renewal day 28 with a period ending on the 4th, and a 57-day "monthly" period: both caught."""
    sound: dict[str, Any] = {
        "name": "demo",
        "pricing_version": "V3",
        "product": "marketing",
        "tier": "plus",
        "contacts": 2500,
        "seats": None,
        "frequency": "monthly",
        "status": "active",
        "purchased_on": date(2026, 1, 28),
        "renewal_day": 28,
        "period_start": date(2026, 11, 28),
        "period_end": date(2026, 12, 28),
        "is_commission": False,
        "cycles_billed": 11,
        "plan_size": 20_002_500,
        "price_per_cycle": Decimal("30.00"),
    }
    assert account_problems(SimpleNamespace(**sound), catalog, TODAY) == []
    day = SimpleNamespace(**{**sound, "period_start": date(2026, 11, 4), "period_end": date(2026, 12, 4)})
    assert any("not a renewal day" in p for p in account_problems(day, catalog, TODAY))
    long = SimpleNamespace(**{**sound, "period_end": date(2027, 1, 24)})
    assert any("57 days" in p for p in account_problems(long, catalog, TODAY))
    clipped = SimpleNamespace(**{**sound, "purchased_on": date(2026, 1, 30), "renewal_day": 28})
    assert any("renewal day 28" in p for p in account_problems(clipped, catalog, TODAY))


def test_prepaid_and_snooze_refusals_name_their_bounds(catalog: Catalog) -> None:
    from domain.credits import parse_prepaid

    with pytest.raises(InvalidInput) as refused:
        parse_prepaid(catalog, "lots")
    low, high = catalog.credits.prepaid.min, catalog.credits.prepaid.max
    assert said(refused.value).startswith("Amount: write a number from")
    assert refused.value.params == {"min": low, "max": high}


@pytest.mark.parametrize("typed", ["-3", "five", "0", "", "2.5"])
def test_license_forms_refuse_non_numbers_naming_the_field_and_bounds(catalog: Catalog, typed: str) -> None:
    """The `/seats new` form and the top-up form read licenses the same way."""
    with pytest.raises(InvalidInput) as refused:
        read_licenses(catalog, typed)
    assert refused.value.field == "licenses"
    assert said(refused.value) == "Licenses: from 1 to 5,000, as a whole number."
    assert read_licenses(catalog, "12") == 12
