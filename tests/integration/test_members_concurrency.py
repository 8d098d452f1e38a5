"""The last owner stays even when two owners remove or demote each other at the same moment.

Each request reads the owners, then writes. Without turns, both read "two owners", both pass the
check and the agency is left with none. Member changes take turns per agency (a row lock on the
agency on PostgreSQL, SQLite's BEGIN IMMEDIATE), so the second reads what the first did. A barrier
after the read holds each request there until the other has read too: without turns both pass it;
with turns the first waits in vain (briefly), commits, and only then does the second read.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from domain import agency as service
from domain.agency import Actor
from domain.clock import FixedClock
from domain.errors import DomainError
from domain.roles import Role
from domain.store.models import Member
from domain.store.uow import SqlMemberRepository, SqlUnitOfWork
from tests.factories import make_agency

A, B = "U0OWNERA", "U0OWNERB"


def _two_owners(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        agency = make_agency(s, owner=A)
        s.add(Member(agency_id=agency.id, user_id=B, role="owner", added_by=A, created_at=datetime.now(UTC)))
        return agency.id


Change = Callable[[SqlUnitOfWork, FixedClock, Actor, str], Any]


def _remove(uow: SqlUnitOfWork, clock: FixedClock, actor: Actor, other: str) -> Any:
    return service.remove_member(uow, clock, actor, other, ())


def _demote(uow: SqlUnitOfWork, clock: FixedClock, actor: Actor, other: str) -> Any:
    return service.add_member(uow, clock, actor, other, Role.VIEWER)


@pytest.mark.parametrize(("first", "second"), [(_remove, _remove), (_demote, _remove), (_demote, _demote)])
def test_two_owners_changing_each_other_at_once_leave_one_owner(
    first: Change,
    second: Change,
    db: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A removes or demotes B while B removes or demotes A: one succeeds, the other is refused, and
    the agency keeps exactly one owner."""
    agency_id = _two_owners(sessions)
    both_read = threading.Barrier(2, timeout=1.5)
    read_members = SqlMemberRepository.list

    def list_then_wait(self: SqlMemberRepository, agency: int) -> list[Member]:
        rows = read_members(self, agency)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other one waits for its turn
            both_read.wait()
        return rows

    monkeypatch.setattr(SqlMemberRepository, "list", list_then_wait)

    def run(change: Change, actor: str, other: str) -> str:
        with SqlUnitOfWork(sessions) as uow:
            try:
                change(uow, clock, Actor(agency_id, actor, Role.OWNER), other)
            except DomainError as exc:
                return type(exc).__name__
        return "ok"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda job: run(*job), [(first, A, B), (second, B, A)]))

    with sessions() as s:
        owners = s.scalars(select(Member.user_id).where(Member.role == "owner")).all()
    assert len(owners) == 1, (owners, outcomes)
    assert outcomes.count("ok") == 1, outcomes
