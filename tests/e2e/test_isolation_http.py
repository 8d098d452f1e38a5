"""Nothing of one agency reaches another (SPEC §11, issue 17 §2), with two installed workspaces.

Every command, the buttons on what it returns (and on what those render), the modals it opens
submitted as shown, the notices' buttons and the App Home are used in workspace A: B's rows stay
byte-identical and every Slack call made for A uses A's token. Then everything A was shown (button
values, modal metadata) is sent again from workspace B, signed and authorised for B: A's rows stay
byte-identical. Ids of another agency are refused with the unknown id's own words; Slack's own
payload shapes (a Slack Connect modal, an org-wide install, no team at all) never make an agency up.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.notifier import run_notices
from bot.settings import Settings
from bot.shell.localslack import Call, LocalSlack
from domain.catalog import Catalog, load_catalog
from domain.clock import FixedClock
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import (
    Account,
    Agency,
    Approval,
    BillingProfile,
    Invoice,
    Notice,
    PortalTask,
    PortfolioImport,
)
from tests.e2e.test_every_button_http import (
    GENERIC,
    LAZY,
    Click,
    Surface,
    clicks_of,
    settled,
    surface_view,
    surfaces_of,
)
from tests.factories import make_agency, make_profile
from tests.isolation import Side, TeamHttp, foreign_calls, portfolio, snapshot
from tests.slackhttp import Reply, SlackHttp, block_actions, modal_view, payload_text, text_input, trigger_id
from tests.workspaces import install, many_workspaces

TEAM_A, TEAM_B = "T0AAA", "T0BBB"
OWNER_A, OWNER_B = "U0OWNER", "U0BOSS"


def commands(tag: str) -> list[tuple[str, str]]:
    """What an owner types, naming the agency's own accounts (the every-button test's list)."""
    return [
        ("/accounts", ""),
        ("/accounts", "status:all"),
        ("/accounts", f"show acme-{tag}"),
        ("/accounts", f"show seated-{tag}"),
        ("/accounts", f"renew lapsed-{tag}"),
        ("/accounts", f"access acme-{tag}"),
        ("/accounts", f"templates import https://crm.example/share/welcome-{tag} status:active"),
        ("/accounts", "add"),
        ("/accounts", "overview"),
        ("/seats", f"add seated-{tag} ana-{tag}@x.io"),
        ("/seats", f"seated-{tag}"),
        ("/seats", f"admin seated-{tag} ana-{tag}@x.io"),
        ("/seats", f"buy seated-{tag} 1"),
        ("/seats", f"reduce roomy-{tag} 1"),
        ("/seats", "new"),
        ("/credits", "buy prepaid 100"),
        ("/credits", "buy prepaid 5000"),
        ("/credits", "buy"),
        ("/credits", ""),
        ("/quote", ""),
        ("/quote", "plus 2500 annual"),
        ("/agency", ""),
        ("/agency", "settings"),
        ("/agency", "tasks"),
        ("/agency", "notices"),
        ("/agency", "approvals"),
        ("/agency", "members"),
        ("/billing", "profiles add"),
        ("/billing", "profiles"),
        ("/billing", "history"),
        ("/billing", "history csv"),
        ("/agency", "notices run"),
        ("/billing", "invoice INV-2026-000001"),
    ]


@pytest.fixture
def pair(
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    db: Engine,
    catalog: Catalog,
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
    slack: LocalSlack,
) -> Iterator[tuple[Side, Side]]:
    """Two workspaces installed through OAuth, each with its agency, owner and portfolio."""
    from bot.app import build_app
    from tests.slackhttp import serve_app

    extras: dict[str, Any] = {"notices": {"sleep": lambda s: clock.advance(timedelta(seconds=s))}}
    app = build_app(
        many_workspaces(settings),
        clock=clock,
        sessions=sessions,
        catalog=catalog,
        provider=provider,
        gateway=gateway,
        extras=extras,
    )
    with serve_app(app) as base_url:
        sides = []
        for team, owner, tag in ((TEAM_A, OWNER_A, "a"), (TEAM_B, OWNER_B, "b")):
            token = install(app, slack, team, owner)
            agency_id = portfolio(sessions, provider, team, owner, tag)
            sides.append(
                Side(team, owner, token, TeamHttp(base_url, slack, team, owner), agency_id, tag, app)
            )
        yield sides[0], sides[1]


def said(calls: list[Call], reply: Reply | None = None) -> str:
    """Everything the person was told: the reply, and what went to Slack for them."""
    texts = [reply.text if reply is not None else ""]
    texts += [payload_text(c.params) for c in calls]
    texts += [json.dumps((c.params.get("view") or {}).get("blocks") or []) for c in calls]
    return "\n".join(texts)


def press(http: TeamHttp, surface: Surface, click: Click, user: str) -> tuple[Reply, list[Call]]:
    """Click one element where it was shown (`tests/e2e/test_every_button_http.py`'s way), as `user`."""
    mark = http.slack.mark()
    body = block_actions(
        http.slack,
        click.action,
        user,
        surface=surface.kind,
        channel=surface.channel,
        block_id=click.block_id,
        message=surface.message or None,
        view=surface_view(surface, click),
    )
    reply = http.interaction(body)
    return reply, settled(http.slack, mark, LAZY.get(str(click.action.get("action_id"))))


def submit(http: TeamHttp, view: dict[str, Any], user: str) -> tuple[Reply, list[Call]]:
    """Submit a modal as it was shown (inputs as rendered)."""
    mark = http.slack.mark()
    reply = http.submit(view, {}, user=user)
    return reply, http.slack.since(mark)


def explore(
    side: Side, slack: LocalSlack, settings: Settings, sessions: sessionmaker[Session], clock: FixedClock
) -> list[Any]:
    """Use everything the app offers in `side`'s workspace: each command, the notices posted to its
    channel, the App Home; each button and menu on what they show (and on what that renders, in
    turn); each modal submitted as rendered. Returns what was done, to be replayed elsewhere, and
    fails on a 500, a generic error or a call with another token."""
    http = side.http
    queue: list[Surface] = []
    problems: list[str] = []
    start = slack.mark()
    for command, text in commands(side.tag):
        mark = slack.mark()
        reply = http.run(command, text)
        calls = slack.since(mark)
        problems += check(f"{command} {text}", reply, calls, side.token)
        for surface in surfaces_of(reply, calls, None):
            surface.origin = f" {command} {text}"  # each command's own buttons are all clicked
            queue.append(surface)
    # The notices of this agency (some went out already, through `/agency notices`), posted to its
    # channel with its workspace's token by the notices job.
    mark = slack.mark()
    run_notices(
        settings,
        sessions,
        load_catalog(),
        clock,
        agency_ids=[side.agency_id],
        sleep=lambda s: clock.advance(timedelta(seconds=s)),
    )
    posted = slack.since(mark)
    notices = [c for c in slack.since(start) if c.method == "chat.postMessage" and "metadata" in c.params]
    assert notices, "no notice was posted"
    assert {(c.params["channel"], c.token) for c in notices} == {(side.notices, side.token)}
    queue += surfaces_of(None, posted, None)
    home = http.home(user=side.owner)
    queue.append(Surface("home", home["blocks"], view=home))
    for shortcut in ("quote_shortcut", "accounts_new_shortcut"):  # global shortcuts open modals
        mark = slack.mark()
        reply = http.interaction({"type": "shortcut", "callback_id": shortcut, "user": {"id": side.owner}})
        calls = slack.since(mark)
        problems += check(f"the {shortcut} shortcut", reply, calls, side.token)
        assert [c.method for c in calls if c.method == "views.open"], shortcut
        queue += surfaces_of(reply if reply.body else None, calls, None)
    done: set[tuple[str, str, str]] = set()
    views: dict[str, dict[str, Any]] = {}
    record: list[Any] = []
    later = [("/agency", "approvals")]  # the clicks above asked for an approval: decide it
    while queue or later:
        if not queue:
            mark = slack.mark()
            reply = http.run(*later.pop())
            queue += surfaces_of(reply, slack.since(mark), None)
            assert "Waiting for approval" in reply.text, reply.text
        surface = queue.pop(0)
        if surface.kind == "modal" and surface.view.get("callback_id") and surface.view.get("type") != "home":
            views.setdefault(str(surface.view["callback_id"]), surface.view)
        for click in clicks_of(surface):
            key = (surface.kind, str(click.action.get("action_id")), click.label + surface.origin)
            if key in done:
                continue
            done.add(key)
            reply, calls = press(http, surface, click, side.owner)
            record.append((surface, click))
            problems += check(f"{key[1]} ({key[2]!r}) from a {key[0]}", reply, calls, side.token)
            queue += surfaces_of(reply if reply.body else None, calls, surface)
    for callback, view in sorted(views.items()):
        reply, calls = submit(http, view, side.owner)
        record.append(view)
        problems += check(f"the {callback} modal submitted", reply, calls, side.token)
    assert not problems, "\n".join(problems)
    print(f"\n{side.team}: {len(record)} clicks and modals")
    assert len(record) >= 200, len(record)
    return record


def check(what: str, reply: Reply, calls: list[Call], token: str) -> list[str]:
    found = []
    if reply.status != 200:
        found.append(f"{what}: HTTP {reply.status}")
    if GENERIC in said(calls, reply):
        found.append(f"{what}: the generic error")
    foreign = foreign_calls(calls, token)
    if foreign:
        found.append(f"{what}: calls with another token: {foreign}")
    return found


def words_of(side: Side) -> re.Pattern[str]:
    """What names something of `side`'s agency: its accounts, name, owner and channels."""
    tag = side.tag
    return re.compile(
        rf"\b(?:acme|lapsed|trying|roomy|seated|soon)-{tag}(?:-\d\d)?\b|\bAgency {tag}\b"
        rf"|\b{side.notices}\b|\b{side.owner}\b|\bC0{side.team[2:]}\b"
    )


def replay(side: Side, record: list[Any], theirs: re.Pattern[str]) -> list[str]:
    """Send everything another workspace was shown, from `side`'s workspace as its owner: no 500, no
    generic error, only `side`'s token, and no answer naming anything of the other agency that the
    request did not itself carry (a refusal may repeat the name it was given, nothing more)."""
    http, problems = side.http, []
    for item in record:
        if isinstance(item, tuple):
            surface, click = item
            if surface.kind == "message" and "NOTICES" in surface.channel:
                surface = Surface(surface.kind, surface.blocks, side.notices, surface.message, surface.view)
            sent = json.dumps([click.action, surface.message, surface_view(surface, click)])
            reply, calls = press(http, surface, click, side.owner)
            what = f"{click.action.get('action_id')} ({click.label!r})"
        else:
            sent = json.dumps(item)
            reply, calls = submit(http, item, side.owner)
            what = f"the {item.get('callback_id')} modal"
        problems += check(f"{what} replayed", reply, calls, side.token)
        told = reply.raw + "".join(json.dumps(c.params) for c in calls)
        leaked = set(theirs.findall(told)) - set(theirs.findall(sent))
        if leaked:
            problems.append(f"{what} replayed: shown {sorted(leaked)} of the other agency")
    return problems


def test_one_workspace_sees_and_changes_only_its_own_agency(
    pair: tuple[Side, Side],
    slack: LocalSlack,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    db: Engine,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Everything workspace A can do leaves B's rows byte-identical and is said to Slack with A's
    token; everything A was shown, sent from B (B's owner, signed for B), leaves A's rows
    byte-identical (at the time of writing, 330 clicks and modal submissions each way)."""
    caplog.set_level(logging.ERROR)
    a, b = pair
    before_a, before_b = snapshot(db, a.agency_id), snapshot(db, b.agency_id)
    record = explore(a, slack, many_workspaces(settings), sessions, clock)
    after_a = snapshot(db, a.agency_id)
    assert after_a != before_a  # A's own agency did change (accounts renewed, credits bought, …)
    assert snapshot(db, b.agency_id) == before_b
    b_words = words_of(b)
    leaked = [(c.method, b_words.findall(json.dumps(c.params))) for c in slack.calls]
    assert not [found for found in leaked if found[1]]
    problems = replay(b, record, words_of(a))
    assert not problems, "\n".join(problems)
    assert snapshot(db, a.agency_id) == after_a
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records
    ]
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(Agency)) == 2


def value_of(blocks: list[dict[str, Any]], action_id: str) -> str:
    """The value of the first button `action_id` among `blocks` (actions blocks and accessories)."""
    for block in blocks:
        elements = list(block.get("elements") or []) + (
            [block["accessory"]] if block.get("accessory") else []
        )
        for element in elements:
            if element.get("action_id") == action_id and "value" in element:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {blocks}")


def answered(slack: LocalSlack, mark: int, reply: Reply) -> str:
    """What the person was told, a modal's field errors included."""
    errors = reply.body.get("errors") if reply.body.get("response_action") == "errors" else None
    return said(slack.since(mark), reply) + (json.dumps(errors) if errors else "")


MADE_UP = "999999"
NONCE = "0123456789abcdef0123456789abcdef0123456789abcdef"


def test_another_agencys_ids_are_refused_like_unknown_ones(
    pair: tuple[Side, Side], slack: LocalSlack, db: Engine, sessions: sessionmaker[Session]
) -> None:
    """Signed and authorised for A, a request naming B's account names, invoice numbers, pending
    confirmations, approval requests, portal tasks, notices and billing profiles — typed in a
    command, in a button's value or in a modal's metadata — gets exactly the words an id nobody has
    gets, and writes nothing in either agency (every row, the audit log included)."""
    a, b = pair
    # B's own things, made through B's workspace.
    pending = value_of(b.http.run("/credits", "buy prepaid 100").body["blocks"], "credits_buy_confirm")
    bought = value_of(b.http.run("/credits", "buy prepaid 120").body["blocks"], "credits_buy_confirm")
    b.http.click("credits_buy_confirm", bought, user=OWNER_B)
    big = value_of(b.http.run("/credits", "buy prepaid 5000").body["blocks"], "credits_buy_confirm")
    b.http.click("credits_buy_confirm", big, user=OWNER_B)
    seats = value_of(b.http.run("/seats", "buy seated-b 1").body["blocks"], "seats_buy_confirm")
    with Session(db) as s:
        invoice = s.scalars(select(Invoice.number).where(Invoice.agency_id == b.agency_id)).one()
        approval = s.scalars(select(Approval.id).where(Approval.agency_id == b.agency_id)).one()
        task = s.scalars(select(PortalTask.id).where(PortalTask.agency_id == b.agency_id)).one()
        profile = s.scalars(select(BillingProfile.id).where(BillingProfile.agency_id == b.agency_id)).one()
        notice = s.scalars(select(Notice.id).where(Notice.agency_id == b.agency_id)).first()
        assert (
            s.scalar(select(func.count()).select_from(Invoice).where(Invoice.agency_id == a.agency_id)) == 0
        )
    # A's own modals, to send back with B's ids in their metadata.
    a.http.click("billing_profile_edit_open", str(_profile_of(db, a.agency_id)), user=OWNER_A)
    profile_view = slack.of("views.open")[-1].response["view"]
    a.http.run("/accounts", "edit acme-a")
    edit_view = slack.of("views.open")[-1].response["view"]

    cases: list[tuple[str, str, str, Any]] = [
        ("account name", "acme-b", "nosuch-zz", lambda v: a.http.run("/accounts", f"show {v}")),
        ("account to renew", "lapsed-b", "nosuch-zz", lambda v: a.http.run("/accounts", f"renew {v}")),
        ("seats account", "seated-b", "nosuch-zz", lambda v: a.http.run("/seats", v)),
        ("invoice number", invoice, "INV-2099-999999", lambda v: a.http.run("/billing", f"invoice {v}")),
        ("invoice paid", invoice, "INV-2099-999999", lambda v: a.http.run("/billing", f"paid {v}")),
        ("confirmation", pending, NONCE, lambda v: a.http.click("credits_buy_confirm", v, user=OWNER_A)),
        ("cancel", pending, NONCE, lambda v: a.http.click("credits_buy_cancel", v, user=OWNER_A)),
        ("seats confirmation", seats, NONCE, lambda v: a.http.click("seats_buy_confirm", v, user=OWNER_A)),
        ("approve", str(approval), MADE_UP, lambda v: a.http.click("approval_approve", v, user=OWNER_A)),
        ("reject", str(approval), MADE_UP, lambda v: a.http.click("approval_reject", v, user=OWNER_A)),
        ("portal task", str(task), MADE_UP, lambda v: a.http.click("portal_task_done", v, user=OWNER_A)),
        ("notice", str(notice), MADE_UP, lambda v: a.http.click("notice_view", v, user=OWNER_A)),
        ("renew notice", str(notice), MADE_UP, lambda v: a.http.click("notice_renew", v, user=OWNER_A)),
        (
            "billing profile",
            str(profile),
            MADE_UP,
            lambda v: a.http.click("billing_profile_edit_open", v, user=OWNER_A),
        ),
        (
            "profile in metadata",
            str(profile),
            MADE_UP,
            lambda v: a.http.submit(
                {
                    **profile_view,
                    "private_metadata": json.dumps({"profile": int(v), "channel": a.http.channel}),
                },
                {},
                user=OWNER_A,
            ),
        ),
        (
            "account in metadata",
            "acme-b",
            "nosuch-zz",
            lambda v: a.http.submit(
                {**edit_view, "private_metadata": json.dumps({"name": v, "channel": a.http.channel})},
                {},
                user=OWNER_A,
            ),
        ),
    ]
    before = snapshot(db, a.agency_id), snapshot(db, b.agency_id)
    for what, theirs, nobodys, send in cases:
        words = []
        for value in (theirs, nobodys):
            mark = slack.mark()
            reply = send(value)
            assert reply.status == 200, what
            text = answered(slack, mark, reply)
            if value.isdigit():  # ids are shown as numbers: 999,999
                text = text.replace(f"{int(value):,}", "<id>")
            words.append(text.replace(value, "<id>"))
        assert words[0] == words[1], f"{what}: {words}"
        assert words[0].strip() and GENERIC not in words[0], f"{what}: {words}"
    assert (snapshot(db, a.agency_id), snapshot(db, b.agency_id)) == before
    assert gateway_charges(db, a.agency_id) == 0


def _profile_of(db: Engine, agency_id: int) -> int:
    with Session(db) as s:
        return s.scalars(select(BillingProfile.id).where(BillingProfile.agency_id == agency_id)).one()


def gateway_charges(db: Engine, agency_id: int) -> int:
    with Session(db) as s:
        return int(
            s.scalar(select(func.count()).select_from(Invoice).where(Invoice.agency_id == agency_id)) or 0
        )


OTHER_COMPANY, OUTSIDER = "T0PARTNER", "U0PARTNER"


def connect_submission(
    view: dict[str, Any], values: dict[str, Any], user: str, installed: str
) -> dict[str, Any]:
    """A modal submitted from a Slack Connect channel as Slack sends it: the team fields are the
    other company's; only `view.app_installed_team_id` names the workspace that installed the app."""
    shown = modal_view(view, values)
    shown.update(team_id=OTHER_COMPANY, app_installed_team_id=installed)
    return {
        "type": "view_submission",
        "team": {"id": OTHER_COMPANY, "domain": "partner"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": OTHER_COMPANY},
        "api_app_id": "A0TEST",
        "token": "x",
        "trigger_id": trigger_id(),
        "view": shown,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def test_a_slack_connect_modal_is_the_installing_workspaces(
    pair: tuple[Side, Side], slack: LocalSlack, db: Engine
) -> None:
    """A's owner saves the settings modal from a channel shared with another company (the payload's
    team is the other company's): A's agency is renamed, with A's token; no agency is made up for
    the other company. The other company's person submitting the same modal is not a member of A's
    desk: refused, nothing written."""
    a, b = pair
    a.http.run("/agency", "settings")
    view = slack.of("views.open")[-1].response["view"]
    before_b = snapshot(db, b.agency_id)
    mark = slack.mark()
    reply = a.http.interaction(connect_submission(view, {"name": text_input("Renamed A")}, OWNER_A, TEAM_A))
    assert reply.status == 200 and not reply.body.get("errors"), reply.raw
    assert foreign_calls(slack.since(mark), a.token) == []
    with Session(db) as s:
        assert s.get_one(Agency, a.agency_id).name == "Renamed A"
        assert sorted(s.scalars(select(Agency.team_id))) == [TEAM_A, TEAM_B]
    before_a = snapshot(db, a.agency_id)
    mark = slack.mark()
    reply = a.http.interaction(connect_submission(view, {"name": text_input("Theirs now")}, OUTSIDER, TEAM_A))
    assert reply.status == 200
    assert "not a member" in answered(slack, mark, reply), reply.raw
    assert snapshot(db, a.agency_id) == before_a and snapshot(db, b.agency_id) == before_b
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(Agency)) == 2


ORG, ORG_OWNER = "E0ORG", "U0ORGBOSS"


def org_command(http: SlackHttp, team: str, user: str, command: str, text: str = "") -> Reply:
    """A slash command from one workspace of an organisation the app is installed in org-wide."""
    body = {
        "token": "x",
        "team_id": team,
        "team_domain": team.lower(),
        "enterprise_id": ORG,
        "enterprise_name": "Org",
        "is_enterprise_install": "true",
        "channel_id": f"C0{team}",
        "channel_name": "agency",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0TEST",
        "response_url": http.slack.response_url(f"{team}-{command}"),
        "trigger_id": trigger_id(),
    }
    return http.post(urlencode(body))


def org_click(http: SlackHttp, team: str, user: str, action_id: str, value: str) -> Reply:
    """A button clicked in one workspace of the organisation (Slack's org-wide `block_actions`)."""
    payload = block_actions(
        http.slack, {"action_id": action_id, "type": "button", "value": value}, user, surface="ephemeral"
    )
    payload.update(
        team={"id": team, "domain": team.lower(), "enterprise_id": ORG, "enterprise_name": "Org"},
        enterprise={"id": ORG, "name": "Org"},
        is_enterprise_install=True,
        api_app_id="A0TEST",
        token="x",
        trigger_id=trigger_id(),
    )
    payload["user"] = {**payload["user"], "team_id": team}
    return http.post(urlencode({"payload": json.dumps(payload)}))


def test_an_org_wide_install_is_one_agency_for_every_workspace_of_the_organisation(
    pair: tuple[Side, Side], slack: LocalSlack, db: Engine, sessions: sessionmaker[Session]
) -> None:
    """Installed org-wide (Enterprise Grid), the app serves the organisation's workspaces as one
    agency keyed by the organisation: a purchase started in one workspace is confirmed from another,
    both with the organisation's token; A's and B's agencies are untouched and no per-workspace
    agency is made up."""
    a, b = pair
    token = install(a.app, slack, None, ORG_OWNER, enterprise=ORG, org_wide=True)
    with sessions.begin() as s:  # the organisation's agency, as the install left it, with a card
        make_profile(
            s, make_agency(s, team_id=ORG, owner=ORG_OWNER, enterprise_id=ORG, is_enterprise_install=True)
        )
    before = snapshot(db, a.agency_id), snapshot(db, b.agency_id)
    mark = slack.mark()
    started = org_command(a.http, "T0ORG1", ORG_OWNER, "/credits", "buy prepaid 100")
    nonce = value_of(started.body["blocks"], "credits_buy_confirm")
    org_click(a.http, "T0ORG2", ORG_OWNER, "credits_buy_confirm", nonce)
    assert "Bought $100.00" in said(slack.since(mark)), said(slack.since(mark))
    listed = org_command(a.http, "T0ORG2", ORG_OWNER, "/billing", "history")
    assert "INV-2026-000001" in listed.text
    assert foreign_calls(slack.since(mark), token) == []
    with Session(db) as s:
        org = s.scalars(select(Agency).where(Agency.team_id == ORG)).one()
        assert s.scalar(select(func.count()).select_from(Agency)) == 3
        assert s.scalar(select(func.count()).select_from(Invoice).where(Invoice.agency_id == org.id)) == 1
    assert (snapshot(db, a.agency_id), snapshot(db, b.agency_id)) == before


def test_a_payload_without_a_team_makes_no_agency(
    pair: tuple[Side, Side], slack: LocalSlack, db: Engine
) -> None:
    """A signed request that names no team at all (nor organisation, nor user's team) cannot be
    authorised for any installation: the person reads that the app is not installed there, and no
    agency is made up or written."""
    a, b = pair
    before = snapshot(db, a.agency_id), snapshot(db, b.agency_id)
    mark = slack.mark()
    payload = block_actions(
        slack,
        {"action_id": "credits_buy_confirm", "type": "button", "value": NONCE},
        OWNER_A,
        surface="ephemeral",
    )
    payload["user"] = {"id": OWNER_A, "username": "owner"}
    payload.update(api_app_id="A0TEST", token="x", trigger_id=trigger_id())
    reply = a.http.post(urlencode({"payload": json.dumps(payload)}))
    command = {"command": "/credits", "text": "buy prepaid 100", "user_id": OWNER_A, "api_app_id": "A0TEST"}
    command.update(response_url=slack.response_url("no-team"), trigger_id=trigger_id(), channel_id="C0AAA")
    typed = a.http.post(urlencode(command))
    assert reply.status == 200 and typed.status == 200
    told = said(slack.since(mark)) + typed.raw
    assert "not installed in this workspace" in told, told
    assert [c.method for c in slack.since(mark) if c.method != "response_url"] == []
    assert (snapshot(db, a.agency_id), snapshot(db, b.agency_id)) == before
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(Agency)) == 2


def test_single_workspace_mode_serves_the_tokens_workspace_whatever_the_payload_says(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], db: Engine
) -> None:
    """With one bot token, every request is that token's workspace (`auth.test`): a payload naming
    another team, or none, is served as the token's agency, never as a fresh one."""
    with sessions.begin() as s:
        make_agency(s, name="Token's Agency")
    other = TeamHttp(http.base_url, slack, "T0ELSEWHERE", OWNER_A)
    assert "Token's Agency" in other.run("/agency", "").text
    other.run("/agency", "settings")
    view = slack.of("views.open")[-1].response["view"]
    reply = other.interaction(
        connect_submission(view, {"name": text_input("Renamed")}, OWNER_A, "T0ELSEWHERE")
    )
    assert reply.status == 200 and not reply.body.get("errors"), reply.raw
    command = {"command": "/agency", "text": "", "user_id": OWNER_A, "api_app_id": "A0TEST"}
    command.update(response_url=slack.response_url("no-team"), trigger_id=trigger_id(), channel_id="C0TEST")
    assert "Renamed" in http.post(urlencode(command)).text
    with Session(db) as s:
        assert [(x.team_id, x.name) for x in s.scalars(select(Agency))] == [("T0TEST", "Renamed")]


def test_an_import_takes_nothing_another_agency_manages(
    pair: tuple[Side, Side], slack: LocalSlack, db: Engine, sessions: sessionmaker[Session]
) -> None:
    """The vendor lists every account of the deployment's partner login, B's included: A's import
    (from the vendor's list, or a CSV naming B's vendor references) adds A's own and reports B's as
    managed by another agency — never a second desk account driving B's client at the vendor."""
    a, b = pair
    before_b = snapshot(db, b.agency_id)
    reply = a.http.run("/agency", "import")
    assert reply.status == 200, reply.raw
    deadline = time.monotonic() + 10
    state = None
    while time.monotonic() < deadline:
        with Session(db) as s:
            state = s.scalars(
                select(PortfolioImport).where(PortfolioImport.agency_id == a.agency_id)
            ).one_or_none()
            if state is not None and state.status == "done":
                break
        time.sleep(0.05)
    assert state is not None and state.status == "done", state
    theirs = {f"acc_acme_{b.tag}", f"acc_seats_{b.tag}"}
    with Session(db) as s:
        refs = set(s.scalars(select(Account.provider_ref).where(Account.agency_id == a.agency_id)))
    assert not refs & theirs, refs
    assert sorted(n for n, _ in state.skipped_items) == sorted(["acc_acme_b", "seated-b"]), (
        state.skipped_items
    )
    assert all("another agency" in reason for _, reason in state.skipped_items), state.skipped_items
    a.http.run("/agency", "import csv")
    view = slack.of("views.open")[-1].response["view"]
    rows = "\n".join(
        (
            "name,client_name,client_email,country,product,tier,contacts,frequency,next_renewal,vendor_reference",
            "csv-mine,One,one@x.example,FR,marketing,plus,2500,monthly,2026-12-20,acc_new_a",
            "csv-theirs,Two,two@x.example,FR,marketing,plus,2500,monthly,2026-12-20,acc_acme_b",
        )
    )
    reply = a.http.submit(view, {"rows": text_input(rows)}, user=OWNER_A)
    shown = payload_text(reply.body["view"])
    assert "1 added, 0 already there, 1 refused" in shown and "Line 3:" in shown, shown
    assert "another agency" in shown, shown
    with Session(db) as s:
        refs = set(s.scalars(select(Account.provider_ref).where(Account.agency_id == a.agency_id)))
    assert "acc_new_a" in refs and not refs & theirs
    assert snapshot(db, b.agency_id) == before_b
