"""Confirm buttons and confirm steps carry only the id of a confirmation the server holds (SPEC §10):
made-up values, another agency's ids, expired or used ids are refused and write nothing; a double
click does the work once and says so. Credit moves are keyed by what they move, not by the request
alone.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain import ledger
from domain.clock import FixedClock
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import (
    Account,
    Agency,
    Approval,
    AuditEntry,
    Invoice,
    LedgerEntry,
    Member,
    PendingConfirmation,
    ProcessedRequest,
)
from tests.e2e.test_seats_http import _seat_account
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.slackhttp import TEAM, Reply, SlackHttp, payload_text, text_input
from tests.workspaces import install

OTHER_TEAM, OTHER_OWNER, SECOND = "T0OTHER", "U0OTHER", "U0SECOND"
STALE = "not valid any more"
ISSUE_EXAMPLE = "acme-shop|99999999|abcdef"


def _agency(sessions: sessionmaker[Session], threshold: Decimal | None = Decimal("1.00")) -> int:
    """acme-shop is contact-tiered (marketing plus); a second owner; approvals above $1 when asked."""
    with sessions.begin() as s:
        agency = make_agency(s, notice_channel="C0NOTICES", approval_threshold=threshold)
        s.add(Member(agency_id=agency.id, user_id=SECOND, role="owner", added_by="t", created_at=NOW))
        profile = make_profile(s, agency)
        make_account(
            s,
            agency,
            name="acme-shop",
            billing_profile_id=profile.id,
            provider_ref="acc_acme",
            price_per_cycle=Decimal("99.00"),
        )
        ledger.append(
            s, agency_id=agency.id, pool="sms", amount=Decimal(1000), kind="purchase", actor="t", at=NOW
        )
        return agency.id


def _other_agency(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        agency = make_agency(s, team_id=OTHER_TEAM, owner=OTHER_OWNER, name="Other Agency")
        profile = make_profile(s, agency)
        make_account(s, agency, name="their-shop", billing_profile_id=profile.id, provider_ref="acc_their")
        return agency.id


def _counts(db: Engine) -> dict[str, int]:
    """Everything a confirmation could write (the pending rows themselves are made by the cards)."""
    with Session(db) as s:
        return {
            model.__tablename__: int(s.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Invoice, Approval, LedgerEntry, AuditEntry, ProcessedRequest, Account)
        } | {"used": int(s.scalar(select(func.count()).where(PendingConfirmation.used_at.is_not(None))) or 0)}


def _button(body: dict[str, Any], action_id: str) -> str:
    for block in body.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {body}")


def _said(slack: LocalSlack) -> str:
    return "\n".join(
        payload_text(c.params) for c in slack.calls if c.method in ("response_url", "chat.postEphemeral")
    )


def _command_as(http: SlackHttp, team: str, user: str, command: str, text: str) -> dict[str, Any]:
    body = {
        "team_id": team,
        "channel_id": "C0THEIRS",
        "user_id": user,
        "command": command,
        "text": text,
        "api_app_id": "A0TEST",
        "response_url": http.slack.response_url(uuid.uuid4().hex),
        "trigger_id": uuid.uuid4().hex,
    }
    return http.post(urlencode(body)).body


def _forged_ids() -> list[str]:
    return ["", ISSUE_EXAMPLE, "0" * 48, uuid.uuid4().hex + uuid.uuid4().hex[:16], "x" * 5000]


def test_the_issue_example_is_refused_and_writes_nothing(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway, db: Engine
) -> None:
    """A signed `seats_buy_confirm` click with `acme-shop|99999999|abcdef` (a contact-tiered account,
    a six-character nonce) once created a pending approval for 99,999,999 licenses: now it is refused
    as not valid, with no approval, no charge, no audit entry."""
    _agency(sessions)
    before = _counts(db)
    reply = http.click("seats_buy_confirm", ISSUE_EXAMPLE)
    assert reply.status == 200
    assert STALE in _said(slack), _said(slack)
    assert _counts(db) == before
    assert gateway.charges == [] and not slack.of("chat.postMessage")


BUTTONS = [
    "seats_buy_confirm",
    "seats_admin_confirm",
    "credits_buy_confirm",
    "accounts_renew_confirm",
]
OLD_VALUES = {
    "seats_buy_confirm": ISSUE_EXAMPLE,
    "seats_admin_confirm": "acme-shop|client@evil.example",
    "credits_buy_confirm": json.dumps({"n": "a" * 32, "k": "prepaid", "q": "10000", "a": None, "p": None}),
    "accounts_renew_confirm": json.dumps({"n": "acme-shop", "k": "b" * 32, "p": None}),
}


@pytest.mark.parametrize("action_id", BUTTONS)
def test_forged_values_on_every_confirm_button_are_refused(
    action_id: str,
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
    gateway: SimulatedGateway,
    db: Engine,
) -> None:
    """The old value formats (parsed choices, nonces) and made-up ids are refused on every confirm
    button, with and without the approvals rule: nothing is charged, held, audited or used."""
    agency_id = _agency(sessions)
    for threshold in (Decimal("1.00"), None):
        with sessions.begin() as s:
            s.execute(update(Agency).where(Agency.id == agency_id).values(approval_threshold=threshold))
        before = _counts(db)
        for value in [OLD_VALUES[action_id], *_forged_ids()]:
            slack.clear()
            forged_id = value and value != OLD_VALUES[action_id]
            suffix = ":0" if action_id == "accounts_renew_confirm" and forged_id else ""
            assert http.click(action_id, value + suffix).status == 200
            assert STALE in _said(slack) or "out of date" in _said(slack), (value[:60], _said(slack))
        assert _counts(db) == before
    assert gateway.charges == []


def test_forged_modal_metadata_is_refused(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
    db: Engine,
) -> None:
    """The confirm steps of modals (licenses Pay, `/seats new` Pay, Edit's "Charge and change", Add
    account) trust nothing in `private_metadata`: a forged payload there is refused in the modal."""
    name = _seat_account(sessions, provider, licenses=2)
    before = _counts(db)
    forged = {
        "seats_buy_pay": {"value": f"{name}|4000|{'c' * 32}", "pending": "0" * 48},
        "seats_new_confirm": {
            "customer_name": "Evil",
            "email": "e@evil.example",
            "company": "Evil",
            "country": "DE",
            "vat_number": None,
            "licenses": 4000,
            "frequency": "annual",
            "payment_method": "transfer",
            "billing_profile_id": None,
            "nonce": "d" * 32,
            "pending": ISSUE_EXAMPLE,
        },
        "accounts_edit_confirm": {
            "name": "acme-shop",
            "plan": {"version": "V3", "product": "marketing", "tier": "enterprise", "contacts": 100000},
            "nonce": "e" * 32,
            "pending": "1" * 48,
        },
    }
    for callback_id, meta in forged.items():
        view = {
            "id": "V0FORGED",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": json.dumps(meta),
        }
        reply = http.submit(view, {})
        assert STALE in payload_text(reply.body.get("view") or {}) or STALE in str(reply.body), reply.body
    assert _counts(db) == before and gateway.charges == []


def test_forged_add_account_form_id_is_refused(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, db: Engine
) -> None:
    """The Add account form's id (its idempotency key) is issued by the server when it opens: a
    made-up one, or another member's, creates nothing."""
    _agency(sessions)
    http.command("/accounts", "add")
    view = http.opened_view()
    values = {
        "name": text_input("newshop"),
        "client_name": text_input("New Shop"),
        "client_email": text_input("owner@newshop.example"),
    }
    before = _counts(db)
    for nonce in ("f" * 32, ISSUE_EXAMPLE):
        forged = {**view, "private_metadata": json.dumps({"nonce": nonce, "channel": "C0TEST"})}
        slack.clear()
        reply = http.submit(forged, values)
        assert "not valid any more" in str(reply.body) + _said(slack), reply.body
    slack.clear()
    reply = http.submit(view, values, user=SECOND)
    assert "not valid any more" in str(reply.body) + _said(slack), reply.body
    assert _counts(db) == before


