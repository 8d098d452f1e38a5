"""Account limits chosen in Slack (SPEC §2: per item, "custom" requires a number): in the shared plan
builder (quote, add and edit modals) and in `/quote` text, priced through the pricing engine."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.quote_render import plan_from_value, plan_value
from bot.shell.localslack import LocalSlack
from domain.plans import PlanChoice
from domain.store.models import Account
from tests.e2e.test_accounts_edit_http import account, initial_values, open_edit, seeded
from tests.e2e.test_accounts_http import add_values, agency_with_profile
from tests.slackhttp import SlackHttp
from tests.slackhttp import select as pick


def dispatch(
    http: SlackHttp, slack: LocalSlack, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    """A plan input changed: Slack sends the whole state; returns the view the app updated to."""
    block_id = next(iter(values))
    state = {"values": {k: {"plan_update": v} for k, v in values.items()}}
    http.interaction(
        {
            "type": "block_actions",
            "user": {"id": "U0OWNER", "team_id": "T0TEST"},
            "container": {"type": "view", "view_id": view["id"]},
            "view": {**view, "state": state},
            "actions": [{"action_id": "plan_update", "block_id": block_id, **values[block_id]}],
        }
    )
    return {**slack.of("views.update")[-1].params["view"], "id": view["id"]}


def block(view: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def option_values(view: dict[str, Any], block_id: str) -> list[str]:
    found = block(view, block_id)
    assert found is not None, block_id
    return [o["value"] for o in found["element"]["options"]]


def enterprise(**more: Any) -> dict[str, Any]:
    return {
        "plan_tier": pick("enterprise"),
        "plan_product": pick("V3:marketing"),
        "plan_contacts": pick("10000"),
        "plan_frequency": pick("monthly"),
        **more,
    }


def test_quote_modal_offers_the_limits_of_the_chosen_tier(http: SlackHttp, slack: LocalSlack) -> None:
    """Plus offers only its named choices (no custom); starter, whose only choices are the defaults,
    shows no limit input; enterprise offers custom where the catalog allows it."""
    http.command("/quote")
    view = http.opened_view()
    assert option_values(view, "plan_limit_activities") == ["standard", "extended"]
    assert block(view, "plan_limit_custom-reports") is None  # extended is professional+
    starter = dispatch(
        http, slack, view, {"plan_tier": pick("starter"), "plan_product": pick("V3:marketing")}
    )
    assert not [b for b in starter["blocks"] if str(b.get("block_id", "")).startswith("plan_limit")]
    top = dispatch(http, slack, view, enterprise())
    assert option_values(top, "plan_limit_custom-reports") == ["standard", "extended", "custom"]
    assert option_values(top, "plan_limit_email-sending") == ["standard", "high", "custom"]


def test_custom_limit_asks_for_the_number_then_prices_it(http: SlackHttp, slack: LocalSlack) -> None:
    """Choosing custom adds a number input and the live quote asks for the exact number; with 20
    custom reports (2 blocks of 10 × $10) and extended activities ($20) on enterprise 10,000 monthly
    ($619) the list price is $659.00, and the shared quote's Create button carries the limits."""
    http.command("/quote")
    view = http.opened_view()
    asked = dispatch(http, slack, view, enterprise(**{"plan_limit_custom-reports": pick("custom")}))
    assert block(asked, "plan_limitn_custom-reports") is not None
    assert "Enter the exact number for the custom-reports limit" in str(asked)
    values = enterprise(
        **{
            "plan_limit_custom-reports": pick("custom"),
            "plan_limitn_custom-reports": {"type": "number_input", "value": "20"},
            "plan_limit_activities": pick("extended"),
        }
    )
    priced = dispatch(http, slack, asked, values)
    assert "$659.00" in str(priced)
    reply = http.submit(priced, values)
    assert reply.body == {}
    shared = slack.of("chat.postEphemeral")[-1].params
    assert "$659.00" in str(shared["blocks"]) and "custom-reports: 20" in str(shared["blocks"])
    button = next(
        e for b in shared["blocks"] if b["type"] == "actions" for e in b["elements"] if "value" in e
    )
    assert plan_from_value(button["value"]).limits == (("activities", "extended"), ("custom-reports", 20))


