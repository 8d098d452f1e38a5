"""Agency tools against the database: approvals execute once, imports are recorded once, passwords are
never stored, and portfolio margin totals are one aggregate that agrees with the rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from domain import access, templates
from domain.accounts import margins
from domain.accounts.common import AccountPorts
from domain.accounts.filters import parse_filters
from domain.agency import Actor
from domain.approvals import actions as approval_actions
from domain.approvals import requests as approvals
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.errors import Forbidden
from domain.roles import Role
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, AuditEntry, Invoice, Member, TemplateImport
from domain.store.uow import SqlUnitOfWork
from tests.factories import NOW, make_account, make_agency, make_profile


@pytest.fixture
def ports(
    clock: FixedClock, catalog: Catalog, provider: SimulatedProvider, gateway: SimulatedGateway
) -> AccountPorts:
    return AccountPorts(clock=clock, catalog=catalog, provider=provider, gateway=gateway)


def _setup(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        agency = make_agency(s, approval_threshold=Decimal(50))
        s.add(Member(agency_id=agency.id, user_id="U0BILL", role="billing", added_by="t", created_at=NOW))
        profile = make_profile(s, agency)
        make_account(s, agency, name="acme", billing_profile_id=profile.id, provider_ref="acc_acme")
        return agency.id


def test_renewal_approved_twice_charges_once(
    db: Engine,
    sessions: sessionmaker[Session],
    ports: AccountPorts,
    gateway: SimulatedGateway,
    provider: SimulatedProvider,
) -> None:
    """The stored renewal runs with its original key: approving, then executing twice, is one invoice."""
    agency_id = _setup(sessions)
    provider.accounts["acc_acme"] = {"name": "acme", "templates": []}
    with sessions.begin() as s:
        account = s.scalars(select(Account)).one()
        account.status = "cancelled"
    asker, owner = Actor(agency_id, "U0BILL", Role.BILLING), Actor(agency_id, "U0OWNER", Role.OWNER)
    # The account is cancelled: its Renew card held the choice to undo the cancellation (`undo`).
    payload = {"name": "acme", "nonce": "n1", "profile": None, "undo": True}
    with SqlUnitOfWork(sessions) as uow:
        amount = approval_actions.price(uow, ports, asker, "renewal", payload)
    with SqlUnitOfWork(sessions) as uow:
        approval, created = approvals.request(uow, ports, asker, "renewal", payload=payload, amount=amount)
        approval_id = approval.id
    with SqlUnitOfWork(sessions) as uow:
        assert approvals.request(uow, ports, asker, "renewal", payload=payload, amount=amount)[1] is False
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Forbidden):
        approvals.decide(uow, ports, asker, approval_id, approve=True)
    with SqlUnitOfWork(sessions) as uow:
        approvals.decide(uow, ports, owner, approval_id, approve=True)
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            assert approvals.execute(uow, ports, owner, approval_id).ok
    assert created and len(gateway.charges) == 1
    with sessions() as s:
        assert len(s.scalars(select(Invoice)).all()) == 1


def test_template_import_twice_records_once(
    db: Engine, sessions: sessionmaker[Session], ports: AccountPorts, provider: SimulatedProvider
) -> None:
    """The second import of the same link into the same account is skipped, not called again."""
    agency_id = _setup(sessions)
    provider.accounts["acc_acme"] = {"name": "acme", "templates": []}
    actor = Actor(agency_id, "U0OWNER", Role.OWNER)
    link = "https://crm.example/share/t1"
    with SqlUnitOfWork(sessions) as uow:
        names = templates.targets(uow, actor, parse_filters([]))
    results = []
    for _ in range(2):
        for name in names:
            with SqlUnitOfWork(sessions) as uow:
                results.append(templates.import_one(uow, ports, actor, name, link).status)
    assert results == ["imported", "skipped"]
    with sessions() as s:
        assert len(s.scalars(select(TemplateImport)).all()) == 1


def test_new_password_is_not_stored_or_audited(
    db: Engine, sessions: sessionmaker[Session], ports: AccountPorts, provider: SimulatedProvider
) -> None:
    """Only the provider's digest changes; no row of ours holds the password."""
    agency_id = _setup(sessions)
    provider.accounts["acc_acme"] = {"name": "acme", "templates": []}
    with SqlUnitOfWork(sessions) as uow:
        helped = access.set_password(uow, ports, Actor(agency_id, "U0BILL", Role.BILLING), "acme")
    assert helped.password and helped.password not in repr(helped)
    with sessions() as s:
        entries = [str((e.before, e.after, e.reason)) for e in s.scalars(select(AuditEntry))]
    assert entries and all(helped.password not in e for e in entries)


def test_portfolio_totals_agree_with_rows(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """Totals in SQL cents equal the sum of the per-account margins computed in Python."""
    with sessions.begin() as s:
        agency = make_agency(s)
        for i in range(30):
            make_account(
                s,
                agency,
                frequency="annual" if i % 3 else "monthly",
                price_per_cycle=Decimal("100.00") + Decimal(i) / 7,
                client_price=Decimal(20 + i * 3) if i % 4 else None,
                client_price_per="cycle" if i % 2 else "month",
            )
        agency_id = agency.id
    with sessions() as s:
        totals = margins.totals(s, catalog, agency_id)
        rows = margins.lowest(s, catalog, agency_id, 100)
    assert totals.priced == len(rows)
    assert totals.margin == sum((r.margin.monthly or Decimal(0) for r in rows), Decimal(0))
    assert [r.margin.monthly for r in rows] == sorted(r.margin.monthly for r in rows)
