"""Moving the clock day by day over a portfolio posts the expected notices, each exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.notifier import run_notices
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain import ledger, outbox
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.store.models import Account, Notice, SeatMember
from tests.factories import make_account, make_agency

DAY0 = date(2026, 11, 25)  # a Wednesday
MORNING = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def posted_ids(slack: LocalSlack) -> list[int]:
    """Every notice id the channel received, from the markers the messages carry."""
    return [
        int(i)
        for call in slack.of("chat.postMessage")
        for i in (call.params.get("metadata") or {}).get("event_payload", {}).get("notices", [])
    ]


def portfolio(sessions: sessionmaker[Session], **agency: Any) -> dict[str, int]:
    with sessions() as s, s.begin():
        a = make_agency(s, notice_channel="C0NOTICES", **agency)
        renewing = make_account(s, a, name="renewing", period_end=DAY0 + timedelta(days=10))
        make_account(s, a, name="commission", is_commission=True, period_end=DAY0 + timedelta(days=3))
        trial = make_account(
            s,
            a,
            name="trialing",
            pricing_version="V1",
            product="EM",
            tier="trial",
            contacts=None,
            status="trial",
            period_end=DAY0 + timedelta(days=5),
        )
        seats = make_account(
            s,
            a,
            name="seats",
            product="business-licenses",
            tier="licenses",
            contacts=None,
            seats=5,
            frequency="annual",
            period_end=date(2027, 11, 10),
        )
        s.add(
            SeatMember(
                account_id=seats.id,
                email="late@client.example",
                status="invited",
                invited_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
            )
        )
        ledger.append(
            s,
            agency_id=a.id,
            pool="prepaid",
            amount=Decimal("50.00"),
            kind="purchase",
            actor="t",
            at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        return {"agency": a.id, "renewing": renewing.id, "trial": trial.id, "seats": seats.id}


def test_day_by_day_each_notice_posted_once(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """Renewal at 7 and 1 days, trial ending at 3, pending invitation after 7, low balance once a week,
    the billing digest on Mondays only (none for a week whose Monday had nothing to list), tier change and an event notice: each posted once although the job runs
    twice a day for three weeks; commission accounts never."""
    ids = portfolio(sessions)
    clock = FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    for n in range(21):
        clock.set(datetime.combine(DAY0 + timedelta(days=n), datetime.min.time(), UTC) + timedelta(hours=6))
        if n == 4:  # one of the two paid accounts is cancelled: the agency falls to the 0 % tier
            with sessions() as s, s.begin():
                s.get_one(Account, ids["seats"]).status = "cancelled"
        if n == 9:  # the billing run failed to charge `renewing`
            with sessions() as s, s.begin():
                outbox.enqueue(
                    s,
                    agency_id=ids["agency"],
                    kind="charge_failed",
                    due_on=clock.now().date(),
                    now=clock.now(),
                    account_id=ids["renewing"],
                    payload={"amount": "30.00"},
                )
        for _ in range(2):
            run_notices(settings, sessions, catalog, clock, sleep=sleep)

    posted = posted_ids(slack)
    assert len(posted) == len(set(posted)), Counter(posted).most_common(3)
    with sessions() as s:
        rows = s.scalars(select(Notice).order_by(Notice.id)).all()
        assert {r.id for r in rows} == set(posted)
        assert all(r.status == "sent" and r.message_ts for r in rows)
        seen = Counter((r.kind, r.account_id) for r in rows)
    assert seen[("renewal_coming", ids["renewing"])] == 2
    assert seen[("trial_ending", ids["trial"])] == 1
    assert seen[("invitation_pending", ids["seats"])] == 1
    assert seen[("charge_failed", ids["renewing"])] == 1
    assert seen[("tier_changed", None)] == 1
    assert seen[("low_balance", None)] == 4  # weeks of 23 Nov, 30 Nov, 7 Dec, 14 Dec
    assert seen[("prepaid_advice", None)] == 1  # 1 December, the default advice day (issue 18)
    # Truly weekly: the Wednesday 25 Nov start and the 30 Nov Monday sweep it; on Saturday 28 Nov the
    # 5 Dec renewal comes within 7 days, but that week's digest sweep already ran (empty: nothing is
    # posted), so the 5 Dec charge is listed once, by Monday 30 Nov's digest.
    digests = [r for r in rows if r.kind == "billing_digest"]
    assert [(d.due_on, d.created_at.date()) for d in digests] == [(date(2026, 11, 30), date(2026, 11, 30))]
    assert [line["account"] for line in digests[0].payload["profiles"][0]["lines"]] == ["renewing"]
    assert set(seen) <= {
        ("renewal_coming", ids["renewing"]),
        ("trial_ending", ids["trial"]),
        ("invitation_pending", ids["seats"]),
        ("charge_failed", ids["renewing"]),
        ("tier_changed", None),
        ("low_balance", None),
        ("billing_digest", None),
        ("prepaid_advice", None),
    }
    assert all(s <= 1.0 for s in sleeps)


def test_renewal_notices_share_the_credit_like_the_billing_run(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """Renewals announced together draw the general prepaid credit in the billing run's order: what
    one takes is not promised to the next, and the notices agree with the weekly digest's totals."""
    from domain.notices.sweep import sweep
    from domain.store.models import Agency

    with sessions() as s, s.begin():
        a = make_agency(s, notice_channel="C0N")
        for name in ("zeta", "alpha", "mid"):
            make_account(s, a, name=name, period_end=DAY0 + timedelta(days=7))
        ledger.append(
            s, agency_id=a.id, pool="prepaid", amount=Decimal("50.00"), kind="purchase", actor="t", at=MORNING
        )
        agency_id = a.id
    with sessions() as s, s.begin():
        sweep(s, catalog, s.get_one(Agency, agency_id), DAY0, MORNING)
    with sessions() as s:
        rows = s.scalars(select(Notice).order_by(Notice.account_id)).all()
        renewals = [r.payload for r in rows if r.kind == "renewal_coming"]
        digest = next(r.payload for r in rows if r.kind == "billing_digest")
    credit = [Decimal(p["from_credit"]) for p in renewals]
    amount = Decimal(renewals[0]["amount"])
    assert amount > Decimal("25.00")  # so the 50.00 cannot pay two of them
    assert credit[0] == min(amount, Decimal("50.00")) and credit == sorted(credit, reverse=True)
    assert sum(credit) == Decimal("50.00") == Decimal(digest["from_credit"])
    assert sum(Decimal(p["from_card"]) for p in renewals) == Decimal(digest["from_card"])
