"""Two processes running the notices job at the same moment (two threads, each with its own engine
and sessions) post each notice once: on PostgreSQL through row locks and SKIP LOCKED claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.notifier import run_notices
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.store.db import make_engine, make_session_factory
from domain.store.models import Notice
from tests.concurrency import at_the_same_instant
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

            def job(engine: Engine, n: int = n) -> None:
                clock = FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC) + timedelta(days=n))
                run_notices(settings, make_session_factory(engine), catalog, clock, sleep=lambda s: None)

            at_the_same_instant(job, engines)
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


def test_two_senders_claiming_at_the_same_instant_post_each_notice_once(
    db: Engine,
    sessions: sessionmaker[Session],
    settings: Settings,
    slack: LocalSlack,
    catalog: Catalog,
    database_url: str,
) -> None:
    """The sweep done, two senders start claiming the same outbox at the same instant, round after
    round: only one of them takes each notice (the other finds it claimed), so none is posted twice."""
    from domain import outbox
    from tests.factories import make_agency

    with sessions() as s, s.begin():
        agency_id = make_agency(s, notice_channel="C0NOTICES").id
    engines = [make_engine(database_url) for _ in range(2)]
    clock = FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    try:
        for n in range(15):
            with sessions() as s, s.begin():
                for i in range(3):
                    outbox.enqueue(
                        s,
                        agency_id=agency_id,
                        kind=("low_balance", "tier_changed", "billing_digest")[i],
                        due_on=clock.now().date() + timedelta(days=n),
                        now=clock.now(),
                    )

            def job(engine: Engine) -> None:
                run_notices(
                    settings,
                    make_session_factory(engine),
                    catalog,
                    clock,
                    sleep=lambda s: None,
                    agency_ids=[agency_id],
                    sweep_first=False,
                )

            at_the_same_instant(job, engines)
    finally:
        for engine in engines:
            engine.dispose()
    posted = posted_ids(slack)
    assert len(posted) == len(set(posted)), "a notice was posted twice"
    with sessions() as s:
        assert {r.status for r in s.scalars(select(Notice))} == {"sent"}
        assert len(posted) == 45
