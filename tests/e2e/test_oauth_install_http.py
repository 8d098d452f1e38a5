"""Slack's OAuth install, end to end over HTTP against LocalSlack (issue 17 §1, SPEC §11): the Add to
Slack page, the redirect, `oauth.v2.access`, the stored (sealed) installation, the agency with its
installer as owner, and commands from that workspace answered with that workspace's token. Every
failure of the flow shows a page, never a 500, and writes nothing. Runs on SQLite and PostgreSQL
(DATABASE_URL)."""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_app
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from bot.workspaces import BOT_SCOPES, NOT_INSTALLED
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.store.models import Agency, AuditEntry, Base, Member
from tests.conftest import SECRET
from tests.slackhttp import Reply, SlackHttp, serve_app, trigger_id
from tests.workspaces import CLIENT_ID, CLIENT_SECRET, many_workspaces

INSTALLER = "U0INSTALLER"


@dataclass
class Page:
    status: int
    body: str
    headers: dict[str, str]
    """Lower-cased names."""


def get(url: str, cookie: str | None = None) -> Page:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Page(response.status, response.read().decode(), _lower(response.headers.items()))
    except urllib.error.HTTPError as exc:
        return Page(exc.code, exc.read().decode(), _lower(exc.headers.items()))


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


class Installer:
    """A person's browser: the Add to Slack page, then Slack sending them back to the redirect."""

    def __init__(self, base_url: str, slack: LocalSlack) -> None:
        self.base_url = base_url
        self.slack = slack

    def start(self) -> tuple[Page, str, str]:
        """The install page, the state in its Add to Slack link, and the cookie it set."""
        page = get(f"{self.base_url}/slack/install")
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.body)
        assert link is not None, page.body
        query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
        cookie = page.headers["set-cookie"].split(";")[0]
        return page, query["state"][0], cookie

    def back(self, cookie: str | None = None, **params: str) -> Page:
        return get(f"{self.base_url}/slack/oauth_redirect?{urlencode(params)}", cookie)

    def install(
        self,
        code: str,
        team: str,
        installer: str = INSTALLER,
        *,
        enterprise: str | None = None,
        org_wide: bool = False,
    ) -> tuple[Page, str]:
        """Click Add to Slack, Allow in Slack, come back: the redirect's page and the new token."""
        _, state, cookie = self.start()
        token = self.slack.grant(code, team, installer, enterprise=enterprise, org_wide=org_wide)
        return self.back(cookie, code=code, state=state), token


@pytest.fixture
def served(  # type: ignore[no-untyped-def]
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    db: Engine,
    catalog: Catalog,
    slack: LocalSlack,
    provider,
    gateway,
) -> Iterator[tuple[SlackHttp, Installer]]:
    """The app installing through OAuth, with no configured owner: the installer is the only one."""
    app = build_app(
        many_workspaces(settings, reseller_owners=()),
        clock=clock,
        sessions=sessions,
        catalog=catalog,
        provider=provider,
        gateway=gateway,
    )
    with serve_app(app) as base_url:
        yield SlackHttp(base_url, SECRET, slack), Installer(base_url, slack)


def command(
    http: SlackHttp,
    team: str,
    user: str,
    command: str,
    text: str = "",
    *,
    enterprise: str | None = None,
    org_wide: bool = False,
) -> Reply:
    """A slash command from `team` (of `enterprise`), as Slack sends it."""
    body = {
        "token": "x",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": "C0AGENCY",
        "channel_name": "agency",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0RESELLER",
        "is_enterprise_install": "true" if org_wide else "false",
        "response_url": http.slack.response_url(uuid.uuid4().hex),
        "trigger_id": trigger_id(),
        **({"enterprise_id": enterprise, "enterprise_name": f"Org {enterprise}"} if enterprise else {}),
    }
    return http.post(urlencode(body))


def counts(engine: Engine) -> dict[str, int]:
    """Rows of every table: what a failed install must leave as it found it."""
    with engine.connect() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in Base.metadata.sorted_tables
        }


def tokens_of_calls(slack: LocalSlack, since: int) -> list[tuple[str, str]]:
    return [(c.method, c.token) for c in slack.since(since) if c.method != "response_url"]


