"""Two processes running the notices job at the same moment (two threads, each with its own engine
and sessions) post each notice once: on PostgreSQL through row locks and SKIP LOCKED claims."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.localslack import LocalSlack
from bot.notifier import run_notices
from bot.settings import Settings
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.store.db import make_engine, make_session_factory
from domain.store.models import Notice
from tests.integration.test_notices_days import portfolio, posted_ids
from tests.integration.test_notices_delivery import many_renewals


def test_two_processes_at_once_post_each_notice_once(
    db: Engine,
    sessions: sessionmaker[Session],
    settings: Settings,
    slack: LocalSlack,
    catalog: Catalog,
    database_url: str,
) -> None:
    """Day after day both instances sweep and send at the same instant; every notice is posted once
    and all are sent by the end, whichever instance won each claim."""
    portfolio(sessions)
    many_renewals(sessions, 30, channel="C0OTHER", team_id="T0OTHER")
    slack.fail_every = 3
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        for n in range(12):
            start = threading.Barrier(2)
            errors: list[BaseException] = []

            def job(
                engine: Engine,
                n: int = n,
                start: threading.Barrier = start,
                errors: list[BaseException] = errors,
            ) -> None:
                clock = FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC) + timedelta(days=n))
                start.wait()
                try:
                    run_notices(settings, make_session_factory(engine), catalog, clock, sleep=lambda s: None)
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=job, args=(engine,)) for engine in engines]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert not errors, errors
            # whatever one instance left to the other's claim is sent by the next run
        slack.fail_every = 0
        run_notices(
            settings,
            sessions,
            catalog,
            FixedClock(datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),
            sleep=lambda s: None,
        )
    finally:
        for engine in engines:
            engine.dispose()
    posted = posted_ids(slack)
    assert len(posted) == len(set(posted))
    with sessions() as s:
        rows = s.scalars(select(Notice)).all()
    assert {r.id for r in rows} == set(posted) and {r.status for r in rows} == {"sent"}
    assert len(rows) > 35
