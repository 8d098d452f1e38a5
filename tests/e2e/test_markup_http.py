"""User and client text in Slack markup (SPEC §10): every string a user or a client supplied reaches
Slack escaped in mrkdwn (`&amp;`, `&lt;`, `&gt;`: no @channel, no link, no mention) and as typed in
plain_text, on every surface that shows one."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import Translator
from bot.jobs.notifier import run_notices
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.simulated import SimulatedProvider
from domain.store.models import (
    Agency,
    Approval,
    AuditEntry,
    Member,
    Notice,
    SavedView,
    SeatMember,
    Snapshot,
    Transfer,
)
from tests.factories import make_account, make_profile
from tests.slack_limits import check_message, check_view
from tests.slackhttp import SlackHttp, text_input

EVIL = "<!channel> *Evil* <https://evil.example|click> & <@U123>"
SHORT = "<!channel>*E*<https://evil.x|c>&<@U123>"  # fits the 40 characters of a saved view's name
ESCAPED = "&lt;!channel&gt; *Evil* &lt;https://evil.example|click&gt; &amp; &lt;@U123&gt;"
RAW = ("<!channel>", "<https://evil", "<@U123>")
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def texts(payload: Any, kind: str = "mrkdwn") -> tuple[list[str], list[str]]:
    """(mrkdwn texts, plain texts) of a message, a view or a modal's field errors."""
    marked: list[str] = []
    plain: list[str] = []
    if isinstance(payload, dict) and isinstance(payload.get("text"), str) and "type" not in payload:
        marked.append(payload["text"])  # a message's `text`: Slack parses it as mrkdwn
    if isinstance(payload, dict) and isinstance(payload.get("errors"), dict):
        plain += [str(v) for v in payload["errors"].values()]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str) and node.get("type") in ("mrkdwn", "plain_text"):
                (marked if node["type"] == "mrkdwn" else plain).append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for key in ("blocks", "view", "title", "submit", "close"):
        walk((payload or {}).get(key))
    return marked, plain


def safe(payload: dict[str, Any]) -> tuple[str, str]:
    """No raw markup from data in any mrkdwn text; no escape in any plain_text; both texts joined."""
    marked, plain = texts(payload)
    for text in marked:
        for token in RAW:
            assert token not in text, f"{token} reaches Slack unescaped in {text!r}"
    for text in plain:
        assert "&lt;" not in text and "&amp;" not in text, f"plain_text shows an escape: {text!r}"
    return "\n".join(marked), "\n".join(plain)


def home_event(http: SlackHttp) -> None:
    body = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "event": {"type": "app_home_opened", "user": "U0OWNER", "tab": "home"},
        "event_id": "EvMarkup",
        "event_time": int(time.time()),
    }
    http.post(json.dumps(body), content_type="application/json")


def evil_portfolio(http: SlackHttp, sessions: sessionmaker[Session], provider: SimulatedProvider) -> None:
    """An agency whose every user- and client-supplied text is the attack string."""
    http.command("/agency", "members")
    with sessions() as s, s.begin():
        agency = s.scalars(select(Agency)).one()
        agency.name = EVIL
        agency.branding = {"name": EVIL}
        agency.payout_email = EVIL
        agency.notice_channel = "C0NOTICES"
        agency.notice_mutes = [EVIL]
        s.add(Member(agency_id=agency.id, user_id="U0OTHER", role="owner", added_by="test", created_at=NOW))
        profile = make_profile(s, agency, label=EVIL, holder=EVIL)
        shop = make_account(
            s,
            agency,
            name="evil-shop",
            client_name=EVIL,
            client_email=EVIL,
            notification_email=EVIL,
            status_reason=EVIL,
            login_message=EVIL,
            branding={"name": EVIL},
            billing_profile_id=profile.id,
            period_end=NOW.date() + timedelta(days=5),
        )
        make_account(s, agency, name="ref-shop", client_name=EVIL, is_commission=True)
        make_account(
            s,
            agency,
            name="late-shop",
            status="expired",
            period_end=NOW.date() - timedelta(days=3),
            billing_profile_id=profile.id,
        )
        seats = make_account(
            s,
            agency,
            name="seat-shop",
            client_name=EVIL,
            product="business-licenses",
            tier="licenses",
            contacts=None,
            seats=5,
            frequency="annual",
            period_end=NOW.date() + timedelta(days=300),
            billing_profile_id=profile.id,
            provider_ref="acc_markup",
            vat_number="FR40303265045",
        )
        s.add(SeatMember(account_id=seats.id, email=EVIL, status="invited", is_admin=False, invited_at=NOW))
        s.add(
            SavedView(
                agency_id=agency.id, user_id="U0OWNER", name=SHORT, filters={"text": EVIL}, created_at=NOW
            )
        )
        s.add(
            Snapshot(
                agency_id=agency.id,
                account_id=shop.id,
                name=EVIL,
                config={},
                taken_at=NOW,
                taken_by="U0OWNER",
            )
        )
        s.add(
            Transfer(
                agency_id=agency.id,
                direction="in",
                account_name=EVIL,
                client_email=EVIL,
                status="pending",
                requested_by="U0OWNER",
                created_at=NOW,
            )
        )
        for target in (EVIL, "evil-shop"):
            s.add(
                AuditEntry(
                    agency_id=agency.id,
                    actor="U0OWNER",
                    action="account.cancelled",
                    target=target,
                    before={"client_name": "Acme", "branding": {"name": "Acme"}},
                    after={"client_name": EVIL, "branding": {"name": EVIL}, "addons": [EVIL, "sms"]},
                    reason=EVIL,
                    at=NOW,
                )
            )
        s.add(
            Approval(
                agency_id=agency.id,
                kind="plan",
                requester="U0OTHER",
                amount=Decimal("5000.00"),
                summary=EVIL,
                payload={"name": EVIL},
                status="pending",
                expires_at=NOW + timedelta(hours=24),
                created_at=NOW,
            )
        )
        s.add(
            Notice(
                agency_id=agency.id,
                kind="renewal_coming",
                account_id=shop.id,
                due_on=NOW.date(),
                dedupe_key="markup-failed",
                payload={},
                status="failed",
                attempts=9,
                next_attempt_at=NOW + timedelta(days=30),
                last_error=EVIL,
                created_at=NOW,
            )
        )
    provider.accounts["acc_markup"] = {"name": "seat-shop", "members": []}