def agency(engine: Engine, key: str) -> tuple[Agency, dict[str, str]]:
    with Session(engine) as session:
        found = session.scalars(select(Agency).where(Agency.team_id == key)).one()
        members = {
            m.user_id: m.role for m in session.scalars(select(Member).where(Member.agency_id == found.id))
        }
        session.expunge_all()
        return found, members


def test_install_page_offers_add_to_slack_with_exactly_the_scopes_and_a_state(
    served: tuple[SlackHttp, Installer], db: Engine
) -> None:
    _, browser = served
    page, state, cookie = browser.start()
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "Add to Slack" in page.body
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.body)
    assert link is not None
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    assert not query.get("user_scope", [""])[0]  # no user token is asked for
    assert re.fullmatch(r"[0-9a-f-]{36}", state)
    assert cookie == f"slack-app-oauth-state={state}"
    assert "HttpOnly" in page.headers["set-cookie"] and "Secure" in page.headers["set-cookie"]
    assert counts(db)["slack_oauth_states"] == 1  # the state is kept server-side, once


def test_install_end_to_end_then_a_command_answered_with_that_workspaces_token(
    served: tuple[SlackHttp, Installer], db: Engine, slack: LocalSlack
) -> None:
    http, browser = served
    page, token = browser.install("code-a", "T0AAA")
    assert page.status == 200 and "slack://app?team=T0AAA" in page.body  # Slack's success page
    access = slack.of("oauth.v2.access")
    assert len(access) == 1 and access[0].params["code"] == "code-a"
    assert access[0].token.startswith("Basic ")  # the client id and secret, as HTTP Basic auth
    import base64

    assert base64.b64decode(access[0].token.removeprefix("Basic ")).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"
    rows = counts(db)
    assert rows["slack_installations"] == 1 and rows["slack_bots"] == 1 and rows["slack_oauth_states"] == 0
    found, members = agency(db, "T0AAA")
    assert members == {INSTALLER: "owner"}
    assert (found.enterprise_id, found.is_enterprise_install) == (None, False)
    with Session(db) as session:
        audited = {(a.actor, a.action) for a in session.scalars(select(AuditEntry))}
    assert (INSTALLER, "workspace.installed") in audited

    mark = slack.mark()
    reply = command(http, "T0AAA", INSTALLER, "/agency", "settings")
    assert reply.status == 200
    calls = tokens_of_calls(slack, mark)
    assert ("views.open", token) in calls
    assert calls and all(used == token for _, used in calls), calls

    other = command(http, "T0AAA", "U0COLLEAGUE", "/agency", "settings")
    assert "not a member" in other.text
    assert agency(db, "T0AAA")[1] == {INSTALLER: "owner"}  # refused, nothing written
    assert (
        "is now billing"
        in command(http, "T0AAA", INSTALLER, "/agency", "members add U0COLLEAGUE billing").text
    )
    mark = slack.mark()
    assert "not a member" not in command(http, "T0AAA", "U0COLLEAGUE", "/agency", "settings").text
    assert all(used == token for _, used in tokens_of_calls(slack, mark))


def test_the_tokens_are_stored_sealed(served: tuple[SlackHttp, Installer], db: Engine) -> None:
    _, browser = served
    _, token = browser.install("code-a", "T0AAA")
    with db.connect() as conn:
        for table in ("slack_installations", "slack_bots"):
            row = conn.execute(text(f"SELECT * FROM {table}")).mappings().one()
            assert row["bot_token"] and row["bot_token"].startswith("gAAAAA")  # a Fernet token
            assert token not in str(dict(row)) and "xoxb-" not in str(dict(row))


