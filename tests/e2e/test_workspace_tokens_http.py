"""Each workspace's own token outside a request, and `app_uninstalled` / `tokens_revoked` (SPEC §11),
over signed HTTP against the fake Slack: workspaces installed through the real OAuth flow, daily
jobs and notices posted with each agency's token, a removed workspace left alone at once (no call
with its token, no charge, its data kept) and resumed by a reinstall, whose token then posts what
waited."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import run_jobs
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.jobs import JobReport
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Agency, AuditEntry, Invoice, Member, Notice
from tests.conftest import SECRET
from tests.factories import make_account, make_profile
from tests.slackhttp import Reply, SlackHttp, serve_app, trigger_id
from tests.workspaces import many_workspaces

DAY0 = date(2026, 11, 25)
RENEWAL = DAY0 + timedelta(days=7)
"""Each agency's account renews (is charged) then; its reminder is due on DAY0 (lead days 7,1)."""


def six_am(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)


@dataclass
class Desk:
    http: SlackHttp
    slack: LocalSlack
    settings: Settings
    sessions: sessionmaker[Session]
    clock: FixedClock
    gateway: SimulatedGateway
    store: InstallationStore

    def install(
        self, team: str, installer: str, *, enterprise: str | None = None, org_wide: bool = False
    ) -> str:
        """Slack's OAuth install, as a person clicking *Add to Slack* then *Allow* drives it: the
        install page (state and its cookie), Slack's redirect with a code, `oauth.v2.access`. The
        bot token Slack gave."""
        with urllib.request.urlopen(f"{self.http.base_url}/slack/install", timeout=10) as page:
            html, cookie = page.read().decode(), str(page.headers.get("Set-Cookie") or "")
        found = re.search(r"state=([^&\"']+)", html)
        assert found is not None and cookie, "the install page gave no state"
        code = uuid.uuid4().hex
        token = self.slack.grant(code, team, installer, enterprise=enterprise, org_wide=org_wide)
        redirect = urllib.request.Request(
            f"{self.http.base_url}/slack/oauth_redirect?code={code}&state={found.group(1)}",
            headers={"Cookie": cookie.split(";", maxsplit=1)[0]},
        )
        with urllib.request.urlopen(redirect, timeout=10) as done:
            assert done.status == 200
        return token

    def command(self, team: str, user: str, command: str, text: str = "") -> Reply:
        body = {
            "token": "x",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": "C0TEST",
            "channel_name": "agency",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0RESELLER",
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(uuid.uuid4().hex),
            "trigger_id": trigger_id(),
        }
        return self.http.post(urlencode(body))

    def event(self, team: str, event: dict[str, Any], org: str | None = None, ago: int = 0) -> Reply:
        """A signed Events API callback from `team`, in the envelope Slack sends; `ago`: seconds
        since Slack first sent it (a retry)."""
        sent = envelope(team, event, org)
        sent["event_time"] -= ago
        return self.http.post(json.dumps(sent), content_type="application/json")

    def daily(self, day: date) -> list[JobReport]:
        self.clock.set(six_am(day))
        return run_jobs(
            self.settings,
            "daily",
            clock=self.clock,
            gateway=self.gateway,
            sleep=lambda s: self.clock.advance(timedelta(seconds=s)),
        )

    def notices(self) -> JobReport:
        sleep = self.clock.advance
        return run_jobs(
            self.settings,
            "notices",
            clock=self.clock,
            sleep=lambda s: sleep(timedelta(seconds=s)),
        )[0]


def envelope(team: str, event: dict[str, Any], org: str | None = None) -> dict[str, Any]:
    """Slack's envelope; `org`: an org-wide installation's event (authorised for the organisation,
    the team one of its workspaces)."""
    return {
        "token": "x",
        "team_id": team,
        "enterprise_id": org,
        "api_app_id": "A0RESELLER",
        "event": {"event_ts": f"{time.time():.6f}", **event},
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": org,
                "team_id": None if org else team,
                "user_id": "U0BOT",
                "is_bot": True,
                "is_enterprise_install": org is not None,
            }
        ],
        "is_ext_shared_channel": False,
    }


