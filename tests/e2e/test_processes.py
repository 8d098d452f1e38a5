"""The two ways people run the app: `reseller-bot serve` behind gunicorn, and the shell from a pipe."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update({"HOME": str(tmp_path), **extra})
    if not env.get("DATABASE_URL", "").startswith("postgresql"):
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'app.db'}"
    return env


@pytest.fixture
def served(tmp_path: Path, slack_server: object, db: object) -> Iterator[str]:
    port = free_port()
    env = env_for(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test-serve",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_server.api_url,  # type: ignore[attr-defined]
        RESELLER_OWNERS="U0OWNER",
    )
    proc = subprocess.Popen(
        [str(BIN / "reseller-bot"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            proc.kill()
            pytest.fail(f"serve did not start: {proc.stdout.read().decode() if proc.stdout else ''}")
        yield base
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to gunicorn's whole process group (master, workers, scheduler); SIGKILL if it lingers."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def signed_post(url: str, body: str, secret: str = SECRET) -> tuple[int, str]:
    ts = str(int(time.time()))
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_serve_answers_signed_commands_and_refuses_forged_ones(served: str) -> None:
    """`reseller-bot serve` (gunicorn) answers a signed /agency members and 401s a forged one."""
    body = urlencode(
        {
            "command": "/agency",
            "text": "members",
            "user_id": "U0OWNER",
            "team_id": "T0SERVE",
            "channel_id": "C1",
            "trigger_id": "t",
            "response_url": "http://127.0.0.1:9/r",
        }
    )
    status, text = signed_post(served + "/slack/events", body)
    assert status == 200 and "U0OWNER" in text and "owner" in text
    status, _ = signed_post(served + "/slack/events", body, secret="wrong-secret-1234567890")
    assert status == 401


def test_shell_reads_commands_from_a_pipe(tmp_path: Path) -> None:
    """`printf '/agency help\\n/agency members\\n' | reseller-bot` prints both replies and exits."""
    result = subprocess.run(
        [str(BIN / "reseller-bot")],
        input="/agency help\n/agency members\n",
        env=env_for(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "/agency settings" in result.stdout
    assert "U0LOCALOWNER — owner" in result.stdout


def test_shell_fills_a_modal_from_the_following_lines(tmp_path: Path) -> None:
    """In pipe mode the lines after a command that opens a modal fill its inputs in order."""
    script = "/agency settings\nPipe Agency\nC0NOTICES\nEUR\nEurope/Paris\n2\n300\n/agency help\n"
    result = subprocess.run(
        [str(BIN / "reseller-bot"), "shell"],
        input=script,
        env=env_for(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Settings saved: Pipe Agency, EUR, Europe/Paris" in result.stdout
    assert "RESELLER DESK — PIPE AGENCY" in result.stdout
