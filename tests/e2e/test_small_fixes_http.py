"""Small things a person notices: every failing add-modal field marked at once, credit quantities
written as money or numbers, and no renewal day on a trial's card."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain.store.models import Account, Agency
from tests.e2e.test_accounts_http import add_values, agency_with_profile
from tests.e2e.test_tools_http import BILL, _agency, _held_purchase
from tests.factories import make_account
from tests.slackhttp import SlackHttp, payload_text, text_input


def test_add_modal_marks_every_failing_field_at_once(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """A bad client email, a bad time zone and a bad country are all reported in one response;
    nothing is created."""
    _, profile_id = agency_with_profile(http, sessions)
    http.command("/accounts", "add")
    view = http.opened_view()
    values = add_values(profile_id) | {
        "client_email": text_input("not-an-email"),
        "timezone": text_input("Mars/Olympus"),
        "country": text_input("ZZ"),
    }
    reply = http.submit(view, values)
    assert reply.body["response_action"] == "errors"
    assert {"client_email", "timezone", "country"} <= set(reply.body["errors"])
    with sessions() as session:
        assert session.scalars(select(Account)).all() == []


def test_credit_approval_shows_the_quantity_as_money(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack
) -> None:
    """A held prepaid purchase of 500 reads "$500.00 prepaid" in the channel and the listing, not
    the stored "500.00"."""
    _agency(sessions, threshold=Decimal(100))
    _held_purchase(http, slack)
    posted = payload_text(slack.of("chat.postMessage")[-1].params)
    assert "Credit purchase: $500.00 prepaid" in posted
    assert "Credit purchase: $500.00 prepaid" in http.command("/agency", "approvals", user=BILL).text


def test_trial_card_has_no_renewal_day(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """A trial is never charged: its card shows no renewal day; a paid account's card does."""
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        make_account(
            session,
            agency,
            name="trying",
            pricing_version="V1",
            product="EM",
            tier="trial",
            contacts=None,
            status="trial",
        )
        make_account(session, agency, name="paying")
        session.commit()
    assert "Renewal day" not in http.command("/accounts", "show trying").text
    assert "Renewal day" in http.command("/accounts", "show paying").text
