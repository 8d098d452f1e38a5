"""The Edit modal over signed HTTP: an edit is checked whole before any part is saved, fields left as
they were are not changes; the add modal shows the migration discount it charges; the card is whole."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.store.models import Account, Agency, AuditEntry, Invoice
from tests.e2e.test_accounts_http import add_values, agency_with_profile
from tests.factories import make_account, make_profile
from tests.slackhttp import TEAM, SlackHttp, text_input
from tests.slackhttp import select as pick


def initial_values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What Slack submits when nobody touches the modal: every input's initial value."""
    values: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        if element.get("initial_option"):
            values[block["block_id"]] = {
                "type": element["type"],
                "selected_option": element["initial_option"],
            }
        elif element.get("initial_options"):
            values[block["block_id"]] = {
                "type": element["type"],
                "selected_options": element["initial_options"],
            }
        else:
            values[block["block_id"]] = {"type": element["type"], "value": element.get("initial_value")}
    return values


def seeded(http: SlackHttp, sessions: sessionmaker[Session], **fields: Any) -> None:
    """An account as imports and demo data store it: seats left empty (the tier's included seats)."""
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        profile = make_profile(session, agency)
        make_account(
            session,
            agency,
            name="acme",
            billing_profile_id=profile.id,
            price_per_cycle=Decimal("74.25"),
            **fields,
        )
        session.commit()


def account(sessions: sessionmaker[Session]) -> Account:
    with sessions() as session:
        found = session.scalars(select(Account).where(Account.name == "acme")).one()
        session.expunge(found)
        return found


def open_edit(http: SlackHttp, user: str = "U0OWNER") -> dict[str, Any]:
    http.command("/accounts", "edit acme", user=user)
    return http.opened_view()


