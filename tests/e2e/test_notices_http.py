"""`/agency notices` and the notice buttons over signed HTTP, as Slack sends them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain import outbox
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.store.models import Agency, AuditEntry, Invoice, Member, Notice
from tests.conftest import SECRET
from tests.factories import make_account, make_agency
from tests.integration.test_notices_delivery import many_renewals
from tests.slackhttp import SlackHttp, payload_text, serve_app


@pytest.fixture
def desk(
    db: Engine,
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    slack: LocalSlack,
) -> Iterator[tuple[SlackHttp, dict[str, Any]]]:
    """The app with the notices sender's sleep injected: pacing moves the clock, never waits."""
    from bot.app import build_app

    extras: dict[str, Any] = {"notices": {"sleep": lambda s: clock.advance(timedelta(seconds=s))}}
    app = build_app(settings, clock=clock, sessions=sessions, catalog=catalog, extras=extras)
    with serve_app(app) as base_url:
        yield SlackHttp(base_url, SECRET, slack), extras


def finish_runs(extras: dict[str, Any]) -> None:
    for worker in extras.get("notice_runs", []):
        worker.join(10)


def test_settings_and_outbox_without_a_channel(
    desk: tuple[SlackHttp, dict[str, Any]], sessions: sessionmaker[Session]
) -> None:
    """No channel: a run posts nothing, and `/agency notices` shows the notices waiting and why."""
    http, extras = desk
    many_renewals(sessions, 2, channel=None)
    reply = http.command("/agency", "notices run")
    finish_runs(extras)
    assert "waiting: 3" in reply.text and not http.slack.of("chat.postMessage")
    status = http.command("/agency", "notices")
    assert "No notice channel is set" in status.text and "3 notices waiting" in status.text
    assert "bulk-000" in status.text and "7,1" in status.text


def test_owner_mutes_snoozes_and_sets_lead_days_viewer_cannot(
    desk: tuple[SlackHttp, dict[str, Any]], sessions: sessionmaker[Session]
) -> None:
    """Owners change notice settings (audited) and see them, snoozes by account name; a viewer is
    refused and nothing changes."""
    http, _ = desk
    agency_id = many_renewals(sessions, 1)
    with sessions() as s, s.begin():
        s.add(
            Member(
                agency_id=agency_id,
                user_id="U0VIEW",
                role="viewer",
                added_by="t",
                created_at=datetime.now(UTC),
            )
        )
    assert "muted" in http.command("/agency", "notices mute billing_digest").text
    assert "until" in http.command("/agency", "notices snooze bulk-000 10").text
    assert "3, 1" in http.command("/agency", "notices lead 3,1").text
    assert "does not allow" in http.command("/agency", "notices mute trial_ended", user="U0VIEW").text
    assert "Unknown notice kind" in http.command("/agency", "notices mute nonsense").text
    assert "bulk-000 until" in http.command("/agency", "notices").text  # by name, as it was typed
    with sessions() as s:
        agency = s.get_one(Agency, agency_id)
        assert agency.notice_mutes == ["billing_digest"] and agency.notice_lead_days == "3,1"
        assert len(agency.notice_snoozes) == 1
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"notices.mute", "notices.snooze", "notices.lead_days"} <= actions


