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

from bot.localslack import LocalSlack
from bot.server import wsgi_app
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
        body = {
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
            "response_url": self.slack.response_url(uuid.uuid4().hex),
            "trigger_id": uuid.uuid4().hex,
        }
        headers = extra.pop("headers", None)
        return self.post(urlencode(body), headers=headers)

    def interaction(self, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        payload.setdefault("team", {"id": TEAM})
        payload.setdefault("api_app_id", "A0TEST")
        payload.setdefault("trigger_id", uuid.uuid4().hex)
        return self.post(urlencode({"payload": json.dumps(payload)}), headers=headers)

    def submit(self, view: dict[str, Any], values: dict[str, Any], user: str = "U0OWNER") -> Reply:
        """Submit a modal the app opened, with `values` as {block_id: state-element}."""
        state = {block_id: {"value": element} for block_id, element in values.items()}
        return self.interaction(
            {
                "type": "view_submission",
                "user": {"id": user, "team_id": TEAM},
                "view": {**view, "state": {"values": state}},
                "response_urls": [],
            }
        )

    def click(self, action_id: str, value: str = "", user: str = "U0OWNER", **action: Any) -> Reply:
        return self.interaction(
            {
                "type": "block_actions",
                "user": {"id": user, "team_id": TEAM},
                "container": {"type": "message", "channel_id": "C0TEST", "is_ephemeral": True},
                "channel": {"id": "C0TEST"},
                "response_url": self.slack.response_url(uuid.uuid4().hex),
                "actions": [{"action_id": action_id, "value": value, "type": "button", **action}],
            }
        )

    def opened_view(self) -> dict[str, Any]:
        """The view of the last `views.open`, with the id Slack gave it."""
        calls = self.slack.of("views.open")
        assert calls, "no modal was opened"
        return dict(calls[-1].response["view"])


def text_input(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select(value: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
    }