def test_user_and_client_text_is_escaped_on_every_surface(
    http: SlackHttp,
    slack: LocalSlack,
    sessions: sessionmaker[Session],
    provider: SimulatedProvider,
    settings: Settings,
    catalog: Catalog,
    clock: FixedClock,
    db: Engine,
) -> None:
    """`<!channel> *Evil* <https://evil.example|click> & <@U123>` as an agency name, client name and
    emails, reasons, login message, branding, billing profile label, seat email, saved view, snapshot,
    transfer, audit entry, approval, notice error: each surface shows it escaped in mrkdwn (so no
    @channel, link or mention renders), as typed in plain_text (headers, buttons), and no Web API call
    of the whole run carries it unescaped."""
    evil_portfolio(http, sessions, provider)
    surfaces = {
        "/agency": ("/agency", ""),
        "/agency members": ("/agency", "members"),
        "/agency audit": ("/agency", "audit"),
        "/agency approvals": ("/agency", "approvals"),
        "/agency notices": ("/agency", "notices"),
        "/accounts": ("/accounts", ""),
        "/accounts search": ("/accounts", "search:<!channel>&<@U123>"),
        "/accounts show": ("/accounts", "show evil-shop"),
        "/accounts views": ("/accounts", "views"),
        "/accounts snapshots": ("/accounts", "snapshots"),
        "/accounts transfers": ("/accounts", "transfers"),
        "/accounts branding default": ("/accounts", "branding default"),
        "/accounts commission": ("/accounts", "commission"),
        "/accounts renew": ("/accounts", "renew late-shop"),
        "/billing profiles": ("/billing", "profiles"),
        "/credits": ("/credits", ""),
        "/seats": ("/seats", "seat-shop"),
    }
    shown: dict[str, tuple[str, str]] = {}
    for name, (command, text) in surfaces.items():
        reply = http.command(command, text)
        assert reply.status == 200 and reply.body, name
        shown[name] = safe(reply.body)
    escaped_in = {name for name, (marked, _) in shown.items() if "&lt;!channel&gt;" in marked}
    # Only the help (the name is in its header) and the renewal card (the label is on its buttons) show
    # the data in plain_text alone.
    assert set(surfaces) - escaped_in == {"/agency", "/accounts renew"}, escaped_in
    # Headers are plain_text: the agency's name reads as typed there.
    for name in ("/agency", "/agency members", "/credits"):
        assert EVIL in shown[name][1], name
    assert ESCAPED in shown["/accounts"][0] and ESCAPED in shown["/accounts show"][0]
    assert "&lt;https://evil.x|c&gt;" in shown["/accounts views"][0]
    assert "search:<!channel>&<@U123>" in shown["/accounts search"][1]  # the page's header
    # Values nested in an audit entry's changes are escaped once, in the entry and in its dicts.
    assert f"branding: name: Acme → name: {ESCAPED}; client: Acme → {ESCAPED}" in shown["/agency audit"][0]
    assert EVIL in shown["/accounts renew"][1]  # the "Charge <label> ···4242" button

    # A reject click updates the approval request; the App Home; the agency settings, saved and refused.
    with sessions() as s:
        approval_id = s.scalars(select(Approval.id)).one()
    safe(http.click("approval_reject", str(approval_id)).body)
    home_event(http)
    http.command("/agency", "settings")
    view = http.opened_view()
    values = {
        "name": text_input(EVIL),
        "notice_channel": {"type": "conversations_select", "selected_conversation": "C0NOTICES"},
        "currency": text_input("USD"),
        "timezone": text_input("UTC"),
        "low_balance_threshold": text_input("100"),
        "language": {"type": "static_select", "selected_option": {"value": "en"}},
    }
    assert http.submit(view, values).status == 200
    refused = http.submit(view, {**values, "currency": text_input(EVIL)})
    assert EVIL in refused.body["errors"]["currency"]  # a field error is plain text under the field
    safe(refused.body)

    # A per-seat subscription for a customer whose name is the attack string: its quote, then done.
    http.command("/seats", "new")
    form = {
        "customer_name": text_input(EVIL),
        "email": text_input("ana@acme.example"),
        "company": text_input("Acme SARL"),
        "country": text_input("FR"),
        "vat": text_input("FR40303265045"),
        "licenses": {"type": "number_input", "value": "4"},
        "frequency": {"type": "static_select", "selected_option": {"value": "12"}},
        "profile": {"type": "static_select", "selected_option": {"value": "transfer"}},
    }
    quoted = http.submit(http.opened_view(), form)
    assert ESCAPED in safe(quoted.body)[0]
    safe(http.submit(quoted.body["view"], {}).body)

    # The notice job posts the weekly billing digest, grouped by the (evil) billing profile label.
    run_notices(settings, sessions, catalog, clock, sleep=lambda seconds: None)

    calls = [c for c in slack.calls if c.status == 200]
    published = [c for c in calls if c.method == "views.publish"]
    assert published and EVIL in json.dumps(published[-1].params["view"])  # the home header
    digests = [
        c for c in calls if c.method == "chat.postMessage" and "&lt;!channel&gt;" in json.dumps(c.params)
    ]
    assert digests, "no notice showed the billing profile label"
    for call in calls:
        if call.method in ("views.open", "views.push", "views.update", "views.publish"):
            check_view(call.params["view"])
            safe({"view": call.params["view"]})
        elif call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            check_message(call.params)
            safe(call.params)
    ephemeral = [c.params["text"] for c in calls if c.method == "chat.postEphemeral"]
    assert any("&lt;!channel&gt;" in text for text in ephemeral)  # "Settings saved: <name>, …"


