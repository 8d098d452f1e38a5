"""Purchases and moves on a real database: once per nonce or trigger, whatever is redelivered."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain import credit_pools, credits, ledger
from domain.agency import Actor
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.errors import Conflict, Forbidden
from domain.roles import Role
from domain.simulated import SimulatedGateway
from domain.store.models import AuditEntry, Invoice
from domain.store.uow import SqlUnitOfWork
from tests.factories import make_account, make_agency, make_profile

NONCE = "0123456789abcdef0123456789abcdef"


def _seed(sessions: sessionmaker[Session], tier: str = "plus") -> tuple[Actor, int]:
    with sessions.begin() as s:
        agency = make_agency(s)
        make_profile(s, agency)
        account = make_account(s, agency, name="acme", tier=tier)
        return Actor(agency.id, "U0OWNER", Role.OWNER), account.id


def test_the_same_nonce_is_charged_once_and_answers_the_same(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """Three deliveries of one confirmation: one card charge, one credit entry, one audit entry."""
    actor, account_id = _seed(sessions)
    order = credits.Order("prepaid", Decimal("250.00"), account_id)
    answers = []
    for _ in range(3):
        with SqlUnitOfWork(sessions) as uow:
            answers.append(
                credits.buy(uow, gateway, clock, catalog, actor, currency="USD", order=order, nonce=NONCE)
            )
    assert len({a.invoice_number for a in answers}) == 1 and len(gateway.charges) == 1
    with sessions() as s:
        assert ledger.balance(s, actor.agency_id, "prepaid", account_id) == Decimal("250.00")
        assert s.scalar(select(func.count(Invoice.id))) == 1
        assert (
            s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "credits.purchased")) == 1
        )


def test_moves_are_idempotent_by_key_and_refuse_overdraw(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """An allocation redelivered moves once; asking more than the pool holds is refused."""
    actor, _ = _seed(sessions)
    with SqlUnitOfWork(sessions) as uow:
        order = credits.Order("sms", Decimal(1000))
        credits.buy(uow, gateway, clock, catalog, actor, currency="USD", order=order, nonce=NONCE)
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            moved = credit_pools.allocate_sms(uow, clock, actor, units=600, account_name="acme", key="T1")
    assert moved.repeated and moved.pool_left == Decimal(400) and moved.account_total == Decimal(600)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Conflict):
        credit_pools.allocate_sms(uow, clock, actor, units=600, account_name="acme", key="T2")


def test_managers_allocate_but_do_not_buy(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """Buying is owner/billing; a manager moves existing credit and is refused a purchase."""
    owner, _ = _seed(sessions)
    manager = Actor(owner.agency_id, "U0MGR", Role.MANAGER)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Forbidden):
        credits.buy(
            uow,
            gateway,
            clock,
            catalog,
            manager,
            currency="USD",
            order=credits.Order("preview", Decimal(50)),
            nonce=NONCE,
        )
    with SqlUnitOfWork(sessions) as uow:
        credits.buy(
            uow,
            gateway,
            clock,
            catalog,
            owner,
            currency="USD",
            order=credits.Order("preview", Decimal(50)),
            nonce=NONCE,
        )
    with SqlUnitOfWork(sessions) as uow:
        moved = credit_pools.apply_preview(uow, clock, manager, units=20, account_name="acme", key="T3")
    assert moved.account_total == Decimal(20) and moved.pool_left == Decimal(30)


def test_earmarked_purchase_invoice_line_names_the_account(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """The invoice of earmarked prepaid credit says which account it is for, by name, not by row id."""
    actor, account_id = _seed(sessions)
    order = credits.Order("prepaid", Decimal("100.00"), account_id)
    with SqlUnitOfWork(sessions) as uow:
        bought = credits.buy(uow, gateway, clock, catalog, actor, currency="USD", order=order, nonce=NONCE)
    with sessions() as s:
        invoice = s.scalars(select(Invoice).where(Invoice.number == bought.invoice_number)).one()
        assert invoice.lines[0]["params"]["account"] == "acme"
