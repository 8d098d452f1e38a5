"""Concurrent spends against one balance: it never goes below zero and the sum is exact.

Runs on whichever database the suite uses: PostgreSQL (row lock on the agency, READ COMMITTED) in CI,
SQLite (BEGIN IMMEDIATE serialises writers) otherwise. Each thread has its own session.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from domain import credit_pools, ledger
from domain.agency import Actor
from domain.billing.charges import ChargeRequest, InvoiceLine, charge
from domain.clock import FixedClock
from domain.errors import Conflict, InvalidInput
from domain.roles import Role
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Invoice
from domain.store.uow import SqlUnitOfWork
from tests.factories import NOW, make_account, make_agency

THREADS = 16
ATTEMPTS = 40


def _seed(sessions: sessionmaker[Session], pool: ledger.Pool, amount: str) -> tuple[int, int]:
    with sessions.begin() as s:
        agency = make_agency(s)
        account = make_account(s, agency)
        ledger.append(
            s, agency_id=agency.id, pool=pool, amount=Decimal(amount), kind="purchase", actor="t", at=NOW
        )
        return agency.id, account.id


def test_concurrent_allocations_never_overdraw_the_pool(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """40 allocations of 50 SMS race for a pool of 1,000: exactly 20 succeed, the pool ends at 0."""
    agency_id, account_id = _seed(sessions, "sms", "1000")
    actor = Actor(agency_id, "U0OWNER", Role.OWNER)

    with sessions() as s:
        account_name = s.get_one(Account, account_id).name

    def allocate_named(i: int) -> str:
        with SqlUnitOfWork(sessions) as uow:
            try:
                credit_pools.allocate_sms(
                    uow, clock, actor, units=50, account_name=account_name, key=f"race-{i}"
                )
            except Conflict:
                return "refused"
        return "ok"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(allocate_named, range(ATTEMPTS)))
    assert outcomes.count("ok") == 20
    with sessions() as s:
        assert ledger.balance(s, agency_id, "sms") == Decimal("0.00")
        assert ledger.balance(s, agency_id, "sms", account_id) == Decimal("1000.00")


def test_concurrent_charges_draw_prepaid_credit_exactly(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """40 charges of 7.50 with no card race for 100.00 of credit: 13 are paid, 2.50 is left, never less."""
    agency_id, _ = _seed(sessions, "prepaid", "100")
    gateway = SimulatedGateway()

    def spend(i: int) -> str:
        request = ChargeRequest(
            agency_id=agency_id,
            kind="topup",
            lines=(InvoiceLine("x", Decimal("7.50")),),
            subtotal=Decimal("7.50"),
            idempotency_key=f"spend-{i}",
            actor="t",
            currency="USD",
        )
        with sessions() as s:
            try:
                charge(s, gateway, clock, request)
            except InvalidInput:
                s.rollback()
                return "no card"
            s.commit()
        return "paid"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(spend, range(ATTEMPTS)))
    with sessions() as s:
        assert ledger.balance(s, agency_id, "prepaid") == Decimal("2.50")
        paid = s.scalars(select(Invoice).where(Invoice.status == "paid")).all()
        assert sum((i.credit_used for i in paid), Decimal(0)) == Decimal("97.50")
    assert outcomes.count("paid") == 13 and gateway.charges == []