UNINSTALLED = {"type": "app_uninstalled"}
BOT_REVOKED = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}


@pytest.fixture
def desk(
    db: Engine,
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    slack: LocalSlack,
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
) -> Iterator[Desk]:
    from bot.app import build_app

    many = many_workspaces(settings)
    clock.set(six_am(DAY0))
    extras: dict[str, Any] = {"notices": {"sleep": lambda s: clock.advance(timedelta(seconds=s))}}
    app = build_app(
        many,
        clock=clock,
        sessions=sessions,
        catalog=catalog,
        provider=provider,
        gateway=gateway,
        extras=extras,
    )
    with serve_app(app) as base_url:
        http = SlackHttp(base_url, SECRET, slack)
        yield Desk(http, slack, many, sessions, clock, gateway, app._installation_store)


def agency_of(sessions: sessionmaker[Session], team: str) -> Agency:
    with sessions() as s:
        agency = s.scalars(select(Agency).where(Agency.team_id == team)).one()
        s.expunge(agency)
        return agency


def set_up(sessions: sessionmaker[Session], team: str, channel: str | None) -> int:
    """The installed workspace's agency with a notice channel and one account renewing on RENEWAL."""
    with sessions.begin() as s:
        agency = s.scalars(select(Agency).where(Agency.team_id == team)).one()
        agency.notice_channel = channel
        profile = make_profile(s, agency)
        return make_account(
            s, agency, name=f"{team.lower()}-site", billing_profile_id=profile.id, period_end=RENEWAL
        ).id


def posts(slack: LocalSlack, since: int = 0) -> list[tuple[str, str]]:
    """(channel, token) of every notice posted since `since`."""
    return [
        (str(c.params.get("channel")), c.token)
        for c in slack.since(since)
        if c.method == "chat.postMessage" and c.response.get("ok")
    ]


def calls_with(slack: LocalSlack, token: str, since: int = 0) -> list[str]:
    return [c.method for c in slack.calls[since:] if c.token == token]


def pending(sessions: sessionmaker[Session], agency_id: int) -> int:
    query = select(func.count(Notice.id)).where(Notice.agency_id == agency_id, Notice.status == "pending")
    with sessions() as s:
        return int(s.scalar(query) or 0)


def invoices(sessions: sessionmaker[Session], account_id: int) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count(Invoice.id)).where(Invoice.account_id == account_id)) or 0)


def audit(sessions: sessionmaker[Session], agency_id: int, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.agency_id == agency_id, AuditEntry.action == action)
    with sessions() as s:
        return list(s.scalars(query))


def counts(reports: list[JobReport], outcome: str) -> dict[str, int]:
    return {r.job: r.counts[outcome] for r in reports if outcome in r.counts}


