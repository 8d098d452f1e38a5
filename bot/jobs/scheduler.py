"""The daily jobs on a schedule for `serve` and `socket`: status transitions, then billing, then
notices, once each agency's calendar day has reached `at` in its own time zone; and, between those
runs, a send-only pass that retries notices left in the outbox (rate limits, Slack outages).

Every job is safe to run again for the same day, so a restart, a second instance or a missed tick
costs nothing; the thread only decides when to call them. It is a daemon: it never holds up exit.
"""

from __future__ import annotations

import logging
import signal
import threading
import time as wallclock
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.jobs.daily import DAILY_AT, JOBS, run_jobs
from bot.jobs.notifier import run_notices
from bot.operations import sweep_operations
from bot.settings import Settings
from domain.catalog import load_catalog
from domain.clock import Clock, SystemClock
from domain.store.db import make_engine, make_session_factory
from domain.store.models import Agency

log = logging.getLogger("reseller_desk.scheduler")
TICK_SECONDS = 300.0
OPERATIONS_TICK_SECONDS = 60.0
"""Vendor operations left by a crash are swept this often (SPEC §9 Slow vendors)."""

RunDaily = Callable[[], None]


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        at: time = DAILY_AT,
        tick_seconds: float = TICK_SECONDS,
        run_daily: RunDaily | None = None,
        send_pending: Callable[[], None] | None = None,
    ) -> None:
        self.settings, self.clock, self.at, self.tick_seconds = (
            settings,
            clock or SystemClock(),
            at,
            tick_seconds,
        )
        self.engine = make_engine(settings.database_url)
        self.sessions = make_session_factory(self.engine)
        self.run_daily = run_daily or self._run_daily
        self.send_pending = send_pending or self._send_pending
        self.done: dict[str, date] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="reseller-scheduler", daemon=True)

    def start(self) -> Scheduler:
        self.thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.engine.dispose()

    def due_zones(self, now: datetime) -> dict[str, date]:
        """Time zones whose local day reached `at` since the last daily run there."""
        with self.sessions() as session:
            zones = set(session.scalars(select(Agency.timezone).distinct()))
        due = {}
        for zone in zones:
            local = now.astimezone(ZoneInfo(zone or "UTC"))
            if local.time() >= self.at and self.done.get(zone) != local.date():
                due[zone] = local.date()
        return due

    def sweep_operations(self) -> None:
        """Vendor operations a crash or restart left pending, or running under an expired lease."""
        sweep_operations(self.settings, self.sessions, self.clock)

    def tick(self) -> None:
        """One step: the daily chain if some agency's day has come, else a retry pass for notices."""
        due = self.due_zones(self.clock.now())
        if due:
            self.run_daily()  # every job works per agency in the agency's own day
            self.done.update(due)
        else:
            self.send_pending()

    def _loop(self) -> None:
        last = -self.tick_seconds
        while not self.stopped.is_set():
            try:
                self.sweep_operations()
            except Exception:
                log.exception("vendor operations sweep failed; retrying in a minute")
            if wallclock.monotonic() - last >= self.tick_seconds:
                last = wallclock.monotonic()
                try:
                    self.tick()
                except Exception:
                    log.exception("scheduled jobs failed; retrying at the next tick")
            self.stopped.wait(min(self.tick_seconds, OPERATIONS_TICK_SECONDS))

    def _run_daily(self) -> None:
        for job in JOBS:
            for report in run_jobs(self.settings, job, clock=self.clock):
                log.info("%s", report.summary())

    def _send_pending(self) -> None:
        run_notices(
            self.settings,
            self.sessions,
            load_catalog(self.settings.reseller_catalog),
            self.clock,
            sweep_first=False,
        )


def start_scheduler(
    settings: Settings, *, clock: Clock | None = None, at: time = DAILY_AT, tick_seconds: float = TICK_SECONDS
) -> Scheduler:
    """Start the daily jobs in a daemon thread; `serve` and `socket` call it once after `build_app`."""
    return Scheduler(settings, clock=clock, at=at, tick_seconds=tick_seconds).start()


def run_until_stopped(settings: Settings) -> None:
    """`reseller-bot schedule`: the scheduler in the foreground until SIGTERM or SIGINT, then a clean
    stop (exit 0). `serve` starts it as its own process beside gunicorn, so no web worker is forked
    with it and each can exit on its own."""
    stop_on = {signal.SIGTERM, signal.SIGINT}
    # Blocked before the thread starts, so only this thread receives them, at `sigwait`.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_on)
    scheduler = start_scheduler(settings)
    log.info("daily jobs scheduled at %s in each agency's time zone", DAILY_AT.strftime("%H:%M"))
    received = signal.sigwait(stop_on)
    log.info("stopping the scheduler (%s)", signal.Signals(received).name)
    scheduler.stop()
