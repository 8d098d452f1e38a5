"""Agency tools over signed HTTP: margins, four-eyes approvals, template imports, client access help."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import run_jobs
from bot.operations import drain_all
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain.clock import FixedClock
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Approval, AuditEntry, Invoice, Member, TemplateImport
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp, payload_text

BILL, OTHER_BILL, MANAGER, VIEWER = "U0BILL", "U0BILL2", "U0MANAGER", "U0VIEWER"


def _agency(sessions: sessionmaker[Session], threshold: Decimal | None = None) -> int:
    with sessions.begin() as s:
        agency = make_agency(s, notice_channel="C0NOTICES", approval_threshold=threshold)
        for user, role in (
            (BILL, "billing"),
            (OTHER_BILL, "billing"),
            (MANAGER, "manager"),
            (VIEWER, "viewer"),
        ):
            s.add(Member(agency_id=agency.id, user_id=user, role=role, added_by="t", created_at=NOW))
        make_profile(s, agency)
        make_account(s, agency, name="acme", price_per_cycle=Decimal("99.00"), provider_ref="acc_acme")
        make_account(
            s,
            agency,
            name="yearly",
            frequency="annual",
            price_per_cycle=Decimal("1000.00"),
            provider_ref="acc_yr",
        )
        return agency.id


def _button(body: dict[str, Any], action_id: str) -> str:
    for block in body.get("blocks", []):
        for element in block.get("elements", []) + ([block["accessory"]] if block.get("accessory") else []):
            if element.get("action_id") == action_id:
                return str(element.get("value"))
    raise AssertionError(f"no {action_id} button in {body}")


def test_margins_match_a_hand_computation(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """Cost is the next renewal at today's tier (2 active paid: 25%), not the price last charged
    (99.00 and 1,000.00 here): acme plus 2,500 monthly 99 − 24.75 = 74.25, 300 − 74.25 = 225.75;
    yearly plus 2,500 annual 948 − 237 = 711 → 59.25 a month, 1,500/cycle → 125 − 59.25 = 65.75;
    revenue 425.00, cost 133.50, margin 291.50, lowest first."""
    _agency(sessions)
    assert "$225.75" in http.command("/accounts", "price acme 300").text
    assert "$65.75" in http.command("/accounts", "price yearly 1500 cycle").text
    listing = http.command("/accounts", "margins").text
    assert "$425.00" in listing and "$133.50" in listing and "$291.50" in listing
    assert listing.index("yearly") < listing.index("*acme*")
    card = http.command("/accounts", "show yearly").text
    assert "$711.00" in card and "$1,500.00 per cycle" in card and "$65.75 a month" in card
    overview = http.command("/accounts", "sort:-margin").text
    assert overview.index("acme") < overview.index("yearly") and "margin $225.75 a month" in overview


def test_wrong_margin_input_is_refused(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """Bad amounts, periods and names are refused clearly; a viewer cannot set a price."""
    _agency(sessions)
    assert "as a number" in http.command("/accounts", "price acme lots").text
    assert "month or cycle" in http.command("/accounts", "price acme 10 week").text
    assert "no account named" in http.command("/accounts", "price nope 10").text
    assert "Write it as" in http.command("/accounts", "price acme").text
    assert "does not allow" in http.command("/accounts", "price acme 10", user=VIEWER).text


def _held_purchase(http: SlackHttp, slack: LocalSlack) -> int:
    card = http.command("/credits", "buy prepaid 500", user=BILL)
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"), user=BILL)
    told = payload_text(slack.of("response_url")[-1].params)
    assert "waits in" in told and "Nothing is charged" in told
    posted = slack.of("chat.postMessage")[-1].params
    assert posted["channel"] == "C0NOTICES"
    return int(_button(posted if "blocks" in posted else {}, "approval_approve"))


def test_approval_cannot_be_given_by_requester_manager_or_viewer_and_charges_once(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway
) -> None:
    """Above the amount nothing is charged until another owner/billing approves; a double approve charges once."""
    _agency(sessions, threshold=Decimal(100))
    approval = _held_purchase(http, slack)
    assert gateway.charges == []
    for user, reason in (
        (BILL, "another owner"),
        (MANAGER, "your role is manager"),
        (VIEWER, "your role is viewer"),
    ):
        http.click("approval_approve", str(approval), user=user)
        assert reason in payload_text(slack.of("response_url")[-1].params)
    assert gateway.charges == []
    http.click("approval_approve", str(approval), user=OTHER_BILL)
    http.click("approval_approve", str(approval), user="U0OWNER")
    assert len(gateway.charges) == 1
    updated = payload_text(slack.of("chat.update")[-1].params)
    assert "approved by <@U0BILL2>" in updated and "INV-" in updated
    with sessions() as s:
        assert len(s.scalars(select(Invoice)).all()) == 1
        actions = [e.action for e in s.scalars(select(AuditEntry)).all()]
    assert {"approval.requested", "approval.approved", "approval.executed"} <= set(actions)
    assert "approved" in http.command("/agency", "approvals", user=BILL).text


def test_rejected_and_expired_requests_charge_nothing(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
    gateway: SimulatedGateway,
    clock: FixedClock,
) -> None:
    """Reject ends a request; after 24 hours Approve is refused as expired; nothing is charged."""
    _agency(sessions, threshold=Decimal(100))
    first = _held_purchase(http, slack)
    http.click("approval_reject", str(first), user="U0OWNER")
    assert "rejected by <@U0OWNER>" in payload_text(slack.of("chat.update")[-1].params)
    second = _held_purchase(http, slack)
    clock.advance(timedelta(hours=24))
    http.click("approval_approve", str(second), user="U0OWNER")
    assert "expired" in payload_text(slack.of("response_url")[-1].params)
    assert gateway.charges == []
    with sessions() as s:
        assert sorted(a.status for a in s.scalars(select(Approval))) == ["expired", "rejected"]


def test_an_expired_request_is_shown_expired_and_loses_its_buttons(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
    gateway: SimulatedGateway,
    clock: FixedClock,
) -> None:
    """After 24 hours nobody clicked: the listing says expired (not "waiting"), offers no decision,
    the channel message is updated without buttons, the expiry is audited, and nothing is charged."""
    _agency(sessions, threshold=Decimal(100))
    approval = _held_purchase(http, slack)
    assert "Waiting for approval" in http.command("/agency", "approvals", user=BILL).text
    clock.advance(timedelta(hours=24))
    listing = http.command("/agency", "approvals", user=BILL)
    assert "Expired on" in listing.text and "Waiting for approval" not in listing.text
    assert "approval_decide" not in json.dumps(listing.body)
    updated = slack.of("chat.update")[-1].params
    assert "Expired on" in payload_text(updated) and "approval_approve" not in json.dumps(updated)
    http.click("approval_approve", str(approval), user="U0OWNER")
    assert "already expired" in payload_text(slack.of("response_url")[-1].params)
    assert gateway.charges == []
    with sessions() as s:
        assert s.scalars(select(Approval.status)).all() == ["expired"]
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.action == "approval.expired")).all()
        assert actions == ["approval.expired"]


def test_daily_jobs_expire_requests_nobody_looked_at_once(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
    clock: FixedClock,
    settings: Settings,
) -> None:
    """`jobs approvals` (part of `jobs daily`): a request past 24 hours that nobody listed or clicked
    is marked expired, audited once by `system`, and its channel message loses its buttons; a failed
    message update is retried by the next run; a further run changes nothing."""
    _agency(sessions, threshold=Decimal(100))
    _held_purchase(http, slack)
    clock.advance(timedelta(hours=23))
    assert run_jobs(settings, "approvals", clock=clock)[0].counts == {}
    clock.advance(timedelta(hours=1))
    slack.fail_next(500, method="chat.update")
    first = run_jobs(settings, "approvals", clock=clock)[0]
    assert first.counts == {"expired": 1, "message_failed": 1}
    before = len(slack.of("chat.update"))
    second = run_jobs(settings, "daily", clock=clock)
    assert second[1].job == "approvals" and second[1].counts == {"message_updated": 1}
    updated = slack.of("chat.update")[-1].params
    assert "Expired on" in payload_text(updated) and "approval_approve" not in json.dumps(updated)
    assert run_jobs(settings, "approvals", clock=clock)[0].counts == {}
    assert len(slack.of("chat.update")) == before + 1
    with sessions() as s:
        assert s.scalars(select(Approval.status)).all() == ["expired"]
        audits = s.scalars(select(AuditEntry).where(AuditEntry.action == "approval.expired")).all()
        assert [a.actor for a in audits] == ["system"]


def test_renewal_below_threshold_and_off_rule_charge_as_before(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, gateway: SimulatedGateway
) -> None:
    """Off by default: Confirm charges at once; owners set the amount, others are refused; bad amounts refused."""
    _agency(sessions)
    card = http.command("/credits", "buy prepaid 500", user=BILL)
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"), user=BILL)
    assert len(gateway.charges) == 1 and not slack.of("chat.postMessage")
    assert "does not allow" in http.command("/agency", "approvals 100", user=BILL).text
    assert "as a number" in http.command("/agency", "approvals lots").text
    assert "above $1,000.00" in http.command("/agency", "approvals 1000").text
    card = http.command("/credits", "buy prepaid 500", user=BILL)
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"), user=BILL)
    assert len(gateway.charges) == 2
    assert "are off" in http.command("/agency", "approvals off").text


def _final(slack: LocalSlack, marker: str) -> str:
    """The lazy listener's last report. The wait is a bound, not a pace: it ends as soon as the report
    is there (a loaded CI machine took more than 5 s for the import's threads)."""
    drain_all(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        texts = [payload_text(c.params) for c in slack.of("response_url")]
        if texts and marker in texts[-1]:
            return texts[-1]
        time.sleep(0.02)
    raise AssertionError(f"no final report: {texts}")


def test_template_import_confirms_reports_and_never_imports_twice(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, provider: SimulatedProvider
) -> None:
    """A confirm card lists the accounts; the report says imported/skipped/failed; the same card
    clicked again says it was already done; a second import skips all."""
    _agency(sessions)
    for ref in ("acc_acme", "acc_yr"):
        provider.accounts[ref] = {"name": ref, "templates": []}
    assert "not a share link" in http.command("/accounts", "templates import http://x.example/t").text
    assert (
        "I don't know the filter"
        in http.command("/accounts", "templates import https://x.example/t colour:red").text
    )
    link = "https://crm.example/share/welcome"
    card = http.command("/accounts", f"templates import {link} status:active")
    assert "2 accounts" in card.text and "acme" in card.text
    value = _button(card.body, "accounts_templates_confirm")
    http.click("accounts_templates_confirm", value)
    assert "2 accounts imported, 0 accounts skipped" in _final(slack, "imported,")
    slack.clear()
    http.click("accounts_templates_confirm", value)  # the same card again: already done, said so
    assert "Already done" in _final(slack, "imported,")
    slack.clear()
    again = http.command("/accounts", f"templates import {link} status:active")
    http.click("accounts_templates_confirm", _button(again.body, "accounts_templates_confirm"))
    assert "0 accounts imported, 2 accounts skipped" in _final(slack, "imported,")
    assert provider.accounts["acc_acme"]["templates"] == [link]
    with sessions() as s:
        assert len(s.scalars(select(TemplateImport)).all()) == 2
    slack.clear()
    broken = http.command("/accounts", "templates import https://crm.example/broken plan:plus")
    http.click("accounts_templates_confirm", _button(broken.body, "accounts_templates_confirm"))
    assert "the share link has expired" in _final(slack, "failed.")


def test_client_access_reset_and_password_shown_once_never_stored(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
    provider: SimulatedProvider,
    clock: FixedClock,
) -> None:
    """Reset mails the client; a new password is shown to the requester only and stored nowhere readable."""
    _agency(sessions)
    provider.accounts["acc_acme"] = {"name": "acme", "templates": []}
    provider.locks["acc_acme"] = clock.now() + timedelta(minutes=4)
    card = http.command("/accounts", "show acme")
    assert "locked out" in card.text and "5 failed attempts" in card.text
    http.click("accounts_access_open", _button(card.body, "accounts_access_open"), user=MANAGER)
    assert "Send reset email" in payload_text(slack.of("response_url")[-1].params)
    assert "does not allow" in http.command("/accounts", "access acme reset", user=VIEWER).text
    assert "not an access action" in http.command("/accounts", "access acme sing").text
    sent = http.command("/accounts", "access acme reset", user=MANAGER)
    assert "client" in sent.text and ("password_reset", "acc_acme", "client") in [
        (e[0], e[1], str(e[2])[:6]) for e in provider.events
    ]
    reply = http.command("/accounts", "access acme password", user=MANAGER)
    assert reply.body["response_type"] == "ephemeral"
    password = reply.text.split("`")[1]
    assert len(password) == 20 and "acc_acme" not in provider.locks
    assert not slack.of("chat.postMessage")
    with sessions() as s:
        stored = json.dumps(
            [[e.before, e.after, e.reason] for e in s.scalars(select(AuditEntry))]
            + [[a.name, a.login_message, a.status_reason] for a in s.scalars(select(Account))],
            default=str,
        )
    assert password not in stored and "new password set" in http.command("/agency", "audit").text
