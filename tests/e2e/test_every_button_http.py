"""Every button, menu and select the app shows, clicked from the surface Slack shows it on, with the
body Slack sends from there (`tests/slackhttp.py`: no `response_url` from the App Home or a modal,
`container` and `view` as Slack fills them), and every callback the app does not use acknowledged.

The elements are read from what the app actually rendered — commands' replies, messages it posted in
channels and DMs, modals it opened and the App Home it published — so the values clicked are the
app's own (nonces and server-held ids included), and anything clicked that renders something new is
explored in turn.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.answer import is_user_id
from bot.settings import Settings
from bot.shell.localslack import Call, LocalSlack
from domain.simulated import SimulatedProvider
from domain.store.models import Member
from tests.conftest import OWNER
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.isolation import enqueue_one_of_each_notice, open_status_task
from tests.slackhttp import (
    Reply,
    SlackHttp,
    block_actions,
    modal_view,
    payload_text,
    trigger_id,
)

GENERIC = "Something went wrong"
CHANNEL = "C0NOTICES"
URL_ONLY = {"accounts_sso_open"}
"""Link buttons: Slack opens the link and also sends a click, which only needs acknowledging."""
LAZY = {"accounts_templates_confirm": "imported,"}
"""Clicks finished by a lazy listener after the ack, and the words of their last answer."""


@dataclass
class Surface:
    """Something the app showed: where (`kind`), and what Slack needs to send a click from it."""

    kind: str  # ephemeral, message, modal, home
    blocks: list[dict[str, Any]]
    channel: str = "C0TEST"
    message: dict[str, Any] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)
    origin: str = ""
    """The command that rendered it: its elements are all clicked; later surfaces' only when new."""


@dataclass
class Click:
    surface: Surface
    element: dict[str, Any]
    action: dict[str, Any]
    block_id: str
    label: str


def portfolio(sessions: sessionmaker[Session], provider: SimulatedProvider) -> None:
    """Accounts in each state a button depends on, a card, notices of each kind with a button."""
    today = NOW.date()
    with sessions.begin() as s:
        agency = make_agency(s, notice_channel=CHANNEL, approval_threshold=Decimal("1000.00"))
        s.add(Member(agency_id=agency.id, user_id="U0BILL", role="billing", added_by="t", created_at=NOW))
        profile = make_profile(s, agency)
        acme = make_account(s, agency, name="acme", price_per_cycle=Decimal("99.00"), provider_ref="acc_acme")
        acme_id = acme.id
        make_account(s, agency, name="lapsed", status="expired", period_end=today - timedelta(days=2))
        make_account(s, agency, name="trying", status="trial", period_end=today + timedelta(days=3))
        make_account(s, agency, name="roomy", seats=5)  # `/seats reduce` needs seats above the tier's
        seated = make_account(
            s,
            agency,
            name="seated",
            product="business-licenses",
            tier="licenses",
            contacts=None,
            seats=2,
            frequency="annual",
            period_end=date(2027, 11, 10),
            billing_profile_id=profile.id,
            provider_ref="acc_seats",
        )
        for i in range(50):  # more renewals than a digest shows: "List them all"
            make_account(s, agency, name=f"soon-{i:02d}", period_end=today + timedelta(days=7))
        enqueue_one_of_each_notice(s, agency.id, acme.id, seated.id, today)
    open_status_task(sessions, acme_id, OWNER)
    provider.accounts["acc_acme"] = {"name": "acc_acme", "templates": []}
    provider.accounts["acc_seats"] = {"name": "seated", "members": [{"email": "ana@x.io"}], "templates": []}


