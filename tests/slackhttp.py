"""Talking to the app as Slack does: signed HTTP requests, and every payload checked on the way back."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_sdk.signature import SignatureVerifier

from bot.server import wsgi_app
from bot.shell.localslack import LocalSlack
from tests.slack_limits import check_errors, check_message, check_view

TEAM = "T0TEST"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serve_app(app: App) -> Iterator[str]:
    server = make_server(
        "127.0.0.1", 0, wsgi_app(app), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    raw: str

    @property
    def text(self) -> str:
        """All the text of the reply, blocks included, for assertions that read like the screen."""
        return payload_text(self.body)


def payload_text(payload: dict[str, Any]) -> str:
    parts = [str(payload.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload.get("blocks") or [])
    walk(payload.get("errors") or {})
    return "\n".join(parts)


class SlackHttp:
    def __init__(self, base_url: str, secret: str, slack: LocalSlack) -> None:
        self.url = f"{base_url}/slack/events"
        self.base_url = base_url
        self.verifier = SignatureVerifier(secret)
        self.slack = slack

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or self.verifier.generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(
            self.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig,
                **(headers or {}),
            },
        )
        mark = self.slack.mark()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read().decode()
        body_json: dict[str, Any] = {}
        if raw.strip().startswith("{"):
            body_json = json.loads(raw)
        if status == 200 and body_json and "response_action" not in body_json:
            check_message(body_json)
        if body_json.get("response_action") in ("update", "push"):
            check_view(body_json["view"])
        if body_json.get("response_action") == "errors":
            check_errors(body_json["errors"])
        self.check_calls(mark)
        return Reply(status, body_json, raw)

    def check_calls(self, mark: int) -> None:
        time.sleep(0)  # let the fake server's thread record calls made before the response
        for call in self.slack.since(mark):
            if call.method in ("views.open", "views.push", "views.update", "views.publish"):
                check_view(call.params["view"])
            elif call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
                check_message(call.params)

    def command(self, command: str, text: str = "", user: str = "U0OWNER", **extra: Any) -> Reply:
        headers = extra.pop("headers", None)
        return self.post(command_body(self.slack, command, text, user), headers=headers)

    def interaction(self, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        """An interaction payload with the envelope every one of Slack's carries (team, app, user,
        trigger, `enterprise: null`), keeping whatever the caller set."""
        payload.setdefault("team", {"id": TEAM, "domain": "test"})
        payload.setdefault("api_app_id", "A0TEST")
        payload.setdefault("token", "x")
        payload.setdefault("trigger_id", trigger_id())
        payload.setdefault("enterprise", None)
        payload.setdefault("is_enterprise_install", False)
        if isinstance(payload.get("user"), dict):
            payload["user"] = {**slack_user(str(payload["user"].get("id"))), **payload["user"]}
        return self.post(urlencode({"payload": json.dumps(payload)}), headers=headers)

    def submit(self, view: dict[str, Any], values: dict[str, Any], user: str = "U0OWNER") -> Reply:
        """Submit a modal the app opened, with `values` as {block_id: state-element}.

        As Slack does, the state holds every input block of the view: the ones not given keep what
        the app rendered (initial value or option) or are empty (`null`, or `[]` for multi-selects).
        """
        return self.interaction(
            {
                "type": "view_submission",
                "user": slack_user(user),
                "view": modal_view(view, values),
                "response_urls": [],
            }
        )

    def close(self, view: dict[str, Any], user: str = "U0OWNER") -> Reply:
        """The person closed a modal (Slack sends it when the view asked `notify_on_close`)."""
        return self.interaction(
            {
                "type": "view_closed",
                "user": slack_user(user),
                "view": modal_view(view, {}),
                "is_cleared": False,
            }
        )

    def click(
        self,
        action_id: str,
        value: str = "",
        user: str = "U0OWNER",
        *,
        surface: str = "ephemeral",
        channel: str = "C0TEST",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        **action: Any,
    ) -> Reply:
        """A button pressed where Slack shows it: `ephemeral` (a command's reply, the default),
        `message` (a message the app posted, given as `message` with its ts and blocks), `modal` or
        `home` (the view, as the app opened or published it)."""
        element = {"action_id": action_id, "type": "button", **({"value": value} if value else {}), **action}
        return self.interaction(
            block_actions(
                self.slack, element, user, surface=surface, channel=channel, message=message, view=view
            )
        )

    def event(self, event: dict[str, Any]) -> Reply:
        """An Events API callback, wrapped as Slack wraps it."""
        envelope = {
            "token": "x",
            "team_id": TEAM,
            "context_team_id": TEAM,
            "context_enterprise_id": None,
            "api_app_id": "A0TEST",
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        return self.post(json.dumps(envelope), content_type="application/json")

    def home(self, user: str = "U0OWNER") -> dict[str, Any]:
        """Open the App Home tab; the view the app published, with the id and hash Slack gave it."""
        mark = self.slack.mark()
        reply = self.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})
        assert reply.status == 200
        published = [c for c in self.slack.since(mark) if c.method == "views.publish"]
        assert published, "no App Home was published"
        return dict(published[-1].response["view"])

    def opened_view(self) -> dict[str, Any]:
        """The view of the last `views.open`, with the id Slack gave it."""
        calls = self.slack.of("views.open")
        assert calls, "no modal was opened"
        return dict(calls[-1].response["view"])


def command_body(slack: LocalSlack, command: str, text: str, user: str = "U0OWNER") -> str:
    """A slash command as Slack sends it (form-encoded). Each body has its own response URL and
    trigger id, so sending the same body twice is Slack's retry of one request."""
    return urlencode(
        {
            "token": "x",
            "team_id": TEAM,
            "team_domain": "test",
            "channel_id": "C0TEST",
            "channel_name": "agency",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0TEST",
            "is_enterprise_install": "false",
            "response_url": slack.response_url(uuid.uuid4().hex),
            "trigger_id": trigger_id(),
        }
    )


def trigger_id() -> str:
    return f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().int % 10**13}.{uuid.uuid4().hex}"


