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
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.health import Readiness
from bot.logs import add_redaction

StartResponse = Callable[..., Any]
log = logging.getLogger("reseller_desk.server")


def wsgi_app(
    app: App, readiness: Readiness | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """Bolt's WSGI adapter on `POST /slack/events`, plus two probes for load balancers and
    orchestrators: `GET /livez` (the process answers; touches nothing) and `GET /healthz` (ready:
    `readiness` passes, else 503 with the failing check). Without `readiness` (an app with no
    database, such as the benchmark's bare-Bolt floor) ready means alive.

    Every response carries `Server-Timing: app;dur=<ms>`, the server's own time for the request, which
    the benchmark reads so its figures exclude the client's overhead.
    """
    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/livez" and method == "GET":
            return _plain(start_response, "200 OK", b"ok")
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
