"""`bot.answer`: one way to answer an interaction, chosen from the surface it came from."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.answer import answer, surface_of
from bot.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]
REPLY = {"text": "done", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "done"}}]}


class Recorder:
    """Stands in for the Web API client and `respond`: records what would be sent where."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def __getattr__(self, name: str) -> Any:
        def call(**params: Any) -> dict[str, Any]:
            self.calls.append((name, params))
            if name == self.fail:
                response = SlackResponse(
                    client=None,
                    http_verb="POST",
                    api_url="",
                    req_args={},
                    data={"ok": False},
                    headers={},
                    status_code=200,
                )
                raise SlackApiError("refused", response)
            return {"ok": True}

        return call

    def __call__(self, **params: Any) -> None:
        self.calls.append(("respond", params))


def context_for(body: dict[str, Any], client: Recorder) -> BoltContext:
    context = BoltContext({"client": client, "translator": Translator("en")})
    if body.get("response_url"):
        context["respond"] = client
    return context


MESSAGE = {"type": "message", "message_ts": "1.2", "channel_id": "C0CHAN", "is_ephemeral": False}
EPHEMERAL = {**MESSAGE, "is_ephemeral": True}
HOME_VIEW = {"id": "V0HOME", "type": "home"}
MODAL_VIEW = {"id": "V0MODAL", "type": "modal", "hash": "h"}
USER = {"id": "U0ME", "team_id": "T0"}

CASES: list[tuple[str, dict[str, Any], bool, list[tuple[str, str | None]]]] = [
    ("message", {"container": MESSAGE, "response_url": "https://r"}, False, [("respond", None)]),
    ("ephemeral", {"container": EPHEMERAL, "response_url": "https://r"}, True, [("respond", None)]),
    (
        "message, no URL, replace",
        {"container": MESSAGE, "channel": {"id": "C0CHAN"}},
        True,
        [("chat_update", "C0CHAN")],
    ),
    (
        "message, no URL",
        {"container": MESSAGE, "channel": {"id": "C0CHAN"}},
        False,
        [("chat_postEphemeral", "C0CHAN")],
    ),
    ("ephemeral, no URL", {"container": EPHEMERAL}, True, [("chat_postEphemeral", "C0CHAN")]),
    (
        "home",
        {"container": {"type": "view", "view_id": "V0HOME"}, "view": HOME_VIEW},
        True,
        [("chat_postMessage", "U0ME")],
    ),
    (
        "modal",
        {"container": {"type": "view", "view_id": "V0MODAL"}, "view": MODAL_VIEW, "trigger_id": "1.2.x"},
        False,
        [("views_push", None)],
    ),
    (
        "a user id as the channel",
        {"container": {**EPHEMERAL, "channel_id": "U0ME"}},
        False,
        [("chat_postMessage", "U0ME")],
    ),
    ("no surface (a shortcut)", {"type": "shortcut"}, False, [("chat_postMessage", "U0ME")]),
]


@pytest.mark.parametrize(("name", "body", "replace", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_surface_is_answered_through_what_it_allows(
    name: str, body: dict[str, Any], replace: bool, expected: list[tuple[str, str | None]]
) -> None:
    """A response URL when the body has one; otherwise an update of the app's message or an
    ephemeral in a real channel, a view pushed over a modal, the app DM for the App Home — never
    `chat.postEphemeral` with a user id as the channel."""
    client = Recorder()
    answer(context_for(body, client), {**body, "user": USER}, REPLY, replace=replace)
    assert [(m, p.get("channel")) for m, p in client.calls] == expected
    if expected[0][0] == "respond":
        assert client.calls[0][1]["replace_original"] is replace
    if expected[0][0] == "views_push":
        assert client.calls[0][1]["view"]["blocks"] == REPLY["blocks"]


def test_a_full_view_stack_falls_back_to_the_app_dm() -> None:
    """Slack keeps at most three modals: when the push is refused, the answer still arrives."""
    client = Recorder(fail="views_push")
    body = {
        "container": {"type": "view", "view_id": "V0"},
        "view": MODAL_VIEW,
        "trigger_id": "t",
        "user": USER,
    }
    answer(context_for(body, client), body, REPLY)
    assert [m for m, _ in client.calls] == ["views_push", "chat_postMessage"]


def test_surfaces_are_read_from_the_container() -> None:
    """The surface is Slack's `container` (a view's type tells Home from modal); junk is no surface."""
    assert surface_of({"container": MESSAGE}) == "message"
    assert surface_of({"container": EPHEMERAL}) == "ephemeral"
    assert surface_of({"container": {"type": "view"}, "view": HOME_VIEW}) == "home"
    assert surface_of({"container": {"type": "view"}, "view": MODAL_VIEW}) == "modal"
    assert surface_of({"view": MODAL_VIEW}) == "modal"
    assert surface_of({"container": "junk", "view": None}) == "none"


def test_no_listener_answers_with_respond() -> None:
    """`respond` fails wherever Slack sends no response URL (App Home, modals): listeners answer
    with `bot.answer.answer`, which picks what the surface allows."""
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and "respond" in [a.arg for a in node.args.args]:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert offenders == []