@pytest.mark.parametrize(
    "failure",
    [
        "wrong state",
        "forged state",
        "expired state",
        "reused state",
        "no cookie",
        "missing code",
        "denied",
        "bad code",
    ],
)
def test_a_failed_install_shows_a_page_and_writes_nothing(
    served: tuple[SlackHttp, Installer], db: Engine, slack: LocalSlack, clock: FixedClock, failure: str
) -> None:
    _, browser = served
    if failure == "reused state":
        _, state, cookie = browser.start()
        slack.grant("code-1", "T0AAA", INSTALLER)
        assert browser.back(cookie, code="code-1", state=state).status == 200
        slack.grant("code-2", "T0AAA", "U0INTRUDER")
        before = counts(db)
        page = browser.back(cookie, code="code-2", state=state)
    else:
        _, state, cookie = browser.start()
        slack.grant("code-1", "T0AAA", INSTALLER)
        before = counts(db)
        if failure == "wrong state":  # the cookie of one install, the state of another
            page = browser.back(cookie, code="code-1", state=str(uuid.uuid4()))
        elif failure == "forged state":  # cookie and state agree, but the app never issued it
            forged = str(uuid.uuid4())
            page = browser.back(f"slack-app-oauth-state={forged}", code="code-1", state=forged)
        elif failure == "expired state":
            clock.advance(timedelta(minutes=10, seconds=1))
            page = browser.back(cookie, code="code-1", state=state)
        elif failure == "no cookie":
            page = browser.back(None, code="code-1", state=state)
        elif failure == "missing code":
            page = browser.back(cookie, state=state)
        elif failure == "denied":
            page = browser.back(cookie, error="access_denied", state=state)
        else:  # a code Slack does not know
            page = browser.back(cookie, code="code-nobody-granted", state=state)
    assert page.status in (200, 400, 401), page.status
    assert page.headers["content-type"].startswith("text/html") and "<html>" in page.body
    assert 'href="/slack/install"' in page.body  # the page offers to try again
    after = counts(db)
    assert after["slack_oauth_states"] <= before["slack_oauth_states"]
    assert {k: v for k, v in after.items() if k != "slack_oauth_states"} == {
        k: v for k, v in before.items() if k != "slack_oauth_states"
    }
    asked = [c.params.get("code") for c in slack.of("oauth.v2.access")]
    if failure == "bad code":
        assert asked == ["code-nobody-granted"]  # Slack refused it
    elif failure == "reused state":
        assert asked == ["code-1"]  # the second redirect never reached Slack
    else:
        assert asked == []


def test_an_install_link_opens_ten_minutes_and_only_once(
    served: tuple[SlackHttp, Installer], db: Engine, slack: LocalSlack, clock: FixedClock
) -> None:
    _, browser = served
    _, state, cookie = browser.start()
    clock.advance(timedelta(minutes=9, seconds=59))
    slack.grant("code-1", "T0AAA", INSTALLER)
    assert "slack://app?team=T0AAA" in browser.back(cookie, code="code-1", state=state).body
    assert counts(db)["slack_installations"] == 1


def test_states_of_links_nobody_followed_do_not_pile_up(
    served: tuple[SlackHttp, Installer], db: Engine, clock: FixedClock
) -> None:
    _, browser = served
    browser.start()
    browser.start()
    assert counts(db)["slack_oauth_states"] == 2
    clock.advance(timedelta(minutes=10))
    _, state, _ = browser.start()
    with db.connect() as conn:
        assert conn.execute(text("SELECT state FROM slack_oauth_states")).scalars().all() == [state]


def test_a_reinstall_keeps_the_agency_and_its_members_and_uses_the_new_token(
    served: tuple[SlackHttp, Installer], db: Engine, slack: LocalSlack, clock: FixedClock
) -> None:
    http, browser = served
    _, first = browser.install("code-1", "T0AAA")
    command(http, "T0AAA", INSTALLER, "/agency", "members add U0BILLING billing")
    before, members = agency(db, "T0AAA")
    clock.advance(timedelta(days=3))
    page, second = browser.install("code-2", "T0AAA", "U0ADMIN2")  # another Slack admin reinstalls
    assert page.status == 200 and second != first
    after, kept = agency(db, "T0AAA")
    assert after.id == before.id and kept == members == {INSTALLER: "owner", "U0BILLING": "billing"}
    mark = slack.mark()
    assert "not a member" not in command(http, "T0AAA", "U0BILLING", "/agency", "settings").text
    calls = tokens_of_calls(slack, mark)
    assert calls and all(used == second for _, used in calls), calls
    # who reinstalls is not made a member: an owner adds them
    assert "not a member" in command(http, "T0AAA", "U0ADMIN2", "/agency", "settings").text
    assert agency(db, "T0AAA")[1] == members


