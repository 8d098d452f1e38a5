"""Shared fixtures: a migrated database (SQLite, or PostgreSQL from DATABASE_URL), a clock that only
moves when told, the local Slack API stand-in, and the real app served over HTTP."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain.catalog import Catalog, load_catalog
from domain.clock import FixedClock
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.db import make_engine, make_session_factory
from domain.store.migrate import upgrade
from domain.store.models import Base
from tests.slackhttp import SlackHttp, serve_app

OWNER = "U0OWNER"
SECRET = "test-signing-secret-5d41402abc4b2a76"
TOKEN = "xoxb-test-1234"
START = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PG_DEFAULT = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
"""Where PostgreSQL-only tests run when DATABASE_URL is SQLite (TEST_PG_URL lets parallel checkouts differ)."""

# Property tests: in CI the examples are derived from each test's name (derandomize), so every run of
# a commit draws the same inputs and a red build is the code's fault, never the dice's; no example
# database is read or written, a failure prints the blob that replays it (`@reproduce_failure`), and
# no timing decides the outcome (no deadline; the too-slow health check is off on a loaded runner).
# Locally the default profile keeps drawing new examples (and remembers failing ones in
# .hypothesis/), so exploring goes on where it costs nothing. HYPOTHESIS_PROFILE picks one by name.
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile("dev")  # Hypothesis defaults: new examples every run
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


def _is_pg(url: str) -> bool:
    return url.startswith("postgresql")


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        reset_postgres(url)
        upgrade(url)
        yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'test.db'}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine, load_catalog())


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """A clean database for one test (tables emptied after it, schema kept)."""
    wipe(engine)
    yield engine
    wipe(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="session")
def slack_server() -> Iterator[LocalSlack]:
    server = LocalSlack(user_locales={"U0FRENCH": "fr-FR", "U0ITALIAN": "it-IT"}).start()
    yield server
    server.stop()


@pytest.fixture
def slack(slack_server: LocalSlack) -> LocalSlack:
    slack_server.clear()
    return slack_server


@pytest.fixture
def settings(database_url: str, slack: LocalSlack) -> Settings:
    return Settings(
        slack_bot_token=TOKEN,  # type: ignore[arg-type]
        slack_signing_secret=SECRET,  # type: ignore[arg-type]
        slack_api_url=slack.api_url,
        database_url=database_url,
        reseller_owners=(OWNER,),
    )


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def provider() -> SimulatedProvider:
    return SimulatedProvider()


@pytest.fixture
def gateway() -> SimulatedGateway:
    return SimulatedGateway()


@pytest.fixture
def app(  # type: ignore[no-untyped-def]
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    db: Engine,
    catalog: Catalog,
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
):
    from bot.app import build_app

    return build_app(
        settings, clock=clock, sessions=sessions, catalog=catalog, provider=provider, gateway=gateway
    )


@pytest.fixture
def http(app, slack: LocalSlack) -> Iterator[SlackHttp]:  # type: ignore[no-untyped-def]
    with serve_app(app) as base_url:
        yield SlackHttp(base_url, SECRET, slack)


@pytest.fixture
def many_app(  # type: ignore[no-untyped-def]
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    db: Engine,
    catalog: Catalog,
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
):
    """The app installed through OAuth (SPEC §11), no workspace installed yet (`tests.workspaces.install`)."""
    from bot.app import build_app
    from tests.workspaces import many_workspaces

    return build_app(
        many_workspaces(settings),
        clock=clock,
        sessions=sessions,
        catalog=catalog,
        provider=provider,
        gateway=gateway,
    )


@pytest.fixture
def many_http(many_app, slack: LocalSlack) -> Iterator[SlackHttp]:  # type: ignore[no-untyped-def]
    with serve_app(many_app) as base_url:
        yield SlackHttp(base_url, SECRET, slack)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """PostgreSQL for tests that need it: fails under CI=true when unreachable, skips elsewhere."""
    url = os.environ.get("DATABASE_URL", "")
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if _is_pg(url) else PG_DEFAULT
    try:
        engine = make_engine(url, pool_pre_ping=False)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and unreachable at {url}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {url}")
    return url


@pytest.fixture
def desk(
    db: Engine,
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    slack: LocalSlack,
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
) -> Iterator[tuple[SlackHttp, dict[str, Any]]]:
    """The app with the test's provider and gateway, and the notices sender's pacing on the test clock
    (a run never waits); `extras` holds the sender's runs."""
    from bot.app import build_app

    extras: dict[str, Any] = {"notices": {"sleep": lambda s: clock.advance(timedelta(seconds=s))}}
    app = build_app(
        settings,
        clock=clock,
        sessions=sessions,
        catalog=catalog,
        provider=provider,
        gateway=gateway,
        extras=extras,
    )
    with serve_app(app) as base_url:
        yield SlackHttp(base_url, SECRET, slack), extras


from tests.standins.fixtures import hub_provider, partners_hub  # noqa: E402, F401 (vendor stand-in fixtures)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Vendor operations a test started after an ack (`bot.operations`) finish before its fixtures
    are torn down, so none writes into the next test's database."""
    operations = sys.modules.get("bot.operations")
    if operations is not None:
        operations.drain_all(30)
    yield