def slack_user(user: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}


EMPTY: dict[str, tuple[str, Any]] = {
    "plain_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
    "checkboxes": ("selected_options", "initial_options"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_users_select": ("selected_users", "initial_users"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
}
"""Each input element's state key, and the element field whose value Slack puts there untouched."""


def rendered_state(element: dict[str, Any]) -> dict[str, Any]:
    """An input's state as Slack reports it when nobody touched it: the initial value, or empty."""
    kind = str(element.get("type"))
    key, initial = EMPTY.get(kind, ("value", "initial_value"))
    empty: Any = [] if key.startswith("selected_") and key.endswith("s") else None
    return {"type": kind, key: element.get(initial, empty)}


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`view.state` as Slack sends it: {block_id: {action_id: element state}} for every input block
    (and every stateful element of an actions block), `values` overriding what was rendered."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        block_id = str(block.get("block_id") or "")
        if block.get("type") == "input" and block_id:
            element = block.get("element") or {}
            state[block_id] = {str(element.get("action_id") or "value"): rendered_state(element)}
        elif block.get("type") == "actions" and block_id:
            for element in block.get("elements") or []:
                if element.get("type") in EMPTY:
                    state.setdefault(block_id, {})[str(element.get("action_id"))] = rendered_state(element)
    for block_id, element in values.items():
        action_id = next(iter(state.get(block_id) or {}), "value")
        state[block_id] = {action_id: element}
    return {"values": state}


def modal_view(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The `view` object of a modal interaction, with every field Slack adds to what the app sent."""
    view_id = str(view.get("id") or "V0UNSET")
    return {
        "id": view_id,
        "team_id": TEAM,
        "type": "modal",
        "private_metadata": "",
        "callback_id": "",
        "hash": "1596530361.3wRYuk3R",
        "clear_on_close": False,
        "notify_on_close": False,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": "A0TEST",
        "external_id": "",
        "app_installed_team_id": TEAM,
        "bot_id": "B0TEST",
        **{k: v for k, v in view.items() if k != "state"},
        "state": view_state(view, values),
    }


def block_actions(
    slack: LocalSlack,
    element: dict[str, Any],
    user: str,
    *,
    surface: str,
    channel: str = "C0TEST",
    block_id: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload from one surface, in the shape Slack sends from there: a response
    URL from messages only; `container` and `view` or `message` as Slack fills them."""
    action: dict[str, Any] = {
        "block_id": block_id or "b0",
        "action_ts": f"{time.time():.6f}",
        **{k: v for k, v in element.items() if k not in ("style", "url", "confirm", "options")},
    }
    if element.get("url"):
        action["url"] = element["url"]
    payload: dict[str, Any] = {"type": "block_actions", "user": slack_user(user), "actions": [action]}
    if surface in ("message", "ephemeral"):
        ts = str((message or {}).get("ts") or f"{time.time():.6f}")
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": surface == "ephemeral",
        }
        payload["channel"] = {"id": channel, "name": "agency"}
        payload["response_url"] = slack.response_url(uuid.uuid4().hex)
        payload["state"] = {"values": {}}
        if surface == "message":  # Slack gives the message itself only when it is not ephemeral
            payload["message"] = {
                "type": "message",
                "subtype": "bot_message",
                "bot_id": "B0TEST",
                "user": "U0BOT",
                "team": TEAM,
                "text": (message or {}).get("text", ""),
                "blocks": (message or {}).get("blocks", []),
                "ts": ts,
            }
    elif surface in ("modal", "home"):
        assert view is not None, f"a click in a {surface} needs the view"
        shown = modal_view(view, {})
        if surface == "home":
            shown = {
                **shown,
                "type": "home",
                "callback_id": view.get("callback_id", ""),
                "root_view_id": None,
            }
            shown.pop("title", None)
        payload["container"] = {"type": "view", "view_id": shown["id"]}
        payload["view"] = shown
    else:
        raise ValueError(surface)
    return payload


def text_input(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select(value: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
    }
