"""Logging: the `LOG_LEVEL` setting, one line per request with its id, and a filter that keeps secrets
out of every line whatever logged it.

A request line reads `INFO reseller_desk.requests [3f9c0a1b2d4e5f60] command=/accounts team=T0 user=U0
status=200 outcome=ok ms=3.2`: the interaction is named by what the app defined (the command, the
action_id, the callback_id, the event type), never by what people typed, so no text, value or
credential reaches a log through it.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from domain.cards import contains_card_number
from domain.errors import DomainError

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
"""The id of the request being handled on this thread, added to every log line written meanwhile."""

requests_log = logging.getLogger("reseller_desk.requests")

_TOKEN = re.compile(r"\b(?:xox[a-z]|xapp)-[0-9A-Za-z-]+")
# Digits with up to three separators of any kind between them: every spelling a card may take
# (spaces, dashes, dots, slashes, underscores…); `contains_card_number` decides whether one is a card.
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[\W_]{0,3}\d){11,}(?!\d)")
_SEPARATORS = re.compile(r"[\W_]+")
_SAFE = re.compile(r"[^\w./:#-]")
_REQUEST_ID = re.compile(r"^[\w.-]{1,64}$")
REDACTED = "[redacted]"
CARD_REDACTED = "[card number redacted]"
_secrets: set[str] = set()
_NOISY = {"slack_sdk": logging.INFO, "urllib3": logging.INFO, "slack_bolt": logging.WARNING}
"""Libraries whose lines below these levels quote request and response bodies (Bolt's signature
check quotes the whole rejected body at INFO; the request line already says `status=401`)."""
_BOLT_FRAMEWORK = "reseller_desk"
"""Bolt writes its own lines through the app's logger (`build_app`); its DEBUG ones quote bodies."""


