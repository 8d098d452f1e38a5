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


def signed_post(url: str, body: str, secret: str = SECRET, age: int = 0) -> tuple[int, str]:
    ts = str(int(time.time()) - age)
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
    stale = body.replace("text=members", "text=members+add+%3C%40U0STALE%3E+owner")
    status, _ = signed_post(served + "/slack/events", stale, age=6 * 60)
    assert status == 401
    status, text = signed_post(served + "/slack/events", body)
    assert status == 200 and "U0STALE" not in text


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
    script = "/agency settings\nPipe Agency\nC0NOTICES\nEUR\nEurope/Paris\n2\n300\n\n/agency help\n"
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


def run_cli(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "reseller-bot"), *args],
        input=stdin,
        env=env_for(tmp_path, RESELLER_NO_SCHEDULER="1") | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-only-the-token"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "only-the-secret-123"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-only-the-app-token"}, "SLACK_BOT_TOKEN"),
    ],
)
def test_run_with_half_the_slack_settings_names_the_missing_one(
    tmp_path: Path, env: dict[str, str], missing: str
) -> None:
    """Some Slack settings but not all: one line naming the missing one, exit 2, no silent shell."""
    result = run_cli(tmp_path, stdin="/agency members\n", **env)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(f"reseller-bot: setting {missing} is missing")
    assert len(result.stderr.strip().splitlines()) == 1 and "reseller>" not in result.stdout


def test_socket_without_app_token_names_it(tmp_path: Path) -> None:
    """`socket` with the HTTP credentials but no app token names SLACK_APP_TOKEN and exits 2."""
    result = run_cli(tmp_path, "socket", SLACK_BOT_TOKEN="xoxb-a-token", SLACK_SIGNING_SECRET="a-secret-1")
    assert result.returncode == 2
    assert result.stderr.startswith("reseller-bot: setting SLACK_APP_TOKEN is missing")


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    """A DATABASE_URL that points at something that is not a database: one line naming it, exit 2."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database file at all" * 100)
    result = run_cli(tmp_path, "db", "upgrade", DATABASE_URL=f"sqlite:///{junk}")
    assert result.returncode == 2
    assert result.stderr.startswith("reseller-bot: setting DATABASE_URL: cannot open the database")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_shell_as_another_user_has_that_users_role(tmp_path: Path) -> None:
    """`shell --as` acts with the user's real role: a stranger is refused and writes nothing."""
    stranger = run_cli(tmp_path, "shell", "--as", "U0STRANGER", stdin="/agency members add <@U0X> owner\n")
    assert stranger.returncode == 0 and "not a member" in stranger.stdout
    owner = run_cli(tmp_path, "shell", stdin="/agency members add <@U0VIEW> viewer\n/agency audit\n")
    assert "U0X" not in owner.stdout and "agency created" in owner.stdout
    viewer = run_cli(tmp_path, "shell", "--as", "U0VIEW", stdin="/agency members add <@U0X> owner\n")
    assert "Your role (viewer) does not allow this" in viewer.stdout


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("fr", ("(fenêtre modale)", "(facultatif)", "── visible par vous seul ──", "pas de bouton 9")),
        ("it", ("(finestra modale)", "(facoltativo)", "── visibile solo a te ──", "nessun pulsante 9")),
    ],
)
def test_shell_frame_text_is_in_the_shells_locale(
    tmp_path: Path, locale: str, words: tuple[str, ...]
) -> None:
    """`shell --locale fr|it`: the shell's own words around the app's replies (modal, optional field,
    only you can see this, no such button) are in that language too, not English."""
    stdin = "/agency settings\n\n\n\n\n\n\n\n9\n"
    result = run_cli(tmp_path, "shell", "--locale", locale, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert all(word in result.stdout for word in words), result.stdout
    english = ("(modal)", "(optional)", "only you can see this", "There is no button")
    assert not any(word in result.stdout for word in english), result.stdout