def test_submitting_custom_without_a_number_is_an_error_on_that_input(http: SlackHttp) -> None:
    """A custom limit without its number is refused on the number input, not on another field."""
    http.command("/quote")
    view = http.opened_view()
    reply = http.submit(view, enterprise(**{"plan_limit_email-sending": pick("custom")}))
    assert reply.body["response_action"] == "errors"
    assert "plan_limitn_email-sending" in reply.body["errors"]


def test_custom_contacts_without_a_number_asks_for_the_exact_number(
    http: SlackHttp, slack: LocalSlack
) -> None:
    """Choosing "more than 100,000" before typing shows "enter the exact number", not the general
    contacts message."""
    http.command("/quote")
    view = http.opened_view()
    updated = dispatch(
        http, slack, view, {"plan_contacts": pick("custom"), "plan_product": pick("V3:marketing")}
    )
    text = str(updated)
    assert "Enter the exact number of contacts" in text and "whole number above 0" not in text


def test_text_quote_with_limits_matches_hand_computation(http: SlackHttp) -> None:
    """`limits activities=extended,custom-reports=20` on enterprise 10,000 monthly: 619 + 20 + 20."""
    reply = http.command("/quote", "enterprise 10000 limits activities=extended,custom-reports=20")
    assert "$659.00" in reply.text and "custom-reports: 20" in reply.text
    annual = http.command("/quote", "enterprise 10000 annual limit email-sending=50k")
    assert "$6,036.00" in annual.text  # 5,940 + 5 blocks of 10,000 × 19.20


def test_text_quote_refuses_bad_limits_with_an_example(http: SlackHttp) -> None:
    """A limit without a value, a choice the tier lacks, and custom without a number: each refused."""
    for text, expected in [
        ("plus 2500 limits activities", "limit=choice or limit=number"),
        ("starter 1000 limits activities=extended", "Use one of: standard."),
        ("enterprise 1000 limits activities=custom", "needs a number above 0"),
        ("plus 2500 limits colour=red", "Unknown account limit colour"),
    ]:
        reply = http.command("/quote", text)
        assert reply.status == 200 and expected in reply.text, (text, reply.text)


def test_add_modal_creates_the_account_with_its_limits(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """The add modal's limit inputs are stored on the account and charged: plus 2,500 monthly with
    extended activities is 99 + 20 = $119.00 at 0%."""
    _, profile_id = agency_with_profile(http, sessions)
    http.command("/accounts", "add")
    view = http.opened_view()
    assert block(view, "plan_limit_activities") is not None
    values = add_values(profile_id) | {"plan_limit_activities": pick("extended")}
    assert http.submit(view, values).body["response_action"] == "update"
    with sessions() as session:
        added = session.scalars(select(Account).where(Account.name == "acme-shop")).one()
        assert added.limits == {"activities": "extended"}
        assert added.price_per_cycle == Decimal("119.00")


def test_edit_can_set_a_limit_back_to_its_default(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """The edit modal shows the account's limit; choosing the default again is a (downgrade) change
    that drops the limit at renewal, where before the limit could not be removed from Slack."""
    seeded(http, sessions, tier="professional", seats=5, limits={"activities": "extended"})
    view = open_edit(http)
    shown = block(view, "plan_limit_activities")
    assert shown is not None and shown["element"]["initial_option"]["value"] == "extended"
    values = initial_values(view) | {
        "plan_limit_activities": pick("standard"),
        "reason": {"type": "plain_text_input", "value": "fewer activities"},
    }
    reply = http.submit(view, values)
    assert reply.body.get("response_action") == "update", reply.body  # the downgrade's quote first
    assert not account(sessions).pending_change
    reply = http.submit(reply.body["view"], {})
    assert reply.body.get("response_action") is None, reply.body
    pending = account(sessions).pending_change or {}
    assert pending.get("plan", {}).get("limits") == []


def test_plan_value_keeps_limits() -> None:
    """The Create button's value round-trips the limits, so the add modal is pre-filled with them."""
    choice = PlanChoice("V3", "marketing", tier="enterprise", contacts=10000, limits=(("activities", 20000),))
    assert plan_from_value(plan_value(choice)).limits == (("activities", 20000),)
