"""A full card number typed anywhere but the card field is refused and written nowhere."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.e2e.test_agency_http import row_counts
from tests.slackhttp import SlackHttp, text_input


def test_card_number_in_any_command_is_refused(http: SlackHttp, db: Engine) -> None:
    """`/accounts search:4242 4242 4242 4242` or a note with a card: refused, nothing stored."""
    http.command("/agency", "members")
    before = row_counts(db)
    for command, text in [
        ("/accounts", "search:4242424242424242"),
        ("/credits", "buy prepaid 100 for 4242-4242-4242-4242"),
        ("/agency", "members add 4000 0000 0000 9995 owner"),
    ]:
        reply = http.command(command, text)
        assert reply.status == 200 and "card number" in reply.text
        assert "4242424242424242" not in reply.raw.replace(" ", "").replace("-", "")
    assert row_counts(db) == before


def test_card_number_in_a_modal_field_is_refused_on_that_field(http: SlackHttp) -> None:
    """A card number in the agency name field comes back as an error on that field."""
    http.command("/agency", "settings")
    view = http.opened_view()
    reply = http.submit(
        view,
        {
            "name": text_input("Acme 4242 4242 4242 4242"),
            "currency": text_input("EUR"),
            "timezone": text_input("UTC"),
            "low_balance_threshold": text_input("1"),
        },
    )
    assert reply.body["response_action"] == "errors" and "name" in reply.body["errors"]


def test_invoice_like_numbers_pass(http: SlackHttp) -> None:
    """Long numbers that are not Luhn-valid cards (an order reference) are not refused."""
    reply = http.command("/accounts", "search:1234567890123")
    assert "card number" not in reply.text