def test_each_workspace_posts_with_its_own_token_and_an_uninstall_stops_it_until_reinstalled(
    desk: Desk,
) -> None:
    """Two workspaces installed through OAuth: each agency's notices go to its own channel with its
    own token. A uninstalls (Slack sends `tokens_revoked` and `app_uninstalled`, and retries): from
    then on no call is made with A's token, the daily jobs skip A (no renewal charged, nothing queued
    or posted) while B is billed and told as usual, and A's data stays. A reinstalls: the agency is
    resumed, and what waited is posted with the new token."""
    token_a, token_b = desk.install("T0AAA", "U0AOWN"), desk.install("T0BBB", "U0BOWN")
    a, b = agency_of(desk.sessions, "T0AAA"), agency_of(desk.sessions, "T0BBB")
    account_a, account_b = set_up(desk.sessions, "T0AAA", None), set_up(desk.sessions, "T0BBB", "C0BBB")

    first = desk.daily(DAY0)
    assert set(posts(desk.slack)) == {("C0BBB", token_b)}  # A has no channel yet: its notices wait
    assert pending(desk.sessions, a.id) == 2 and "skipped_suspended" not in first[-1].counts
    with desk.sessions.begin() as s:
        s.get_one(Agency, a.id).notice_channel = "C0AAA"

    for event in (BOT_REVOKED, UNINSTALLED, UNINSTALLED):  # Slack's pair for one removal, then a retry
        assert desk.event("T0AAA", event).status == 200
    desk.slack.revoke(token_a)
    assert agency_of(desk.sessions, "T0AAA").suspended_reason == "tokens_revoked"
    assert len(audit(desk.sessions, a.id, "workspace.suspended")) == 1

    mark = desk.slack.mark()
    desk.daily(RENEWAL - timedelta(days=1))  # the day-before reminders: B's only
    assert set(posts(desk.slack, mark)) == {("C0BBB", token_b)}
    reports = desk.daily(RENEWAL)
    assert calls_with(desk.slack, token_a, mark) == []
    assert counts(reports, "skipped_suspended") == {
        "statuses": 1,
        "approvals": 1,
        "billing": 1,
        "notices": 1,
    }
    assert invoices(desk.sessions, account_a) == 0 and invoices(desk.sessions, account_b) == 1
    assert pending(desk.sessions, a.id) == 2
    with desk.sessions() as s:  # A's data is kept
        assert s.get_one(Account, account_a).period_end == RENEWAL
        assert s.scalar(select(func.count(Member.id)).where(Member.agency_id == a.id)) == 1

    new_token = desk.install("T0AAA", "U0AOWN")
    assert new_token != token_a
    assert agency_of(desk.sessions, "T0AAA").suspended_at is None
    # Slack's retry of the old removal, arriving after the reinstall, removes nothing.
    assert desk.event("T0AAA", UNINSTALLED, ago=60).status == 200
    assert desk.event("T0AAA", BOT_REVOKED, ago=60).status == 200
    assert agency_of(desk.sessions, "T0AAA").suspended_at is None
    assert desk.store.find_bot(enterprise_id=None, team_id="T0AAA") is not None
    mark = desk.slack.mark()
    report = desk.notices()
    assert set(posts(desk.slack, mark)) == {("C0AAA", new_token)}
    assert report.counts["posted"] == 2 + report.counts.get("queued", 0)  # what waited, and today's
    assert pending(desk.sessions, a.id) == 0 and token_a not in {c.token for c in desk.slack.calls[mark:]}
    assert agency_of(desk.sessions, "T0BBB").id == b.id

    audit_text = desk.command("T0AAA", "U0AOWN", "/agency", "audit").text
    assert (
        "posting to Slack stopped" in audit_text
        and "the app was removed from the workspace" not in audit_text
    )
    assert "Slack revoked the app's access" in audit_text and "posting to Slack resumed" in audit_text
    assert "app installed in the Slack workspace" in audit_text


def test_tokens_revoked_for_the_bot_stops_the_workspace_user_tokens_only_do_not(desk: Desk) -> None:
    """`tokens_revoked` listing only user tokens changes nothing (the app holds none); listing the
    bot removes its token from the store and suspends the agency: the next runs skip it, B goes on."""
    token_a, token_b = desk.install("T0AAA", "U0AOWN"), desk.install("T0BBB", "U0BOWN")
    a = agency_of(desk.sessions, "T0AAA")
    set_up(desk.sessions, "T0AAA", "C0AAA")
    set_up(desk.sessions, "T0BBB", "C0BBB")

    users_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U0AOWN"], "bot": []}}
    assert desk.event("T0AAA", users_only).status == 200
    assert agency_of(desk.sessions, "T0AAA").suspended_at is None

    assert desk.store.find_bot(enterprise_id=None, team_id="T0AAA") is not None
    assert desk.event("T0AAA", BOT_REVOKED).status == 200
    assert desk.store.find_bot(enterprise_id=None, team_id="T0AAA") is None
    assert desk.store.find_bot(enterprise_id=None, team_id="T0BBB") is not None
    suspended = agency_of(desk.sessions, "T0AAA")
    assert suspended.suspended_at is not None and suspended.suspended_reason == "tokens_revoked"
    desk.slack.revoke(token_a)

    mark = desk.slack.mark()
    reports = desk.daily(DAY0)
    assert calls_with(desk.slack, token_a, mark) == []
    assert set(posts(desk.slack, mark)) == {("C0BBB", token_b)}
    assert pending(desk.sessions, a.id) == 0  # not even queued: the sweep skipped A
    assert counts(reports, "skipped_suspended")["notices"] == 1

    new_token = desk.install("T0AAA", "U0AOWN")
    mark = desk.slack.mark()
    desk.daily(DAY0)  # the same day again, now with A back: its reminder is queued and posted
    assert set(posts(desk.slack, mark)) == {("C0AAA", new_token)}


