"""The daily jobs, run once from the CLI (`reseller-bot jobs …`) or on a schedule by `serve`.

Order matters: status transitions first (a trial that ended is not billed), then the expiry of
approval requests past their 24 hours, then billing, then the notice sweep and send (so notices
speak of today's charges).

Run for a given day (`--date`), the jobs run on a clock fixed on that day at the schedule hour in each
agency's zone, so what they write (invoices and their numbers, ledger, audit, notices) is dated that
day as if the scheduler had run then. The scheduler itself passes the real clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from datetime import time as daytime

from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.jobs.approval_expiry import run_approval_expiry
from bot.jobs.notifier import run_notices
from bot.jobs.workspace_clients import WorkspaceClients
from bot.providers import build_provider
from bot.settings import Settings
from domain.billing.run import run_billing
from domain.catalog import Catalog, load_catalog
from domain.clock import Clock, DayClock, SystemClock
from domain.jobs import JobReport
from domain.lifecycle import run_transitions
from domain.ports import PaymentGateway, Provider
from domain.reconcile import run_reconciliation
from domain.simulated import SimulatedGateway
from domain.store.db import make_engine, make_session_factory
from domain.store.migrate import upgrade

DAILY_AT = daytime(6, 0)
"""The hour of the daily run in each agency's own time zone; a run for a given day (`--date`) is
dated at this hour too."""
JOBS = ("statuses", "approvals", "billing", "reconcile", "notices")
"""`reconcile` (the desk against the vendor's account list) runs before the notices, which post
its differences the same day."""


def run_jobs(
    settings: Settings,
    job: str,
    *,
    day: date | None = None,
    dry_run: bool = False,
    clock: Clock | None = None,
    gateway: PaymentGateway | None = None,
    provider: Provider | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[JobReport]:
    """`provider`: the vendor the reconciliation lists; without one (the embedded simulated vendor
    keeps nothing between processes) the reconciliation reports itself skipped. `sleep`: the notice
    sender's pacing (tests move their clock instead of waiting)."""
    upgrade(settings.database_url)
    clock = clock or (DayClock(day, DAILY_AT) if day else SystemClock())
    engine = make_engine(settings.database_url)
    catalog = load_catalog(settings.reseller_catalog)
    sessions = make_session_factory(engine, catalog)
    if provider is None and settings.reseller_provider != "simulated":
        provider = build_provider(settings, catalog)
    clients = WorkspaceClients(settings, sessions, clock)
    reports: list[JobReport] = []
    try:
        for name in JOBS if job == "daily" else (job,):
            with _timed(name):
                _run_one(
                    name,
                    reports,
                    settings,
                    sessions,
                    catalog,
                    clock=clock,
                    day=day,
                    dry_run=dry_run,
                    gateway=gateway,
                    provider=provider,
                    clients=clients,
                    sleep=sleep,
                )
    finally:
        engine.dispose()
    return reports


@contextmanager
def _timed(job: str) -> Iterator[None]:
    """Counts a job's run and its duration (`bot.metrics`), ok or error."""
    started, result = time.perf_counter(), "error"
    try:
        yield
        result = "ok"
    finally:
        metrics.observe_job(job, result, time.perf_counter() - started)


def _run_one(
    name: str,
    reports: list[JobReport],
    settings: Settings,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    clock: Clock,
    day: date | None,
    dry_run: bool,
    gateway: PaymentGateway | None,
    provider: Provider | None,
    clients: WorkspaceClients,
    sleep: Callable[[float], None],
) -> None:
    if name == "statuses":
        reports.append(run_transitions(sessions, clock, day=day))
    elif name == "approvals":
        reports.append(run_approval_expiry(sessions, clock, clients, day=day))
    elif name == "billing":
        reports.append(
            run_billing(
                sessions,
                gateway or SimulatedGateway(),
                catalog,
                clock,
                day=day,
                dry_run=dry_run,
                provider=provider,
            )
        )
    elif name == "reconcile":
        reports.append(run_reconciliation(sessions, provider, clock, day=day))
    elif name == "notices":
        reports.extend(
            run_notices(
                settings, sessions, catalog, clock, day=day, provider=provider, clients=clients, sleep=sleep
            )
        )