def test_manager_changes_the_email_of_an_account_with_default_seats(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Untouched plan fields are not a plan change, even when the stored seats are empty: a manager
    may change the notification email (no Forbidden, no confirm step, no price change)."""
    http.command("/agency", "members add U0MGR manager")
    seeded(http, sessions)
    values = initial_values(open_edit(http, user="U0MGR"))
    values["notification_email"] = text_input("new@agency.example")
    reply = http.submit(open_edit(http, user="U0MGR"), values, user="U0MGR")
    assert reply.body.get("response_action") is None, reply.body
    after = account(sessions)
    assert after.notification_email == "new@agency.example"
    assert after.price_per_cycle == Decimal("74.25") and after.seats is None


def test_a_refused_part_writes_nothing(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """Cancel without a reason, with a new email: the error is on Reason and the email is unchanged."""
    seeded(http, sessions)
    view = open_edit(http)
    values = initial_values(view)
    values["notification_email"] = text_input("new@agency.example")
    values["status_action"] = pick("cancel")
    reply = http.submit(view, values)
    assert reply.body["response_action"] == "errors" and "reason" in reply.body["errors"]
    after = account(sessions)
    assert after.notification_email == "ops@agency.example" and after.status == "active"
    with sessions() as session:
        assert not session.scalars(select(AuditEntry).where(AuditEntry.target == "acme")).all()


def test_cancel_with_a_plan_change_is_refused_before_anything(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Cancel and a new tier in one submission: refused on Status, the account stays active."""
    seeded(http, sessions)
    view = open_edit(http)
    values = initial_values(view)
    values["plan_tier"] = pick("professional")
    values["status_action"] = pick("cancel")
    values["reason"] = text_input("client left")
    reply = http.submit(view, values)
    assert reply.body["response_action"] == "errors" and "status_action" in reply.body["errors"]
    assert account(sessions).status == "active"


def test_cancel_alone_keeps_the_plan(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """Cancel with a reason and the plan left as shown: cancelled, plan and price as they were."""
    seeded(http, sessions)
    view = open_edit(http)
    values = initial_values(view)
    values["status_action"] = pick("cancel")
    values["reason"] = text_input("client left")
    reply = http.submit(view, values)
    assert reply.body.get("response_action") is None, reply.body
    after = account(sessions)
    assert after.status == "cancelled" and after.status_reason == "client left"
    assert after.price_per_cycle == Decimal("74.25") and after.tier == "plus"


def test_edit_keeps_account_limits_the_builder_does_not_show(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """An upgrade from the modal keeps the account's limits (the builder has no limit inputs)."""
    seeded(http, sessions, tier="professional", seats=5, limits={"activities": "extended"})
    view = open_edit(http)
    values = initial_values(view)
    values["notification_email"] = text_input("new@agency.example")
    assert http.submit(view, values).body.get("response_action") is None
    assert account(sessions).limits == {"activities": "extended"}
    view = open_edit(http)
    values = initial_values(view)
    values["plan_tier"] = pick("enterprise")
    confirm = http.submit(view, values)
    assert confirm.body["response_action"] == "update"
    assert http.submit(confirm.body["view"], {}).body.get("response_action") is None
    after = account(sessions)
    assert after.tier == "enterprise" and after.limits == {"activities": "extended"}


def test_add_package_shows_the_migration_discount_it_charges(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """The add modal's live package includes the migration discount, and the charge matches it."""
    _, profile_id = agency_with_profile(http, sessions)
    http.command("/accounts", "add")
    view = http.opened_view()
    values = add_values(profile_id)
    values["migration"] = {"type": "number_input", "value": "20"}
    values["migration_cycles"] = {"type": "number_input", "value": "3"}
    state = {k: {"value": v} for k, v in values.items()}
    http.interaction(
        {
            "type": "block_actions",
            "user": {"id": "U0OWNER", "team_id": TEAM},
            "container": {"type": "view", "view_id": view["id"]},
            "view": {**view, "state": {"values": state}},
            "actions": [{"action_id": "accounts_live", "block_id": "migration", "value": "20"}],
        }
    )
    updated = http.slack.of("views.update")[-1].params["view"]
    shown = json.dumps(updated)
    assert "Migration discount: 20%" in shown and "3 cycles" in shown
    assert "$79.20 per cycle" in shown  # 99.00 less 20%; no reseller discount yet
    reply = http.submit(view, values)
    assert reply.body["response_action"] == "update"
    with sessions() as session:
        assert session.scalars(select(Invoice)).one().total == Decimal("79.20")


def test_card_shows_profile_migration_and_cname(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """The card has every field: dates, billing profile, migration discount and the CNAME target."""
    seeded(
        http,
        sessions,
        migration_percent=Decimal("20"),
        migration_cycles=3,
        custom_domain="crm.acme.com",
    )
    card = http.command("/accounts", "show acme").text
    assert "Created Nov 10, 2026" in card and "purchased Nov 10, 2026" in card
    assert "Billing profile: " in card and "···" in card
    assert "Migration discount: 20% for the first 3 cycles (1 billed so far)" in card
    assert "Custom domain: crm.acme.com (CNAME to acme.reseller-crm.example)" in card


def test_add_refuses_absurd_migration_cycles_on_the_field(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Migration discount cycles run from 1 to 36: 1200, 0, a fraction or cycles without a percentage
    are a field error on the modal, and nothing is written or charged."""
    _, profile_id = agency_with_profile(http, sessions)
    http.command("/accounts", "add")
    view = http.opened_view()
    cycles_block = next(b for b in view["blocks"] if b.get("block_id") == "migration_cycles")
    assert cycles_block["element"]["max_value"] == "36"
    cases = [
        ("20", "1200", "migration_cycles", "1 to 36 cycles"),
        ("20", "0", "migration_cycles", "1 to 36 cycles"),
        ("20", "2.5", "migration_cycles", "whole number"),
        (None, "3", "migration", "percentage too"),
    ]
    for percent, cycles, field, words in cases:
        values = add_values(profile_id)
        values["migration"] = {"type": "number_input", "value": percent}
        values["migration_cycles"] = {"type": "number_input", "value": cycles}
        reply = http.submit(view, values)
        assert reply.body["response_action"] == "errors", (cycles, reply.body)
        assert words in reply.body["errors"][field], reply.body
    with sessions() as session:
        assert session.scalars(select(Account)).all() == [] and session.scalars(select(Invoice)).all() == []
