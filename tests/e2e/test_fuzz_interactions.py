"""Nothing anyone can send crashes a handler: every command, action and view callback, fuzzed.

The listeners are enumerated from the app itself: `register_all` is run against a recorder that
notes every `app.command`, `app.action` and `app.view` call, so a listener added to any command
module is fuzzed by these tests without anyone listing it here. Regex constraints are fuzzed with
ids drawn from the regex.

Each example sends one correctly signed request with malformed values — wrong types, missing keys,
huge numbers, NUL and other characters PostgreSQL text cannot hold, Unicode digits, garbage
metadata, nulls — and checks that the app answered (no 5xx, no "Something went wrong", no error
logged) and wrote nothing. Under CI=true the examples are derandomized (tests/conftest.py), so a
run is reproducible; locally each run explores new ones. Runs on SQLite, and on PostgreSQL when
DATABASE_URL names one.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.commands import register_all
from bot.shell.localslack import LocalSlack
from tests.e2e.test_agency_http import data_counts as row_counts
from tests.slackhttp import TEAM, Reply, SlackHttp

# FUZZ_EXAMPLES=2000 explores longer (locally; CI keeps the default and derandomizes).
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CRASH = "Something went wrong"
OWNER = "U0OWNER"


@dataclass
class Listeners:
    commands: list[str] = field(default_factory=list)
    actions: list[str | re.Pattern[str]] = field(default_factory=list)
    views: list[str | re.Pattern[str]] = field(default_factory=list)


class _Recorder:
    """Stands in for the Bolt app while `register_all` runs, and notes what is registered."""

    def __init__(self) -> None:
        self.seen = Listeners()

    def _note(self, kind: list[Any], constraint: Any) -> Any:
        if isinstance(constraint, dict):
            constraint = constraint.get("action_id") or constraint.get("callback_id")
        if isinstance(constraint, str | re.Pattern):
            kind.append(constraint)
        return lambda *args, **kwargs: args[0] if args else None

    def command(self, constraint: Any, *args: Any, **kwargs: Any) -> Any:
        return self._note(self.seen.commands, constraint)

    def action(self, constraint: Any, *args: Any, **kwargs: Any) -> Any:
        return self._note(self.seen.actions, constraint)

    def view(self, constraint: Any, *args: Any, **kwargs: Any) -> Any:
        return self._note(self.seen.views, constraint)

    def __getattr__(self, name: str) -> Any:  # events, middleware, options, shortcuts: not fuzzed here
        return lambda *args, **kwargs: lambda *a, **k: a[0] if a else None


def registered() -> Listeners:
    recorder = _Recorder()
    register_all(recorder)  # type: ignore[arg-type]
    return recorder.seen


LISTENERS = registered()


def _ids(constraints: list[str | re.Pattern[str]]) -> st.SearchStrategy[str]:
    plain = sorted(c for c in constraints if isinstance(c, str))
    patterns = [st.from_regex(c, fullmatch=True) for c in constraints if isinstance(c, re.Pattern)]
    return st.one_of(st.sampled_from(plain), *patterns) if plain else st.one_of(*patterns)


# Names the code reads from inputs, values and metadata, so garbage lands where it is looked for.
_SOURCE = "\n".join(p.read_text() for p in (Path(__file__).parents[2] / "bot").rglob("*.py"))
FIELD_NAMES = sorted(
    set(re.findall(r'block_id="([a-z_]+)"', _SOURCE))
    | set(re.findall(r'state_value\(\w+, "([a-z_]+)"\)', _SOURCE))
    | set(re.findall(r'(?:meta|data|p|payload)\.get\("([a-z_]+)"', _SOURCE))
    | set(re.findall(r'(?:meta|data|p|payload)\["([a-z_]+)"\]', _SOURCE))
)

HUGE = "9" * 5000
STRINGS = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "²",
            "١٢٣",
            "１２",
            HUGE,
            "99999999999999999999",
            "9223372036854775808",
            "1e999999",
            "NaN",
            "acme\x00",
            "\x00",
            "a\ud800b",
            "null",
            "{",
            "[]",
            "{}",
            '{"name": 1}',
            "acme|99999999|abcdef",
            "|||",
            "<@U0X|x>",
            "U0OWNER",
        ]
    ),
    st.text(max_size=30),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), STRINGS)
JUNK = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)
METADATA = st.one_of(
    st.none(),
    STRINGS,
    st.dictionaries(st.sampled_from(FIELD_NAMES), JUNK, max_size=5).map(json.dumps),
    JUNK.map(json.dumps),
)
ELEMENT = st.one_of(
    st.none(),
    JUNK,
    st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": st.none() | STRINGS}),
    st.fixed_dictionaries(
        {
            "type": st.just("static_select"),
            "selected_option": st.none() | JUNK | st.fixed_dictionaries({"value": STRINGS}),
        }
    ),
    st.fixed_dictionaries({"type": st.just("multi_static_select"), "selected_options": JUNK}),
)
STATE = st.one_of(
    st.none(),
    JUNK,
    st.fixed_dictionaries(
        {
            "values": st.dictionaries(
                st.sampled_from(FIELD_NAMES), st.dictionaries(st.just("value"), ELEMENT) | JUNK, max_size=6
            )
        }
    ),
)
USER = st.one_of(
    st.just({"id": OWNER, "team_id": TEAM}),
    st.just({"id": OWNER, "team_id": TEAM}),
    st.just({"id": OWNER, "team_id": TEAM}),
    JUNK,
)


def _drop(payload: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in keys}


@st.composite
def action_payload(draw: st.DrawFn) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": draw(_ids(LISTENERS.actions)),
        "block_id": draw(st.sampled_from(FIELD_NAMES) | STRINGS),
        "type": draw(st.sampled_from(["button", "static_select", "overflow", "checkboxes"]) | JUNK),
        "value": draw(STRINGS | JUNK),
        "selected_option": draw(st.none() | st.fixed_dictionaries({"value": STRINGS}) | JUNK),
        "selected_options": draw(JUNK),
    }
    action = _drop(action, draw(st.lists(st.sampled_from([*action, "action_id"]), max_size=3)))
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": draw(USER),
        "team": {"id": TEAM},
        "api_app_id": "A0TEST",
        "trigger_id": uuid.uuid4().hex,
        "container": draw(st.just({"type": "message", "channel_id": "C0TEST", "is_ephemeral": True}) | JUNK),
        "channel": draw(st.just({"id": "C0TEST"}) | JUNK),
        "actions": draw(st.just([action]) | st.just(action) | JUNK),
        "view": draw(
            st.none()
            | st.fixed_dictionaries(
                {
                    "id": st.just("V0FUZZ"),
                    "callback_id": _ids(LISTENERS.views) | STRINGS,
                    "private_metadata": METADATA,
                    "state": STATE,
                }
            )
            | JUNK
        ),
    }
    if payload["view"] is None:  # a click in a message: Slack sends no `view` at all
        del payload["view"]
    payload["response_url"] = "RESPONSE_URL"
    return _drop(payload, draw(st.lists(st.sampled_from(list(payload)), max_size=2)))


@st.composite
def view_payload(draw: st.DrawFn) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": "V0FUZZ",
        "type": "modal",
        "callback_id": draw(_ids(LISTENERS.views)),
        "private_metadata": draw(METADATA),
        "state": draw(STATE),
        "hash": "h",
    }
    view = _drop(
        view, draw(st.lists(st.sampled_from(["private_metadata", "state", "hash", "id"]), max_size=2))
    )
    payload: dict[str, Any] = {
        "type": "view_submission",
        "user": draw(USER),
        "team": {"id": TEAM},
        "api_app_id": "A0TEST",
        "trigger_id": uuid.uuid4().hex,
        "view": view,
        "response_urls": draw(st.just([]) | JUNK),
    }
    return _drop(
        payload, draw(st.lists(st.sampled_from(["user", "team", "trigger_id", "response_urls"]), max_size=1))
    )


COMMAND_TEXT = st.one_of(
    STRINGS,
    st.lists(
        STRINGS | st.sampled_from(["delete", "add", "show", "audit", "page", "buy", "profiles"]), max_size=5
    ).map(" ".join),
)


@dataclass
class Tally:
    """What the fuzzing saw, for the report: inputs tried, 5xx answers, crashes (logged or shown)."""

    inputs: int = 0
    server_errors: int = 0
    crashes: int = 0

    def __str__(self) -> str:
        return f"{self.inputs} inputs, {self.server_errors} 5xx, {self.crashes} unhandled exceptions"


TALLY = Tally()


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[_ErrorLog]:
    """Every error the app or Bolt logs while the test runs (an unhandled exception logs one)."""
    handler = _ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def problems(
    reply: Reply, slack: LocalSlack, mark: int, errors: _ErrorLog, before: dict[str, int], db: Engine
) -> list[str]:
    """What went wrong with one request: a 5xx, a crash reply or log, or a write."""
    found: list[str] = []
    TALLY.inputs += 1
    if reply.status >= 500:
        TALLY.server_errors += 1
        found.append(f"HTTP {reply.status}")
    said = [reply.raw] + [json.dumps(c.params) for c in slack.since(mark)]
    if errors.records or any(CRASH in s for s in said):
        TALLY.crashes += 1
        found += [
            f"logged: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
            for r in errors.records
        ]
    errors.records.clear()
    if row_counts(db) != before:
        found.append("wrote rows")
    return found


def send(http: SlackHttp, payload: dict[str, Any]) -> Reply:
    if payload.get("response_url") == "RESPONSE_URL":
        payload["response_url"] = http.slack.response_url(uuid.uuid4().hex)
    return http.post(urlencode({"payload": json.dumps(payload)}))


@pytest.fixture
def member(http: SlackHttp) -> None:
    """The configured owner has acted once, so requests get past the membership check."""
    assert http.command("/agency", "members").status == 200


@FUZZ
@given(payload=action_payload())
def test_every_action_answers_malformed_values(
    http: SlackHttp, db: Engine, slack: LocalSlack, errors: _ErrorLog, member: None, payload: dict[str, Any]
) -> None:
    """Every registered action, clicked with malformed values: answered, no crash, nothing written."""
    before, mark = row_counts(db), slack.mark()
    reply = send(http, payload)
    assert problems(reply, slack, mark, errors, before, db) == []


@FUZZ
@given(payload=view_payload())
def test_every_view_answers_malformed_submissions(
    http: SlackHttp, db: Engine, slack: LocalSlack, errors: _ErrorLog, member: None, payload: dict[str, Any]
) -> None:
    """Every registered modal, submitted with malformed state and metadata: answered, nothing written."""
    before, mark = row_counts(db), slack.mark()
    reply = send(http, payload)
    assert problems(reply, slack, mark, errors, before, db) == []


@FUZZ
@given(command=st.sampled_from(LISTENERS.commands), text=COMMAND_TEXT)
@example(command="/billing", text="profiles delete 99999999999999999999")
@example(command="/credits", text=f"buy sms {HUGE}")
@example(command="/accounts", text="show acme\x00")
def test_every_command_answers_malformed_text(
    http: SlackHttp, db: Engine, slack: LocalSlack, errors: _ErrorLog, member: None, command: str, text: str
) -> None:
    """Every registered command, with huge or Unicode numbers, NUL and garbage: answered, nothing written."""
    text = text.encode("utf-8", "replace").decode()  # a form body cannot carry a lone surrogate
    before, mark = row_counts(db), slack.mark()
    reply = http.command(command, text)
    assert problems(reply, slack, mark, errors, before, db) == []


RAW_BODIES = [
    "",
    "payload=",
    "payload={",
    "payload=null",
    "payload=[]",
    "payload=1",
    'payload="x"',
    "payload={}",
    'payload={"type":"block_actions"}',
    'payload={"type":"block_actions","user":"U0OWNER","actions":[{}]}',
    'payload={"type":"block_actions","user":null,"actions":null}',
    'payload={"type":"view_submission","user":"U0OWNER","view":null}',
    'payload={"type":"view_submission","user":{"id":"U0OWNER"},"view":{"callback_id":null}}',
    "command=/agency",
    "command=/agency&user_id=&text=",
    "command=/accounts&text=show%00&user_id=U0OWNER&team_id=" + TEAM,
    "{",
    "null",
    "[]",
]


@pytest.mark.parametrize("body", RAW_BODIES)
def test_bodies_that_are_not_interactions_get_a_plain_answer(
    http: SlackHttp, db: Engine, slack: LocalSlack, errors: _ErrorLog, member: None, body: str
) -> None:
    """Empty, truncated or mistyped bodies (correctly signed): a 200 or a 400, never a 5xx, no write."""
    before, mark = row_counts(db), slack.mark()
    reply = http.post(body)
    assert problems(reply, slack, mark, errors, before, db) == []
    assert reply.status in (200, 400)


def test_fuzzing_covers_every_registered_listener() -> None:
    """The recorder sees what `register_all` registers: every command, and actions and views besides."""
    assert set(LISTENERS.commands) >= {"/agency", "/accounts", "/quote", "/credits", "/seats", "/billing"}
    assert len(LISTENERS.actions) > 20 and len(LISTENERS.views) > 10
    print(f"fuzzed so far: {TALLY}")
