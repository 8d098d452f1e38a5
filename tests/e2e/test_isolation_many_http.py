"""Fifty installed workspaces on one PostgreSQL, all at once (SPEC §11, issue 17 §2: "isolation
tests pass with 50 workspaces").

Each workspace has its owner, channel, card and account. From a pool of threads, every workspace
runs the same mix at the same time — an account added through the modal, a quote, prepaid credit
bought and confirmed, the accounts overview, the App Home, the billing history — and afterwards each
agency holds exactly its own results (accounts, balances, its own invoice numbering, audit entries
by its own people), every Slack call made for a workspace used that workspace's token and named
nothing of another, and no agency was made beyond the fifty. The daily jobs then bill and notice
each agency about its own accounts only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import run_jobs
from bot.operations import drain_all
from bot.settings import Settings
from bot.shell.localslack import Call, LocalSlack
from domain import ledger
from domain.clock import FixedClock
from domain.store.models import Account, Agency, AuditEntry, Invoice, Notice
from tests.conftest import START
from tests.e2e.test_accounts_http import add_values
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.isolation import TeamHttp
from tests.slackhttp import SlackHttp, payload_text
from tests.workspaces import install, many_workspaces

pytestmark = pytest.mark.postgres

WORKSPACES = 50
THREADS = 12
MENTION = re.compile(r"\b(?:base|new|soon)-(\d\d)\b|\bU0O(\d\d)\b|\bC0[WN](\d\d)\b|\bAgency (\d\d)\b")
"""Anything that names one workspace: its accounts, its owner, its channels, its agency."""


@dataclass
class Workspace:
    n: int
    token: str
    http: TeamHttp
    agency_id: int
    profile_id: int

    @property
    def owner(self) -> str:
        return f"U0O{self.n:02d}"

    @property
    def prepaid(self) -> Decimal:
        return Decimal(100 + self.n)


@pytest.fixture
def fifty(
    settings: Settings,
    many_app: Any,
    many_http: SlackHttp,
    slack: LocalSlack,
    sessions: sessionmaker[Session],
) -> Iterator[list[Workspace]]:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("fifty workspaces at once: PostgreSQL only (DATABASE_URL)")
    found = []
    for n in range(WORKSPACES):
        team, owner = f"T0W{n:02d}", f"U0O{n:02d}"
        token = install(many_app, slack, team, owner)
        with sessions.begin() as s:
            agency = make_agency(
                s, team_id=team, owner=owner, name=f"Agency {n:02d}", notice_channel=f"C0N{n:02d}"
            )
            profile = make_profile(s, agency)
            make_account(
                s,
                agency,
                name=f"base-{n:02d}",
                billing_profile_id=profile.id,
                period_end=NOW.date() + timedelta(days=1),
                price_per_cycle=Decimal("99.00"),
            )
            make_account(  # renews a week after the daily run: "renewal coming"
                s,
                agency,
                name=f"soon-{n:02d}",
                billing_profile_id=profile.id,
                period_end=NOW.date() + timedelta(days=8),
            )
            found.append(
                Workspace(n, token, TeamHttp(many_http.base_url, slack, team, owner), agency.id, profile.id)
            )
    yield found


def mine(slack: LocalSlack, mark: int, ws: Workspace, method: str) -> list[Call]:
    """The calls of `method` made with the workspace's token since `mark` (its own, though fifty
    workspaces are calling Slack at the same time: each one's steps run one after another)."""
    return [c for c in slack.since(mark) if c.method == method and c.token == ws.token]


def one_workspace(ws: Workspace, slack: LocalSlack) -> dict[str, str]:
    """The mix one agency's owner runs; what each step showed."""
    http, seen = ws.http, {}
    bought = http.run("/credits", f"buy prepaid {ws.prepaid}")
    nonce = next(
        e["value"]
        for b in bought.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == "credits_buy_confirm"
    )
    mark = slack.mark()
    http.click("credits_buy_confirm", nonce, user=ws.owner)
    seen["bought"] = " ".join(
        payload_text(c.params) for c in slack.since(mark) if ws.owner in json.dumps(c.params)
    )
    mark = slack.mark()
    http.run("/accounts", "add")
    (opened,) = mine(slack, mark, ws, "views.open")
    view = opened.response["view"]
    added = http.submit(view, add_values(ws.profile_id, name=f"new-{ws.n:02d}"), user=ws.owner)
    assert added.body.get("response_action") == "update", added.raw
    seen["quote"] = http.run("/quote", "plus 2500 annual").text
    seen["accounts"] = http.run("/accounts", "status:all").text
    mark = slack.mark()
    home = http.event(
        {"type": "app_home_opened", "user": ws.owner, "channel": f"D0W{ws.n:02d}", "tab": "home"}
    )
    assert home.status == 200
    (published,) = mine(slack, mark, ws, "views.publish")
    seen["home"] = payload_text({"blocks": published.params["view"]["blocks"]})
    seen["history"] = http.run("/billing", "history").text
    return seen


