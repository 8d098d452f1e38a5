"""The log line of a request names the interaction without what was typed, and the redaction filter
under every handler removes the app's secrets, Slack tokens and card numbers from any line."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.logs import CARD_REDACTED, REDACTED, Redact, configure_logging, describe, outcome, redact
from bot.settings import SettingsError, load_settings
from domain.errors import InvalidInput

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The real configuration (`configure_logging`), writing to a buffer instead of stderr."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("DEBUG", [SIGNING_SECRET])
    stream = io.StringIO()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


@pytest.mark.parametrize(
    "card",
    [
        "4242424242424242",
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "4242.4242.4242.4242",
        "4242/4242/4242/4242",
        "4242_4242_4242_4242",
        "4242  4242  4242  4242",
        "4242\u00a04242\u00a04242\u00a04242",
        "378282246310005",
        "4000 0000 0000 0119",
    ],
)
def test_card_numbers_are_redacted_in_any_spelling(card: str) -> None:
    """Any run of digits with separators that is a card number (Luhn, 13-19 digits) is replaced."""
    assert redact(f"paid with {card} today") == f"paid with {CARD_REDACTED} today"


@pytest.mark.parametrize(
    "text",
    [
        "invoice INV-2026-000123 for 1234.56",
        "ts 1764590115.000300 channel C0123",  # (one Slack ts in ten passes Luhn: redacted too)
        "2026-12-01 13:35:15,899 pid 4600",
        "4242 4242 4242 4241",  # not Luhn-valid
    ],
)
def test_ordinary_numbers_are_kept(text: str) -> None:
    """Dates, amounts, timestamps and numbers that fail the Luhn check stay readable."""
    assert redact(text) == text


def test_tokens_and_the_signing_secret_never_reach_the_output(captured: io.StringIO) -> None:
    """Whatever logs them (message, arguments, exception text), bot, user, app and refresh tokens and
    the configured signing secret come out as `[redacted]`."""
    log = logging.getLogger("reseller_desk.test")
    log.warning("token %s and %s", "xoxb-1234-5678-abcdEFGH", "xoxp-99-88-77")
    log.error("app token xapp-1-A0-123-abc, refresh xoxe-1-abc, secret %s", SIGNING_SECRET)
    try:
        raise ValueError(f"bad signature with {SIGNING_SECRET} for card 4242 4242 4242 4242")
    except ValueError:
        log.exception("failed")
    output = captured.getvalue()
    for leak in ("xoxb-", "xoxp-", "xapp-", "xoxe-", SIGNING_SECRET, "4242 4242"):
        assert leak not in output, output
    assert output.count(REDACTED) >= 5 and CARD_REDACTED in output


def test_bolt_framework_debug_lines_are_dropped(captured: io.StringIO) -> None:
    """Bolt writes through the app's logger; its DEBUG lines quote whole response bodies (one-time
    passwords): they are never written, the app's own DEBUG lines are."""
    logging.getLogger("reseller_desk").debug('Responding with status: 200 body: "password hunter2"')
    logging.getLogger("reseller_desk.scheduler").debug("tick")
    output = captured.getvalue()
    assert "hunter2" not in output and "tick" in output