def test_a_post_refused_for_a_dead_token_suspends_and_is_not_retried(desk: Desk) -> None:
    """Slack answers `token_revoked` to A's post before any event says so: A is suspended (reason
    tokens_revoked), its notice goes back to the outbox due at once (for the reinstall, not a
    backoff), later runs make no call with that token and charge nothing for A; B is unaffected."""
    token_a, token_b = desk.install("T0AAA", "U0AOWN"), desk.install("T0BBB", "U0BOWN")
    a = agency_of(desk.sessions, "T0AAA")
    account_a = set_up(desk.sessions, "T0AAA", "C0AAA")
    account_b = set_up(desk.sessions, "T0BBB", "C0BBB")
    desk.slack.revoke(token_a)

    mark = desk.slack.mark()
    reports = desk.daily(DAY0)
    refused = [c for c in desk.slack.calls[mark:] if c.token == token_a]
    assert [(c.method, c.response.get("error")) for c in refused] == [("chat.postMessage", "token_revoked")]
    assert set(posts(desk.slack)) == {("C0BBB", token_b)}
    assert reports[-1].counts["suspended"] == 1
    stopped = agency_of(desk.sessions, "T0AAA")
    assert stopped.suspended_reason == "tokens_revoked"
    with desk.sessions() as s:
        waiting = list(s.scalars(select(Notice).where(Notice.agency_id == a.id)))
        assert waiting and {(n.status, n.last_error) for n in waiting} == {("pending", "token_revoked")}
        assert all(n.next_attempt_at.replace(tzinfo=UTC) <= desk.clock.now() for n in waiting)

    mark = desk.slack.mark()
    desk.daily(RENEWAL)
    assert calls_with(desk.slack, token_a, mark) == []
    assert invoices(desk.sessions, account_a) == 0 and invoices(desk.sessions, account_b) == 1

    new_token = desk.install("T0AAA", "U0AOWN")
    mark = desk.slack.mark()
    desk.notices()
    assert {(channel, token) for channel, token in posts(desk.slack, mark)} == {("C0AAA", new_token)}


# single-workspace mode ----------------------------------------------------------------------------


def test_single_workspace_uninstall_suspends_and_a_later_request_resumes(
    db: Engine,
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    slack: LocalSlack,
) -> None:
    """With one bot token: `app_uninstalled` suspends the agency (nothing posted by the next run, its
    notices wait); a command Slack later delivers (the app is back) resumes it, and the next run
    posts what waited with the bot token."""
    from bot.app import build_app
    from bot.jobs.notifier import run_notices
    from tests.integration.test_notices_delivery import many_renewals

    clock.set(six_am(DAY0))
    agency_id = many_renewals(sessions, 2)
    app = build_app(settings, clock=clock, sessions=sessions, catalog=catalog)
    with serve_app(app) as base_url:
        http = SlackHttp(base_url, SECRET, slack)
        for odd in ({"tokens": "bot"}, {"tokens": {"bot": "U0BOT"}}, {"tokens": None}, {}):
            assert http.event({"type": "tokens_revoked", **odd}).status == 200  # signed, malformed
        with sessions() as s:
            assert s.get_one(Agency, agency_id).suspended_at is None
        assert http.event(UNINSTALLED).status == 200
        assert http.event(UNINSTALLED).status == 200  # a retry: still one suspension
        with sessions() as s:
            agency = s.get_one(Agency, agency_id)
            assert agency.suspended_reason == "app_uninstalled"
        assert len(audit(sessions, agency_id, "workspace.suspended")) == 1

        report = run_notices(settings, sessions, catalog, clock, sleep=lambda s: None)[0]
        assert report.counts == {"skipped_suspended": 1} and not slack.of("chat.postMessage")
        assert pending(sessions, agency_id) == 0  # nothing queued while suspended either

        http.command("/agency", "help")
        with sessions() as s:
            assert s.get_one(Agency, agency_id).suspended_at is None
        assert len(audit(sessions, agency_id, "workspace.resumed")) == 1
        report = run_notices(settings, sessions, catalog, clock, sleep=lambda s: None)[0]
        assert report.counts["posted"] == report.counts["queued"] > 0 and pending(sessions, agency_id) == 0
        assert {c.token for c in slack.of("chat.postMessage")} == {
            settings.slack_bot_token.get_secret_value()
        }  # type: ignore[union-attr]