def failed_add(sessions: sessionmaker[Session]) -> Surface:
    """The modal a refused account creation leaves (shown by the runner after the ack, not by a click)."""
    from bot.commands.accounts_add_outcome import failed_view
    from bot.i18n import Translator
    from domain.operations import Outcome
    from domain.store.models import Agency, VendorOperation

    with sessions.begin() as s:
        agency = s.query(Agency).one()
        op = VendorOperation(
            agency_id=agency.id,
            kind="provision_account",
            key="accounts.add:refused",
            target="refused-shop",
            state="failed",
            payload={"command": {"name": "refused-shop", "client_email": "a@b.example"}, "plan": None},
            requested_by=OWNER,
            notify={},
            created_at=NOW,
            error="the name is refused",
            error_field="name",
        )
        s.add(op)
        s.flush()
        outcome = Outcome(op.id, op.kind, "failed", agency.id, op.target, error=op.error, error_field="name")
    view = failed_view(Translator(), outcome)
    return Surface("modal", view["blocks"], view={**view, "id": "V0REFUSED"})


COMMANDS = [
    ("/accounts", ""),
    ("/accounts", "status:all"),
    ("/accounts", "show acme"),
    ("/accounts", "show seated"),
    ("/accounts", "renew lapsed"),
    ("/accounts", "access acme"),
    ("/accounts", "templates import https://crm.example/share/welcome status:active"),
    ("/accounts", "add"),
    ("/seats", "add seated ana@x.io"),
    ("/seats", "seated"),
    ("/seats", "admin seated ana@x.io"),
    ("/seats", "add seated a@x.io b@x.io c@x.io"),
    ("/seats", "buy seated 1"),
    ("/seats", "reduce roomy 1"),
    ("/seats", "new"),
    ("/credits", "buy prepaid 100"),
    ("/credits", "buy prepaid 5000"),
    ("/credits", "buy"),
    ("/quote", ""),
    ("/quote", "plus 2500 annual"),
    ("/agency", "settings"),
    ("/agency", "tasks"),
    ("/billing", "profiles add"),
    ("/billing", "profiles"),
    ("/credits", ""),
]
REGISTERED = {
    "accounts_access_open",
    "accounts_access_password",
    "accounts_access_reset",
    "accounts_add_open",
    "accounts_add_reopen",
    "accounts_add_with_plan",
    "accounts_columns",
    "accounts_filter_plan",
    "accounts_filter_sort",
    "accounts_filter_status",
    "accounts_live",
    "accounts_login",
    "accounts_menu",
    "accounts_page",
    "accounts_renew",
    "accounts_renew_confirm",
    "accounts_templates_cancel",
    "accounts_templates_confirm",
    "approval_approve",
    "approval_decide",
    "approval_reject",
    "billing_profile_edit_open",
    "credits_advice_buy",
    "credits_buy_cancel",
    "credits_buy_confirm",
    "notice_buy_licenses",
    "notice_buy_prepaid",
    "notice_list_all",
    "notice_renew",
    "notice_view",
    "plan_update",
    "portal_task_done",
    "quote_share",
    "seats_add_open",
    "seats_admin_confirm",
    "seats_buy_confirm",
    "seats_buy_open",
    "seats_cancel",
    "seats_reduce_confirm",
    "seats_remove_open",
}
"""Every action id a listener is registered for (`test_every_action_listener_is_rendered` keeps it
complete): each must be found on some surface and clicked."""
LATER = [("/agency", "approvals")]
"""Rendered once the first clicks have made something to show (a pending approval)."""


