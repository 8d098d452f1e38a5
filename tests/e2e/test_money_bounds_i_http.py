"""Issue 14 §2 over signed HTTP: no bounds on what a typo can cost.

Contacts and custom account limits have catalog bounds, named in every refusal; a custom contacts
count must be above the largest listed bracket; seats that cannot be read are refused, never replaced
by the tier's default; and every charge above the agency's large-charge amount (an agency setting)
carries a warning line on its confirm step: the add-account modal asks for a confirmation instead of
charging at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from domain.simulated import SimulatedGateway
from domain.store.models import Account, Agency, AuditEntry, Invoice
from tests.e2e.test_accounts_edit_http import initial_values, open_edit, seeded
from tests.e2e.test_accounts_http import add_values, agency_with_profile, created_view
from tests.e2e.test_credits_http import _agency
from tests.factories import make_account
from tests.slackhttp import SlackHttp
from tests.slackhttp import select as pick

WARNING = ":warning: Large charge:"


def counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        accounts = session.scalar(select(func.count()).select_from(Account)) or 0
        invoices = session.scalar(select(func.count()).select_from(Invoice)) or 0
        return accounts, invoices


def set_large_charge(db: Engine, amount: str) -> None:
    with Session(db) as session:
        session.execute(update(Agency).values(large_charge=Decimal(amount)))
        session.commit()


# --- bounds --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("plus 999999999 monthly", "Contacts: at most 5,000,000; you asked for 999,999,999."),
        ("plus 5000001 monthly", "Contacts: at most 5,000,000; you asked for 5,000,001."),
        (
            "enterprise 10000 monthly limits activities=999999999",
            "A custom activities limit is at most 10,000,000; you asked for 999,999,999.",
        ),
    ],
)
def test_quote_refuses_counts_above_the_catalog_bounds(http: SlackHttp, text: str, says: str) -> None:
    """`/quote` used to price 999,999,999 contacts at $8,500,009.00: above the catalog's bound the
    refusal names the field and the bound, and no price is shown."""
    reply = http.command("/quote", text)
    assert says in reply.text, reply.text
    assert "per cycle" not in reply.text


def test_quote_at_the_bound_is_priced(http: SlackHttp) -> None:
    """The bound itself is allowed: 5,000,000 contacts is a (custom) quote."""
    reply = http.command("/quote", "plus 5000000 monthly")
    assert "5,000,000 contacts" in reply.text and "per cycle" in reply.text


def submit_add(http: SlackHttp, profile_id: int, **plan: dict[str, Any]) -> dict[str, Any]:
    http.command("/accounts", "add")
    view = http.opened_view()
    values = add_values(profile_id)
    values.update(plan)
    return http.submit(view, values).body


@pytest.mark.parametrize("seats", ["-3", "abc", "2.5", "٣"])
def test_unreadable_seats_are_refused_not_replaced_by_the_default(
    http: SlackHttp, sessions: sessionmaker[Session], seats: str
) -> None:
    """Seats of `-3` or `abc` were replaced by the tier's 3 included seats and charged: now the seats
    field is refused with its bounds, and no account or invoice is written."""
    _, profile_id = agency_with_profile(http, sessions)
    body = submit_add(http, profile_id, plan_seats={"type": "number_input", "value": seats})
    assert body["response_action"] == "errors", body
    assert body["errors"]["plan_seats"] == "User seats: from 3 to 1,000, as a whole number."
    assert counts(sessions) == (0, 0)


def test_seats_above_the_bound_are_refused_in_the_modal(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """The issue's 999,999,999 seats ($19,000,000,023.00): refused on the seats field with the bound."""
    _, profile_id = agency_with_profile(http, sessions)
    body = submit_add(http, profile_id, plan_seats={"type": "number_input", "value": "999999999"})
    assert "at most 1,000 user seats" in body["errors"]["plan_seats"]
    assert counts(sessions) == (0, 0)


@pytest.mark.parametrize("custom", ["2", "100000"])
def test_custom_contacts_within_the_listed_brackets_are_refused(
    http: SlackHttp, sessions: sessionmaker[Session], custom: str
) -> None:
    """ "More than 100,000" with 2 contacts was quoted and charged as the 1,000 bracket: a custom count
    must be above the largest listed bracket, and the refusal says so."""
    _, profile_id = agency_with_profile(http, sessions)
    body = submit_add(
        http,
        profile_id,
        plan_contacts=pick("custom"),
        plan_custom_contacts={"type": "number_input", "value": custom},
    )
    assert body["response_action"] == "errors", body
    said = body["errors"]["plan_custom_contacts"]
    assert "must be above 100,000, the largest listed bracket" in said
    assert counts(sessions) == (0, 0)


