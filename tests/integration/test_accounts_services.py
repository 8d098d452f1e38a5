"""Account services on a real database: add charges once, credit before card, renew, lifecycle job."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain import ledger
from domain.accounts.common import AccountPorts
from domain.accounts.provisioning import add_account_now
from domain.accounts.service import AddAccount, AddedAccount
from domain.agency import Actor
from domain.billing.manual_renewal import renew
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.errors import Conflict, Forbidden
from domain.lifecycle import run_transitions
from domain.plans import PlanChoice
from domain.roles import Role
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, AuditEntry, Invoice, Notice
from domain.store.uow import SqlUnitOfWork
from tests.factories import make_account, make_agency, make_profile

PLUS = PlanChoice(version="V3", product="marketing", tier="plus", contacts=2500, frequency="monthly")


@pytest.fixture
def setup(
    db: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    catalog: Catalog,
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
) -> tuple[AccountPorts, int, int]:
    with sessions() as session:
        agency = make_agency(session)
        profile = make_profile(session, agency)
        ids = agency.id, profile.id
        session.commit()
    return AccountPorts(clock, catalog, provider, gateway), *ids


def command(
    profile_id: int | None, key: str = "nonce-1", plan: PlanChoice = PLUS, name: str = "acme-shop"
) -> AddAccount:
    return AddAccount(
        request_key=key,
        name=name,
        client_name="Acme",
        client_email="boss@acme.example",
        notification_email="ops@agency.example",
        country="FR",
        language="fr",
        timezone="Europe/Paris",
        plan=plan,
        billing_profile_id=profile_id,
    )


def add_account(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, cmd: AddAccount) -> AddedAccount:
    """Record the account and run its vendor operation at once, as the runner does after the ack."""
    return add_account_now(uow, ports, actor, cmd)[0]


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_add_charges_once_under_retry(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],
    gateway: SimulatedGateway,
) -> None:
    """The same submission twice: one account, one invoice, one card charge; the retry shows no password."""
    ports, agency_id, profile_id = setup
    owner = Actor(agency_id, "U0OWNER", Role.OWNER)
    with SqlUnitOfWork(sessions) as uow:
        first = add_account(uow, ports, owner, command(profile_id))
    with SqlUnitOfWork(sessions) as uow:
        again = add_account(uow, ports, owner, command(profile_id))
    assert first.password and len(first.password) >= 16 and again.password is None
    assert first.account_id == again.account_id and first.invoice_number == again.invoice_number
    assert count(db, Account) == 1 and count(db, Invoice) == 1 and len(gateway.charges) == 1
    assert first.total == Decimal("99.00") and first.status == "active"
    with sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "account.added")).one()
        assert first.password not in str(entry.after)


def test_credit_is_drawn_before_the_card(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],
    clock: FixedClock,
    gateway: SimulatedGateway,
) -> None:
    """With $60 of prepaid credit, a $99 first cycle takes $60 from credit and $39 from the card."""
    ports, agency_id, profile_id = setup
    with sessions() as session:
        ledger.append(
            session,
            agency_id=agency_id,
            pool="prepaid",
            amount=Decimal("60.00"),
            kind="purchase",
            actor="U0OWNER",
            at=clock.now(),
        )
        session.commit()
    with SqlUnitOfWork(sessions) as uow:
        added = add_account(uow, ports, Actor(agency_id, "U0OWNER", Role.OWNER), command(profile_id))
    assert (added.credit_used, added.card_charged) == (Decimal("60.00"), Decimal("39.00"))
    assert gateway.charges[-1][1] == Decimal("39.00")


def test_manager_adds_trials_but_not_paid_accounts(
    sessions: sessionmaker[Session], setup: tuple[AccountPorts, int, int]
) -> None:
    """A manager may add a free trial (14 days); a paid account needs owner or billing. Nothing written."""
    ports, agency_id, profile_id = setup
    manager = Actor(agency_id, "U0MGR", Role.MANAGER)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Forbidden):
        add_account(uow, ports, manager, command(profile_id))
    trial = PlanChoice(version="V1", product="EM", level="trial")
    with SqlUnitOfWork(sessions) as uow:
        added = add_account(uow, ports, manager, command(None, key="t", plan=trial, name="trial-one"))
    assert added.status == "trial" and added.period_end == date(2026, 12, 9) and added.invoice_number is None


def test_renew_expired_account_charges_once(
    db: Engine, sessions: sessionmaker[Session], setup: tuple[AccountPorts, int, int]
) -> None:
    """An expired account purchased after 2023-01-03 renews from today; a double click charges once."""
    ports, agency_id, profile_id = setup
    with sessions() as session:
        from domain.store.models import Agency

        make_account(
            session,
            session.get(Agency, agency_id),
            name="old-one",
            status="expired",
            period_end=date(2026, 11, 10),
            billing_profile_id=profile_id,
            purchased_on=date(2024, 2, 1),
        )
        session.commit()
    billing = Actor(agency_id, "U0BILL", Role.BILLING)
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            done = renew(uow, ports, billing, "old-one", request_key="k1", billing_profile_id=None)
    assert done.period_start == date(2026, 11, 25) and done.period_end == date(2026, 12, 25)
    assert count(db, Invoice) == 1
    with sessions() as session:
        account = session.scalars(select(Account).where(Account.name == "old-one")).one()
        assert account.status == "active" and account.cycles_billed == 2


def test_renew_refusals(sessions: sessionmaker[Session], setup: tuple[AccountPorts, int, int]) -> None:
    """Old purchase expired, or archived over a year: refused with the reason; managers cannot renew."""
    ports, agency_id, _ = setup
    from domain.store.models import Agency

    with sessions() as session:
        agency = session.get(Agency, agency_id)
        assert agency is not None
        make_account(session, agency, name="legacy", status="expired", purchased_on=date(2022, 5, 1))
        make_account(session, agency, name="dusty", status="archived", archived_on=date(2025, 1, 1))
        session.commit()
    owner = Actor(agency_id, "U0OWNER", Role.OWNER)
    for name, words in (("legacy", "Edit"), ("dusty", "never")):
        with SqlUnitOfWork(sessions) as uow, pytest.raises(Conflict) as info:
            renew(uow, ports, owner, name, request_key=name, billing_profile_id=None)
        assert words in info.value.message
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Forbidden):
        renew(
            uow,
            ports,
            Actor(agency_id, "U0MGR", Role.MANAGER),
            "legacy",
            request_key="m",
            billing_profile_id=None,
        )


def test_lifecycle_job_twice_is_the_same(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, setup: tuple[AccountPorts, int, int]
) -> None:
    """Trial end and cancelled period end → expired (one notice each), expired 30 days → archived; twice = once."""
    _, agency_id, _ = setup
    from domain.store.models import Agency

    long_ago = datetime(2026, 10, 1, tzinfo=UTC)
    with sessions() as session:
        agency = session.get(Agency, agency_id)
        assert agency is not None
        make_account(
            session,
            agency,
            name="trial-end",
            pricing_version="V1",
            product="EM",
            tier="trial",
            status="trial",
            period_end=date(2026, 11, 25),
        )
        make_account(
            session,
            agency,
            name="trial-later",
            pricing_version="V1",
            product="EM",
            tier="trial",
            status="trial",
            period_end=date(2026, 11, 26),
        )
        make_account(session, agency, name="cancel-end", status="cancelled", period_end=date(2026, 11, 20))
        make_account(
            session,
            agency,
            name="long-expired",
            status="expired",
            period_end=date(2026, 10, 1),
            status_changed_at=long_ago,
        )
        make_account(
            session,
            agency,
            name="fresh-expired",
            status="expired",
            period_end=date(2026, 11, 1),
            status_changed_at=clock.now() - timedelta(days=5),
        )
        session.commit()
    first = run_transitions(sessions, clock)
    second = run_transitions(sessions, clock)
    assert first.counts == {"trial→expired": 1, "cancelled→expired": 1, "expired→archived": 1}
    assert second.counts == {}
    with sessions() as session:
        statuses = dict(session.execute(select(Account.name, Account.status)).all())
        archived_on = session.scalar(select(Account.archived_on).where(Account.name == "long-expired"))
        kinds = sorted(session.scalars(select(Notice.kind)))
    assert statuses == {
        "trial-end": "expired",
        "trial-later": "trial",
        "cancel-end": "expired",
        "long-expired": "archived",
        "fresh-expired": "expired",
    }
    assert archived_on == date(2026, 11, 25)
    assert kinds == ["cancelled_ended", "trial_ended"]


def test_renew_button_drops_the_discount_after_an_admin_and_adds_vat(
    db: Engine, sessions: sessionmaker[Session], setup: tuple[AccountPorts, int, int]
) -> None:
    """Renewing by hand is a renewal too: a client admin ends the reseller discount from it on, and a
    per-seat subscription in the EU without a VAT number pays its country's VAT, as in the billing run."""
    ports, agency_id, profile_id = setup
    with sessions() as session:
        from domain.store.models import Agency

        agency = session.get_one(Agency, agency_id)
        for _ in range(2):  # two active paid accounts: a 25% tier the subscription would otherwise get
            make_account(session, agency, billing_profile_id=profile_id)
        make_account(
            session,
            agency,
            name="berg",
            product="business-licenses",
            tier="licenses",
            contacts=None,
            seats=5,
            plan_size=5,
            country="DE",
            status="expired",
            period_end=date(2026, 11, 10),
            billing_profile_id=profile_id,
            discount_loss_pending=True,
        )
        session.commit()
    owner = Actor(agency_id, "U0OWNER", Role.OWNER)
    with SqlUnitOfWork(sessions) as uow:
        done = renew(uow, ports, owner, "berg", request_key="k-berg", billing_profile_id=None)
    # 5 licenses × 12.00 monthly, no reseller discount, plus 19% German VAT.
    assert done.total == Decimal("71.40")
    with sessions() as session:
        account = session.scalars(select(Account).where(Account.name == "berg")).one()
        assert account.discount_eligible is False and account.discount_loss_pending is False
        invoice = session.scalars(select(Invoice).where(Invoice.number == done.invoice_number)).one()
        assert invoice.tax == Decimal("11.40") and invoice.subtotal == Decimal("60.00")


