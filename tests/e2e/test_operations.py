"""Operations: dropped database connections are replaced unnoticed, and `/healthz` says whether the
app can serve (database reachable, migrated to the head) while `/livez` only says it runs."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from sqlalchemy import Engine, text

from bot.app import build_app
from bot.health import Readiness
from bot.server import wsgi_app
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain.store.db import make_engine
from domain.store.migrate import head_revisions, upgrade
from tests.conftest import SECRET
from tests.slackhttp import Reply, SlackHttp, _QuietHandler, _ThreadingWSGIServer, serve_app

TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def terminate_other_backends(engine: Engine) -> int:
    """What a server restart or an administrator does to the app: every other connection to the
    database is dropped. Returns how many, once they are all gone."""
    with engine.connect() as conn:
        own = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killed = len(conn.execute(text(TERMINATE)).all())
        left = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> :own"
        deadline = time.monotonic() + 10
        while conn.execute(text(left), {"own": own}).scalar_one() and time.monotonic() < deadline:
            time.sleep(0.05)
    return killed


@pytest.mark.postgres
def test_requests_after_the_server_drops_every_connection_all_succeed(
    settings: Settings, slack: LocalSlack, db: Engine
) -> None:
    """The app's own pools (the read-write one and the read-only one), warm with several connections,
    lose them all to `pg_terminate_backend` mid-run: every request after that still answers, none
    with "something went wrong" (18 of 300 used to fail)."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: the server drops the connections")
    app = build_app(settings)
    admin = make_engine(settings.database_url)

    def burst(http: SlackHttp, start: int, count: int) -> list[Reply]:
        def one(i: int) -> Reply:
            if i % 3 == 0:  # writes: a member added, an audit entry
                return http.command("/agency", f"members add <@U0M{i:05d}> viewer")
            if i % 3 == 1:
                return http.command("/agency", "members")
            return http.command("/accounts", "")

        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(one, range(start, start + count)))

    with serve_app(app) as base:
        http = SlackHttp(base, SECRET, slack)
        http.command("/agency", "members")  # the agency, with its owner
        before = burst(http, 0, 48)
        assert all(r.status == 200 and "went wrong" not in r.text for r in before)
        assert terminate_other_backends(admin) >= 2  # at least one connection of each pool
        after = burst(http, 48, 96)
    admin.dispose()
    failed = [r.text[:200] for r in after if r.status != 200 or "went wrong" in r.text]
    assert failed == [], f"{len(failed)} of {len(after)} failed: {failed[:3]}"


@contextmanager
def serve_with_readiness(settings: Settings, database_url: str) -> Iterator[str]:
    readiness = Readiness(database_url)
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app(build_app(settings), readiness),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        readiness.close()


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    return status, json.loads(raw) if raw.startswith(b"{") else raw.decode()


def test_healthz_names_a_database_behind_the_code(settings: Settings, tmp_path: Path) -> None:
    """A database migrated to an older revision than the code's head: `/healthz` answers 503 and says
    where the database is and what the code expects; `/livez` answers 200 (the process is alive)."""
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    engine.dispose()
    with serve_with_readiness(settings, url) as base:
        status, body = get(base + "/healthz")
        assert status == 503 and body["status"] == "unavailable"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["migrations"] == f"at 0006, expected {', '.join(sorted(head_revisions()))}"
        assert get(base + "/livez") == (200, "ok")


def test_healthz_says_the_database_is_unreachable(settings: Settings) -> None:
    """A PostgreSQL server that does not answer: 503 naming `database`, without its address."""
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
    with serve_with_readiness(settings, url) as base:
        status, body = get(base + "/healthz")
    assert status == 503
    assert body == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "migrations": "not checked"},
    }


def test_healthz_is_ok_on_a_migrated_database(settings: Settings, database_url: str) -> None:
    """The test database (SQLite or PostgreSQL), migrated: 200 and every check `ok`."""
    with serve_with_readiness(settings, database_url) as base:
        status, body = get(base + "/healthz")
    assert status == 200 and body["status"] == "ok"
    assert set(body["checks"].values()) == {"ok"}