def test_custom_contacts_above_the_bound_are_refused(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """A custom count above the catalog's max_contacts is refused on the custom field."""
    _, profile_id = agency_with_profile(http, sessions)
    body = submit_add(
        http,
        profile_id,
        plan_contacts=pick("custom"),
        plan_custom_contacts={"type": "number_input", "value": "999999999"},
    )
    assert "Contacts: at most 5,000,000" in body["errors"]["plan_custom_contacts"]
    assert counts(sessions) == (0, 0)


def test_the_builder_offers_the_catalog_bounds(http: SlackHttp) -> None:
    """The modal's number inputs carry the catalog's bounds (Slack checks them as well as the server)."""
    http.command("/quote")
    view = http.opened_view()
    seats = next(b for b in view["blocks"] if b.get("block_id") == "plan_seats")
    assert seats["element"]["max_value"] == "1000"


# --- the large-charge amount ---------------------------------------------------------------------


def test_large_charge_is_an_agency_setting_validated_and_audited(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """The settings modal's large-charge amount (default 1,000.00; the field before the prepaid advice
    day, issue 18): a bad value is refused on it and saves nothing; a good one is saved and audited
    with before and after."""
    http.command("/agency", "settings")
    view = http.opened_view()
    field = view["blocks"][-2]
    assert field["block_id"] == "large_charge" and field["element"]["initial_value"] == "1000.00"
    for bad in ("abc", "0", "-5", "NaN"):
        reply = http.submit(view, {"large_charge": {"type": "number_input", "value": bad}})
        assert reply.body["response_action"] == "errors", (bad, reply.body)
        assert "Large-charge amount" in reply.body["errors"]["large_charge"]
    with sessions() as session:
        assert session.scalars(select(Agency.large_charge)).one() == Decimal("1000.00")
    reply = http.submit(view, {"large_charge": {"type": "number_input", "value": "250.5"}})
    assert reply.body == {}, reply.body
    with sessions() as session:
        assert session.scalars(select(Agency.large_charge)).one() == Decimal("250.50")
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "agency.settings_changed")
        ).one()
        assert entry.before["large_charge"] == "1000.00" and entry.after["large_charge"] == "250.50"


def test_credits_purchase_above_the_large_charge_shows_the_warning(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """$2,000.00 of prepaid credit with the default large-charge amount of $1,000.00: the confirm card
    says so; $500.00 does not."""
    _agency(sessions)
    card = http.command("/credits", "buy prepaid 2000")
    expected = (
        ":warning: Large charge: $2,000.00 is above your large-charge amount ($1,000.00). "
        "Check it before confirming."
    )
    assert expected in card.text, card.text
    assert WARNING not in http.command("/credits", "buy prepaid 500").text


def test_renew_seats_and_plan_change_above_the_large_charge_show_the_warning(
    http: SlackHttp, sessions: sessionmaker[Session], db: Engine
) -> None:
    """With a large-charge amount of $10.00 the renew card, the seats top-up card and the plan change
    confirm step all carry the warning line, even though four-eyes approval is off."""
    seeded(http, sessions, tier="plus", seats=3)
    with sessions.begin() as session:
        agency = session.scalars(select(Agency)).one()
        make_account(session, agency, name="gone", status="cancelled", purchased_on=date(2026, 11, 10))
    set_large_charge(db, "10")
    assert WARNING in http.command("/accounts", "renew gone").text
    assert WARNING in http.command("/seats", "buy acme 2").text  # user seats of a contact-tiered plan
    view = open_edit(http)
    values = initial_values(view)
    values["plan_tier"] = pick("professional")
    values["plan_seats"] = {"type": "number_input", "value": "5"}
    confirm = http.submit(view, values)
    assert confirm.body["response_action"] == "update"
    assert WARNING in str(confirm.body["view"])
    set_large_charge(db, "100000")
    assert WARNING not in http.command("/accounts", "renew gone").text


def test_add_account_above_the_large_charge_asks_before_charging(
    http: SlackHttp, sessions: sessionmaker[Session], db: Engine, gateway: SimulatedGateway
) -> None:
    """The add modal charged at once, whatever the amount. Above the large-charge amount its submission
    answers with a confirm step (amount and warning) and writes nothing; confirming creates and charges
    once, shows the credentials; confirming again creates nothing more."""
    _, profile_id = agency_with_profile(http, sessions)
    set_large_charge(db, "20")
    body = submit_add(http, profile_id)
    assert body["response_action"] == "update", body
    step = body["view"]
    assert step["callback_id"] == "accounts_add_large"
    shown = str(step)
    assert WARNING in shown and "above your large-charge amount ($20.00)" in shown
    assert counts(sessions) == (0, 0) and not gateway.charges
    assert "acme-shop" not in step["private_metadata"] and "plus" not in step["private_metadata"]
    mark = http.slack.mark()
    done = http.submit(step, {})
    assert done.body["response_action"] == "update"
    assert "Creating" in str(done.body["view"])
    assert "cannot be shown again" in str(created_view(http.slack, mark))
    assert counts(sessions) == (1, 1) and len(gateway.charges) == 1
    again = http.submit(step, {})
    assert "Already done" in str(again.body["view"]) and "Password" not in str(again.body["view"])
    assert counts(sessions) == (1, 1) and len(gateway.charges) == 1


def test_add_account_below_the_large_charge_is_charged_at_once(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Below the large-charge amount (default $1,000.00) the add modal works as before: one step."""
    _, profile_id = agency_with_profile(http, sessions)
    mark = http.slack.mark()
    body = submit_add(http, profile_id)
    assert "Creating" in str(body["view"])
    assert "cannot be shown again" in str(created_view(http.slack, mark))
    assert counts(sessions) == (1, 1)


def test_add_account_confirm_step_refuses_a_forged_id(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """The confirm step's metadata carries only the server's id: a made-up one creates nothing."""
    _, profile_id = agency_with_profile(http, sessions)
    with sessions.begin() as session:
        session.execute(update(Agency).values(large_charge=Decimal("20")))
    step = submit_add(http, profile_id)["view"]
    forged = {**step, "private_metadata": '{"pending": "00000000000000000000000000000000"}'}
    reply = http.submit(forged, {})
    assert reply.body["response_action"] == "update" and ":warning:" in str(reply.body["view"])
    assert counts(sessions) == (0, 0)
