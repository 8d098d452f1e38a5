"""A burst of first requests: the agency and its configured owner are created once, and every request
is answered.

On first contact each request reads "no agency" (or "no member"), then inserts. Side by side, all but
one insert hit the unique constraint (`agencies.team_id`, `members(agency_id, user_id)`); before the
fix that `UniqueViolation` reached the person as "something went wrong". A barrier after the read
holds every request there until all have read, so the race happens on every run, not by chance.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.agency import bootstrap_actor
from domain.clock import FixedClock
from domain.roles import Role
from domain.store.models import Agency, Member
from domain.store.uow import SqlAgencyRepository, SqlMemberRepository, SqlUnitOfWork
from tests.concurrency import at_the_same_instant

TEAM, OWNER, N = "T0BURST", "U0OWNER", 6


def _hold_after_reading(monkeypatch: pytest.MonkeyPatch, repository: type, method: str) -> None:
    everyone_read = threading.Barrier(N, timeout=2)
    read = getattr(repository, method)

    def read_then_wait(self: object, *args: object) -> object:
        row = read(self, *args)
        with contextlib.suppress(threading.BrokenBarrierError):  # where writers take turns (SQLite)
            everyone_read.wait()
        return row

    monkeypatch.setattr(repository, method, read_then_wait)


def _burst(sessions: sessionmaker[Session], clock: FixedClock) -> list[Role]:
    roles: list[Role] = []

    def first_request(_: int) -> None:
        found = bootstrap_actor(lambda: SqlUnitOfWork(sessions), clock, TEAM, OWNER, (OWNER,))
        assert found is not None
        roles.append(found[0].role)

    at_the_same_instant(first_request, range(N))
    return roles


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as s:
        agencies = s.scalar(select(func.count(Agency.id)).where(Agency.team_id == TEAM))
        members = s.scalar(select(func.count(Member.id)).where(Member.user_id == OWNER))
        return int(agencies or 0), int(members or 0)


def test_first_requests_racing_create_one_agency_and_one_owner(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six first requests at once on an empty database: all are answered as the owner; one agency,
    one member."""
    _hold_after_reading(monkeypatch, SqlAgencyRepository, "by_team")
    assert _burst(sessions, clock) == [Role.OWNER] * N
    assert _counts(sessions) == (1, 1)


def test_first_requests_racing_to_add_the_configured_owner(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agency exists but the configured owner has not acted yet: six requests at once add them
    once (the `UniqueViolation` on members the issue saw), and all are answered."""
    with sessions.begin() as s:
        s.add(
            Agency(
                team_id=TEAM,
                name="Burst",
                currency="USD",
                timezone="UTC",
                language="en",
                low_balance_threshold=Decimal("100.00"),
                notice_lead_days="7,1",
                archive_after_days=30,
                branding={},
                created_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
    _hold_after_reading(monkeypatch, SqlMemberRepository, "get")
    assert _burst(sessions, clock) == [Role.OWNER] * N
    assert _counts(sessions) == (1, 1)
