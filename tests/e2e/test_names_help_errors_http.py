"""Issue 18 §3 "Names, help and errors", over signed HTTP as Slack sends it: each point as the
careful user saw it, and what is written (nothing, when the input is refused)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from domain.accounts.filters import FILTERS
from domain.store.models import Account, Agency
from tests.e2e.test_seats_http import set_agency_email
from tests.factories import make_account
from tests.slackhttp import SlackHttp, text_input
from tests.slackhttp import select as pick


def _portfolio(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        make_account(session, agency, name="acme-shop", client_price=Decimal("120.00"))
        make_account(session, agency, name="north-tools", frequency="annual", country="DE")
        session.commit()


def test_seats_new_names_the_account_as_a_person_would_and_says_so(http: SlackHttp, db: Engine) -> None:
    """Company "Müller GmbH": the confirm step says the account will be `muller-gmbh`, and it is."""
    http.command("/seats", "new")
    set_agency_email(db)
    form = {
        "customer_name": text_input("Jürgen Müller"),
        "email": text_input("j@mueller.example"),
        "company": text_input("Müller GmbH"),
        "country": text_input("DE"),
        "licenses": {"type": "number_input", "value": "2"},
        "frequency": pick("1"),
        "profile": pick("transfer"),
    }
    quoted = http.submit(http.opened_view(), form)
    assert quoted.body["response_action"] == "update"
    assert "The account will be named muller-gmbh" in str(quoted.body["view"])
    done = http.submit(quoted.body["view"], {})
    assert "Subscription muller-gmbh is created" in str(done.body["view"])
    with Session(db) as session:
        assert session.scalars(select(Account.name)).all() == ["muller-gmbh"]


@pytest.mark.parametrize("bad", ["-3", "five", "0"])
def test_license_forms_name_the_field_and_its_bounds(http: SlackHttp, db: Engine, bad: str) -> None:
    http.command("/seats", "new")
    form = {
        "customer_name": text_input("Ana"),
        "email": text_input("ana@acme.example"),
        "company": text_input("Acme"),
        "country": text_input("FR"),
        "licenses": {"type": "number_input", "value": bad},
        "frequency": pick("1"),
        "profile": pick("transfer"),
    }
    reply = http.submit(http.opened_view(), form)
    assert reply.body["response_action"] == "errors"
    assert reply.body["errors"]["licenses"] == "Licenses: from 1 to 5,000, as a whole number."
    with Session(db) as session:
        assert session.scalars(select(Account)).all() == []


def test_accounts_help_lists_every_filter_and_synonyms_work(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    _portfolio(http, sessions)
    help_text = http.command("/accounts", "help").text
    for spec in FILTERS:
        assert f"`{spec.key}:`" in help_text, spec.key
    annual = http.command("/accounts", "frequency:annual").text
    assert "north-tools" in annual and "acme-shop" not in annual
    assert "north-tools" in http.command("/accounts", "freq:yearly country:Germany").text
    assert "I don't know the filter" not in http.command("/accounts", "expiry:2026-12-10").text


def test_branding_default_reports_every_bad_field_at_once(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    _portfolio(http, sessions)
    reply = http.command("/accounts", "branding default colour=#12 support_email=nope logo_url=http://x")
    assert "#RRGGBB" in reply.text and "nope is not a valid email address" in reply.text
    assert "https://" in reply.text
    with sessions() as session:
        assert session.scalars(select(Agency)).one().branding in (None, {})


def test_branding_modal_marks_every_bad_field(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    _portfolio(http, sessions)
    http.command("/accounts", "branding acme-shop")
    values = {"colour": text_input("#12"), "support_email": text_input("nope")}
    reply = http.submit(http.opened_view(), values)
    assert reply.body["response_action"] == "errors"
    assert set(reply.body["errors"]) == {"colour", "support_email"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plus 2500 monthly monthly annual", "monthly and annual say different things"),
        ("licenses -3", "Licenses: write a whole number from 1 to 5,000, not -3"),
        ("licenses many", "Licenses: write a whole number from 1 to 5,000, not many"),
        ("plus 2500 seats -3", "User seats: write a whole number from 1 to 1,000, not -3"),
    ],
)
def test_quote_refusals_name_the_words_the_field_and_the_range(
    http: SlackHttp, text: str, expected: str
) -> None:
    reply = http.command("/quote", text)
    assert expected in reply.text and "What you pay" not in reply.text


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("/credits", "history north-tools 99999999999999999999"),
        ("/credits", "balance now"),
        ("/seats", "north-tools extra"),
        ("/agency", "audit 20 more"),
        ("/agency", "members list everyone"),
        ("/agency", "notices status now"),
        ("/accounts", "edit acme-shop now"),
        ("/accounts", "view"),
        ("/accounts", "margins all"),
        ("/accounts", "snapshots all"),
        ("/accounts", "transfers all"),
        ("/accounts", "add acme-shop"),
        ("/seats", "new acme"),
        ("/agency", "settings now"),
        ("/billing", "profiles add visa"),
        ("/billing", "profiles list all"),
    ],
)
def test_unknown_trailing_words_are_refused(
    http: SlackHttp, sessions: sessionmaker[Session], command: str, text: str
) -> None:
    _portfolio(http, sessions)
    reply = http.command(command, text)
    assert reply.status == 200
    assert reply.text.startswith(":warning:"), reply.text
    assert "Write it as" in reply.text or "I don't understand" in reply.text or "Use `" in reply.text


@pytest.mark.parametrize("word", ["None", "null"])
def test_none_is_not_a_price(http: SlackHttp, sessions: sessionmaker[Session], word: str) -> None:
    _portfolio(http, sessions)
    reply = http.command("/accounts", f"price acme-shop {word}")
    assert f"{word} is not a price" in reply.text
    with sessions() as session:
        price = session.scalars(select(Account.client_price).where(Account.name == "acme-shop")).one()
    assert price == Decimal("120.00")
    assert "no client price any more" in http.command("/accounts", "price acme-shop off").text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("matrix monthly annual", "monthly and annual say different things"),
        ("matrix marketing sales", "marketing and sales say different things"),
    ],
)
def test_quote_matrix_refuses_conflicting_words(http: SlackHttp, text: str, expected: str) -> None:
    assert expected in http.command("/quote", text).text


def test_snooze_days_refusal_names_the_range(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    _portfolio(http, sessions)
    reply = http.command("/agency", "notices snooze acme-shop -3")
    assert "Snooze for 0 to 365 days" in reply.text
