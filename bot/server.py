"""Serving Slack over HTTP behind gunicorn (a production WSGI server), or over Socket Mode."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

StartResponse = Callable[..., Any]


def wsgi_app(app: App) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """Bolt's WSGI adapter on `POST /slack/events`, plus `GET /healthz` for load balancers.

    Every response carries `Server-Timing: app;dur=<ms>`, the server's own time for the request, which
    the benchmark reads so its figures exclude the client's overhead.
    """
    slack = SlackRequestHandler(app, path="/slack/events")

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
