"""The overview stays fast on a big portfolio: 100,000 accounts, one page well under a second.

Timed on the best of three reads, so a busy machine (CI shares two cores) cannot fail it by chance;
a page that needs a full load or an unindexed sort takes seconds, not a few milliseconds, and still fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker

from domain.accounts.filters import parse_filters
from domain.accounts.queries import counts_by_status, overview
from domain.store.models import Account
from tests.factories import make_agency

N = 100_000
PAGE_READ_BOUND = 2.0
"""Seconds: a read takes under 0.5 s alone and reached 0.65 s on this 2-core machine under load, so only a
real regression (a read of the whole portfolio) fails this."""
STATUSES = ("active", "active", "active", "trial", "disabled", "cancelled", "expired", "archived")
TIERS = ("starter", "plus", "professional", "enterprise")


def test_overview_of_100k_accounts_is_fast(db: Engine, sessions: sessionmaker[Session]) -> None:
    """Every filter/sort combination people use reads one indexed page in well under a second."""
    created = datetime(2025, 1, 1, tzinfo=UTC)
    with sessions() as session:
        agency = make_agency(session)
        rows = [
            {
                "agency_id": agency.id,
                "name": f"acct-{i:06d}",
                "client_name": f"Client {i}",
                "client_email": f"c{i}@example.com",
                "notification_email": "ops@agency.example",
                "country": "FR",
                "region": "eu",
                "language": "fr",
                "timezone": "Europe/Paris",
                "pricing_version": "V3",
                "product": "marketing",
                "tier": TIERS[i % 4],
                "contacts": 2500,
                "frequency": "monthly",
                "addons": [],
                "limits": {},
                "plan_size": (i % 4 + 1) * 10_000_000 + 2500,
                "status": STATUSES[i % 8],
                "status_changed_at": created,
                "created_at": created + timedelta(minutes=i),
                "purchased_on": date(2025, 1, 1),
                "renewal_day": 1,
                "period_start": date(2026, 11, 1),
                "period_end": date(2026, 12, 1) + timedelta(days=i % 30),
                "is_commission": False,
                "payment_method": "card",
                "price_per_cycle": Decimal("99.00"),
                "cycles_billed": 1,
                "discount_eligible": True,
                "discount_loss_pending": False,
                "client_price_per": "month",
                "created_by": "U0OWNER",
            }
            for i in range(N)
        ]
        session.execute(insert(Account), rows)
        session.commit()
        agency_id = agency.id
    queries = [
        "",
        "sort:-expiry",
        "status:all sort:size",
        "status:expired plan:professional sort:created",
        "page:2000",
        "search:client 4242",
        "status:all sort:-created page:500",
    ]
    # The bound guards against an order-of-magnitude regression (a page read that loads the whole
    # portfolio takes seconds here); it is not the target: `make bench` measures that, side by side
    # with its floor. A tighter bound failed by chance on a loaded 2-core machine.
    with sessions() as session:
        for text in queries:
            filters = parse_filters(text.split())
            assert overview(session, agency_id, filters).accounts, text
            elapsed = best_of_three(lambda f=filters: overview(session, agency_id, f))  # type: ignore[misc]
            assert elapsed < PAGE_READ_BOUND, f"{text!r} took {elapsed:.3f}s"
        assert sum(counts_by_status(session, agency_id).values()) == N
        assert best_of_three(lambda: counts_by_status(session, agency_id)) < PAGE_READ_BOUND


def best_of_three(read: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return min(times)
