"""An add-account submission whose name is committed by a concurrent transaction between its checks
and its insert (two instances each receiving the same submission, Slack's retry landing on the other
one: tests/e2e/test_two_instances.py). The race is made deterministic here: the first submission
commits, then the second's early look-ups are made to miss, as they would have a moment before."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.accounts import service
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.errors import Conflict
from domain.plans import PlanChoice
from domain.roles import Role
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Invoice, ProcessedRequest
from domain.store.uow import SqlProcessedRequestRepository, SqlUnitOfWork
from tests.integration.test_accounts_services import command, count, setup  # noqa: F401 (fixture)

TRIAL = PlanChoice(version="V1", product="EM", level="trial")


def first_lookup_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The submission's first look-up of its request key finds nothing (it ran before the other
    transaction committed); later ones read the database."""
    real = SqlProcessedRequestRepository.get
    calls = {"n": 0}

    def get(self: SqlProcessedRequestRepository, agency_id: int, key: str) -> ProcessedRequest | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(self, agency_id, key)

    monkeypatch.setattr(SqlProcessedRequestRepository, "get", get)
    monkeypatch.setattr(service, "name_taken", lambda *_: False)


@pytest.mark.parametrize("plan", [None, TRIAL], ids=["paid", "free"])
def test_the_same_submission_committed_meanwhile_is_replayed_not_an_error(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    gateway: SimulatedGateway,
    monkeypatch: pytest.MonkeyPatch,
    plan: PlanChoice | None,
) -> None:
    ports, agency_id, profile_id = setup
    owner = Actor(agency_id, "U0OWNER", Role.OWNER)
    cmd = command(profile_id, **({"plan": plan} if plan else {}))
    with SqlUnitOfWork(sessions) as uow:
        first = service.add_account(uow, ports, owner, cmd)
    charges = len(gateway.charges)
    first_lookup_misses(monkeypatch)
    with SqlUnitOfWork(sessions) as uow:
        again = service.add_account(uow, ports, owner, cmd)
    assert again.account_id == first.account_id and again.invoice_number == first.invoice_number
    assert count(db, Account) == 1 and count(db, Invoice) == (0 if plan else 1)
    assert len(gateway.charges) == charges  # nothing charged by the one that lost


def test_another_submission_with_the_name_committed_meanwhile_is_told_the_name_is_taken(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    gateway: SimulatedGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ports, agency_id, profile_id = setup
    owner = Actor(agency_id, "U0OWNER", Role.OWNER)
    with SqlUnitOfWork(sessions) as uow:
        service.add_account(uow, ports, owner, command(profile_id, key="nonce-1"))
    first_lookup_misses(monkeypatch)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Conflict) as refused:
        service.add_account(uow, ports, owner, command(profile_id, key="nonce-2"))
    params: dict[str, Any] = refused.value.params
    assert refused.value.field == "name" and params["name"] == "acme-shop"
    assert count(db, Account) == 1 and count(db, Invoice) == 1 and len(gateway.charges) == 1
