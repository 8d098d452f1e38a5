"""`/quote` over signed HTTP: exact amounts, the live modal, and wrong input refused clearly."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain.store.models import Agency
from tests.factories import make_account
from tests.slackhttp import SlackHttp, select, text_input


def add_paid_accounts(sessions: sessionmaker[Session], n: int) -> None:
    with sessions() as session:
        agency = session.query(Agency).filter_by(team_id="T0TEST").one()
        for _ in range(n):
            make_account(session, agency)
        session.commit()


def test_text_quote_matches_hand_computation(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """plus 2,500 annual, 4 seats, sms at 3 active accounts (25%): every line to the cent.

    948.00 (plan) + 182.40 (1 extra seat) + 96.00 (sms) = 1,226.40; 25% = 306.60; 919.80 per cycle,
    billed today for a full cycle.
    """
    http.command("/agency", "members")
    add_paid_accounts(sessions, 3)
    reply = http.command("/quote", "plus 2500 annual seats 4 addons sms")
    text = reply.text
    assert reply.body["response_type"] == "ephemeral"
    for expected in (
        "$1,226.40",
        "Minus reseller discount (25%)  →  $306.60",  # the label says minus: no "-$306.60" too
        "$919.80",
        "Taxes not included.",
        "25%",
        "22 more accounts reach 35%",
    ):
        assert expected in text, expected
    assert "-$306.60" not in text
    assert any(b.get("type") == "actions" for b in reply.body["blocks"])


def test_licenses_quote_with_reverse_charge(http: SlackHttp) -> None:
    """12 licenses × 12.00 monthly with a valid VAT number: 144.00 and no VAT."""
    text = http.command("/quote", "licenses 12 monthly vat FR40303265045").text
    assert "$144.00" in text and "reverse charge" in text


def test_invalid_vat_is_refused_with_reason(http: SlackHttp) -> None:
    """A VAT number with a bad checksum is refused and says why."""
    reply = http.command("/quote", "licenses 12 monthly vat FR40303265046")
    assert reply.body["response_type"] == "ephemeral"
    assert "FR40303265045" in reply.text


def test_wrong_input_gets_an_example(http: SlackHttp, db: Engine) -> None:
    """Unknown tier, bad contacts, add-on not allowed, zero seats: each refused with a way to write it."""
    for text, expected in [
        ("gold 2500", "Unknown tier"),
        ("plus lots", "Contacts: write a whole number from 1 to 5,000,000, not lots"),
        ("starter 1000 addons sms", "not available on starter"),
        ("plus 2500 seats 0", "User seats: write a whole number from 1 to 1,000, not 0"),
    ]:
        reply = http.command("/quote", text)
        assert reply.status == 200 and expected in reply.text, (text, reply.text)


def test_modal_offers_only_valid_choices_live(http: SlackHttp, slack: LocalSlack) -> None:
    """Choosing starter removes the add-ons (none allowed on starter) and updates the price live."""
    http.command("/quote")
    view = http.opened_view()
    assert view["callback_id"] == "quote_modal"
    block_ids = [b.get("block_id") for b in view["blocks"]]
    assert "plan_addons" in block_ids  # plus is the default tier
    values = {
        "plan_product": {"type": "static_select", "selected_option": {"value": "V3:marketing"}},
        "plan_tier": {"type": "static_select", "selected_option": {"value": "starter"}},
    }
    http.interaction(
        {
            "type": "block_actions",
            "user": {"id": "U0OWNER", "team_id": "T0TEST"},
            "container": {"type": "view", "view_id": view["id"]},
            "view": {**view, "state": {"values": {k: {"plan_update": v} for k, v in values.items()}}},
            "actions": [
                {
                    "action_id": "plan_update",
                    "block_id": "plan_tier",
                    "type": "static_select",
                    "selected_option": {"value": "starter"},
                }
            ],
        }
    )
    updates = slack.of("views.update")
    assert updates, "the modal was not updated"
    updated = updates[-1].params["view"]
    assert "plan_addons" not in [b.get("block_id") for b in updated["blocks"]]
    assert "$49.00" in str(updated)  # starter 2,500 monthly


def test_modal_submission_shares_the_quote(http: SlackHttp, slack: LocalSlack) -> None:
    """Submitting the modal sends the quote, with the create button, to its author only."""
    http.command("/quote")
    view = http.opened_view()
    reply = http.submit(
        view,
        {
            "plan_product": select("V3:sales"),
            "plan_tier": select("professional"),
            "plan_contacts": select("5000"),
            "plan_frequency": select("monthly"),
            "plan_seats": {"type": "number_input", "value": "5"},
        },
    )
    assert reply.status == 200 and reply.body == {}
    shared = slack.of("chat.postEphemeral")[-1].params
    assert shared["user"] == "U0OWNER" and "Create account" in str(shared["blocks"])


def test_modal_errors_show_on_the_plan_field(http: SlackHttp) -> None:
    """A bad VAT number in the modal is reported on its field, nothing else happens."""
    http.command("/quote")
    view = http.opened_view()
    reply = http.submit(
        view,
        {
            "plan_product": select("V3:business-licenses"),
            "plan_licenses": {"type": "number_input", "value": "5"},
            "plan_frequency": select("monthly"),
            "quote_vat": text_input("FR123"),
        },
    )
    assert reply.body["response_action"] == "errors" and "quote_vat" in reply.body["errors"]


def test_price_matrix(http: SlackHttp) -> None:
    """`/quote matrix annual` lists every tier and bracket, within Slack's limits."""
    reply = http.command("/quote", "matrix annual")
    assert "starter" in reply.text and "100,000" in reply.text and len(reply.body["blocks"]) <= 50
    assert "I don't understand" in http.command("/quote", "matrix weekly").text