def test_run_posts_to_the_channel_and_buttons_act_in_place(
    desk: tuple[SlackHttp, dict[str, Any]], sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """`/agency notices run` posts; View account answers privately; Buy prepaid updates the notice
    with who took it; List them all shows every notice of a digest."""
    http, extras = desk
    agency_id = many_renewals(sessions, 50)
    with sessions() as s, s.begin():
        outbox.enqueue(
            s,
            agency_id=agency_id,
            kind="low_balance",
            due_on=clock.now().date(),
            now=clock.now(),
            payload={"balance": "5.00", "threshold": "100.00", "reason": "threshold"},
        )
    reply = http.command("/agency", "notices run")
    finish_runs(extras)
    assert "posted" in reply.text
    posts = http.slack.of("chat.postMessage")
    assert {p.params["channel"] for p in posts} == {"C0NOTICES"}
    digest = next(p for p in posts if "renewals coming" in payload_text(p.params))
    listed = http.click(
        "notice_list_all",
        next(
            e["value"]
            for b in digest.params["blocks"]
            for e in b.get("elements", [])
            if e.get("action_id") == "notice_list_all"
        ),
    )
    assert listed.status == 200
    listing = http.slack.of("response_url")[-1].params
    assert "50 notices" in payload_text(listing) and "bulk-049" in payload_text(listing)

    with sessions() as s:
        low = s.scalars(select(Notice).where(Notice.kind == "low_balance")).one()
        renewal = s.scalars(select(Notice).where(Notice.kind == "renewal_coming")).first()
        assert renewal is not None
    card = next(p for p in posts if any(b.get("block_id") == f"notice:{low.id}" for b in p.params["blocks"]))
    http.click(
        "notice_buy_prepaid",
        str(low.id),
        "U0OWNER",
        surface="message",
        channel="C0NOTICES",
        message={"ts": card.response["ts"], "text": card.params["text"], "blocks": card.params["blocks"]},
    )
    updates = [c.params for c in http.slack.of("response_url") if c.params.get("replace_original")]
    assert updates and payload_text(updates[-1]).count("<@U0OWNER> is buying prepaid credit") == 1
    assert len(updates[-1]["blocks"]) == len(card.params["blocks"])
    opened = http.slack.of("views.open")[-1].params["view"]
    assert opened["callback_id"] == "credits_buy"  # the purchase opens right there

    http.click("notice_view", str(renewal.id))
    assert renewal.account_id is not None and "Period ends" in payload_text(
        http.slack.of("response_url")[-1].params
    )


def test_renew_button_on_a_failed_charge(
    desk: tuple[SlackHttp, dict[str, Any]], sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """A charge-failed notice carries Renew; pressing it shows the renewal's confirm card to the member
    (amount, period, payment choices): nothing is charged in one click from a channel message."""
    http, extras = desk
    with sessions() as s, s.begin():
        agency = make_agency(s, notice_channel="C0NOTICES")
        account = make_account(s, agency, name="lapsed", status="expired", period_end=clock.now().date())
        outbox.enqueue(
            s,
            agency_id=agency.id,
            kind="charge_failed",
            due_on=clock.now().date(),
            now=clock.now(),
            account_id=account.id,
            payload={"amount": "30.00"},
        )
    http.command("/agency", "notices run")
    finish_runs(extras)
    card = http.slack.of("chat.postMessage")[0]
    assert any(
        e.get("action_id") == "notice_renew" for b in card.params["blocks"] for e in b.get("elements", [])
    )
    with sessions() as s:
        notice_id = s.scalars(select(Notice.id)).one()
    reply = http.click(
        "notice_renew",
        str(notice_id),
        "U0OWNER",
        surface="message",
        channel="C0NOTICES",
        message={"ts": card.response["ts"], "text": card.params["text"], "blocks": card.params["blocks"]},
    )
    assert reply.status == 200
    said = "\n".join(payload_text(c.params) for c in http.slack.of("response_url"))
    assert "Renew *lapsed*" in said and "accounts_renew_confirm" in str(http.slack.of("response_url"))
    with sessions() as s:
        assert s.scalars(select(Invoice)).all() == []


def card_click(http: SlackHttp, card: Any, action_id: str, value: str, user: str) -> None:
    """A button pressed on a message the app posted in the channel, as Slack sends it."""
    http.click(
        action_id,
        value,
        user,
        surface="message",
        channel="C0NOTICES",
        message={"ts": card.response["ts"], "text": card.params["text"], "blocks": card.params["blocks"]},
    )


def test_buy_buttons_open_the_purchase_and_refuse_who_cannot_spend(
    desk: tuple[SlackHttp, dict[str, Any]], sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """Buy licenses on a full pool opens the top-up for that account and the card says who is buying;
    a viewer pressing Buy licenses or Buy prepaid is refused and the channel message is left alone."""
    http, extras = desk
    with sessions() as s, s.begin():
        agency = make_agency(s, notice_channel="C0NOTICES")
        s.add(
            Member(agency_id=agency.id, user_id="U0VIEW", role="viewer", added_by="t", created_at=clock.now())
        )
        pool = make_account(s, agency, name="pool", product="business-licenses", tier="licenses", seats=2)
        for kind, account_id in (("license_pool_full", pool.id), ("low_balance", None)):
            outbox.enqueue(
                s,
                agency_id=agency.id,
                kind=kind,
                due_on=clock.now().date(),
                now=clock.now(),
                account_id=account_id,
                payload={"balance": "5.00", "threshold": "100.00", "reason": "threshold"},
            )
    http.command("/agency", "notices run")
    finish_runs(extras)
    with sessions() as s:
        ids: dict[str, int] = dict(s.execute(select(Notice.kind, Notice.id)).all())
    posts = http.slack.of("chat.postMessage")
    cards = {
        kind: next(p for p in posts if any(b.get("block_id") == f"notice:{i}" for b in p.params["blocks"]))
        for kind, i in ids.items()
    }
    for kind, action in (("license_pool_full", "notice_buy_licenses"), ("low_balance", "notice_buy_prepaid")):
        card_click(http, cards[kind], action, str(ids[kind]), "U0VIEW")
    assert not http.slack.of("views.open")
    assert not [c for c in http.slack.of("response_url") if c.params.get("replace_original")]
    assert "does not allow" in payload_text(http.slack.of("response_url")[-1].params)

    card_click(
        http, cards["license_pool_full"], "notice_buy_licenses", str(ids["license_pool_full"]), "U0OWNER"
    )
    view = http.slack.of("views.open")[-1].params["view"]
    assert view["callback_id"] == "seats_buy" and "pool" in view["private_metadata"]
    updated = [c.params for c in http.slack.of("response_url") if c.params.get("replace_original")][-1]
    assert payload_text(updated).count("<@U0OWNER> is buying licenses") == 1
    assert not any(
        e.get("action_id") == "notice_buy_licenses" for b in updated["blocks"] for e in b.get("elements", [])
    )
