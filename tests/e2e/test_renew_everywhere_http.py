"""Issue 14 §1 over signed HTTP: every Renew button (the overview's row, the account card, the App
Home's list, a "charge failed" notice, a "cancelled account ended" notice) opens the same confirm card
as `/accounts renew <name>` and never charges in one click; confirming goes through four-eyes
approval above the threshold; a declined billing profile is never offered first; a cancelled account
is renewed only by the explicit choice of undoing its cancellation, which is then cleared and audited."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import run_jobs
from bot.settings import Settings
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Approval, AuditEntry, Invoice, Member, Notice
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp, payload_text

BILL = "U0BILL"
TODAY = NOW.date()


def _post_notices(http: SlackHttp, extras: dict[str, Any]) -> None:
    http.command("/agency", "notices run")
    for worker in extras.get("notice_runs", []):
        worker.join(10)


def _elements(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in payload.get("blocks") or []
        for element in (block.get("elements") or [])
        + ([block["accessory"]] if block.get("accessory") else [])
        if isinstance(element, dict)
    ]


def _button(payload: dict[str, Any], action_id: str, value: str | None = None) -> dict[str, Any]:
    for element in _elements(payload):
        if element.get("action_id") == action_id and (value is None or element.get("value") == value):
            return element
    raise AssertionError(f"no {action_id} button in {payload}")


def _answers(http: SlackHttp, mark: int) -> list[dict[str, Any]]:
    """What the app showed the clicker since `mark`: through the response URL, an ephemeral, or a DM."""
    methods = ("response_url", "chat.postEphemeral", "chat.postMessage", "views.push")
    return [dict(c.params) for c in http.slack.since(mark) if c.method in methods]


def _card_text(payload: dict[str, Any]) -> str:
    """The card's words and buttons' words, without the server-held ids the buttons carry."""
    words = [payload_text(payload)] + [
        str(e["text"]["text"]) for e in _elements(payload) if e.get("type") == "button"
    ]
    return "\n".join(words)


def _notice_message(http: SlackHttp, account: str) -> dict[str, Any]:
    for call in http.slack.of("chat.postMessage"):
        if account in payload_text(call.params) and any(
            e.get("action_id") == "notice_renew" for e in _elements(dict(call.params))
        ):
            return {"ts": call.response["ts"], "text": call.params["text"], "blocks": call.params["blocks"]}
    raise AssertionError(f"no notice with Renew about {account}")


def _agency(sessions: sessionmaker[Session], threshold: Decimal | None = None) -> int:
    with sessions.begin() as s:
        agency = make_agency(s, notice_channel="C0NOTICES", approval_threshold=threshold)
        s.add(Member(agency_id=agency.id, user_id=BILL, role="billing", added_by="t", created_at=NOW))
        card = make_profile(s, agency)
        make_account(s, agency, name="steady", price_per_cycle=Decimal("99.00"), billing_profile_id=card.id)
        # A charge that the billing run will see declined today, and an account cancelled with a reason.
        declining = make_profile(s, agency, "declined", label="Old card")
        make_account(s, agency, name="lapsed", period_end=TODAY, billing_profile_id=declining.id)
        gone = make_account(
            s,
            agency,
            name="leaver",
            status="cancelled",
            status_reason="client leaving",
            status_changed_at=NOW - timedelta(days=10),
            period_end=TODAY,
            billing_profile_id=card.id,
        )
        s.add(
            AuditEntry(
                agency_id=agency.id,
                actor="U0OWNER",
                action="account.cancelled",
                target=gone.name,
                before={"status": "active"},
                after={"status": "cancelled"},
                reason="client leaving",
                at=NOW - timedelta(days=10),
            )
        )
        return agency.id


def _ended_and_noticed(
    http: SlackHttp,
    extras: dict[str, Any],
    settings: Settings,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """Today's jobs as they run: the cancelled period ends, the declined renewal expires its account,
    and both notices (with Renew) are posted in the channel."""
    run_jobs(settings, "statuses", day=TODAY)
    run_billing(sessions, gateway, catalog, clock, day=TODAY)
    _post_notices(http, extras)


SURFACES = ("overview", "card", "home", "notice")


@pytest.mark.parametrize("account", ["lapsed", "leaver"])
@pytest.mark.parametrize("surface", SURFACES)
def test_every_renew_button_opens_the_confirm_card_and_asks_approval(
    desk: tuple[SlackHttp, dict[str, Any]],
    settings: Settings,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
    surface: str,
    account: str,
) -> None:
    """Whatever Renew is clicked (overview row, account card, the App Home's Expired list, the notice),
    the member sees the same card as `/accounts renew <name>` (amount, period, billing profiles) and
    nothing is charged; confirming it above the agency's $50 threshold holds a four-eyes approval and
    still charges nothing."""
    http, extras = desk
    _agency(sessions, threshold=Decimal("50"))
    _ended_and_noticed(http, extras, settings, sessions, gateway, catalog, clock)
    charges_before = len(gateway.charges)
    with sessions() as s:
        invoices_before = len(s.scalars(select(Invoice)).all())
    expected = _card_text(http.command("/accounts", f"renew {account}", user=BILL).body)
    assert "$" in expected and "→" in expected and "Visa success ···4242" in expected
    mark = http.slack.mark()
    if surface == "overview":
        listing = http.command("/accounts", "status:expired", user=BILL).body
        http.click("accounts_renew", _button(listing, "accounts_renew", account)["value"], BILL)
    elif surface == "card":
        shown = http.command("/accounts", f"show {account}", user=BILL).body
        http.click("accounts_renew", _button(shown, "accounts_renew", account)["value"], BILL)
    elif surface == "home":
        home = http.home(user=BILL)
        expired = next(
            e for e in _elements(home) if e.get("type") == "button" and e["text"]["text"] == "Expired"
        )
        http.click("accounts_page", expired["value"], BILL, surface="home", view=home)
        listing = _answers(http, mark)[-1]
        mark = http.slack.mark()
        value = _button(listing, "accounts_renew", account)["value"]
        http.click(
            "accounts_renew", value, BILL, surface="message", channel=BILL, message={"ts": "1.0", **listing}
        )
    else:
        message = _notice_message(http, account)
        notice_button = next(e for e in _elements(message) if e.get("action_id") == "notice_renew")
        http.click(
            "notice_renew",
            notice_button["value"],
            BILL,
            surface="message",
            channel="C0NOTICES",
            message=message,
        )
    card = _answers(http, mark)[-1]
    assert _card_text(card) == expected
    assert len(gateway.charges) == charges_before  # one click never charges
    confirm = _button(card, "accounts_renew_confirm")["value"]
    mark = http.slack.mark()
    http.click("accounts_renew_confirm", confirm, BILL)
    said = "\n".join(payload_text(p) for p in _answers(http, mark))
    assert "above the approval amount ($50.00)" in said
    assert len(gateway.charges) == charges_before
    with sessions() as s:
        assert len(s.scalars(select(Invoice)).all()) == invoices_before
        approval = s.scalars(select(Approval)).one()
        assert approval.kind == "renewal" and approval.requester == BILL
        assert approval.payload["name"] == account
        assert approval.payload["undo"] is (account == "leaver")
        assert s.scalars(select(Account.status).where(Account.name == account)).one() == "expired"
    request = payload_text(http.slack.of("chat.postMessage")[-1].params)
    if account == "leaver":
        assert "Renewal of leaver, undoing its cancellation" in request


def test_a_declined_profile_is_not_offered_first(
    desk: tuple[SlackHttp, dict[str, Any]],
    settings: Settings,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """After the billing run's renewal of `lapsed` is declined on "Old card", the notice's Renew card
    offers the other card first (and preselected), and shows the declining one last, marked "declined
    on <date>"; confirming the first button renews with the other card."""
    http, extras = desk
    _agency(sessions)
    _ended_and_noticed(http, extras, settings, sessions, gateway, catalog, clock)
    with sessions() as s:
        failed = s.scalars(select(Invoice).where(Invoice.status == "failed")).one()
        lapsed = s.scalars(select(Account).where(Account.name == "lapsed")).one()
        assert lapsed.status == "expired" and failed.billing_profile_id == lapsed.billing_profile_id
    message = _notice_message(http, "lapsed")
    value = next(e for e in _elements(message) if e.get("action_id") == "notice_renew")["value"]
    mark = http.slack.mark()
    http.click("notice_renew", value, BILL, surface="message", channel="C0NOTICES", message=message)
    card = _answers(http, mark)[-1]
    buttons = [e for e in _elements(card) if e.get("action_id") == "accounts_renew_confirm"]
    labels = [e["text"]["text"] for e in buttons]
    assert labels[0] == "Charge Visa success ···4242" and buttons[0].get("style") == "primary"
    assert labels[1] == "Charge Old card ···9995 (declined on Nov 25, 2026)" and "style" not in buttons[1]
    assert "Old card ···9995 was declined on Nov 25, 2026: choose another billing profile" in payload_text(
        card
    )
    mark = http.slack.mark()
    http.click("accounts_renew_confirm", buttons[0]["value"], BILL)
    assert "lapsed renewed until" in "\n".join(payload_text(p) for p in _answers(http, mark))
    with sessions() as s:
        lapsed = s.scalars(select(Account).where(Account.name == "lapsed")).one()
        paid = s.scalars(
            select(Invoice).where(Invoice.status == "paid", Invoice.account_id == lapsed.id)
        ).one()
        assert lapsed.status == "active" and paid.billing_profile_id == lapsed.billing_profile_id
        assert paid.billing_profile_id != failed.billing_profile_id


def test_a_cancelled_account_is_renewed_only_by_undoing_its_cancellation(
    desk: tuple[SlackHttp, dict[str, Any]],
    settings: Settings,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """The "cancelled account ended" notice's Renew only shows a card saying the cancellation (reason
    "client leaving") will be undone, with buttons that say so; nothing is charged and the account
    stays ended. Confirming that explicit choice renews it, clears the cancellation and audits it."""
    http, extras = desk
    _agency(sessions)
    _ended_and_noticed(http, extras, settings, sessions, gateway, catalog, clock)
    charges_before = len(gateway.charges)
    message = _notice_message(http, "leaver")
    assert "cancelled" in payload_text(message)
    value = next(e for e in _elements(message) if e.get("action_id") == "notice_renew")["value"]
    mark = http.slack.mark()
    http.click("notice_renew", value, BILL, surface="message", channel="C0NOTICES", message=message)
    card = _answers(http, mark)[-1]
    text = payload_text(card)
    assert "*leaver* was cancelled on Nov 15, 2026 (reason: client leaving)" in text
    assert "Renewing undoes the cancellation" in text
    labels = [e["text"]["text"] for e in _elements(card) if e.get("action_id") == "accounts_renew_confirm"]
    assert labels == [
        "Undo the cancellation and renew: Visa success ···4242",
        "Undo the cancellation and renew: Old card ···9995",
        "Undo the cancellation and renew from prepaid credit",
    ]
    assert len(gateway.charges) == charges_before
    with sessions() as s:
        leaver = s.scalars(select(Account).where(Account.name == "leaver")).one()
        assert leaver.status == "expired"
        assert not s.scalars(select(Invoice).where(Invoice.account_id == leaver.id)).all()
        assert s.scalars(select(Notice).where(Notice.kind == "cancelled_ended")).one()
    confirm = _button(card, "accounts_renew_confirm")["value"]
    mark = http.slack.mark()
    http.click("accounts_renew_confirm", confirm, BILL)
    said = "\n".join(payload_text(p) for p in _answers(http, mark))
    assert "leaver renewed until" in said and "Its cancellation is undone." in said
    assert len(gateway.charges) == charges_before + 1
    with sessions() as s:
        leaver = s.scalars(select(Account).where(Account.name == "leaver")).one()
        assert leaver.status == "active" and leaver.status_reason is None
        undone = s.scalars(select(AuditEntry).where(AuditEntry.action == "account.cancellation_undone")).one()
        assert undone.actor == BILL and undone.target == "leaver" and undone.reason == "client leaving"
    assert "cancellation undone by a renewal" in http.command("/agency", "audit").text


def test_a_cancelled_account_in_its_paid_period_says_the_same(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """`/accounts renew` of an account still cancelled (not yet ended) also says the cancellation and
    its reason, and its buttons undo it."""
    _agency(sessions)
    card = http.command("/accounts", "renew leaver", user=BILL).body
    assert "(reason: client leaving)" in payload_text(card)
    assert all(
        e["text"]["text"].startswith("Undo the cancellation and renew")
        for e in _elements(card)
        if e.get("action_id") == "accounts_renew_confirm"
    )
