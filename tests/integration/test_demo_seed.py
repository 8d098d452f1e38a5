"""Issue 18 §4: demo portfolios (`demo-data --accounts N`, and the few accounts `load_demo` adds
through the real service) satisfy the same invariants as real ones, when seeded and after the daily
jobs have renewed, expired and archived them for a while (`domain.accounts.invariants`)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.shell.demo import load_demo
from bot.shell.seed import seed_accounts
from domain.accounts.invariants import account_problems
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock, today
from domain.lifecycle import run_transitions
from domain.simulated import SimulatedGateway
from domain.store.db import make_session_factory
from domain.store.models import Account

DAY = date(2026, 11, 25)


def _problems(sessions: sessionmaker[Session], catalog: Catalog, day: date) -> list[str]:
    with sessions() as session:
        accounts = session.scalars(select(Account))
        return [problem for account in accounts for problem in account_problems(account, catalog, day)]


def test_seeded_accounts_satisfy_the_invariants_before_and_after_the_daily_jobs(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """Seeded on DAY, then 40 days of status changes and billing runs: every row stays sound (no
    renewal day 28 on a period ending the 4th, no 57-day "monthly" period after a renewal)."""
    assert seed_accounts(db, "T0SEED", "U0SEED", 400, today=DAY) == 400
    assert _problems(sessions, catalog, DAY) == []
    with sessions() as session:
        kinds = Counter((a.status, a.frequency) for a in session.scalars(select(Account)))
    assert kinds[("active", "monthly")] and kinds[("active", "annual")] and kinds[("expired", "monthly")]
    jobs = make_session_factory(db, catalog)
    for n in range(1, 41):
        clock = FixedClock(datetime.combine(DAY + timedelta(days=n), time(6), UTC))
        run_transitions(jobs, clock)
        run_billing(jobs, SimulatedGateway(), catalog, clock)
    last = DAY + timedelta(days=40)
    assert _problems(sessions, catalog, last) == []
    with sessions() as session:
        renewed = [
            a for a in session.scalars(select(Account)) if a.period_start > DAY and a.cycles_billed > 1
        ]
    assert renewed, "the billing runs renewed some accounts"


def test_the_demo_agency_accounts_satisfy_the_invariants(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, catalog: Catalog
) -> None:
    load_demo(settings, team_id="T0DEMO", accounts=60)
    with sessions() as session:
        count = len(session.scalars(select(Account.id)).all())
    assert count == 60
    assert _problems(sessions, catalog, today(FixedClock(datetime.now(UTC)))) == []
