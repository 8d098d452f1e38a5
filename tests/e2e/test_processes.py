"""The two ways people run the app: `reseller-bot serve` behind gunicorn, and the shell from a pipe."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.shell.localslack import LocalSlack
from domain.store.db import make_engine
from domain.store.models import Agency
from tests.conftest import SECRET
from tests.e2e.test_accounts_http import add_values, password_of
from tests.factories import make_profile
from tests.slackhttp import SlackHttp, text_input

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVE_TOKEN = "xoxb-test-serve"


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


@dataclass
class Served:
    """`reseller-bot serve` running: its URL, its process (leader of its own group) and its output."""

    base: str
    proc: subprocess.Popen[bytes]
    output: Path
    database_url: str

    def log(self) -> str:
        return self.output.read_text(errors="replace")


def start_serve(tmp_path: Path, slack_server: object, **extra: str) -> Served:
    """Start `reseller-bot serve` and wait until `/healthz` says it is ready. Its output goes to a
    file: a pipe nobody reads would fill up with request lines and block the server."""
    port = free_port()
    env = env_for(
        tmp_path,
        SLACK_BOT_TOKEN=SERVE_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_server.api_url,  # type: ignore[attr-defined]
        RESELLER_OWNERS="U0OWNER",
        **extra,
    )
    output = tmp_path / "serve.log"
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [str(BIN / "reseller-bot"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(f"http://127.0.0.1:{port}", proc, output, env["DATABASE_URL"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(served.base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return served
        except OSError:
            time.sleep(0.1)
    stop_group(proc)
    pytest.fail(f"serve did not start: {served.log()}")


@pytest.fixture
def served_process(tmp_path: Path, slack_server: object, db: object) -> Iterator[Served]:
    served = start_serve(tmp_path, slack_server)
    try:
        yield served
    finally:
        stop_group(served.proc)


@pytest.fixture
def served(served_process: Served) -> str:
    return served_process.base


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to gunicorn's whole process group (master, workers, scheduler); SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
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
    script = "/agency settings\nPipe Agency\nC0NOTICES\nEUR\nEurope/Paris\n2\n300\n\n\n\n/agency help\n"
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
    stdin = "/agency settings\n\n\n\n\n\n\n\n\n\n9\n"  # nine fields kept, then a button
    result = run_cli(tmp_path, "shell", "--locale", locale, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert all(word in result.stdout for word in words), result.stdout
    english = ("(modal)", "(optional)", "only you can see this", "There is no button")
    assert not any(word in result.stdout for word in english), result.stdout


def no_process_left(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def wait_for(predicate: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.parametrize("target", ["master", "process group"])
def test_serve_stops_cleanly_on_sigterm(
    tmp_path: Path, slack_server: object, db: object, target: str
) -> None:
    """SIGTERM to gunicorn's master (as Docker sends it) or to its whole group (as systemd does):
    exit code 0, no traceback or `AssertionError: can only join a child process` from the workers,
    and no process left behind (the scheduler is stopped too)."""
    served = start_serve(tmp_path, slack_server)
    try:
        assert wait_for(lambda: "daily jobs scheduled" in served.log()), served.log()
        body = urlencode(
            {
                "command": "/agency",
                "text": "members",
                "user_id": "U0OWNER",
                "team_id": "T0",
                "trigger_id": "1.2.t",
            }
        )
        assert signed_post(served.base + "/slack/events", body)[0] == 200
        if target == "master":
            served.proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(served.proc.pid, signal.SIGTERM)
        assert served.proc.wait(timeout=30) == 0, served.log()
        assert wait_for(lambda: no_process_left(served.proc.pid), timeout=15)
    finally:
        stop_group(served.proc)
    output = served.log()
    assert "Traceback" not in output and "AssertionError" not in output, output
    assert "ERROR" not in output and "stopping the scheduler (SIGTERM)" in output, output


def test_healthz_is_readiness_and_livez_is_liveness(tmp_path: Path, slack_server: object, db: object) -> None:
    """`/healthz` answers 200 with each check while the database is there; once the SQLite file is
    deleted it answers 503 naming `database_file` (the app used to go on answering 200 while writing to
    a deleted file), and does not create an empty file in its place; `/livez` stays 200."""
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("deletes the SQLite file of the served app")
    served = start_serve(tmp_path, slack_server, RESELLER_NO_SCHEDULER="1")
    try:
        status, ready = get_json(served.base + "/healthz")
        assert status == 200
        assert ready == {
            "status": "ok",
            "checks": {"database_file": "ok", "database": "ok", "migrations": "ok"},
        }
        database = Path(served.database_url.removeprefix("sqlite:///"))
        for path in database.parent.glob(database.name + "*"):
            path.unlink()
        status, ready = get_json(served.base + "/healthz")
        assert status == 503 and ready["status"] == "unavailable"
        assert ready["checks"]["database_file"] == "missing"
        assert not database.exists()
        with urllib.request.urlopen(served.base + "/livez", timeout=5) as live:
            assert live.status == 200 and live.read() == b"ok"
    finally:
        stop_group(served.proc)


def get_json(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_logs_name_each_request_and_never_a_secret(
    tmp_path: Path, slack_server: LocalSlack, db: object
) -> None:
    """At the most verbose LOG_LEVEL, a served session that adds an account (one-time password), types
    card numbers in a command and in a modal, and sends a forged request: one line per request with a
    request id, the interaction, the status, the outcome and the duration; and nowhere in the output
    the signing secret, the bot token, the generated password or the card numbers, in any spelling."""
    served = start_serve(tmp_path, slack_server, LOG_LEVEL="DEBUG", RESELLER_NO_SCHEDULER="1")
    cards = ("4242424242424242", "4000000000009995", "4000000000000119")
    try:
        http = SlackHttp(served.base, SECRET, slack_server)
        http.command("/agency", "members")
        engine = make_engine(served.database_url)
        with Session(engine) as session:
            profile_id = make_profile(session, session.scalars(select(Agency)).one()).id
            session.commit()
        engine.dispose()
        http.command("/accounts", "add")
        view = http.opened_view()
        mark = slack_server.mark()
        http.submit(view, add_values(profile_id))
        deadline = time.monotonic() + 20  # the served process creates it after its answer
        while not [c for c in slack_server.since(mark) if c.method == "views.update"]:
            assert time.monotonic() < deadline, "the account's credentials never came"
            time.sleep(0.05)
        shown = next(c for c in slack_server.since(mark) if c.method == "views.update").params["view"]
        password = password_of(json.loads(shown) if isinstance(shown, str) else shown)
        assert http.command("/accounts", "search 4242 4242 4242 4242").status == 200
        assert http.command("/quote", "4000-0000-0000-9995").status == 200
        http.command("/accounts", "add")
        typed = {**add_values(profile_id, "other-shop"), "client_name": text_input("4000.0000.0000.0119")}
        http.submit(http.opened_view(), typed)
        forged = f"command=%2Faccounts&trigger_id=1.2.t&text=4242+4242+4242+4242+{password}"
        assert http.post(forged, signature="v0=forged").status == 401
        http.click("accounts_page", "1")
    finally:
        stop_group(served.proc)
    output = served.log()
    lines = [line for line in output.splitlines() if " reseller_desk.requests " in line]
    assert len(lines) == 9, output
    for line in lines:
        assert re.search(r"\[[0-9a-f]{16}\] .* status=\d{3} outcome=\S+ ms=\d+\.\d$", line), line
    joined = "\n".join(lines)
    for expected in (
        "command=/accounts team=T0TEST user=U0OWNER status=200 outcome=ok",
        "view_submission=accounts_add team=T0TEST user=U0OWNER status=200",
        "action=accounts_page",
        "command=/accounts team=- user=- status=401 outcome=rejected",
    ):
        assert expected in joined, joined
    for secret in (SECRET, SERVE_TOKEN, password):
        assert secret not in output
    for line in output.splitlines():
        digits = re.sub(r"\D", "", line)
        assert not any(card in digits for card in cards), line


def test_a_bad_log_level_is_one_line(tmp_path: Path) -> None:
    """LOG_LEVEL=LOUD: one line naming the setting and the levels it takes, exit 2."""
    result = run_cli(tmp_path, "db", "upgrade", LOG_LEVEL="LOUD")
    assert result.returncode == 2
    assert result.stderr.startswith("reseller-bot: setting LOG_LEVEL: 'LOUD' is not a log level; use one of")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_failing_migration_names_its_cause(tmp_path: Path) -> None:
    """A database that opens but cannot be migrated (a table of the first migration is already there)
    says why, in one line, exit 1: not "cannot open the database"."""
    database = tmp_path / "taken.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE agencies (id INTEGER PRIMARY KEY)")
    result = run_cli(tmp_path, "db", "upgrade", DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("reseller-bot: migrating the database failed: "), result.stderr
    assert "agencies already exists" in result.stderr and "cannot open" not in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