def test_another_agencys_ids_are_refused(
    many_app: Any,
    many_http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
    gateway: SimulatedGateway,
    db: Engine,
) -> None:
    """A confirmation and an approval request of another agency (another Slack workspace) are refused
    exactly like unknown ones: nothing is charged, decided or revealed."""
    http = many_http
    _agency(sessions, threshold=None)
    other = _other_agency(sessions)
    install(many_app, slack, TEAM, "U0OWNER")
    install(many_app, slack, OTHER_TEAM, OTHER_OWNER)
    theirs = _command_as(http, OTHER_TEAM, OTHER_OWNER, "/credits", "buy prepaid 500")
    pending_id = _button(theirs, "credits_buy_confirm")
    with sessions.begin() as s:
        s.add(
            Approval(
                agency_id=other,
                kind="credits",
                requester=OTHER_OWNER,
                amount=Decimal("500.00"),
                summary="prepaid",
                payload={"kind": "prepaid", "quantity": "500", "nonce": pending_id},
                status="pending",
                expires_at=NOW + timedelta(days=1),
                created_at=NOW,
            )
        )
    with Session(db) as s:
        approval_id = s.scalars(select(Approval.id)).one()
    before = _counts(db)
    http.click("credits_buy_confirm", pending_id)
    assert STALE in _said(slack)
    slack.clear()
    http.click("approval_approve", str(approval_id))
    http.click("approval_reject", str(approval_id))
    assert f"no approval request {approval_id}" in _said(slack), _said(slack)
    assert _counts(db) == before and gateway.charges == []
    with Session(db) as s:
        assert s.get(Approval, approval_id).status == "pending"  # type: ignore[union-attr]
    # Their own owner can still use it: the refusal above wrote nothing.
    http.interaction(
        {
            "type": "block_actions",
            "team": {"id": OTHER_TEAM},
            "user": {"id": OTHER_OWNER, "team_id": OTHER_TEAM},
            "channel": {"id": "C0THEIRS"},
            "response_url": slack.response_url("theirs"),
            "actions": [{"action_id": "credits_buy_confirm", "value": pending_id, "type": "button"}],
        }
    )
    assert len(gateway.charges) == 1