def test_odd_input_is_refused_not_crashed(http: SlackHttp) -> None:
    """`nan` discounts, absurdly large counts and unknown countries get a way to write them, not a 500."""
    for text, expected in [
        ("plus 2500 migration nan%", "like `migration 20%`"),
        ("plus 2500 migration inf", "like `migration 20%`"),
        ("plus 99999999999999999999999999 seats 4", "at most 1,000,000,000"),
        ("plus 2500 seats 99999999999999999999999999", "at most 1,000,000,000"),
        ("licenses 99999999999999999999999", "at most 1,000,000,000"),
        ("licenses 5 country ZZZ", "is not a country"),
        ("licenses 5 country 1", "is not a country"),
        ("licenses 5 vat", "`/quote licenses 12 monthly vat FR40303265045`"),
    ]:
        reply = http.command("/quote", text)
        assert reply.status == 200 and expected in reply.text, (text, reply.text)
        assert "went wrong" not in reply.text


def test_country_by_name_is_its_rate_and_an_unknown_one_is_refused_in_the_modal(http: SlackHttp) -> None:
    """`country france` is FR at 20% (no account yet: 5 × 12.00 = 60.00, VAT 12.00, 72.00 today); `ZZ` in
    the modal is refused on its field."""
    text = http.command("/quote", "licenses 5 monthly country france").text
    assert "VAT 20% (FR)" in text and "$12.00" in text and "$72.00" in text
    http.command("/quote")
    view = http.opened_view()
    reply = http.submit(
        view,
        {
            "plan_product": select("V3:business-licenses"),
            "plan_licenses": {"type": "number_input", "value": "5"},
            "plan_frequency": select("monthly"),
            "quote_country": text_input("ZZ"),
        },
    )
    assert reply.body["response_action"] == "errors" and "quote_country" in reply.body["errors"]


def test_the_next_tier_of_a_new_account_is_said_once(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """At 24 accounts a new one moves the agency to 35% from the next cycle: one line says so, not two."""
    http.command("/agency", "members")
    add_paid_accounts(sessions, 24)
    text = http.command("/quote", "plus 2500").text
    assert "$74.25" in text  # 99.00 − 25%: the first charge is at the tier before the account
    assert text.count("35%") == 2, text  # "1 more account reaches 35%" and "moves to 35%"
