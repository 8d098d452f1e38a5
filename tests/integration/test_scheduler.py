"""The schedule inside `serve`: the daily chain once per agency day at 06:00 local, retries between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.scheduler import Scheduler
from bot.settings import Settings
from domain.clock import FixedClock
from tests.factories import make_agency


def test_daily_chain_runs_once_per_local_day(
    db: Engine, sessions: sessionmaker[Session], settings: Settings
) -> None:
    """An agency in Europe/Rome: nothing at 04:59 UTC (05:59 local), the chain at 05:00 UTC, once,
    and again the next local day; in between only the notice retry pass runs."""
    with sessions() as session:
        make_agency(session, timezone="Europe/Rome")
        session.commit()
    clock = FixedClock(datetime(2026, 11, 25, 4, 59, tzinfo=UTC))
    calls: list[str] = []
    scheduler = Scheduler(
        settings,
        clock=clock,
        run_daily=lambda: calls.append("daily"),
        send_pending=lambda: calls.append("send"),
    )
    try:
        scheduler.tick()
        clock.set(datetime(2026, 11, 25, 5, 0, tzinfo=UTC))
        scheduler.tick()
        clock.advance(timedelta(hours=3))
        scheduler.tick()
        clock.advance(timedelta(days=1))
        scheduler.tick()
    finally:
        scheduler.stop()
    assert calls == ["send", "daily", "send", "daily"]
