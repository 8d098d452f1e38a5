"""The books say what they must (issue 14 §5, SPEC §3, §4, §6), over signed HTTP: new accounts get the
agency's notification email (never the client's), a reverse-charge invoice carries the mention and the
customer's VAT number, a VAT number must be of the customer's country, and `/quote` explains that VAT
numbers are for per-seat products."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from domain.store.models import Account, Agency, Invoice
from tests.slackhttp import SlackHttp, text_input
from tests.slackhttp import select as pick

VAT_FR = "FR40303265045"


def _settings(http: SlackHttp, email: str) -> None:
    """`/agency settings` with the agency's notification email, as an owner saves it."""
    http.command("/agency", "settings")
    view = http.opened_view()
    field = next(b for b in view["blocks"] if b.get("block_id") == "notification_email")
    assert "never to clients" in str(field), field
    result = http.submit(
        view,
        {
            "name": text_input("Acme Agency"),
            "currency": text_input("USD"),
            "timezone": text_input("UTC"),
            "language": pick("en"),
            "low_balance_threshold": {"type": "number_input", "value": "100"},
            "notification_email": text_input(email),
        },
    )
    assert result.status == 200 and result.body == {}, result.body


def _seats_form(country: str, vat: str | None) -> dict[str, Any]:
    form: dict[str, Any] = {
        "customer_name": text_input("Jean Dupont"),
        "email": text_input("jean@dupont.example"),
        "company": text_input("Dupont SA"),
        "country": text_input(country),
        "licenses": {"type": "number_input", "value": "4"},
        "frequency": pick("12"),
        "profile": pick("transfer"),
    }
    if vat is not None:
        form["vat"] = text_input(vat)
    return form


def _subscribe(http: SlackHttp, country: str, vat: str | None) -> Any:
    http.command("/seats", "new")
    quoted = http.submit(http.opened_view(), _seats_form(country, vat))
    if quoted.body.get("response_action") != "update":
        return quoted
    return http.submit(quoted.body["view"], {})


def test_per_seat_subscription_gets_the_agencys_notification_email(http: SlackHttp, db: Engine) -> None:
    """Without an agency notification email, `/seats new` is refused and says where to set it (nothing
    created); once `/agency settings` has billing@acme-agency.example, the subscription of
    jean@dupont.example stores the agency's address, not the client's, and the add-account form
    starts from it."""
    http.command("/agency", "members")
    refused = _subscribe(http, "FR", VAT_FR)
    assert refused.body.get("response_action") == "errors", refused.body
    assert "/agency settings" in str(refused.body["errors"])
    with Session(db) as session:
        assert session.scalar(select(func.count(Account.id))) == 0

    _settings(http, "billing@acme-agency.example")
    done = _subscribe(http, "FR", VAT_FR)
    assert "dupont-sa" in str(done.body.get("view")), done.body
    with Session(db) as session:
        account = session.scalars(select(Account)).one()
        assert account.client_email == "jean@dupont.example"
        assert account.notification_email == "billing@acme-agency.example"
        assert session.scalars(select(Agency)).one().notification_email == "billing@acme-agency.example"

    http.command("/accounts", "add")
    form = http.opened_view()
    field = next(b for b in form["blocks"] if b.get("block_id") == "notification_email")
    assert field["element"].get("initial_value") == "billing@acme-agency.example"


def test_reverse_charge_invoice_shows_the_mention_and_the_vat_number(http: SlackHttp, db: Engine) -> None:
    """A French customer with a French VAT number: the invoice view says "Reverse charge" and shows
    FR40303265045, and so does its line in `/billing history`."""
    http.command("/agency", "members")
    _settings(http, "billing@acme-agency.example")
    _subscribe(http, "FR", VAT_FR)
    with Session(db) as session:
        number = session.scalars(select(Invoice.number)).one()
    shown = http.command("/billing", f"invoice {number}").text
    assert "Reverse charge" in shown and VAT_FR in shown, shown
    history = http.command("/billing", "history").text
    assert f"reverse charge, VAT number {VAT_FR}" in history, history


def test_vat_number_of_another_country_is_refused_with_the_reason(http: SlackHttp, db: Engine) -> None:
    """A German customer with a French VAT number is refused on the VAT field, naming both countries
    (it was accepted for reverse charge before); `/quote licenses … vat FR… country DE` likewise."""
    http.command("/agency", "members")
    _settings(http, "billing@acme-agency.example")
    refused = _subscribe(http, "DE", VAT_FR)
    assert refused.body.get("response_action") == "errors", refused.body
    said = refused.body["errors"]["vat"]
    assert "issued in FR" in said and "customer's country is DE" in said, said
    with Session(db) as session:
        assert session.scalar(select(func.count(Account.id))) == 0
    quoted = http.command("/quote", f"licenses 12 monthly vat {VAT_FR} country DE").text
    assert "issued in FR" in quoted and "DE" in quoted, quoted
    assert "reverse charge" in http.command("/quote", f"licenses 12 monthly vat {VAT_FR} country FR").text


def test_quote_of_a_contact_product_with_a_vat_number_says_vat_is_per_seat(http: SlackHttp) -> None:
    """`/quote plus 2500 monthly vat FR…` answered "I don't understand vat": it now says that VAT
    numbers apply to per-seat products, with a per-seat example."""
    for text in (f"plus 2500 monthly vat {VAT_FR}", "plus 2500 country FR"):
        reply = http.command("/quote", text).text
        assert "apply to per-seat products only" in reply and "/quote licenses" in reply, reply
        assert "I don't understand" not in reply
