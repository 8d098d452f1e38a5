"""Two `reseller-bot serve` instances on one PostgreSQL database, as behind a load balancer: requests
alternate between them, Slack's retry of a request lands on the other one, the daily jobs run from two
processes at once and from both instances' own schedulers, and a portfolio import is started and
resumed from both. Whatever arrives where, each thing happens once: one agency, one charge per
purchase and per renewal, one post per notice, one account per vendor account.

PostgreSQL only (SQLite is one file on one machine: two hosts cannot share it)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain import ledger
from domain.store.models import Account, Agency, Invoice, Notice, PortfolioImport
from tests.conftest import SECRET
from tests.e2e.test_accounts_http import add_values
from tests.e2e.test_processes import BIN, SERVE_TOKEN, Served, env_for, start_serve, stop_group
from tests.factories import make_account, make_agency, make_profile
from tests.slackhttp import (
    Reply,
    SlackHttp,
    block_actions,
    command_body,
    modal_view,
    payload_text,
    slack_user,
    trigger_id,
)
from tests.standins.partners_hub import PartnersHub, _error

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
DAY = date(2031, 1, 5)


@pytest.fixture
def pg(database_url: str, db: Engine) -> Engine:
    if not database_url.startswith("postgresql"):
        pytest.skip("two instances share a PostgreSQL database (DATABASE_URL=postgresql+psycopg://…)")
    return db


class FlakyHub(PartnersHub):
    """The Partners Hub stand-in whose account list fails once, with a refusal (not retried), at
    `broken_page`: an import stops there as interrupted, to be resumed."""

    broken_page = 2
    broke = False

    def _list_accounts(self, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if params.get("page") == str(self.broken_page) and not self.broke:
            self.broke = True
            return _error(400, "Stand-in refusal")
        return super()._list_accounts(params)


@pytest.fixture
def hub() -> Iterator[FlakyHub]:
    hub = FlakyHub()
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
    assert not hub.violations, hub.violations


@dataclass
class Pair:
    a: SlackHttp
    b: SlackHttp
    served: tuple[Served, Served]


@pytest.fixture
def two_instances(tmp_path: Path, slack: LocalSlack, pg: Engine) -> Iterator[Callable[..., Pair]]:
    """Starts two serve processes (one worker each, no scheduler) with the given settings."""
    started: list[Served] = []

    def start(**settings: str) -> Pair:
        env = {"RESELLER_NO_SCHEDULER": "1", "WEB_CONCURRENCY": "1", **settings}
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        # Started together (both migrate, and schedulers start, at the same moment).
        threads = [
            threading.Thread(target=lambda n=name: started.append(start_serve(tmp_path / n, slack, **env)))
            for name in ("a", "b")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(started) == 2, "both instances start"
        started.sort(key=lambda served: served.output.parent.name)
        return Pair(
            SlackHttp(started[0].base, SECRET, slack),
            SlackHttp(started[1].base, SECRET, slack),
            (started[0], started[1]),
        )

    try:
        yield start
    finally:
        for served in started:
            stop_group(served.proc)
    for served in started:
        assert "Traceback" not in served.log(), served.log()


def at_once(*calls: Callable[[], Reply]) -> list[Reply]:
    """The calls in threads released together; their replies in the calls' order."""
    barrier = threading.Barrier(len(calls))
    replies: list[Reply | BaseException] = [RuntimeError("no reply")] * len(calls)

    def run(index: int, call: Callable[[], Reply]) -> None:
        barrier.wait()
        try:
            replies[index] = call()
        except BaseException as exc:
            replies[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for reply in replies:
        if isinstance(reply, BaseException):
            raise reply
    return [r for r in replies if isinstance(r, Reply)]


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def count(sessions: sessionmaker[Session], model: Any, *where: Any) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def button(body: dict[str, Any], action_id: str) -> str:
    for block in body.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {body}")


def test_two_instances_answer_alternately_and_each_thing_happens_once(
    two_instances: Callable[..., Pair], slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    """The simulated vendor and card gateway: new workspace, accounts added, credits bought."""
    pair = two_instances()
    a, b = pair.a, pair.b
    # The first command of a new workspace, on both at once: one agency, both answer.
    first = at_once(lambda: a.command("/agency", "members"), lambda: b.command("/agency", "members"))
    assert [r.status for r in first] == [200, 200]
    assert all("U0OWNER" in r.text for r in first), [r.text for r in first]
    assert count(sessions, Agency) == 1
    with sessions.begin() as s:
        profile = make_profile(s, s.scalars(select(Agency)).one()).id

    # A modal opened by one instance and submitted to the other, both ways.
    for opener, submitter, name in ((a, b, "shop-one"), (b, a, "shop-two")):
        opener.command("/accounts", "add")
        assert submitter.submit(opener.opened_view(), add_values(profile, name)).status == 200
    # A third form submitted to both at once, as Slack's retry of a submission that timed out.
    a.command("/accounts", "add")
    submission = {
        "type": "view_submission",
        "user": slack_user("U0OWNER"),
        "view": modal_view(a.opened_view(), add_values(profile, "shop-three")),
        "response_urls": [],
        "trigger_id": trigger_id(),
    }
    twice = at_once(
        lambda: a.interaction(dict(submission)), lambda: b.interaction(dict(submission), headers=RETRY)
    )
    assert [r.status for r in twice] == [200, 200]
    # Both answer with the account (the one that lost the insert replays the other's answer).
    assert all(r.body.get("response_action") == "update" for r in twice), [r.raw for r in twice]
    wait_until(lambda: count(sessions, Account) == 3, "the three accounts are created")
    with sessions() as s:
        assert sorted(s.scalars(select(Account.name))) == ["shop-one", "shop-three", "shop-two"]
        # Each one's first cycle charged once.
        assert count(sessions, Invoice) == 3
        assert len(set(s.scalars(select(Invoice.account_id)))) == 3

    # A purchase confirmed on one instance while Slack's retry of the click reaches the other.
    card = b.command("/credits", "buy prepaid 500 for shop-one")
    assert "Confirm purchase" in card.text, card.text
    element = {
        "action_id": "credits_buy_confirm",
        "type": "button",
        "value": button(card.body, "credits_buy_confirm"),
    }
    click = block_actions(slack, element, "U0OWNER", surface="ephemeral")
    mark, invoices = slack.mark(), count(sessions, Invoice)
    clicks = at_once(lambda: a.interaction(dict(click)), lambda: b.interaction(dict(click), headers=RETRY))
    assert [r.status for r in clicks] == [200, 200]
    with sessions() as s:
        assert len(s.scalars(select(Invoice)).all()) == invoices + 1
        number = s.scalars(select(Invoice.number).order_by(Invoice.id.desc())).first()
        shop = s.scalars(select(Account).where(Account.name == "shop-one")).one()
        assert ledger.balance(s, shop.agency_id, "prepaid", shop.id) == Decimal("500.00")
    wait_until(lambda: len([c for c in slack.since(mark) if c.method == "response_url"]) == 2, "two answers")
    answers = [payload_text(c.params) for c in slack.since(mark) if c.method == "response_url"]
    # One did it; the other (whichever came second) says it is done, quoting the first answer, or, if
    # it came while the first was still charging, that it is being carried out.
    done = [text for text in answers if text.startswith(":white_check_mark: Bought $500.00")]
    assert len(done) == 1 and f"invoice {number}," in done[0], answers
    (other,) = [text for text in answers if text not in done]
    assert other.startswith(
        (
            ":information_source: Already done with this confirmation",
            ":hourglass: This confirmation is already being carried out",
        )
    ), answers
    # The next command on either instance sees the one purchase.
    assert "shop-one: $500.00" in a.command("/credits").text
    assert "shop-one: $500.00" in b.command("/credits").text


def test_an_import_started_on_both_and_resumed_on_both_runs_once(
    two_instances: Callable[..., Pair], slack: LocalSlack, sessions: sessionmaker[Session], hub: FlakyHub
) -> None:
    """250 vendor accounts: `/agency import` reaches both instances at once (Slack's retry), one run
    starts; the vendor refuses page 2, the import stops as interrupted; `/agency import` on both
    instances at once resumes it on one, which finishes it: 250 accounts, none twice."""
    pair = two_instances(
        RESELLER_PROVIDER="activecampaign", AC_PARTNER_API_URL=hub.url, AC_PARTNER_API_KEY=hub.api_key
    )
    a, b = pair.a, pair.b
    hub.seed(250)
    a.command("/agency", "members")  # the agency exists, with its owner
    body = command_body(slack, "/agency", "import")
    started = at_once(lambda: a.post(body), lambda: b.post(body, headers=RETRY))
    assert [r.status for r in started] == [200, 200]
    assert sum("nothing new was started" in r.text for r in started) == 1, [r.text for r in started]
    wait_until(
        lambda: count(sessions, PortfolioImport, PortfolioImport.status == "interrupted") == 1,
        "the import stops at the refused page",
    )
    assert count(sessions, Account) == 100  # page 1 only
    mark = slack.mark()
    resumed = at_once(lambda: a.command("/agency", "import"), lambda: b.command("/agency", "import"))
    assert [r.status for r in resumed] == [200, 200]
    assert sum("nothing new was started" in r.text for r in resumed) == 1, [r.text for r in resumed]
    wait_until(lambda: count(sessions, PortfolioImport, PortfolioImport.status == "done") == 1, "it finishes")
    assert count(sessions, PortfolioImport) == 1  # resumed, not started again
    with sessions() as s:
        names = list(s.scalars(select(Account.name)))
        row = s.scalars(select(PortfolioImport)).one()
        assert (row.added, row.existing, row.skipped) == (250, 0, 0)
    assert len(names) == len(set(names)) == 250
    assert set(names) == {account["account_name"] for account in hub.accounts.values()}

    def summaries() -> list[str]:
        return [
            payload_text(c.params)
            for c in slack.since(mark)
            if c.method == "chat.update" and "Import done" in payload_text(c.params)
        ]

    # The run marks the import done, then edits its progress message: wait for the edit too.
    wait_until(lambda: bool(summaries()), "the summary is posted")
    assert len(summaries()) == 1 and "250 added" in summaries()[0], summaries()


def test_daily_jobs_from_two_processes_at_once_charge_and_post_once(
    tmp_path: Path, slack: LocalSlack, sessions: sessionmaker[Session], pg: Engine, database_url: str
) -> None:
    """Two `reseller-bot jobs daily --date D` at the same instant (two instances' schedulers, or cron
    on two hosts): every renewal due is charged once, every notice posted once."""
    created = datetime(2030, 12, 5, 9, 0, tzinfo=UTC)
    with sessions.begin() as s:
        agency = make_agency(s, notice_channel="C0NOTICES")
        good, declined = make_profile(s, agency), make_profile(s, agency, "declined")
        for n in range(40):
            profile = declined if n % 4 == 0 else good
            make_account(s, agency, billing_profile_id=profile.id, created_at=created, period_end=DAY)
        make_account(
            s, agency, status="trial", pricing_version="V1", product="EM", tier="trial", created_at=created
        )
    env = env_for(
        tmp_path,
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=SERVE_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        RESELLER_OWNERS="U0OWNER",
    )
    command = [str(BIN / "reseller-bot"), "jobs", "daily", "--date", DAY.isoformat()]
    runs = [
        subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err.decode()
        assert b"Traceback" not in err, err.decode()
    with sessions() as s:
        invoices = list(s.scalars(select(Invoice)))
        assert len(invoices) == 40
        assert len({i.account_id for i in invoices}) == 40
        assert len({i.number for i in invoices}) == 40
        charged = [i for i in invoices if i.status == "paid"]
        assert len(charged) == 30
        notices = list(s.scalars(select(Notice)))
    assert {n.kind for n in notices} >= {"charge_failed", "trial_ended"}
    assert len(notices) == len({n.dedupe_key for n in notices})
    assert all(n.status == "sent" and n.message_ts for n in notices), [(n.kind, n.status) for n in notices]
    posts = [c for c in slack.of("chat.postMessage") if c.params.get("channel") == "C0NOTICES"]
    markers = [_marker(c.params) for c in posts]
    assert len(markers) == len(set(markers)), markers  # no message posted twice
    assert {n.message_ts for n in notices} <= {c.response["ts"] for c in posts}


def _marker(params: dict[str, Any]) -> str:
    metadata = params.get("metadata")
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert isinstance(metadata, dict), params
    return json.dumps(metadata.get("event_payload"), sort_keys=True)


def zone_at_noon() -> tuple[str, date]:
    """A fixed-offset zone where it is now past 12:00 and before 13:00 (the schedule hour, 06:00, is
    past and midnight far), and its date there: the schedulers run that day's jobs on their first tick.
    The offset is from -11 to +12 hours, zones that exist (`Etc/GMT-N` is UTC+N)."""
    now = datetime.now(UTC)
    offset = 12 - now.hour
    name = "Etc/GMT" + (f"-{offset}" if offset > 0 else f"+{-offset}" if offset < 0 else "")
    return name, now.astimezone(ZoneInfo(name)).date()


def test_two_instances_with_their_own_schedulers_charge_and_post_once(
    two_instances: Callable[..., Pair], slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    """Both instances start their scheduler (`serve` without RESELLER_NO_SCHEDULER): for an agency
    whose day has reached the schedule hour, both run the day's jobs at once on their first tick."""
    zone, today = zone_at_noon()
    with sessions.begin() as s:
        agency = make_agency(s, notice_channel="C0NOTICES", timezone=zone)
        good, declined = make_profile(s, agency), make_profile(s, agency, "declined")
        for n in range(20):
            profile = declined if n % 4 == 0 else good
            make_account(s, agency, billing_profile_id=profile.id, period_end=today)
    pair = two_instances(RESELLER_NO_SCHEDULER="0")
    wait_until(lambda: count(sessions, Invoice) == 20, "the renewals are charged", timeout=60)
    wait_until(
        lambda: count(sessions, Notice) >= 5 and count(sessions, Notice, Notice.status != "sent") == 0,
        "the charge-failed notices are posted",
        timeout=60,
    )
    for served in pair.served:  # both schedulers ran the whole daily chain for the day
        wait_until(lambda s=served: f"notices for {today.isoformat()}:" in s.log(), "a daily run ends")
    with sessions() as s:
        invoices = list(s.scalars(select(Invoice)))
        notices = list(s.scalars(select(Notice)))
    assert len({i.account_id for i in invoices}) == 20 and len(invoices) == 20
    assert sum(i.status == "paid" for i in invoices) == 15
    assert {n.kind for n in notices} == {"charge_failed"} and len(notices) == 5
    posts = [c for c in slack.of("chat.postMessage") if c.params.get("channel") == "C0NOTICES"]
    markers = [_marker(c.params) for c in posts]
    assert len(markers) == len(set(markers)), markers