def test_every_line_carries_the_request_id(captured: io.StringIO) -> None:
    """Outside a request the id is `-`; the formatter never fails on a record without one."""
    logging.getLogger("reseller_desk.test").warning("outside")
    assert "[-] outside" in captured.getvalue()
    assert Redact().filter(logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("a",), None))


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (
            {"command": "/accounts", "text": "add 4242424242424242", "team_id": "T1", "user_id": "U1"},
            "command=/accounts team=T1 user=U1",
        ),
        (
            {
                "type": "block_actions",
                "actions": [{"action_id": "accounts_page", "value": "secret"}],
                "user": {"id": "U2", "team_id": "T2"},
                "team": {"id": "T2"},
            },
            "action=accounts_page team=T2 user=U2",
        ),
        (
            {
                "type": "view_submission",
                "view": {"callback_id": "accounts_add", "state": {}},
                "user": {"id": "U3"},
            },
            "view_submission=accounts_add team=- user=U3",
        ),
        (
            {
                "type": "event_callback",
                "team_id": "T4",
                "event": {"type": "message", "subtype": "bot_message"},
            },
            "event=message/bot_message team=T4 user=-",
        ),
        ({"type": "block_actions", "actions": "junk", "user": "U5"}, "action=- team=- user=-"),
        (
            {"type": "view_submission", "view": {"callback_id": "a b\nc"}},
            "view_submission=a?b?c team=- user=-",
        ),
        ([], "payload=unreadable"),
    ],
)
def test_a_request_is_described_by_the_apps_own_names(body: object, line: str) -> None:
    """Command, action_id, callback_id or event type, with team and user; never the text or values
    people typed; malformed bodies are described, not crashed on; no newline can forge a line."""
    assert describe(body) == line


def test_outcomes() -> None:
    """ok, refused (the person was told what to fix), error (the app failed), rejected (bad signature)."""
    assert outcome(200, None) == "ok"
    assert outcome(200, InvalidInput("x")) == "refused:InvalidInput"
    assert outcome(200, KeyError("x")) == "error:KeyError"
    assert outcome(401, None) == "rejected"
    assert outcome(500, None) == "failed"


@pytest.mark.parametrize(("given", "level"), [("debug", "DEBUG"), (" Warning ", "WARNING"), ("", None)])
def test_log_level_setting(monkeypatch: pytest.MonkeyPatch, given: str, level: str | None) -> None:
    """LOG_LEVEL is read in any case; empty means the default for the mode."""
    monkeypatch.setenv("LOG_LEVEL", given)
    assert load_settings().log_level == level


def test_a_bad_log_level_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown level is one line naming LOG_LEVEL and the levels it takes."""
    monkeypatch.setenv("LOG_LEVEL", "verbose")
    with pytest.raises(
        SettingsError, match=r"^setting LOG_LEVEL: 'verbose' is not a log level; use one of DEBUG"
    ):
        load_settings()


def test_one_line_per_dispatched_request(caplog: pytest.LogCaptureFixture) -> None:
    """`LoggedApp` writes one line per request: the proxy's X-Request-Id (else a new id), Slack's
    retry header, the interaction, the status, the outcome (the error handler's exception) and ms."""
    from slack_bolt import BoltContext, BoltRequest, BoltResponse
    from slack_bolt.authorization import AuthorizeResult

    from bot.logs import LoggedApp

    def authorize(**_: Any) -> AuthorizeResult:  # no auth.test: this app talks to no Slack
        return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-unused", bot_user_id="UB")

    app = LoggedApp(signing_secret="unused-secret-1", authorize=authorize, request_verification_enabled=False)

    @app.command("/quote")
    def quote(ack: Any) -> None:
        ack()
        raise InvalidInput("x")

    @app.error
    def on_error(error: Exception, context: BoltContext) -> BoltResponse:
        context["request_error"] = error
        return BoltResponse(status=200, body="")

    caplog.set_level(logging.INFO, logger="reseller_desk.requests")
    headers = {"X-Request-Id": "edge-42", "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    app.dispatch(BoltRequest(body="command=%2Fquote&text=4242&team_id=T1&user_id=U1", headers=headers))
    app.dispatch(BoltRequest(body="command=%2Fquote&team_id=T1&user_id=U1", headers={"X-Request-Id": "a b"}))
    first, second = (r for r in caplog.records if r.name == "reseller_desk.requests")
    assert first.request_id == "edge-42"  # type: ignore[attr-defined]
    assert first.getMessage().startswith(
        "command=/quote team=T1 user=U1 retry=1/http_timeout status=200 outcome=refused:InvalidInput ms="
    )
    assert re.fullmatch(r"[0-9a-f]{16}", second.request_id)  # type: ignore[attr-defined]