def test_a_confirmation_expires_after_30_minutes(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
    clock: FixedClock,
    gateway: SimulatedGateway,
    db: Engine,
) -> None:
    """A card confirmed 29 minutes after it was shown charges; one confirmed after 30 is refused as
    expired and writes nothing."""
    _agency(sessions, threshold=None)
    fresh = _button(http.command("/credits", "buy prepaid 500").body, "credits_buy_confirm")
    old = _button(http.command("/credits", "buy prepaid 300").body, "credits_buy_confirm")
    clock.advance(timedelta(minutes=29))
    http.click("credits_buy_confirm", fresh)
    assert "Bought $500.00" in _said(slack)
    clock.advance(timedelta(minutes=1))
    slack.clear()
    before = _counts(db)
    http.click("credits_buy_confirm", old)
    assert "expired" in _said(slack) and "nothing was done" in _said(slack), _said(slack)
    assert _counts(db) == before and len(gateway.charges) == 1


def test_seats_double_click_charges_once_and_says_so(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    provider: SimulatedProvider,
    slack: LocalSlack,
    gateway: SimulatedGateway,
    db: Engine,
) -> None:
    """Confirm clicked twice (and once more by Slack's retry): one charge, one growth of the licenses;
    the later answers say it was already done and repeat the first answer."""
    name = _seat_account(sessions, provider, licenses=2)
    pending_id = _button(http.command("/seats", f"buy {name} 3").body, "seats_buy_confirm")
    for _ in range(3):
        http.click("seats_buy_confirm", pending_id)
    answers = [payload_text(c.params) for c in slack.of("response_url")]
    assert len(answers) == 3 and "5 in all" in answers[0]
    first = answers[0].splitlines()[0]
    assert all("Already done" in a and first in a for a in answers[1:]), answers
    assert len(gateway.charges) == 1
    with Session(db) as s:
        assert s.scalars(select(Account.seats)).one() == 5
        assert s.scalar(select(func.count(Invoice.id))) == 1


