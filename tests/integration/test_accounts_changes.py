"""Scheduled changes reach the renewal, and a transfer-out is confirmed only without agency branding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from domain.accounts import transfers
from domain.accounts.branding import Branding, set_account_branding
from domain.accounts.changes import change_plan
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.billing.manual_renewal import preview_renewal
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.errors import Conflict
from domain.plans import PlanChoice
from domain.roles import Role
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Transfer
from domain.store.uow import SqlUnitOfWork
from tests.factories import make_account, make_agency, make_profile

DAY = date(2026, 12, 10)
STARTER = PlanChoice(
    version="V3", product="marketing", tier="starter", contacts=1000, frequency="monthly", seats=1
)


@pytest.fixture
def ports(
    db: Engine,
    clock: FixedClock,
    catalog: Catalog,
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
) -> AccountPorts:
    return AccountPorts(clock, catalog, provider, gateway)


def _agency(sessions: sessionmaker[Session], **fields: object) -> Actor:
    with sessions.begin() as session:
        agency = make_agency(session)
        profile = make_profile(session, agency)
        make_account(
            session,
            agency,
            name="acme",
            billing_profile_id=profile.id,
            price_per_cycle=Decimal("99.00"),
            **fields,
        )
        return Actor(agency.id, "U0OWNER", Role.OWNER)


def _acme(sessions: sessionmaker[Session]) -> Account:
    with sessions() as session:
        return session.scalars(select(Account).where(Account.name == "acme")).one()


def test_downgrade_scheduled_in_edit_is_the_plan_the_billing_run_renews(
    sessions: sessionmaker[Session], ports: AccountPorts, gateway: SimulatedGateway, catalog: Catalog
) -> None:
    """A downgrade from Edit waits for the renewal; the billing run then charges and applies it."""
    owner = _agency(sessions)
    with SqlUnitOfWork(sessions) as uow:
        done = change_plan(uow, ports, owner, "acme", STARTER, request_key="k", reason="smaller list")
    assert done.effect == "at_renewal" and _acme(sessions).tier == "plus"
    run_billing(sessions, gateway, catalog, ports.clock, day=DAY)
    account = _acme(sessions)
    assert (account.tier, account.contacts, account.pending_change) == ("starter", 1000, None)
    assert [amount for _, amount, _ in gateway.charges] == [Decimal("19.00")]
    assert account.price_per_cycle == Decimal("19.00")


def test_seat_removal_scheduled_under_plan_is_applied_at_renewal(
    sessions: sessionmaker[Session], ports: AccountPorts, gateway: SimulatedGateway, catalog: Catalog
) -> None:
    """Seats removed wait as `{"plan": {"seats": n}}`; the renewal applies them."""
    _agency(sessions, seats=5, pending_change={"kind": "downgrade", "plan": {"seats": 3}})
    run_billing(sessions, gateway, catalog, ports.clock, day=DAY)
    account = _acme(sessions)
    assert account.seats == 3 and account.pending_change is None


def test_manual_renewal_reads_a_partial_scheduled_change(
    sessions: sessionmaker[Session], ports: AccountPorts
) -> None:
    """A cancelled account with seats scheduled for removal can still be previewed for renewal."""
    owner = _agency(
        sessions, status="cancelled", seats=5, pending_change={"kind": "downgrade", "plan": {"seats": 3}}
    )
    with SqlUnitOfWork(sessions) as uow:
        preview = preview_renewal(uow, ports, owner, "acme")
    assert preview.choice.seats == 3 and preview.choice.tier == "plus"


def test_transfer_out_is_not_confirmed_once_branding_is_back(
    sessions: sessionmaker[Session], ports: AccountPorts
) -> None:
    """Branding put back on after the request: the owner's confirmation is refused, still pending."""
    owner = _agency(sessions)
    with SqlUnitOfWork(sessions) as uow:
        transfer_id = transfers.request_transfer_out(uow, ports, owner, "acme", None).id
    with SqlUnitOfWork(sessions) as uow:
        set_account_branding(uow, ports, owner, "acme", branding=Branding(name="Agency"), custom_domain=None)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Conflict) as refused:
        transfers.confirm_transfer(uow, ports, owner, transfer_id)
    assert "branding" in refused.value.message
    with sessions() as session:
        transfer = session.get(Transfer, transfer_id)
        assert transfer is not None and transfer.status == "pending"
