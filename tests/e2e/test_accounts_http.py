"""`/accounts` over signed HTTP: add through the modal, credentials once and only to the creator,
the overview with filters and pages, the card, renewal refusals, and strangers refused."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.operations import drain_all
from bot.shell.localslack import LocalSlack
from domain.store.models import Account, Agency, Invoice
from tests.e2e.test_agency_http import row_counts
from tests.factories import make_account, make_profile
from tests.slackhttp import SlackHttp, text_input
from tests.slackhttp import select as pick


def agency_with_profile(http: SlackHttp, sessions: sessionmaker[Session]) -> tuple[int, int]:
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        profile = make_profile(session, agency)
        ids = agency.id, profile.id
        session.commit()
    return ids


def add_values(profile_id: int, name: str = "acme-shop") -> dict[str, dict[str, object]]:
    return {
        "name": text_input(name),
        "client_name": text_input("Acme Ltd"),
        "client_email": text_input("boss@acme.example"),
        "notification_email": text_input("ops@agency.example"),
        "country": text_input("IT"),
        "language": text_input("it"),
        "timezone": text_input("Europe/Rome"),
        "plan_product": pick("V3:marketing"),
        "plan_tier": pick("plus"),
        "plan_contacts": pick("2500"),
        "plan_frequency": pick("monthly"),
        "plan_seats": {"type": "number_input", "value": "3"},
        "profile": pick(str(profile_id)),
    }


def created_view(slack: LocalSlack, mark: int) -> dict[str, Any]:
    """The modal the runner showed once the vendor answered (it runs after the ack: wait for it)."""
    assert drain_all(30)
    updates = [c for c in slack.since(mark) if c.method == "views.update"]
    assert updates, [c.method for c in slack.since(mark)]
    view = updates[-1].params["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


def password_of(view: dict[str, Any]) -> str:
    return next(
        f["text"].split("`")[1]
        for b in view["blocks"]
        for f in b.get("fields") or []
        if "Password" in f["text"]
    )


def submit_and_create(
    http: SlackHttp, slack: LocalSlack, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    """Submit the add modal; the answer says it is being created; returns the credentials modal."""
    mark = slack.mark()
    reply = http.submit(view, values)
    assert reply.body["response_action"] == "update", reply.body
    assert "Creating" in json.dumps(reply.body["view"]), reply.body
    return created_view(slack, mark)


def test_add_shows_credentials_once_to_the_creator_only(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], db: Engine
) -> None:
    """Submitting the add modal provisions and charges; the password is only in the creator's modal,
    never in a channel post; the same submission again creates nothing and repeats no password."""
    _, profile_id = agency_with_profile(http, sessions)
    http.command("/accounts", "add")
    view = http.opened_view()
    assert view["callback_id"] == "accounts_add"
    shown_view = submit_and_create(http, slack, view, add_values(profile_id))
    shown = json.dumps(shown_view)
    assert "admin" in shown and "cannot be shown again" in shown
    password = password_of(shown_view)
    assert len(password) >= 16
    for call in slack.calls:
        if call.method in ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"):
            assert password not in json.dumps(call.params)
    assert not slack.of("chat.postMessage")
    assert "acme-shop" in slack.of("chat.postEphemeral")[-1].params["text"]
    again = http.submit(view, add_values(profile_id))
    assert password not in json.dumps(again.body) and "already created" in json.dumps(again.body)
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Account)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(Invoice)).scalar_one() == 1


def test_add_errors_show_on_fields(http: SlackHttp, sessions: sessionmaker[Session], db: Engine) -> None:
    """A bad name, email or country comes back on its field and writes nothing."""
    _, profile_id = agency_with_profile(http, sessions)
    http.command("/accounts", "add")
    view = http.opened_view()
    before = row_counts(db)
    for field, bad in (("name", "Acme Shop"), ("client_email", "nope"), ("country", "Atlantis")):
        values = add_values(profile_id)
        values[field] = text_input(bad)
        reply = http.submit(view, values)
        assert reply.body["response_action"] == "errors" and field in reply.body["errors"]
    assert row_counts(db) == before


def test_viewer_cannot_open_add(http: SlackHttp) -> None:
    """A viewer is read-only: `/accounts add` is refused and no modal opens."""
    http.command("/agency", "members add U0VIEW viewer")
    reply = http.command("/accounts", "add", user="U0VIEW")
    assert "does not allow" in reply.text


def test_overview_filters_pages_and_controls(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """Active by default, filters in text, Next button to page 2, and each row's Login/Renew + menu."""
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        for i in range(12):
            make_account(session, agency, name=f"shop-{i:02d}", client_name=f"Client {i}")
        make_account(session, agency, name="gone-plus", status="expired", tier="plus")
        make_account(session, agency, name="gone-starter", status="expired", tier="starter")
        session.commit()
    first = http.command("/accounts")
    assert "12 accounts" in first.text and "shop-00" in first.text and "shop-11" not in first.text
    assert "gone-plus" not in first.text
    nxt = next(
        e
        for b in first.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("text", {}).get("text") == "Next"
    )
    http.click("accounts_page", nxt["value"])
    page2 = http.slack.of("response_url")[-1].params
    assert "shop-11" in json.dumps(page2) and "page 2 of 2" in json.dumps(page2)
    expired = http.command("/accounts", "status:expired plan:plus sort:-expiry")
    assert "gone-plus" in expired.text and "gone-starter" not in expired.text and "Renew" in expired.text
    assert "Login" in first.text and "Billing history" in first.text
    assert "shop-03" in http.command("/accounts", "search:client 3").text