def test_simultaneous_clicks_do_the_work_once(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway
) -> None:
    """Eight clicks on one Confirm at the same instant: one charge; every other click is told the
    confirmation is already done or being done."""
    _agency(sessions, threshold=None)
    pending_id = _button(http.command("/credits", "buy prepaid 500").body, "credits_buy_confirm")
    start = threading.Barrier(8)

    def click() -> None:
        start.wait()
        http.click("credits_buy_confirm", pending_id)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers = [payload_text(c.params) for c in slack.of("response_url")]
    assert len(gateway.charges) == 1 and len(answers) == 8
    assert sum("Already done" in a or "already being carried out" in a for a in answers) == 7, answers


def test_only_the_member_shown_the_card_confirms_it(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway, db: Engine
) -> None:
    """A confirm card is ephemeral to the member who asked: another owner of the same agency clicking
    its id is refused (nothing written), and the card still works for its owner."""
    _agency(sessions, threshold=None)
    pending_id = _button(http.command("/credits", "buy prepaid 500").body, "credits_buy_confirm")
    before = _counts(db)
    http.click("credits_buy_confirm", pending_id, user=SECOND)
    assert "only they can confirm it" in _said(slack)
    assert _counts(db) == before and gateway.charges == []
    http.click("credits_buy_confirm", pending_id)
    assert len(gateway.charges) == 1


def test_a_price_that_moved_is_said_not_charged(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway, db: Engine
) -> None:
    """The renewal is priced again at the click: when the plan changed since the card was shown, the
    person is told the new price and nothing is charged."""
    agency_id = _agency(sessions, threshold=None)
    with sessions.begin() as s:
        s.execute(
            update(Account)
            .where(Account.agency_id == agency_id)
            .values(status="expired", period_end=date(2026, 11, 20))
        )
    card = http.command("/accounts", "renew acme-shop")
    value = _button(card.body, "accounts_renew_confirm")
    with sessions.begin() as s:
        s.execute(update(Account).where(Account.agency_id == agency_id).values(contacts=10000))
    before = _counts(db)
    http.click("accounts_renew_confirm", value)
    assert "price changed" in _said(slack) and "Nothing was charged" in _said(slack), _said(slack)
    assert _counts(db) == before and gateway.charges == []


def test_approval_double_click_is_asked_once(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway, db: Engine
) -> None:
    """Above the approvals amount, Confirm clicked twice posts one request; the second click says it
    was already sent."""
    _agency(sessions)
    pending_id = _button(http.command("/credits", "buy prepaid 500").body, "credits_buy_confirm")
    http.click("credits_buy_confirm", pending_id)
    http.click("credits_buy_confirm", pending_id)
    answers = [payload_text(c.params) for c in slack.of("response_url")]
    assert "request #" in answers[0] and "Already done" in answers[1]
    assert answers[0].splitlines()[0] in answers[1]
    assert len(slack.of("chat.postMessage")) == 1 and gateway.charges == []
    with Session(db) as s:
        assert s.scalar(select(func.count(Approval.id))) == 1


def _allocate_reply(http: SlackHttp, text: str, trigger_id: str | None) -> Reply:
    body = {
        "team_id": TEAM,
        "channel_id": "C0TEST",
        "user_id": "U0OWNER",
        "command": "/credits",
        "text": text,
        "api_app_id": "A0TEST",
        "response_url": http.slack.response_url(uuid.uuid4().hex),
    }
    if trigger_id is not None:
        body["trigger_id"] = trigger_id
    return http.post(urlencode(body))


