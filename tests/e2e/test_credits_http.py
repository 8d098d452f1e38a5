"""`/credits` and `/billing` over signed HTTP, through the real Bolt app."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain import ledger
from domain.simulated import SimulatedGateway
from domain.store.models import Agency, Invoice, Member
from tests.e2e.test_agency_http import row_counts
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp, payload_text, text_input
from tests.slackhttp import select as pick


def _agency(sessions: sessionmaker[Session], **account: Any) -> int:
    with sessions.begin() as s:
        agency = make_agency(s)
        make_profile(s, agency)
        make_account(s, agency, name="acme", **account)
        return agency.id


def _button(reply_body: dict[str, Any], action_id: str) -> str:
    for block in reply_body.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def test_buy_prepaid_confirm_charges_once_under_double_click(
    http: SlackHttp, sessions: sessionmaker[Session], gateway: SimulatedGateway, slack: LocalSlack
) -> None:
    """The confirm card shows the draw; Confirm clicked twice is one charge, one credit; the second
    answer says it was already done, with the first answer."""
    agency_id = _agency(sessions)
    card = http.command("/credits", "buy prepaid 500 for acme")
    assert "Confirm purchase" in card.text and "$500.00" in card.text and "4242" in card.text
    value = _button(card.body, "credits_buy_confirm")
    http.click("credits_buy_confirm", value)
    http.click("credits_buy_confirm", value)
    answers = [payload_text(c.params) for c in slack.of("response_url")]
    assert len(answers) == 2 and "INV-" in answers[0] and answers[0].splitlines()[0] in answers[1]
    assert "Already done" in answers[1] and "Already done" not in answers[0]
    assert len(gateway.charges) == 1
    with sessions() as s:
        assert ledger.balance(s, agency_id, "prepaid") == Decimal("0.00")
        account_id = s.execute(text("select id from accounts where name='acme'")).scalar_one()
        assert ledger.balance(s, agency_id, "prepaid", account_id) == Decimal("500.00")
        assert len(s.scalars(select(Invoice)).all()) == 1
    assert "acme: $500.00" in http.command("/credits").text


def test_cancel_charges_nothing(http: SlackHttp, sessions: sessionmaker[Session], db: Engine) -> None:
    """Cancel on the confirm card: nothing written."""
    _agency(sessions)
    http.command("/credits", "buy sms 5000")
    before = row_counts(db)
    http.click("credits_buy_cancel", "cancel")
    assert row_counts(db) == before


def test_pack_bought_with_general_credit_before_the_card(
    http: SlackHttp, sessions: sessionmaker[Session], gateway: SimulatedGateway
) -> None:
    """An SMS pack draws prepaid credit first: 100 of credit, 40 on the card for the 140.00 pack."""
    agency_id = _agency(sessions)
    with sessions.begin() as s:
        ledger.append(
            s, agency_id=agency_id, pool="prepaid", amount=Decimal(100), kind="purchase", actor="t", at=NOW
        )
    card = http.command("/credits", "buy sms 5k")
    assert "$100.00" in card.text and "$40.00" in card.text
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"))
    assert [amount for _, amount, _ in gateway.charges] == [Decimal("40.00")]
    assert "allocated to acme" in http.command("/credits", "allocate sms 1000 acme").text
    balances = http.command("/credits").text
    assert "4,000" in balances and "acme: 1,000" in balances


def test_allocate_is_refused_for_starter_with_the_reason(
    http: SlackHttp, sessions: sessionmaker[Session], db: Engine
) -> None:
    """SMS credits never go to starter accounts; the refusal says why and writes nothing."""
    agency_id = _agency(sessions, tier="starter")
    with sessions.begin() as s:
        ledger.append(
            s, agency_id=agency_id, pool="sms", amount=Decimal(1000), kind="purchase", actor="t", at=NOW
        )
    before = row_counts(db)
    reply = http.command("/credits", "allocate sms 100 acme")
    assert "starter" in reply.text and "plus, professional or" in reply.text
    assert row_counts(db) == before


def test_declined_card_answers_declined(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack
) -> None:
    """A declined purchase says so and credits nothing; the retry answers that it was already done."""
    with sessions.begin() as s:
        agency = make_agency(s)
        make_profile(s, agency, "declined")
    card = http.command("/credits", "buy preview 200")
    value = _button(card.body, "credits_buy_confirm")
    http.click("credits_buy_confirm", value)
    http.click("credits_buy_confirm", value)
    answers = [payload_text(c.params) for c in slack.of("response_url")]
    assert "declined" in answers[0] and "Already done" in answers[1]
    assert answers[0].splitlines()[0] in answers[1]
    assert "Inbox-preview pool*\n0" in http.command("/credits").text


def test_profile_in_use_cannot_be_deleted_and_the_refusal_lists_accounts(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Deleting a card that pays for acme is refused, naming acme; an unused card is deleted."""
    with sessions.begin() as s:
        agency = make_agency(s)
        used, unused = make_profile(s, agency), make_profile(s, agency)
        make_account(s, agency, name="acme", billing_profile_id=used.id)
    assert "acme" in http.command("/billing", f"profiles delete {used.id}").text
    assert "deleted" in http.command("/billing", f"profiles delete {unused.id}").text


def test_card_numbers_typed_in_commands_are_refused(
    http: SlackHttp, sessions: sessionmaker[Session], db: Engine
) -> None:
    """A full card number in any command text is refused and reaches no table."""
    _agency(sessions)
    before = row_counts(db)
    for command, words in (
        ("/credits", "buy prepaid 4242-4242-4242-4242"),
        ("/billing", "history 4000 0000 0000 9995"),
    ):
        assert "card number" in http.command(command, words).text
    assert row_counts(db) == before


def test_history_and_invoice_and_roles(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """A purchase appears in both histories; a viewer reads them but cannot buy."""
    _agency(sessions)
    card = http.command("/credits", "buy prepaid 100")
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"))
    history = http.command("/billing", "history").text
    number = history.split("*INV-")[1].split("*")[0]
    invoice = http.command("/billing", f"invoice INV-{number}").text
    assert "Prepaid credit" in invoice and "$100.00" in invoice
    assert "purchase" in http.command("/credits", "history").text
    with sessions.begin() as s:
        agency_id = s.scalars(select(Agency.id)).one()
        s.add(Member(agency_id=agency_id, user_id="U0VIEW", role="viewer", added_by="t", created_at=NOW))
    assert "INV-" in http.command("/billing", "history", user="U0VIEW").text
    assert "does not allow" in http.command("/credits", "buy prepaid 100", user="U0VIEW").text


def test_buy_modal_lists_the_cards_and_posts_the_confirm_card(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, db: Engine
) -> None:
    """`/credits buy` alone opens a form with the agency's cards; Review posts the confirm card
    (nothing charged yet: only the server-held pending confirmation is written)."""
    _agency(sessions)
    assert http.command("/credits", "buy").status == 200
    view = http.opened_view()
    profile = next(b for b in view["blocks"] if b.get("block_id") == "profile")
    assert [o["value"] for o in profile["element"]["options"]]
    before = row_counts(db)
    reply = http.submit(
        view,
        {
            "kind": pick("sms"),
            "quantity": text_input("5000"),
            "profile": pick(profile["element"]["options"][0]["value"]),
        },
    )
    assert reply.status == 200 and not reply.body
    posted = slack.of("chat.postEphemeral")[-1].params
    assert "5,000 SMS credits" in payload_text(posted) and "credits_buy_confirm" in str(posted["blocks"])
    assert row_counts(db) == before | {"pending_confirmations": before["pending_confirmations"] + 1}