def test_fifty_workspaces_at_once_each_see_and_change_only_their_own_agency(
    fifty: list[Workspace], slack: LocalSlack, db: Engine
) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        seen = list(pool.map(lambda ws: one_workspace(ws, slack), fifty))
    assert drain_all(60)  # the accounts are created at the vendor after the ack
    tokens = {ws.token: ws.n for ws in fifty}
    for ws, shown in zip(fifty, seen, strict=True):
        assert f"base-{ws.n:02d}" in shown["accounts"], shown["accounts"]
        assert f"Agency {ws.n:02d}" in shown["home"], shown["home"]
        assert "INV-2026-000001" in shown["history"], shown["history"]
        for what, text in shown.items():
            strangers = {int(x) for m in MENTION.findall(text) for x in m if x} - {ws.n}
            assert not strangers, f"workspace {ws.n} was shown {what} of {strangers}: {text}"
    for call in slack.calls:
        if call.method == "response_url":
            continue  # the request's own URL, from its payload
        assert call.token in tokens, f"{call.method} with {call.token or 'no token'}"
        named = {int(x) for m in MENTION.findall(json.dumps(call.params)) for x in m if x}
        assert named <= {tokens[call.token]}, (
            f"{call.method} with workspace {tokens[call.token]}'s token names {named}"
        )
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(Agency)) == WORKSPACES
        for ws in fifty:
            names = set(s.scalars(select(Account.name).where(Account.agency_id == ws.agency_id)))
            assert names == {f"base-{ws.n:02d}", f"new-{ws.n:02d}", f"soon-{ws.n:02d}"}
            numbers = sorted(s.scalars(select(Invoice.number).where(Invoice.agency_id == ws.agency_id)))
            assert numbers == ["INV-2026-000001", "INV-2026-000002"], numbers
            actors = set(s.scalars(select(AuditEntry.actor).where(AuditEntry.agency_id == ws.agency_id)))
            assert ws.owner in actors and not {a for a in actors if a.startswith("U0O")} - {ws.owner}, actors
        # Every agency bought its own amount and paid the same for the same account: the balances
        # differ by exactly what each bought.
        left = {ws.n: ledger.balance(s, ws.agency_id, "prepaid") - ws.prepaid for ws in fifty}
    assert len(set(left.values())) == 1, left


def test_the_daily_jobs_bill_and_notice_each_agency_about_its_own_accounts(
    fifty: list[Workspace], settings: Settings, clock: FixedClock, db: Engine
) -> None:
    """The daily run on the renewal day charges each agency's own account once, on its own invoice
    numbering, and queues each agency's notices about its own accounts for its own channel."""
    day = START.date() + timedelta(days=1)
    run_jobs(many_workspaces(settings), "daily", day=day, clock=FixedClock(START + timedelta(days=1)))
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(Agency)) == WORKSPACES
        for ws in fifty:
            invoices = s.execute(
                select(Invoice.number, Account.name)
                .join(Account, Account.id == Invoice.account_id)
                .where(Invoice.agency_id == ws.agency_id)
            ).all()
            assert [tuple(r) for r in invoices] == [("INV-2026-000001", f"base-{ws.n:02d}")], invoices
            notices = s.execute(
                select(Notice.kind, Account.name, Account.agency_id)
                .join(Account, Account.id == Notice.account_id, isouter=True)
                .where(Notice.agency_id == ws.agency_id)
            ).all()
            assert notices, f"workspace {ws.n}: no notice"
            assert {agency for _, _, agency in notices} <= {ws.agency_id, None}, notices
            assert ("renewal_coming", f"soon-{ws.n:02d}", ws.agency_id) in {tuple(n) for n in notices}, (
                notices
            )


def test_the_notices_job_posts_to_each_workspace_with_its_own_token(
    fifty: list[Workspace], settings: Settings, slack: LocalSlack
) -> None:
    """Notices are posted outside any request: each agency's to its own channel, with the token of
    its own workspace's installation."""
    day = START.date() + timedelta(days=1)
    mark = slack.mark()
    run_jobs(many_workspaces(settings), "daily", day=day, clock=FixedClock(START + timedelta(days=1)))
    posts = [c for c in slack.since(mark) if c.method == "chat.postMessage"]
    by_channel = {(c.params["channel"], c.token) for c in posts}
    assert by_channel == {(f"C0N{ws.n:02d}", ws.token) for ws in fifty}
