"""Serving Slack over HTTP behind gunicorn (a production WSGI server), or over Socket Mode."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from bot.health import Readiness
from bot.logs import add_redaction

StartResponse = Callable[..., Any]
log = logging.getLogger("reseller_desk.server")


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


OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")
"""Bolt's OAuth flow (`bot.workspaces`), served when the app installs in many workspaces."""

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


def wsgi_app(
    app: App, readiness: Readiness | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """Bolt's WSGI adapter on `POST /slack/events`, plus two probes for load balancers and
    orchestrators: `GET /livez` (the process answers; touches nothing) and `GET /healthz` (ready:
    `readiness` passes, else 503 with the failing check). Without `readiness` (an app with no
    database, such as the benchmark's bare-Bolt floor) ready means alive. `GET /metrics` is the
    app's `bot.metrics` endpoint when `METRICS=on`, else 404.

    Every response carries `Server-Timing: app;dur=<ms>`, the server's own time for the request, which
    the benchmark reads so its figures exclude the client's overhead.
    """
    slack = _SlackHandler(app, path="/slack/events")
    installs = SlackRequestHandler(app, path="/slack/events")
    """Bolt's own handling of `/slack/install` (the Add to Slack page) and `/slack/oauth_redirect`."""

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path in OAUTH_PATHS and method == "GET":
            if getattr(app, "oauth_flow", None) is None:  # one workspace: nothing to install
                return _plain(start_response, "404 Not Found", b"not found")
            return installs(environ, start_response)
        if path == "/livez" and method == "GET":
            return _plain(start_response, "200 OK", b"ok")
        if path == "/metrics" and method == "GET":
            metrics = getattr(app, "metrics", None)
            if metrics is None:  # METRICS is off
                return _plain(start_response, "404 Not Found", b"not found")
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz" and method == "GET":
            if readiness is None:
                return _plain(start_response, "200 OK", b"ok")
            report = readiness.check()
            body = json.dumps(report.as_json()).encode()
            status = "200 OK" if report.ok else "503 Service Unavailable"
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            start_response(status, [*headers, ("Cache-Control", "no-store")])
            return [body]
        started = time.perf_counter()

        def timed_start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            elapsed = (time.perf_counter() - started) * 1000
            return start_response(status, [*headers, ("Server-Timing", f"app;dur={elapsed:.3f}")], *args)

        return slack(environ, timed_start)

    return application


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class _RedactingLogger(GunicornLogger):  # type: ignore[misc]
    """Gunicorn's own log (worker tracebacks included) behind the same redaction as the app's."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        add_redaction([*self.error_log.handlers, *self.access_log.handlers])


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


class _SchedulerProcess:
    """The daily jobs as one process beside gunicorn, started and stopped by its master.

    A separate program (`reseller-bot schedule`), not a `multiprocessing` child: workers are forked
    from the master after it starts, and a `multiprocessing` child in the master is inherited by each
    worker, which then fails at exit trying to join a process that is not its own."""

    def __init__(self, command: Sequence[str]) -> None:
        self.command = list(command)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, _arbiter: Any) -> None:
        self.process = subprocess.Popen(self.command)  # noqa: S603 - our own program, no shell

    def stop(self, _arbiter: Any) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.warning("the scheduler did not stop within 10 s: killed")
            self.process.kill()
            self.process.wait(timeout=5)


def serve_http(
    factory: Callable[[], App],
    host: str,
    port: int,
    *,
    workers: int = 2,
    threads: int = 8,
    database_url: str | None = None,
    scheduler: Sequence[str] | None = None,
    log_level: str = "WARNING",
) -> None:
    """Worker processes (one per core by default) with threads each. `scheduler` is the command of
    the daily jobs' process, which the master starts once ready (so it runs once whatever the worker
    count) and stops when it exits. `/healthz` checks `database_url` (`bot.health`)."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 30,
        "accesslog": None,
        "loglevel": log_level.lower(),
        "logger_class": _RedactingLogger,
    }
    if scheduler is not None:
        process = _SchedulerProcess(scheduler)
        options["when_ready"] = process.start
        options["on_exit"] = process.stop

    def load() -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
        return wsgi_app(factory(), Readiness(database_url) if database_url else None)

    _Gunicorn(load, options).run()


def serve_socket(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
