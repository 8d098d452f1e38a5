"""Bringing in an existing portfolio over signed HTTP: `/agency import` (2,500 vendor accounts, twice,
progress on one message), a non-owner refused, Slack's retry of the command starting nothing, and the
CSV modal."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import Call, LocalSlack
from domain.ports import VendorPage
from domain.simulated import SimulatedProvider
from domain.store.models import Account, Member, PortfolioImport
from tests.factories import NOW, make_agency
from tests.slackhttp import TEAM, SlackHttp, payload_text, text_input, trigger_id
from tests.vendor import seed_vendor

MANAGER = "U0MANAGER"


class GatedProvider(SimulatedProvider):
    """Holds its first page until the test opens the gate: the import is surely running meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.reached = threading.Event()

    def list_accounts(self, page: int, limit: int) -> VendorPage:
        self.reached.set()
        assert self.gate.wait(10)
        return super().list_accounts(page, limit)


@pytest.fixture
def provider() -> SimulatedProvider:
    vendor = GatedProvider()
    seed_vendor(vendor, 2500, unreadable_every=50)
    return vendor


@pytest.fixture
def agency(sessions: sessionmaker[Session], db: Any) -> int:
    with sessions.begin() as s:
        agency = make_agency(s)
        s.add(Member(agency_id=agency.id, user_id=MANAGER, role="manager", added_by="t", created_at=NOW))
        return agency.id


def _finished(slack: LocalSlack, mark: int, words: str) -> list[Call]:
    """The calls since `mark`, once the import's lazy listener has written its summary (at most 30 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(words in payload_text(c.params) for c in slack.since(mark) if c.method == "chat.update"):
            break
        time.sleep(0.02)
    return slack.since(mark)


def _command_body(slack: LocalSlack, text: str, trigger: str, user: str = "U0OWNER") -> str:
    return urlencode(
        {
            "token": "x",
            "team_id": TEAM,
            "team_domain": "test",
            "channel_id": "C0TEST",
            "channel_name": "agency",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/agency",
            "text": text,
            "api_app_id": "A0TEST",
            "is_enterprise_install": "false",
            "response_url": slack.response_url(uuid.uuid4().hex),
            "trigger_id": trigger,
        }
    )


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Account)) or 0)


def test_an_owner_imports_2500_accounts_twice_with_progress_on_one_message(
    http: SlackHttp, provider: GatedProvider, sessions: sessionmaker[Session], agency: int
) -> None:
    mark = http.slack.mark()
    body = _command_body(http.slack, "import", trigger_id())
    reply = http.post(body)
    assert reply.status == 200 and "progress" in reply.body["text"]
    assert provider.reached.wait(10)
    retry = http.post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status == 200 and "nothing new was started" in retry.body["text"]
    another = http.command("/agency", "import")  # a second owner's command while it runs
    assert "nothing new was started" in another.body["text"]
    provider.gate.set()
    calls = _finished(http.slack, mark, "Import done")
    posts = [c for c in calls if c.method == "chat.postMessage"]
    updates = [c for c in calls if c.method == "chat.update"]
    assert len(posts) == 1, "one message, updated"
    where = (posts[0].response["channel"], posts[0].response["ts"])
    assert {(c.params["channel"], c.params["ts"]) for c in updates} == {where}
    assert 3 <= len(updates) <= 12  # the first page, each tenth, the summary: within the rate limit
    assert "300 of 2,500 read (page 3 of 25)" in payload_text(updates[1].params)
    final = payload_text(updates[-1].params)
    assert "2,500 added, 0 already there, 0 skipped" in final
    assert "50 accounts have a plan to confirm" in final and "vend-00050" in final
    assert _count(sessions) == 2500
    mark = http.slack.mark()
    http.command("/agency", "import")
    final = payload_text(_finished(http.slack, mark, "Import done")[-1].params)
    assert "0 added, 2,500 already there" in final
    assert _count(sessions) == 2500
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PortfolioImport)) == 2
    listed = http.command("/accounts", "status:all plan:to-confirm")
    assert "vend-00050" in payload_text(listed.body)


def test_a_non_owner_is_refused_and_nothing_starts(
    http: SlackHttp, provider: GatedProvider, sessions: sessionmaker[Session], agency: int
) -> None:
    provider.gate.set()
    mark = http.slack.mark()
    for text in ("import", "import csv"):
        reply = http.command("/agency", text, user=MANAGER)
        assert reply.status == 200 and ":warning:" in reply.body["text"]
    assert not [c for c in http.slack.since(mark) if c.method in ("chat.postMessage", "views.open")]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PortfolioImport)) == 0
    assert _count(sessions) == 0


def test_the_csv_modal_imports_good_rows_and_reports_bad_lines(
    http: SlackHttp, sessions: sessionmaker[Session], agency: int
) -> None:
    http.command("/agency", "import csv")
    view = http.opened_view()
    assert view["callback_id"] == "agency_import_csv"
    rows = "\n".join(
        (
            "name,client_name,client_email,country,product,tier,contacts,frequency,next_renewal",
            "csv-one,One,one@x.example,FR,marketing,plus,2500,monthly,2026-12-20",
            "csv-two,Two,two@x.example,FR,marketing,plus,4242 4242 4242 4242,monthly,2026-12-20",
            "csv-three,Three,three@x.example,FR,marketing,gold,2500,monthly,2026-12-20",
        )
    )
    reply = http.submit(view, {"rows": text_input(rows)})
    assert reply.status == 200
    # The app's card guard refuses the whole submission before any listener: nothing is written.
    assert reply.body["response_action"] == "errors"
    assert "card number" in str(reply.body["errors"]["rows"]).lower()
    assert _count(sessions) == 0
    rows = rows.replace("4242 4242 4242 4242", "-5")
    reply = http.submit(view, {"rows": text_input(rows)})
    assert reply.body["response_action"] == "update"
    shown = payload_text(reply.body["view"])
    assert "1 added, 0 already there, 2 refused" in shown
    assert "Line 3:" in shown and "Line 4:" in shown
    again = http.submit(view, {"rows": text_input(rows)})
    assert "0 added, 1 already there, 2 refused" in payload_text(again.body["view"])
    assert _count(sessions) == 1
    bad = http.submit(view, {"rows": text_input("colour\nred")})
    assert bad.body["response_action"] == "errors" and "unknown: colour" in str(bad.body["errors"])
