"""`/agency` over signed HTTP, through the real Bolt app, with Slack's Web API played locally."""

from __future__ import annotations

import time

from sqlalchemy import Engine, func, select

from bot.shell.localslack import LocalSlack
from domain.store.models import AuditEntry, Base, Member
from tests.slackhttp import SlackHttp, text_input
from tests.slackhttp import select as pick


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


HELD_STATE = frozenset({"pending_confirmations"})
"""Tables of what the server holds for a form or a confirm card it showed (issue 13 §4): opening
the add-account form or showing a confirm card writes one, and that changes none of the agency's data."""


def data_counts(engine: Engine) -> dict[str, int]:
    """`row_counts` without the held state: what "writes nothing" means for a request that only shows."""
    return {name: n for name, n in row_counts(engine).items() if name not in HELD_STATE}


def test_members_list_over_signed_http(http: SlackHttp) -> None:
    """A signed `/agency members` from a configured owner lists the members, ephemerally."""
    reply = http.command("/agency", "members")
    assert reply.status == 200
    assert reply.body["response_type"] == "ephemeral"
    assert "<@U0OWNER> — owner" in reply.text


def test_forged_signature_gets_401_and_changes_nothing(http: SlackHttp, db: Engine) -> None:
    """A request with a wrong signature is refused before any listener runs."""
    before = row_counts(db)
    reply = http.post(
        "command=%2Fagency&text=members+add+U0EVIL+owner&user_id=U0OWNER&team_id=T0TEST",
        signature="v0=" + "0" * 64,
    )
    assert reply.status == 401
    assert row_counts(db) == before


def test_stale_timestamp_gets_401(http: SlackHttp, db: Engine) -> None:
    """A correctly signed request older than five minutes is a replay and is refused."""
    before = row_counts(db)
    reply = http.post(
        "command=%2Fagency&text=members&user_id=U0OWNER&team_id=T0TEST", timestamp=int(time.time()) - 6 * 60
    )
    assert reply.status == 401
    assert row_counts(db) == before


def test_non_member_is_refused_ephemerally_and_nothing_is_written(http: SlackHttp, db: Engine) -> None:
    """Someone who is not a member gets a clear refusal and the database does not change."""
    http.command("/agency", "members")
    before = row_counts(db)
    for command in ("/agency", "/accounts", "/quote", "/credits", "/seats", "/billing"):
        reply = http.command(command, "members add U0STRANGER owner", user="U0STRANGER")
        assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
        assert "not a member" in reply.text
    assert row_counts(db) == before


def test_add_and_remove_member_with_audit(http: SlackHttp) -> None:
    """Owners add and remove members; the audit log shows who did what."""
    assert "is now billing" in http.command("/agency", "members add <@U0MARIA|maria> billing").text
    assert "<@U0MARIA> — billing" in http.command("/agency", "members").text
    assert "no longer a member" in http.command("/agency", "members remove <@U0MARIA|maria>").text
    audit = http.command("/agency", "audit 5").text
    assert "member removed" in audit and "member added" in audit


def test_slack_retry_does_not_double_write(http: SlackHttp, db: Engine) -> None:
    """Slack's retry of a late request (X-Slack-Retry-Num) leaves the same state as one delivery."""
    http.command("/agency", "members add U0MARIA billing")
    with db.connect() as conn:
        audit_before = conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    reply = http.command(
        "/agency",
        "members add U0MARIA billing",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert reply.status == 200
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == audit_before
        assert conn.execute(select(func.count()).select_from(Member)).scalar_one() == 2


def test_manager_cannot_add_members(http: SlackHttp) -> None:
    """Role rules hold over HTTP: a manager is refused and told why."""
    http.command("/agency", "members add U0MGR manager")
    reply = http.command("/agency", "members add U0X viewer", user="U0MGR")
    assert "does not allow" in reply.text
    assert "U0X" not in http.command("/agency", "members").text


def test_settings_modal_opens_and_saves(http: SlackHttp, slack: LocalSlack) -> None:
    """`/agency settings` opens the modal; a valid submission saves and confirms ephemerally."""
    reply = http.command("/agency", "settings")
    assert reply.status == 200
    view = http.opened_view()
    assert view["callback_id"] == "agency_settings"
    result = http.submit(
        view,
        {
            "name": text_input("Acme Agency"),
            "notice_channel": {"type": "conversations_select", "selected_conversation": "C0NOTICE"},
            "currency": text_input("eur"),
            "timezone": text_input("Europe/Rome"),
            "language": pick("it"),
            "low_balance_threshold": {"type": "number_input", "value": "250"},
        },
    )
    assert result.status == 200 and result.body == {}
    confirmations = slack.of("chat.postEphemeral")
    assert confirmations and "Acme Agency" in confirmations[-1].params["text"]
    assert "Acme Agency" in http.command("/agency", "help").text


def test_settings_errors_show_on_the_field(http: SlackHttp) -> None:
    """A wrong time zone comes back as a modal field error, and nothing is saved."""
    http.command("/agency", "settings")
    view = http.opened_view()
    result = http.submit(
        view,
        {
            "name": text_input("Renamed"),
            "currency": text_input("EUR"),
            "timezone": text_input("Mars/Olympus"),
            "language": pick("en"),
            "low_balance_threshold": {"type": "number_input", "value": "10"},
        },
    )
    assert result.body["response_action"] == "errors"
    assert "timezone" in result.body["errors"]
    assert "Renamed" not in http.command("/agency", "help").text


def test_unknown_subcommand_gets_help(http: SlackHttp) -> None:
    """A word `/agency` doesn't know gets the usage, with the word named."""
    reply = http.command("/agency", "frobnicate")
    assert "frobnicate" in reply.text and "/agency members" in reply.text


def test_app_home_is_published(http: SlackHttp, slack: LocalSlack) -> None:
    """Opening the App Home publishes the agency at a glance."""
    http.command("/agency", "members")
    body = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "event": {"type": "app_home_opened", "user": "U0OWNER", "tab": "home"},
        "event_id": "Ev1",
        "event_time": int(time.time()),
    }
    import json

    reply = http.post(json.dumps(body), content_type="application/json")
    assert reply.status == 200
    published = slack.of("views.publish")
    assert published and published[-1].params["user_id"] == "U0OWNER"


def test_fake_slack_can_fail_on_demand(slack: LocalSlack) -> None:
    """The stand-in answers 429 with Retry-After and 500 when told, and records them."""
    import urllib.error
    import urllib.request

    slack.fail_next(429, method="chat.postMessage", retry_after=3)
    slack.fail_next(500, method="chat.postMessage")
    statuses = []
    for _ in range(3):
        request = urllib.request.Request(
            slack.api_url + "chat.postMessage", data=b"channel=C1&text=hi", method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                statuses.append((response.status, None))
        except urllib.error.HTTPError as exc:
            statuses.append((exc.code, exc.headers.get("Retry-After")))
    assert statuses == [(429, "3"), (500, None), (200, None)]