def test_translator_escapes_parameters_once_and_keeps_the_plain_form() -> None:
    """A `str` parameter is escaped in the message (mrkdwn), a translated message given as parameter
    is not escaped again, the app's own mention stays a mention, a help line's `<name>` is text, and
    the plain form (for plain_text) is the message with the text as typed."""
    from bot import ui
    from bot.render import render_message

    t = Translator()
    inner = t("Account {name}", name=EVIL)
    assert inner == f"Account {ESCAPED}" and ui.plain(inner) == f"Account {EVIL}"
    outer = t("{status} by <@{user}> on {when}", status=inner, user="U0OWNER", when="today")
    assert outer == f"Account {ESCAPED} by <@U0OWNER> on today"
    assert ui.plain(outer) == f"Account {EVIL} by <@U0OWNER> on today"
    assert t("`/accounts show <name>`") == "`/accounts show &lt;name&gt;`"
    assert t.plural("{n} of {name}", "{n} of {name}", 2, name="a&b") == "2 of a&amp;b"
    assert t("{names}", names=(EVIL, "x")) == f"{ESCAPED}, x"
    block = ui.header(t("Members of {agency}", agency=EVIL)).to_dict()
    assert block["text"]["text"] == f"Members of {EVIL}"
    section = ui.message(inner, [ui.section(inner)])
    assert section["text"] == f"Account {ESCAPED}" and section["blocks"][0]["text"]["text"] == section["text"]
    assert ui.clip("ab &lt;c", 6) == "ab …" and ui.clip("to <@U0OWNER>", 10) == "to …"
    assert ui.clip("abcdefgh", 6) == "abcde…"
    shell = render_message(ui.message(inner, [ui.header(inner), ui.section(inner)])).text
    shown = EVIL.replace("*Evil*", "Evil")  # Slack shows *Evil* in bold, the shell without its markers
    assert shell.count(f"Account {shown}") == 1 and f"ACCOUNT {EVIL.upper()}" in shell  # the local shell
    assert (
        ui.channel_link("C0NOTICES") == "<#C0NOTICES>" and ui.channel_link("C1>|<!here") == "C1&gt;|&lt;!here"
    )