def test_show_card_and_renew_refused_with_reason(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """The card shows the account; Renew of an old expired purchase is refused, saying why."""
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        make_account(session, agency, name="legacy", status="expired", purchased_on=date(2022, 5, 1))
        session.commit()
    card = http.command("/accounts", "show legacy")
    assert "Account legacy" in card.text and "expired" in card.text
    refused = http.command("/accounts", "renew legacy")
    assert "before 3 Jan 2023" in refused.text and "Edit" in refused.text
    assert "no account named" in http.command("/accounts", "show nothing-here").text


def test_strangers_are_refused(http: SlackHttp, db: Engine) -> None:
    """Non-members get the refusal on every sub-command and nothing is written."""
    http.command("/agency", "members")
    before = row_counts(db)
    for text in ("", "add", "show acme", "renew acme", "views save x status:all", "commission"):
        reply = http.command("/accounts", text, user="U0STRANGER")
        assert "not a member" in reply.text
    assert row_counts(db) == before


def test_app_home_shows_tier_and_statuses(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    """The Home tab has the discount tier, accounts by status and the upcoming renewals."""
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        make_account(session, agency, name="due-soon", period_end=date(2026, 11, 28))
        session.commit()
    body = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "event": {"type": "app_home_opened", "user": "U0OWNER", "tab": "home"},
        "event_id": "Ev2",
        "event_time": int(time.time()),
    }
    http.post(json.dumps(body), content_type="application/json")
    home = json.dumps(slack.of("views.publish")[-1].params)
    assert "Reseller discount" in home and "due-soon" in home and "active 1" in home


def test_app_home_renewal_amounts_are_what_the_billing_run_charges(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    """A downgrade scheduled for the renewal is what the Home tab's upcoming renewal amounts show."""
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        make_account(
            session,
            agency,
            name="shrinks-soon",
            period_end=date(2026, 11, 28),
            pending_change={"tier": "starter", "contacts": 1000},
        )
        session.commit()
    body = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "event": {"type": "app_home_opened", "user": "U0OWNER", "tab": "home"},
        "event_id": "Ev3",
        "event_time": int(time.time()),
    }
    http.post(json.dumps(body), content_type="application/json")
    home = json.dumps(slack.of("views.publish")[-1].params)
    assert "shrinks-soon* \\u00b7 $19.00" in home and "$99.00" not in home