def test_every_button_of_every_surface_answers_through_that_surface(
    desk: tuple[SlackHttp, dict[str, Any]],
    sessions: sessionmaker[Session],
    provider: SimulatedProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every interactive element the app renders — in command replies, channel and DM messages,
    modals and the App Home — clicked as Slack sends it from there, gets a 200, is handled by a
    listener (no "unhandled request", no generic error), and is answered only through what its
    surface allows: a response URL only when the body had one, no ephemeral post to a user id, a
    view update only of the clicked or a just-opened modal, chat.update only of the app's messages.
    Then every listener is replayed from the three surfaces it was not found on. (At the time of
    writing: 267 elements on 300 rendered surfaces, then 34 listeners replayed in 102 clicks.)"""
    http, extras = desk
    portfolio(sessions, provider)
    caplog.set_level(logging.INFO, logger="reseller_desk")
    queue = render(http, COMMANDS)
    mark = http.slack.mark()
    http.command("/agency", "notices run")
    for worker in extras.get("notice_runs", []):
        worker.join(10)
    queue += surfaces_of(None, http.slack.since(mark), None)
    queue.append(failed_add(sessions))
    home = http.home()
    queue.append(Surface("home", home["blocks"], view=home))

    clicked: Counter[str] = Counter()
    seen_surfaces: Counter[str] = Counter()
    done: set[tuple[str, str, str]] = set()
    first: dict[str, Click] = {}
    failures: list[str] = []
    later = list(LATER)
    while queue or later:
        if not queue:
            queue, later = render(http, later), []
        surface = queue.pop(0)
        seen_surfaces[surface.kind] += 1
        for click in clicks_of(surface):
            key = (surface.kind, str(click.action.get("action_id")), click.label + surface.origin)
            if key in done:
                continue
            done.add(key)
            first.setdefault(key[1], click)
            found, reply, calls = press(http, surface, click, caplog)
            failures += found
            clicked[surface.kind] += 1
            queue += surfaces_of(reply if reply.body else None, calls, surface)
    total = sum(clicked.values())
    print(f"\nclicked {total} elements on {sum(seen_surfaces.values())} surfaces: {dict(clicked)}")
    assert not failures, "\n".join(failures)
    assert set(clicked) == {"ephemeral", "message", "modal", "home"}, clicked
    assert total >= 60, clicked

    # The same listeners from every other surface: a button moved to the App Home, a card posted in a
    # channel instead of ephemerally, must still answer where it can.
    modal = next(c.surface.view for c in first.values() if c.surface.kind == "modal")
    elsewhere = {
        "home": Surface("home", [], view=home),
        "modal": Surface("modal", [], view=modal),
        "ephemeral": Surface("ephemeral", []),
        "message": Surface("message", [], channel=CHANNEL, message={"ts": "1764063000.000100", "text": "x"}),
    }
    replayed = 0
    for _, click in sorted(first.items()):
        for kind, surface in elsewhere.items():
            if kind != click.surface.kind:
                failures += press(http, surface, click, caplog)[0]
                replayed += 1
    assert set(first) >= REGISTERED, f"never rendered: {REGISTERED - set(first)}"
    print(f"replayed {len(first)} listeners from the other surfaces: {replayed} clicks")
    assert not failures, "\n".join(failures)


def render(http: SlackHttp, commands: list[tuple[str, str]]) -> list[Surface]:
    found: list[Surface] = []
    for command, text in commands:
        mark = http.slack.mark()
        reply = http.command(command, text)
        assert reply.status == 200, (command, text)
        for surface in surfaces_of(reply, http.slack.since(mark), None):
            surface.origin = f" {command} {text}"
            found.append(surface)
    return found


def press(
    http: SlackHttp, surface: Surface, click: Click, caplog: pytest.LogCaptureFixture
) -> tuple[list[str], Reply, list[Call]]:
    """Click one element from one surface; what went wrong, the reply and the calls it made."""
    key = (surface.kind, str(click.action.get("action_id")), click.label)
    caplog.clear()
    mark = http.slack.mark()
    body = block_actions(
        http.slack,
        click.action,
        OWNER,
        surface=surface.kind,
        channel=surface.channel,
        block_id=click.block_id,
        message=surface.message or None,
        view=surface_view(surface, click),
    )
    reply = http.interaction(body)
    calls = settled(http.slack, mark, LAZY.get(key[1]))
    posted = {
        (str(c.response.get("channel")), str(c.response.get("ts"))) for c in http.slack.of("chat.postMessage")
    }
    return problems(key, body, reply, calls, caplog.records, posted), reply, calls


def settled(slack: LocalSlack, mark: int, last_words: str | None) -> list[Call]:
    """The calls a click made, once a lazy listener it started has given its last answer."""
    deadline = time.monotonic() + 10
    while last_words and time.monotonic() < deadline:
        if any(last_words in payload_text(c.params) for c in slack.since(mark)):
            break
        time.sleep(0.02)
    return slack.since(mark)


def surfaces_of(reply: Reply | None, calls: list[Call], origin: Surface | None) -> list[Surface]:
    """What a command or a click rendered: its reply, and every message and view it sent Slack."""
    found: list[Surface] = []
    if reply is not None and reply.body.get("blocks"):
        found.append(Surface("ephemeral", reply.body["blocks"]))
    for call in calls:
        params, response = call.params, call.response
        blocks = params.get("blocks") or (params.get("view") or {}).get("blocks") or []
        if not blocks:
            continue
        if call.method in ("views.open", "views.push", "views.update"):
            found.append(Surface("modal", blocks, view=dict(response["view"])))
        elif call.method == "views.publish":
            found.append(Surface("home", blocks, view=dict(response["view"])))
        elif call.method == "chat.postMessage":
            channel = str(params["channel"])
            channel = f"D{channel[1:]}" if is_user_id(channel) else channel  # the app DM's id
            message = {"ts": response["ts"], "text": params.get("text", ""), "blocks": blocks}
            found.append(Surface("message", blocks, channel=channel, message=message))
        elif call.method == "chat.postEphemeral":
            found.append(Surface("ephemeral", blocks, channel=str(params["channel"])))
        elif call.method == "response_url":
            kind = origin.kind if origin and params.get("replace_original") else "ephemeral"
            channel = origin.channel if origin else "C0TEST"
            message = {**(origin.message if origin else {}), "blocks": blocks}
            found.append(Surface(kind, blocks, channel=channel, message=message if kind == "message" else {}))
    return found


def clicks_of(surface: Surface) -> Iterator[Click]:
    """Each element that sends `block_actions`, once per option for menus and selects."""
    for n, block in enumerate(surface.blocks):
        block_id = str(block.get("block_id") or f"b{n}")
        if block.get("type") == "actions":
            elements = list(block.get("elements") or [])
        elif block.get("type") == "section" and block.get("accessory"):
            elements = [block["accessory"]]
        elif block.get("type") == "input" and block.get("dispatch_action"):
            elements = [block["element"]]
        else:
            elements = []
        for element in elements:
            yield from element_clicks(surface, element, block_id)


def element_clicks(surface: Surface, element: dict[str, Any], block_id: str) -> Iterator[Click]:
    kind = str(element.get("type"))
    base = {"type": kind, "action_id": element.get("action_id")}
    if kind == "button":
        action = {
            **base,
            "text": element.get("text"),
            **({"value": element["value"]} if "value" in element else {}),
        }
        if element.get("url"):
            action["url"] = element["url"]
        yield Click(surface, element, action, block_id, str((element.get("text") or {}).get("text")))
        return
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    if kind in ("overflow", "static_select", "radio_buttons"):
        for option in options:
            label = str((option.get("text") or {}).get("text"))
            yield Click(surface, element, {**base, "selected_option": option}, block_id, label)
    elif kind in ("checkboxes", "multi_static_select"):
        for option in options:
            label = str((option.get("text") or {}).get("text"))
            yield Click(surface, element, {**base, "selected_options": [option]}, block_id, label)
    elif kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        value = element.get("initial_value") or ("2" if kind == "number_input" else "x")
        yield Click(surface, element, {**base, "value": value}, block_id, str(value))
    elif kind == "datepicker":
        day = element.get("initial_date") or NOW.date().isoformat()
        yield Click(surface, element, {**base, "selected_date": day}, block_id, day)
    elif kind in ("conversations_select", "channels_select", "users_select"):
        key = {"conversations_select": "selected_conversation", "channels_select": "selected_channel"}
        pick = OWNER if kind == "users_select" else CHANNEL
        yield Click(surface, element, {**base, key.get(kind, "selected_user"): pick}, block_id, pick)
    else:
        raise AssertionError(f"an element this test does not know how to click: {kind}")


def surface_view(surface: Surface, click: Click) -> dict[str, Any] | None:
    """A modal's view as Slack sends it with the click: its state holds the element's new value."""
    if surface.kind not in ("modal", "home"):
        return None
    state = {k: v for k, v in click.action.items() if k != "action_id"}
    return {**surface.view, "state": modal_view(surface.view, {click.block_id: state})["state"]}


def problems(
    key: tuple[str, str, str],
    body: dict[str, Any],
    reply: Reply,
    calls: list[Call],
    records: list[logging.LogRecord],
    posted: set[tuple[str, str]],
) -> list[str]:
    """What went wrong with one click, in words (empty when all is well)."""
    where = f"{key[1]} ({key[2]!r}) from a {key[0]}"
    found = []
    if reply.status != 200:
        found.append(f"{where}: HTTP {reply.status}")
    said = [reply.text] + [payload_text(c.params) for c in calls] + [str(c.params.get("view")) for c in calls]
    if any(GENERIC in text for text in said):
        found.append(f"{where}: the generic error")
    logged = [r.getMessage() for r in records]
    if any("Unhandled request" in m or "unhandled request" in m for m in logged):
        found.append(f"{where}: Bolt's unhandled request")
    if key[1] not in URL_ONLY and any(m.startswith("acknowledged, nothing to do") for m in logged):
        found.append(f"{where}: no listener for it")
    if any(r.levelno >= logging.ERROR for r in records):
        found.append(
            f"{where}: logged {[m for m, r in zip(logged, records, strict=True) if r.levelno >= 40]}"
        )
    opened = {
        str(c.response.get("view", {}).get("id")) for c in calls if c.method in ("views.open", "views.push")
    }
    for call in calls:
        if call.method == "response_url" and not body.get("response_url"):
            found.append(f"{where}: posted to a response URL the body did not have")
        if call.method == "chat.postEphemeral" and is_user_id(str(call.params.get("channel"))):
            found.append(f"{where}: chat.postEphemeral with a user id as the channel")
        if call.method == "views.update" and str(call.params.get("view_id")) not in {
            str((body.get("view") or {}).get("id")),
            *opened,
        }:
            found.append(f"{where}: views.update of a view it was not clicked from")
        if (
            call.method == "chat.update"
            and (str(call.params.get("channel")), str(call.params.get("ts"))) not in posted
        ):
            found.append(f"{where}: chat.update of a message the app did not post")
        if call.method == "views.publish" and call.params.get("user_id") != OWNER:
            found.append(f"{where}: views.publish for someone else")
        if call.method == "chat.postMessage":
            channel = str(call.params.get("channel"))
            if is_user_id(channel) and channel != OWNER:
                found.append(f"{where}: a DM to someone else")
    return found


QUIET = ("users.info", "auth.test")
"""Calls that answer nobody: the reader's language, Bolt's one check of its token."""
UNUSED_CALLBACKS: list[tuple[str, dict[str, Any]]] = [
    (
        "view_closed",
        {
            "type": "view_closed",
            "view": {"id": "V0GONE", "type": "modal", "callback_id": "quote"},
            "is_cleared": False,
        },
    ),
    (
        "unknown action",
        {
            "type": "block_actions",
            "container": {
                "type": "message",
                "message_ts": "1.2",
                "channel_id": "C0TEST",
                "is_ephemeral": True,
            },
            "channel": {"id": "C0TEST", "name": "agency"},
            "actions": [
                {"type": "button", "action_id": "from_an_older_version", "block_id": "b", "value": "1"}
            ],
        },
    ),
    (
        "link button from the App Home",
        {
            "type": "block_actions",
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {"id": "V0HOME", "type": "home", "blocks": [], "state": {"values": {}}, "hash": "h"},
            "actions": [
                {
                    "type": "button",
                    "action_id": "accounts_sso_open",
                    "block_id": "b",
                    "url": "https://x.example",
                }
            ],
        },
    ),
    ("global shortcut", {"type": "shortcut", "callback_id": "unknown_shortcut"}),
    (
        "message shortcut",
        {
            "type": "message_action",
            "callback_id": "unknown_message_shortcut",
            "channel": {"id": "C0TEST", "name": "agency"},
            "message": {"type": "message", "text": "hi", "ts": "1.2"},
            "response_url": "https://hooks.slack.com/app/T0TEST/1/x",
        },
    ),
    (
        "options request",
        {"type": "block_suggestion", "action_id": "unknown_select", "block_id": "b", "value": "a"},
    ),
]
UNUSED_EVENTS: list[dict[str, Any]] = [
    {
        "type": "message",
        "channel": "D0HOME",
        "channel_type": "im",
        "user": OWNER,
        "text": "hello",
        "ts": "1.2",
    },
    {"type": "app_mention", "channel": "C0TEST", "user": OWNER, "text": "<@U0BOT> hi", "ts": "1.3"},
    {"type": "member_joined_channel", "channel": "C0TEST", "user": OWNER, "channel_type": "C"},
    {"type": "app_home_opened", "user": OWNER, "channel": "D0HOME", "tab": "messages"},
    {"type": "app_uninstalled"},
]


@pytest.mark.parametrize("name", [name for name, _ in UNUSED_CALLBACKS])
def test_callbacks_the_app_does_not_use_are_acknowledged(
    http: SlackHttp, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A callback no listener handles (a closed modal, a button of an older version, a link button,
    a shortcut or options request the app never declared) gets a plain 200 — not Bolt's 404, which
    Slack shows as an error and Socket Mode leaves unacknowledged, to be sent again — and tells no
    one anything."""
    payload = dict(UNUSED_CALLBACKS[[n for n, _ in UNUSED_CALLBACKS].index(name)][1])
    payload["user"] = {"id": OWNER}
    if payload["type"] == "block_actions":
        payload["trigger_id"] = trigger_id()  # Slack sends every click with one
    mark = http.slack.mark()
    reply = http.interaction(payload)
    assert reply.status == 200 and reply.raw == ""
    assert not [r for r in caplog.records if "nhandled request" in r.getMessage()]
    assert [c.method for c in http.slack.since(mark) if c.method not in QUIET] == []


@pytest.mark.parametrize(
    "event", UNUSED_EVENTS, ids=[str(e["type"]) + str(e.get("tab", "")) for e in UNUSED_EVENTS]
)
def test_events_the_app_does_not_use_are_acknowledged(
    http: SlackHttp, event: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Events the app is not subscribed to (or does nothing with, like opening the Messages tab) get
    a 200 and no answer; nothing is published or posted."""
    mark = http.slack.mark()
    reply = http.event(event)
    assert reply.status == 200
    assert not [r for r in caplog.records if "nhandled request" in r.getMessage()]
    assert [c.method for c in http.slack.since(mark) if c.method not in QUIET] == []


def test_closing_a_modal_the_app_opened_is_acknowledged(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Closing a modal (Slack's `view_closed`, with the view as it was) needs no listener: a 200,
    nothing posted, nothing written."""
    with sessions.begin() as s:
        make_agency(s)
    http.command("/quote")
    mark = http.slack.mark()
    reply = http.close(http.opened_view())
    assert reply.status == 200 and reply.raw == ""
    assert [c.method for c in http.slack.since(mark) if c.method not in QUIET] == []


def test_app_home_lists_go_to_the_app_dm(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """The App Home's "Expiring soon" and "Expired" have no response URL to answer through: the list
    arrives in the person's DM with the app (chat.postMessage to their user id), and its page and
    filter controls then work there like in any message."""
    today = NOW.date()
    with sessions.begin() as s:
        agency = make_agency(s)
        make_account(s, agency, name="ending", period_end=today + timedelta(days=3))
        make_account(s, agency, name="ended", status="expired", period_end=today - timedelta(days=3))
    home = http.home()
    buttons = {e["text"]["text"]: e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]}
    for label, shown, hidden in (("Expiring soon", "ending", "ended"), ("Expired", "ended", "ending")):
        mark = http.slack.mark()
        reply = http.click("accounts_page", buttons[label]["value"], surface="home", view=home)
        calls = http.slack.since(mark)
        assert reply.status == 200
        posts = [c for c in calls if c.method == "chat.postMessage"]
        assert [c.params["channel"] for c in posts] == [OWNER], [c.method for c in calls]
        text = payload_text(posts[0].params)
        assert f"*{shown}*" in text and f"*{hidden}*" not in text and GENERIC not in text
        assert not [c for c in calls if c.method in ("response_url", "chat.postEphemeral")]


def test_an_error_from_the_app_home_is_told_in_the_app_dm(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """When a Home button fails (a viewer may not add accounts), the reason goes to the person's DM,
    not to `chat.postEphemeral` with their user id as the channel (which Slack refuses)."""
    with sessions.begin() as s:
        agency = make_agency(s)
        s.add(Member(agency_id=agency.id, user_id="U0VIEW", role="viewer", added_by="t", created_at=NOW))
    home = http.home(user="U0VIEW")
    mark = http.slack.mark()
    reply = http.click("accounts_add_open", user="U0VIEW", surface="home", view=home)
    calls = [c for c in http.slack.since(mark) if c.method not in QUIET]
    assert reply.status == 200
    assert [(c.method, c.params["channel"]) for c in calls] == [("chat.postMessage", "U0VIEW")]
    assert "does not allow" in payload_text(calls[0].params)


def test_an_error_in_a_modal_is_shown_over_it(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """A modal's button that fails answers over the modal (`views.push`), keeping what was typed in
    it, with no response URL and no ephemeral post to a user id."""
    with sessions.begin() as s:
        make_agency(s)
    http.command("/accounts", "add")
    view = http.opened_view()
    mark = http.slack.mark()
    reply = http.click("accounts_renew", "no-such-account", surface="modal", view=view)
    calls = [c for c in http.slack.since(mark) if c.method not in QUIET]
    assert reply.status == 200
    assert [c.method for c in calls] == ["views.push"]
    assert "no account named" in payload_text({"blocks": calls[0].params["view"]["blocks"]})


def test_every_action_listener_is_rendered(
    settings: Settings, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list of action ids the every-button test must find is the app's own: a new listener
    fails here until it is added there (and so gets clicked from every surface)."""
    from slack_bolt import App

    from bot.app import build_app

    registered: set[str] = set()
    action = App.action

    def recording(self: App, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        registered.add(str(constraints))
        return action(self, constraints, *args, **kwargs)

    monkeypatch.setattr(App, "action", recording)
    build_app(settings, sessions=sessions)
    assert registered == REGISTERED


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "view_closed", "user": {"id": OWNER}, "view": {"id": "V0", "callback_id": "quote"}},
        {
            "type": "events_api",
            "event": {"type": "app_mention", "user": OWNER, "channel": "C0TEST", "text": "hi"},
        },
    ],
    ids=["view_closed", "app_mention"],
)
def test_socket_mode_acknowledges_what_the_app_does_not_use(app: Any, payload: dict[str, Any]) -> None:
    """Over Socket Mode, Bolt's adapter sends the envelope's acknowledgement only for a 200: a
    callback the app does not use is acknowledged, so Slack does not send it again."""
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
    from slack_sdk.socket_mode.request import SocketModeRequest

    if payload["type"] == "events_api":
        body = {
            "type": "event_callback",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "event": payload["event"],
        }
        request = SocketModeRequest(type="events_api", envelope_id="env-1", payload=body)
    else:
        request = SocketModeRequest(
            type="interactive", envelope_id="env-1", payload={**payload, "team": {"id": "T0TEST"}}
        )

    class Client:
        def __init__(self) -> None:
            self.logger = logging.getLogger("test.socket")
            self.sent: list[Any] = []

        def send_socket_mode_response(self, response: Any) -> None:
            self.sent.append(response)

    client = Client()
    send_response(client, request, run_bolt_app(app, request), time.time())  # type: ignore[arg-type]
    assert [r.envelope_id for r in client.sent] == ["env-1"]
