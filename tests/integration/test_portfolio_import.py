"""Importing the vendor's portfolio on a real database (SQLite, or PostgreSQL from DATABASE_URL):
2,500 accounts at 100 a page, twice; plans to confirm; a vendor failure mid-way; one run at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain import portfolio_import
from domain.accounts.changes import change_plan, preview_plan_change
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.errors import Conflict, Forbidden
from domain.plans import PlanChoice
from domain.ports import Capability, VendorAccount
from domain.roles import Role
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Agency, AuditEntry, BillingProfile, Invoice, PortfolioImport
from domain.store.uow import SqlUnitOfWork
from tests.factories import make_account, make_agency, make_profile
from tests.vendor import FlakyProvider, seed_vendor


@pytest.fixture
def owner(db: Engine, sessions: sessionmaker[Session]) -> Actor:
    with sessions.begin() as session:
        agency = make_agency(session)
        make_profile(session, agency)
        return Actor(agency.id, "U0OWNER", Role.OWNER)


def _import(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    catalog: Catalog,
    provider: SimulatedProvider,
    actor: Actor,
    key: str,
) -> portfolio_import.ImportState:
    with SqlUnitOfWork(sessions) as uow:
        started = portfolio_import.start(uow, clock, provider, actor, request_key=key, channel="C0TEST")
    assert started.run
    seen: list[portfolio_import.ImportState] = []
    state = portfolio_import.run(
        lambda: SqlUnitOfWork(sessions),
        clock,
        catalog,
        provider,
        actor,
        import_id=started.state.id,
        progress=seen.append,
    )
    assert [s.next_page for s in seen] == list(range(started.state.next_page + 1, state.next_page + 1))
    return state


def _count(sessions: sessionmaker[Session], *where: object) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Account).where(*where)) or 0)  # type: ignore[arg-type]


def test_importing_2500_accounts_twice_adds_them_once(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """25 pages of 100; every 50th plan unreadable (50 to confirm); the second import adds nothing."""
    provider = SimulatedProvider()
    seed_vendor(provider, 2500, unreadable_every=50)
    first = _import(sessions, clock, catalog, provider, owner, "one")
    assert (first.status, first.added, first.existing, first.skipped, first.to_confirm) == (
        "done",
        2500,
        0,
        0,
        50,
    )
    assert (first.total, first.total_pages) == (2500, 25)
    assert _count(sessions) == 2500
    assert _count(sessions, Account.plan_to_confirm.is_(True)) == 50
    second = _import(sessions, clock, catalog, provider, owner, "two")
    assert (second.status, second.added, second.existing, second.skipped) == ("done", 0, 2500, 0)
    assert _count(sessions) == 2500
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0  # never charged at import
        audited = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "account.imported")
        )
        assert audited == 2500
        account = session.scalars(select(Account).where(Account.name == "vend-00001")).one()
        assert (account.provider_ref, account.status, account.tier, account.contacts) == (
            "acc_vend_00001",
            "active",
            "plus",
            2500,
        )
        assert account.period_end > clock.now().date()
    with SqlUnitOfWork(sessions) as uow:
        names, total = portfolio_import.plans_to_confirm(uow, owner)
    assert total == 50
    assert names[0] == "vend-00050"


def test_a_vendor_failure_mid_way_resumes_without_duplicates(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """A 503 on page 7 stops the import there with the reason; `/agency import` again resumes at page 7."""
    provider = FlakyProvider(fail_page=7)
    seed_vendor(provider, 2500)
    stopped = _import(sessions, clock, catalog, provider, owner, "one")
    assert (stopped.status, stopped.next_page, stopped.added) == ("interrupted", 7, 600)
    assert "503" in (stopped.failure or "")
    assert _count(sessions) == 600
    resumed = _import(sessions, clock, catalog, provider, owner, "two")
    assert resumed.id == stopped.id
    assert (resumed.status, resumed.added, resumed.existing) == ("done", 2500, 0)
    assert provider.pages.count(1) == 1  # resumed at page 7, not from the start
    assert _count(sessions) == 2500
    with sessions() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("portfolio.%"))))
    assert actions == {
        "portfolio.import_started",
        "portfolio.import_interrupted",
        "portfolio.import_resumed",
        "portfolio.imported",
    }


def test_a_page_done_twice_adds_nothing(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """A crash after the accounts were written but before the progress was: redoing the page adds nothing."""
    provider = SimulatedProvider()
    seed_vendor(provider, 150)
    page = provider.list_accounts(1, 100).accounts
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            portfolio_import.import_page(uow, clock, catalog, owner, page)
            uow.commit()
    assert _count(sessions) == 100


def test_one_import_at_a_time_and_a_retry_starts_nothing(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    provider = SimulatedProvider()
    with SqlUnitOfWork(sessions) as uow:
        first = portfolio_import.start(uow, clock, provider, owner, request_key="k1", channel=None)
    with SqlUnitOfWork(sessions) as uow:
        retry = portfolio_import.start(uow, clock, provider, owner, request_key="k1", channel=None)
    with SqlUnitOfWork(sessions) as uow:
        other = portfolio_import.start(uow, clock, provider, owner, request_key="k2", channel=None)
    assert first.run and not retry.run and not other.run
    assert retry.state.id == other.state.id == first.state.id
    clock.advance(portfolio_import.LEASE + timedelta(seconds=1))  # the first process died
    with SqlUnitOfWork(sessions) as uow:
        taken = portfolio_import.start(uow, clock, provider, owner, request_key="k3", channel=None)
    assert taken.run and taken.resumed and taken.state.id == first.state.id
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PortfolioImport)) == 1


def test_only_owners_import_and_only_from_a_vendor_that_lists(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    manager = Actor(owner.agency_id, "U0MANAGER", Role.MANAGER)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Forbidden):
        portfolio_import.start(uow, clock, SimulatedProvider(), manager, request_key="k", channel=None)
    blind = SimulatedProvider()
    blind.capabilities = frozenset(set(Capability) - {Capability.LIST_ACCOUNTS})
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Conflict):
        portfolio_import.start(uow, clock, blind, owner, request_key="k", channel=None)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PortfolioImport)) == 0


def test_period_and_renewal_day_come_from_the_vendor_creation_day(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """Created 2025-03-31 monthly: today (2026-11-25) falls in the cycle 2026-10-31 → 2026-11-30;
    annual (ActiveCampaign's products with billing_interval 12): 2026-03-31 → 2027-03-31; archived ones skipped."""
    created = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
    annual = {
        "products": [{"code": "marketing", "tier": "professional", "entitlements": {"contacts": 5000}}],
        "billing_interval": 12,
    }
    page = [
        VendorAccount(
            "r1",
            "monthly-one",
            "Ann Client",
            "ann@client.example",
            created,
            False,
            {"products": [{"code": "marketing", "tier": "plus"}]},
        ),
        VendorAccount("r2", "annual-one", "Bob", "not-an-email", created, False, annual),
        VendorAccount("r3", "gone-one", "", "", created, True, None),
        VendorAccount("r4", "Bad_Name!", "", "", created, False, None),
    ]
    with SqlUnitOfWork(sessions) as uow:
        outcome = portfolio_import.import_page(uow, clock, catalog, owner, page)
        uow.commit()
    assert outcome.added == 2
    assert [reason for _, reason in outcome.skipped or []] == [
        portfolio_import.ARCHIVED,
        portfolio_import.BAD_NAME,
    ]
    with sessions() as session:
        monthly = session.scalars(select(Account).where(Account.name == "monthly-one")).one()
        yearly = session.scalars(select(Account).where(Account.name == "annual-one")).one()
    assert (monthly.period_start, monthly.period_end, monthly.renewal_day) == (
        date(2026, 10, 31),
        date(2026, 11, 30),
        31,
    )
    assert (monthly.client_name, monthly.client_email, monthly.plan_to_confirm) == (
        "Ann Client",
        "ann@client.example",
        False,
    )
    assert (yearly.frequency, yearly.tier, yearly.contacts) == ("annual", "professional", 5000)
    assert (yearly.period_start, yearly.period_end, yearly.client_email) == (
        date(2026, 3, 31),
        date(2027, 3, 31),
        "",
    )


def test_plans_to_confirm_are_not_billed_until_set_through_edit(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """The billing run leaves a plan-to-confirm account alone; Edit sets its plan without a charge
    (quote says nothing today), and from then on it renews like any account."""
    provider = SimulatedProvider()
    seed_vendor(provider, 3, unreadable_every=3)
    _import(sessions, clock, catalog, provider, owner, "one")
    with sessions.begin() as session:
        profile = session.scalars(select(BillingProfile.id)).one()
        for account in session.scalars(select(Account)):
            account.billing_profile_id = profile
            account.period_end = clock.now().date()
    report = run_billing(sessions, SimulatedGateway(), catalog, clock)
    assert report.counts.get("charged") == 2
    with sessions() as session:
        charged = set(session.scalars(select(Account.name).join(Invoice, Invoice.account_id == Account.id)))
    assert charged == {"vend-00001", "vend-00002"}
    ports = AccountPorts(clock, catalog, provider, SimulatedGateway())
    choice = PlanChoice("V3", "marketing", tier="starter", contacts=1000)
    with SqlUnitOfWork(sessions) as uow:
        q = preview_plan_change(uow, ports, owner, "vend-00003", choice)
    assert (q.effect, q.today) == ("at_renewal", Decimal("0.00"))
    with SqlUnitOfWork(sessions) as uow:
        done = change_plan(uow, ports, owner, "vend-00003", choice, request_key="edit-1")
    assert done.charged == Decimal("0.00")
    with sessions() as session:
        account = session.scalars(select(Account).where(Account.name == "vend-00003")).one()
        assert (account.plan_to_confirm, account.tier, account.contacts) == (False, "starter", 1000)
        assert (
            session.scalar(select(func.count()).select_from(Invoice).where(Invoice.account_id == account.id))
            == 0
        )
        assert (
            session.scalar(select(AuditEntry.id).where(AuditEntry.action == "account.plan_confirmed"))
            is not None
        )
    report = run_billing(sessions, SimulatedGateway(), catalog, clock)
    assert report.counts.get("charged") == 1


def test_a_desk_account_of_the_same_name_counts_as_already_there(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """By name when the desk's account has no vendor reference; another reference is skipped, with why."""
    with sessions.begin() as session:
        agency = session.get_one(Agency, owner.agency_id)
        make_account(session, agency, name="vend-00001", provider_ref=None)
        make_account(session, agency, name="vend-00002", provider_ref="acc_elsewhere")
    provider = SimulatedProvider()
    seed_vendor(provider, 3)
    state = _import(sessions, clock, catalog, provider, owner, "one")
    assert (state.added, state.existing, state.skipped) == (1, 1, 1)
    assert state.skipped_items == (("vend-00002", portfolio_import.OTHER_REFERENCE),)