def test_an_org_wide_install_is_one_agency_for_every_workspace_of_the_organisation(
    served: tuple[SlackHttp, Installer], db: Engine, slack: LocalSlack
) -> None:
    http, browser = served
    page, token = browser.install("code-org", "T0ORG1", enterprise="E0GRID", org_wide=True)
    assert page.status == 200
    with db.connect() as conn:
        row = conn.execute(
            text("SELECT enterprise_id, team_id, is_enterprise_install FROM slack_installations")
        ).one()
    assert (row.enterprise_id, row.team_id, bool(row.is_enterprise_install)) == ("E0GRID", None, True)
    found, members = agency(db, "E0GRID")
    assert (found.enterprise_id, found.is_enterprise_install, members) == (
        "E0GRID",
        True,
        {INSTALLER: "owner"},
    )
    command(
        http, "T0WS1", INSTALLER, "/agency", "members add U0SALES billing", enterprise="E0GRID", org_wide=True
    )
    mark = slack.mark()
    reply = command(http, "T0WS2", "U0SALES", "/agency", "settings", enterprise="E0GRID", org_wide=True)
    assert "not a member" not in reply.text  # added from one workspace, a member in the other
    assert all(used == token for _, used in tokens_of_calls(slack, mark))
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(Agency)) == 1


def test_a_workspace_without_an_installation_is_told_plainly_and_nothing_is_written(
    served: tuple[SlackHttp, Installer], db: Engine, slack: LocalSlack
) -> None:
    http, browser = served
    browser.install("code-a", "T0AAA")
    before = counts(db)
    mark = slack.mark()
    reply = command(http, "T0NOTHERE", "U0SOMEONE", "/agency", "settings")
    assert reply.status == 200
    told = [c for c in slack.since(mark) if c.method == "response_url"]
    assert [c.params.get("text") for c in told] == [NOT_INSTALLED]
    assert "not installed in this workspace" in NOT_INSTALLED and "install it again" in NOT_INSTALLED
    assert counts(db) == before
    assert [c for c in slack.since(mark) if c.method != "response_url"] == []  # no token was used


def test_single_workspace_mode_has_no_install_pages(http: SlackHttp) -> None:
    for path in ("/slack/install", "/slack/oauth_redirect?code=x&state=y"):
        page = get(f"{http.base_url}{path}")
        assert page.status == 404


def test_with_another_token_key_the_workspace_counts_as_not_installed(  # type: ignore[no-untyped-def]
    served: tuple[SlackHttp, Installer],
    db: Engine,
    slack: LocalSlack,
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    provider,
    gateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SLACK_TOKEN_KEY replaced by a new one: the stored tokens do not open, the workspace is told the
    app is not installed there, and the log says why without a token."""
    _, browser = served
    _, token = browser.install("code-a", "T0AAA")
    rekeyed = many_workspaces(
        settings, reseller_owners=(), slack_token_key=SecretStr(Fernet.generate_key().decode())
    )
    app = build_app(
        rekeyed, clock=clock, sessions=sessions, catalog=catalog, provider=provider, gateway=gateway
    )
    before = counts(db)
    with serve_app(app) as base_url, caplog.at_level(logging.INFO):
        http = SlackHttp(base_url, SECRET, slack)
        mark = slack.mark()
        reply = command(http, "T0AAA", INSTALLER, "/agency", "settings")
    assert reply.status == 200
    assert [c.params.get("text") for c in slack.since(mark)] == [NOT_INSTALLED]
    assert counts(db) == before
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "does not open with SLACK_TOKEN_KEY" in logged and token not in logged and "gAAAA" not in logged


def test_each_reader_is_answered_in_their_slack_language_with_the_workspaces_token(
    served: tuple[SlackHttp, Installer], slack: LocalSlack
) -> None:
    http, browser = served
    _, token = browser.install("code-a", "T0AAA", "U0FRENCH")  # LocalSlack: U0FRENCH reads fr-FR
    mark = slack.mark()
    reply = command(http, "T0AAA", "U0FRENCH", "/agency", "members")
    asked = [c for c in slack.since(mark) if c.method == "users.info"]
    assert [(c.params.get("user"), c.token) for c in asked] == [("U0FRENCH", token)]
    assert "Membres" in reply.text or "membres" in reply.text, reply.text