def _allocate(http: SlackHttp, text: str, trigger_id: str) -> str:
    return payload_text(_allocate_reply(http, text, trigger_id).body)


def test_allocations_are_keyed_by_what_they_move(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """Under one trigger id, two different allocations (another account, another amount) are both
    applied; the same command redelivered (same trigger id, same content) is answered "already done"
    and moves nothing. A command without a trigger id is not one Slack sends: a plain 400, nothing
    moved (it used to be keyed by the missing id, so a second, different one was silently dropped)."""
    agency_id = _agency(sessions, threshold=None)
    with sessions.begin() as s:
        agency = s.get(Agency, agency_id)
        assert agency is not None
        make_account(s, agency, name="beta-shop")
    assert _allocate_reply(http, "allocate sms 40 acme-shop", None).status == 400
    assert "allocated to acme-shop" in _allocate(http, "allocate sms 30 acme-shop", "T0")
    second = _allocate(http, "allocate sms 20 beta-shop", "T0")
    assert "20 SMS credits allocated to beta-shop" in second and "Already" not in second
    assert "allocated to acme-shop" in _allocate(http, "allocate sms 25 acme-shop", "T0")
    first = _allocate(http, "allocate sms 5 acme-shop", "T1")
    again = _allocate(http, "allocate sms 5 acme-shop", "T1")
    assert "Already done" not in first and "Already done" in again and "nothing was moved again" in again
    assert "Already done" not in _allocate(http, "allocate sms 6 acme-shop", "T1")
    with sessions() as s:
        ids = {a.name: a.id for a in s.scalars(select(Account).where(Account.agency_id == agency_id))}
        assert ledger.balance(s, agency_id, "sms", ids["acme-shop"]) == Decimal(30 + 25 + 5 + 6)
        assert ledger.balance(s, agency_id, "sms", ids["beta-shop"]) == Decimal(20)
        assert ledger.balance(s, agency_id, "sms") == Decimal(1000 - 86)


def test_cancel_uses_the_confirmation_up(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway, db: Engine
) -> None:
    """Cancel means cancelled: Confirm pressed later (a stale copy of the card) charges nothing and
    says the card was cancelled; another member's Cancel does not cancel it."""
    _agency(sessions, threshold=None)
    card = http.command("/credits", "buy prepaid 500").body
    pending_id = _button(card, "credits_buy_confirm")
    assert _button(card, "credits_buy_cancel") == pending_id
    http.click("credits_buy_cancel", pending_id, user=SECOND)
    http.click("credits_buy_cancel", pending_id)
    slack.clear()
    http.click("credits_buy_confirm", pending_id)
    assert "Already done" in _said(slack) and "Cancelled: nothing was charged." in _said(slack)
    assert gateway.charges == []
    with Session(db) as s:
        assert s.scalar(select(func.count(Invoice.id))) == 0


def test_user_seats_are_bounded_when_typed_and_again_at_the_click(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway, db: Engine
) -> None:
    """The issue's 99,999,999 user seats on a contact-tiered account are refused when typed (at most
    1,000 per account); a card for 5 seats is re-checked at the click: when the account has meanwhile
    grown to 998 seats, the 1,003 it would make are refused and nothing is charged."""
    agency_id = _agency(sessions, threshold=None)
    typed = http.command("/seats", "buy acme-shop 99999999").text
    assert "at most 1,000 user seats" in typed and "seats_buy_confirm" not in typed, typed
    card = http.command("/seats", "buy acme-shop 5")
    pending_id = _button(card.body, "seats_buy_confirm")
    with sessions.begin() as s:
        s.execute(update(Account).where(Account.agency_id == agency_id).values(seats=998))
    before = _counts(db)
    http.click("seats_buy_confirm", pending_id)
    assert "at most 1,000 user seats" in _said(slack) and "1,003" in _said(slack), _said(slack)
    assert _counts(db) == before and gateway.charges == []
