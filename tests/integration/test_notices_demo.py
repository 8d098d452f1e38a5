"""The notices' "done when": the demo portfolio, the daily jobs (statuses, billing, notices) run day
after day, and every expected notice is posted exactly once: plainly, with the Slack stand-in
answering 429 or 500 to a third of the calls, and with two processes running the jobs at once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.notifier import run_notices
from bot.settings import Settings
from bot.shell.demo import load_demo
from bot.shell.localslack import LocalSlack
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.lifecycle import run_transitions
from domain.simulated import SimulatedGateway
from domain.store.db import make_engine, make_session_factory
from domain.store.models import Account, Agency, Invoice, Notice
from tests.concurrency import at_the_same_instant
from tests.integration.test_notices_days import posted_ids

DAYS = 40


def daily(engine: Engine, settings: Settings, catalog: Catalog, day: date) -> None:
    """One process's daily jobs at 06:00; pacing and backoff move its own clock, never wait."""
    clock = FixedClock(datetime.combine(day, time(6), UTC))
    sessions = make_session_factory(engine)
    run_transitions(sessions, clock)
    run_billing(sessions, SimulatedGateway(), catalog, clock)
    run_notices(settings, sessions, catalog, clock, sleep=lambda s: clock.advance(timedelta(seconds=s)))


def at_once(engines: list[Engine], settings: Settings, catalog: Catalog, day: date) -> None:
    at_the_same_instant(lambda engine: daily(engine, settings, catalog, day), engines, timeout=120)


@pytest.mark.parametrize("mode", ["plain", "slack_fails_a_third", "two_processes"])
def test_demo_portfolio_day_by_day_posts_each_notice_once(
    mode: str,
    db: Engine,
    sessions: sessionmaker[Session],
    settings: Settings,
    slack: LocalSlack,
    catalog: Catalog,
    database_url: str,
) -> None:
    """Trial ending and ended, each paid account's renewal at 7 and 1 days with the amount it is
    then charged, a weekly digest in the weeks with charges, nothing about the sandbox: each once."""
    load_demo(settings, team_id="T0DEMO")
    with sessions() as s, s.begin():
        s.scalars(select(Agency)).one().notice_channel = "C0DEMO"
        accounts = {a.name: a for a in s.scalars(select(Account))}
        first = min(a.created_at for a in accounts.values()).date()
        names = {a.id: a.name for a in accounts.values()}
        paid = {a.name for a in accounts.values() if a.pricing_version == "V3"}
    assert len(paid) == 3 and {"demo-trial", "agency-sandbox"} <= set(accounts)
    slack.fail_every = 3 if mode == "slack_fails_a_third" else 0
    engines = [make_engine(database_url) for _ in range(2 if mode == "two_processes" else 1)]
    try:
        for n in range(DAYS):
            at_once(engines, settings, catalog, first + timedelta(days=n))
        slack.fail_every = 0
        at_once(engines[:1], settings, catalog, first + timedelta(days=DAYS))  # what a failure left
    finally:
        for engine in engines:
            engine.dispose()

    if mode == "slack_fails_a_third":
        assert [c for c in slack.calls if c.method == "chat.postMessage" and c.status != 200]
    posted = posted_ids(slack)
    assert len(posted) == len(set(posted)), Counter(posted).most_common(3)
    with sessions() as s:
        notices = s.scalars(select(Notice)).all()
        charged = {
            names[i.account_id]: i.total for i in s.scalars(select(Invoice).where(Invoice.kind == "renewal"))
        }
    assert {n.id for n in notices} == set(posted) and {n.status for n in notices} == {"sent"}
    seen = Counter((n.kind, names.get(n.account_id or 0)) for n in notices)
    digests = seen.pop(("billing_digest", None))
    advices = [n.due_on for n in notices if n.kind == "prepaid_advice"]  # issue 18: once a month
    assert seen.pop(("prepaid_advice", None), 0) == len(set(advices)) and all(d.day == 1 for d in advices)
    expected = Counter({("trial_ending", "demo-trial"): 1, ("trial_ended", "demo-trial"): 1})
    expected.update({("renewal_coming", name): 2 for name in paid})
    assert seen == expected
    assert 1 <= digests <= 2 and all(n.due_on.weekday() == 0 for n in notices if n.kind == "billing_digest")
    for n in notices:
        if n.kind == "renewal_coming":
            assert str(charged[names[n.account_id or 0]]) == n.payload["amount"]