def test_vendor_outcomes_after_the_ack_are_told_with_the_agencys_token_never_a_removed_ones(
    desk: Desk, catalog: Catalog
) -> None:
    """Accounts requested in both workspaces, their vendor work left to the scheduler's sweep: B's
    creator is told with B's token; A removed the app meanwhile, so A's account is created (it was
    asked and charged) but nothing is sent with A's token."""
    from bot.operations import sweep_operations
    from domain.accounts.common import AccountPorts
    from domain.accounts.service import add_account
    from domain.agency import Actor
    from domain.roles import Role
    from domain.store.uow import SqlUnitOfWork
    from tests.integration.test_accounts_services import command

    token_a, token_b = desk.install("T0AAA", "U0AOWN"), desk.install("T0BBB", "U0BOWN")
    ports = AccountPorts(desk.clock, catalog, SimulatedProvider(), desk.gateway)
    for team, owner in (("T0AAA", "U0AOWN"), ("T0BBB", "U0BOWN")):
        with desk.sessions.begin() as s:
            agency = s.scalars(select(Agency).where(Agency.team_id == team)).one()
            ids = agency.id, make_profile(s, agency).id
        notify = {"user": owner, "channel": f"C0{team}", "language": "en"}
        with SqlUnitOfWork(desk.sessions) as uow:
            asked = command(ids[1], key=f"nonce-{team}", name=f"{team.lower()}-shop")
            add_account(uow, ports, Actor(ids[0], owner, Role.OWNER), asked, notify)
    assert desk.event("T0AAA", UNINSTALLED).status == 200
    desk.slack.revoke(token_a)

    mark = desk.slack.mark()
    outcomes = sweep_operations(desk.settings, desk.sessions, desk.clock, gateway=desk.gateway)
    assert sorted(o.state for o in outcomes) == ["succeeded", "succeeded"], [o.error for o in outcomes]
    told = [c for c in desk.slack.since(mark) if c.method == "chat.postEphemeral"]
    assert [(c.params["channel"], c.token) for c in told] == [("C0T0BBB", token_b)]
    assert calls_with(desk.slack, token_a, mark) == []


def test_an_org_wide_install_is_stopped_by_its_organisations_uninstall(desk: Desk) -> None:
    """Installed org-wide (one agency for the organisation): `app_uninstalled` authorised for the
    organisation, sent from one of its workspaces, removes the installation and suspends that agency;
    a workspace installed on its own is untouched."""
    token_org = desk.install("T0ONE", "U0ORGOWN", enterprise="E0ORG", org_wide=True)
    token_b = desk.install("T0BBB", "U0BOWN")
    org = agency_of(desk.sessions, "E0ORG")
    assert org.is_enterprise_install and org.enterprise_id == "E0ORG"
    set_up(desk.sessions, "E0ORG", "C0ORG")
    set_up(desk.sessions, "T0BBB", "C0BBB")

    mark = desk.slack.mark()
    assert desk.event("T0ONE", UNINSTALLED, org="E0ORG").status == 200
    assert agency_of(desk.sessions, "E0ORG").suspended_reason == "app_uninstalled"
    assert desk.store.find_bot(enterprise_id="E0ORG", team_id=None, is_enterprise_install=True) is None
    assert agency_of(desk.sessions, "T0BBB").suspended_at is None

    desk.daily(DAY0)
    assert set(posts(desk.slack)) == {("C0BBB", token_b)}
    assert calls_with(desk.slack, token_org, mark) == []