def redact(text: str) -> str:
    """`text` without the app's secrets, anything shaped like a Slack token, or a card number."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    text = _TOKEN.sub(REDACTED, text)
    return _DIGIT_RUN.sub(_card_redacted, text)


def _card_redacted(match: re.Match[str]) -> str:
    # Separators of any kind and length read as one space, the grouping the card guard knows.
    return CARD_REDACTED if contains_card_number(_SEPARATORS.sub(" ", match.group(0))) else match.group(0)


class Redact(logging.Filter):
    """The safety net under every handler: the message, its arguments and any traceback are
    rendered, then written without secrets. It also gives every record its `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _BOLT_FRAMEWORK and record.levelno < logging.INFO:
            return False
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        try:
            record.msg, record.args = redact(record.getMessage()), ()
        except (TypeError, ValueError):  # arguments that do not fit the message: logging reports it
            record.msg = redact(str(record.msg))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, and for a request
    line its team, interaction, status, outcome and duration in ms. The `Redact` filter has already
    rendered and cleaned the message and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        details = getattr(record, "request", None)
        if isinstance(details, dict):
            line.update(details)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


_format: list[str] = ["text"]


def formatter() -> logging.Formatter:
    """The formatter of the configured `LOG_FORMAT`."""
    return JsonFormatter() if _format[0] == "json" else logging.Formatter(FORMAT)


def configure_logging(level: str, secrets: Iterable[str | None] = (), *, log_format: str = "text") -> None:
    """One handler on stderr for everything, at `level`, behind the `Redact` filter; `secrets` (the
    signing secret, the tokens) are replaced wherever they would appear. `log_format="json"` writes
    each line as one JSON object (`JsonFormatter`)."""
    _secrets.update(secret for secret in secrets if secret)
    _format[0] = log_format
    handler = logging.StreamHandler()
    handler.setFormatter(formatter())
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in _NOISY.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def add_redaction(handlers: Iterable[logging.Handler]) -> None:
    """For handlers another library sets up itself (gunicorn's)."""
    for handler in handlers:
        if not any(isinstance(f, Redact) for f in handler.filters):
            handler.addFilter(Redact())
        if _format[0] == "json":
            handler.setFormatter(JsonFormatter())


class LoggedApp(App):
    """Bolt's App, writing one line per request it dispatches (over HTTP and over Socket Mode), and
    counting it in `bot.metrics` when `metrics` is set (`METRICS=on`)."""

    metrics: Any = None
    """The app's `bot.metrics.MetricsEndpoint`, served by `bot.server` at `/metrics`."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        rid = request_id(req.headers)
        token = REQUEST_ID.set(rid)
        req.context["request_id"] = rid
        started = time.perf_counter()
        response: BoltResponse | None = None
        try:
            response = super().dispatch(req)
            return response
        finally:
            seconds = time.perf_counter() - started
            status = response.status if response is not None else 500
            error = req.context.get("request_error")
            result = outcome(status, error if isinstance(error, Exception) else None)
            kind, name, team, _user = interaction(req.body)
            requests_log.info(
                "%s%s status=%d outcome=%s ms=%.1f",
                describe(req.body),
                _retry(req.headers),
                status,
                result,
                seconds * 1000,
                extra={
                    "request_id": rid,
                    "request": {
                        "team": team,
                        "interaction": f"{kind}:{name}",
                        "status": status,
                        "outcome": result,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                },
            )
            if self.metrics is not None:
                _count(kind, name, status, result, seconds)
            REQUEST_ID.reset(token)


def _count(kind: str, name: str, status: int, result: str, seconds: float) -> None:
    from bot import metrics

    label = metrics.interaction_label(kind, name, accepted=status not in (401, 403, 404))
    metrics.observe_request(label, metrics.outcome_label(result), seconds)


def request_id(headers: dict[str, Any]) -> str:
    """The proxy's `X-Request-Id` when it sent a usable one, else a new id."""
    given = headers.get("x-request-id") or []
    if given and isinstance(given[0], str) and _REQUEST_ID.match(given[0]):
        return given[0]
    return uuid.uuid4().hex[:16]


def _retry(headers: dict[str, Any]) -> str:
    """Slack's own retry of a request it thinks failed: ` retry=1/http_timeout`."""
    number, reason = headers.get("x-slack-retry-num") or [], headers.get("x-slack-retry-reason") or []
    if not number:
        return ""
    return f" retry={_safe(number[0])}" + (f"/{_safe(reason[0])}" if reason else "")


def describe(body: object) -> str:
    """What the request was, in the app's own names: `command=/quote`, `action=accounts_page`,
    `view_submission=accounts_add`, `event=app_home_opened`, with the team and the user."""
    kind, name, team, user = interaction(body)
    if kind == "payload" and name == "unreadable":
        return "payload=unreadable"
    return f"{kind}={name} team={team} user={user}"


def interaction(body: object) -> tuple[str, str, str, str]:
    """(kind, name, team, user) of a request, each made safe for a log line."""
    if not isinstance(body, dict):
        return "payload", "unreadable", "-", "-"
    kind = _field(body, "type")
    if body.get("command"):
        part = ("command", _safe(body["command"]))
    elif kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else {}
        part = ("action", _field(first, "action_id"))
    elif kind in ("view_submission", "view_closed"):
        part = (kind, _field(body.get("view"), "callback_id"))
    elif kind in ("shortcut", "message_action", "interactive_message"):
        part = (kind, _field(body, "callback_id"))
    elif kind == "block_suggestion":
        part = ("suggestion", _field(body, "action_id"))
    elif kind == "event_callback":
        event = body.get("event")
        subtype = _field(event, "subtype")
        part = ("event", _field(event, "type") + (f"/{subtype}" if subtype != "-" else ""))
    else:
        part = ("payload", kind)
    user = body.get("user")
    team = body.get("team")
    return (
        *part,
        _safe(body.get("team_id") or _field(team, "id")),
        _safe(body.get("user_id") or _field(user, "id")),
    )


def outcome(status: int, error: Exception | None) -> str:
    """`ok`; `refused:<DomainError>` when the person was told what to fix; `error:<Exception>` when
    the app failed; `rejected` for a request Bolt turned away (bad signature, nothing to handle it)."""
    if isinstance(error, DomainError):
        return f"refused:{type(error).__name__}"
    if error is not None:
        return f"error:{type(error).__name__}"
    if status >= 500:
        return "failed"
    return "rejected" if status >= 400 else "ok"


def _field(node: object, key: str) -> str:
    return _safe(node.get(key)) if isinstance(node, dict) else "-"


def _safe(value: object) -> str:
    if not isinstance(value, str) or not value:
        return "-"
    return _SAFE.sub("?", value)[:64]
