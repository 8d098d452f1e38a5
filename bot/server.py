"""Serving Slack over HTTP behind gunicorn (a production WSGI server), or over Socket Mode."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

StartResponse = Callable[..., Any]


NOT_SLACK = "not_a_slack_request"
"""Context flag of a body that is not a Slack request: Bolt still checks its signature (a forgery or
a replay is a 401), then `bot.app`'s first middleware answers 400, before any listener."""


class _SlackHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, answering 400 to a correctly signed body that is not a Slack request.

    Bolt parses the body (and reads the team, user and channel out of it) before any middleware
    runs, so an empty or truncated `payload=`, a JSON `null`, a list or a payload whose `team` is a
    string raised out of the adapter as a 500. Such a body is dispatched empty, flagged `NOT_SLACK`,
    with its raw bytes kept for the signature check.
    """

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        body, query, headers = request.get_body(), request.query_string, request.get_headers()
        try:
            bolt_request = BoltRequest(body=body, query=query, headers=headers)
            if is_slack_envelope(bolt_request.body):
                return self.app.dispatch(bolt_request)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            pass
        empty = BoltRequest(body="", query=query, headers=headers)
        empty.raw_body = body
        empty.context[NOT_SLACK] = True
        return self.app.dispatch(empty)


_OBJECTS = ("team", "user", "channel", "container", "view", "message", "state", "event")
"""Keys that Slack always sends as objects (or null), and Bolt reads as such."""
_FROM_A_USER = ("block_actions", "view_submission", "view_closed")
"""Interactions Slack always sends with the acting `user` object."""


def is_slack_envelope(body: object) -> bool:
    """Whether `body` has the shape Bolt routes by: a JSON object; `type`, `command` strings;
    `team`, `user`, `view`… objects; a block action's `actions` a list of objects with an
    `action_id`; a view's `callback_id` and `type`; an interaction's `user.id`; a command's or a
    click's `trigger_id`. The values inside (button values, metadata, inputs) are the listeners'
    to judge, and each answers them."""
    if not isinstance(body, dict):
        return False
    if any(not isinstance(body.get(key), str | None) for key in ("type", "command", "callback_id")):
        return False
    if not (body.get("type") or body.get("command") or body.get("ssl_check")):
        return False  # every Slack request says what it is
    if any(not isinstance(body.get(key), dict | None) for key in _OBJECTS):
        return False
    if "view" in body and not isinstance(body["view"], dict):  # Bolt reads `view.type` when present
        return False
    if body.get("command") is not None and not isinstance(body.get("trigger_id"), str):
        return False  # Slack sends every slash command with a trigger id (listeners open modals)
    kind = body.get("type")
    if kind in _FROM_A_USER and not isinstance((body.get("user") or {}).get("id"), str):
        return False
    if kind == "block_actions":  # Slack sends every click with a trigger id (listeners open modals)
        actions = body.get("actions")
        return (
            isinstance(body.get("trigger_id"), str)
            and isinstance(actions, list)
            and bool(actions)
            and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
        )
    if kind in ("view_submission", "view_closed"):
        view = body.get("view") or {}
        return isinstance(view.get("callback_id"), str) and isinstance(view.get("type"), str)
    if kind == "event_callback":
        return isinstance((body.get("event") or {}).get("type"), str)
    return True


def wsgi_app(app: App) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """Bolt's WSGI adapter on `POST /slack/events`, plus `GET /healthz` for load balancers.

    Every response carries `Server-Timing: app;dur=<ms>`, the server's own time for the request, which
    the benchmark reads so its figures exclude the client's overhead.
    """
    slack = _SlackHandler(app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        started = time.perf_counter()

        def timed_start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            elapsed = (time.perf_counter() - started) * 1000
            return start_response(status, [*headers, ("Server-Timing", f"app;dur={elapsed:.3f}")], *args)

        return slack(environ, timed_start)

    return application


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn driven from code. `factory` runs in each worker after the fork, so no database
    connection or thread is shared between processes."""

    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.factory()


def serve_http(
    factory: Callable[[], App],
    host: str,
    port: int,
    *,
    workers: int = 2,
    threads: int = 8,
    when_ready: Callable[[Any], None] | None = None,
) -> None:
    """Worker processes (one per core by default) with threads each; `when_ready` runs once in the
    master, which is where the daily scheduler lives so it runs once whatever the worker count."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 30,
        "accesslog": None,
        "loglevel": "warning",
    }
    if when_ready is not None:
        options["when_ready"] = when_ready
    _Gunicorn(lambda: wsgi_app(factory()), options).run()


def serve_socket(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
