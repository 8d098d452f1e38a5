"""Measuring interactions over the real HTTP path: servers in their own processes, signed requests,
keep-alive connections, and the server's own time read from `Server-Timing`."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "bench-signing-secret-0123456789abcdef"
TEAM = "T0BENCH"
OWNER = "U0BENCH"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    kind: str, database_url: str, api_url: str, workers: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[int]:
    """`app` is `reseller-bot serve` (gunicorn); `floor` the bare Bolt app served the same way.
    `extra_env` adds settings (another vendor)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "RESELLER_OWNERS": OWNER,
        "RESELLER_NO_SCHEDULER": "1",
        "LOG_LEVEL": "WARNING",  # stderr is a pipe read only on failure: request lines would fill it
        **(extra_env or {}),
    }
    if kind == "app":
        cmd = [
            str(BIN / "reseller-bot"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    else:
        cmd = [
            sys.executable,
            "-m",
            "bench.floor",
            "--port",
            str(port),
            "--secret",
            SECRET,
            "--api-url",
            api_url,
            "--workers",
            str(workers),
        ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            proc.kill()
            raise RuntimeError(
                f"{kind} server did not start: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


class Client:
    """One keep-alive connection signing requests as Slack does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.verifier = SignatureVerifier(SECRET)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, body: str) -> tuple[int, float, float, bytes]:
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
        }
        started = time.perf_counter()
        self.conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        timing = response.getheader("Server-Timing") or ""
        server_ms = float(timing.split("dur=")[1]) if "dur=" in timing else elapsed
        return response.status, elapsed, server_ms, data


def command_body(command: str, text: str, api_base: str, user: str = OWNER) -> str:
    return urlencode(
        {
            "token": "x",
            "team_id": TEAM,
            "channel_id": "C0BENCH",
            "user_id": user,
            "command": command,
            "text": text,
            "api_app_id": "A0BENCH",
            "trigger_id": uuid.uuid4().hex,
            "response_url": f"{api_base}/respond/{uuid.uuid4().hex}",
        }
    )


def interaction_body(payload: dict[str, object]) -> str:
    return urlencode({"payload": json.dumps(payload)})


@dataclass
class Stats:
    """Round trip over loopback HTTP (signed request out, full response in), and the app's own share
    of it from `Server-Timing` (WSGI entry to response)."""

    name: str
    n: int
    p50: float
    p95: float
    p99: float
    app_p50: float
    app_p99: float
    errors: int


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(
    name: str,
    client: Client,
    make_body: Callable[[int], str],
    n: int,
    check: Callable[[bytes], bool] | None = None,
    warmup: int = 30,
) -> Stats:
    for i in range(warmup):
        client.post(make_body(-1 - i))
    app, wall, errors = [], [], 0
    for i in range(n):
        status, elapsed, server_ms, data = client.post(make_body(i))
        if status != 200 or (check is not None and not check(data)):
            errors += 1
        app.append(server_ms)
        wall.append(elapsed)
    return Stats(
        name,
        n,
        percentile(wall, 50),
        percentile(wall, 95),
        percentile(wall, 99),
        percentile(app, 50),
        percentile(app, 99),
        errors,
    )