def test_renew_of_a_cancelled_account_needs_the_choice_to_undo_it(
    sessions: sessionmaker[Session], setup: tuple[AccountPorts, int, int], gateway: SimulatedGateway
) -> None:
    """SPEC §4: a cancelled account is renewed only by an explicit choice. Without it the service
    refuses and charges nothing, whoever calls it (a stale card, an approval); with it the account is
    active, its cancellation reason cleared, and the undoing audited with the reason."""
    ports, agency_id, profile_id = setup
    from domain.store.models import Agency

    with sessions() as session:
        agency = session.get(Agency, agency_id)
        assert agency is not None
        make_account(
            session,
            agency,
            name="leaver",
            status="cancelled",
            status_reason="client leaving",
            billing_profile_id=profile_id,
        )
        session.commit()
    owner = Actor(agency_id, "U0OWNER", Role.OWNER)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Conflict) as info:
        renew(uow, ports, owner, "leaver", request_key="k-leaver", billing_profile_id=None)
    assert "undoes the cancellation" in info.value.message and not gateway.charges
    with SqlUnitOfWork(sessions) as uow:
        renew(
            uow,
            ports,
            owner,
            "leaver",
            request_key="k-leaver",
            billing_profile_id=None,
            undo_cancellation=True,
        )
    with sessions() as session:
        account = session.scalars(select(Account).where(Account.name == "leaver")).one()
        assert account.status == "active" and account.status_reason is None
        undone = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "account.cancellation_undone")
        ).one()
        assert undone.reason == "client leaving" and undone.target == "leaver"
    assert len(gateway.charges) == 1
