"""Seat services against the real database (SQLite, or PostgreSQL from DATABASE_URL)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain import operations
from domain.accounts import provisioning  # noqa: F401 - registers the provisioning handlers
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.errors import Forbidden, PaymentDeclined
from domain.roles import Role
from domain.seats.members import add_members, make_admin, remove_member, replace_member
from domain.seats.new_subscription import NewSubscription
from domain.seats.rules import LicensesExhausted
from domain.seats.subscribe import create_subscription
from domain.seats.topup import confirm_topup, quote_topup, reduce_seats
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Agency, AuditEntry, Invoice, Notice, SeatMember
from domain.store.uow import SqlUnitOfWork
from tests.factories import make_account, make_agency, make_profile

OWNER = "U0OWNER"


def _setup(sessions: sessionmaker[Session], licenses: int = 3, **fields: Any) -> tuple[Actor, int, str]:
    with sessions() as session:
        agency = make_agency(session)
        profile = make_profile(session, agency, fields.pop("behaviour", "success"))
        values: dict[str, Any] = {
            "product": "business-licenses",
            "tier": "licenses",
            "contacts": None,
            "seats": licenses,
            "frequency": "annual",
            "period_start": date(2026, 11, 10),
            "period_end": date(2027, 11, 10),
            "billing_profile_id": profile.id,
            "provider_ref": "acc_test",
            "vat_number": "FR40303265045",
        }
        values.update(fields)
        account = make_account(session, agency, **values)
        session.commit()
        return Actor(agency.id, OWNER, Role.OWNER), profile.id, account.name


@pytest.fixture
def provider() -> SimulatedProvider:
    provider = SimulatedProvider()
    provider.accounts["acc_test"] = {"name": "x", "members": []}
    return provider


def _count(engine: Engine, model: Any, *where: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_add_remove_replace_and_audit(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, provider: SimulatedProvider
) -> None:
    """Members take licenses, removing frees one at once (expiry unchanged), replace swaps in one step."""
    actor, _, name = _setup(sessions, licenses=2)
    with SqlUnitOfWork(sessions) as uow:
        done = add_members(uow, clock, provider, actor, name=name, emails="ana@x.io ANA@x.io bo@x.io")
    assert done.added == ("ana@x.io", "bo@x.io") and done.free == 0
    assert [e[2] for e in provider.events if e[0] == "invite"] == ["ana@x.io", "bo@x.io"]
    assert _count(db, Notice, Notice.kind == "license_pool_full") == 1
    with SqlUnitOfWork(sessions) as uow, pytest.raises(LicensesExhausted):
        add_members(uow, clock, provider, actor, name=name, emails="cy@x.io")
    with SqlUnitOfWork(sessions) as uow:
        replace_member(uow, clock, provider, actor, name=name, old="Bo@x.io", new="cy@x.io")
    with SqlUnitOfWork(sessions) as uow:
        assert remove_member(uow, clock, actor, name, "ana@x.io") == 1
    with Session(db) as session:
        account = session.scalars(select(Account).where(Account.name == name)).one()
        assert account.period_end == date(2027, 11, 10)
        assert [m.email for m in session.scalars(select(SeatMember))] == ["cy@x.io"]
    with Session(db) as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"seats.members_added", "seats.member_replaced", "seats.member_removed"} <= actions


def test_topup_is_charged_once_under_retry(
    db: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    catalog: Catalog,
    gateway: SimulatedGateway,
) -> None:
    """The same confirm twice (double click, Slack retry) is one charge and one license increase."""
    actor, _, name = _setup(sessions, licenses=3)
    results = []
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            results.append(confirm_topup(uow, catalog, clock, gateway, actor, name=name, extra=2, nonce="n1"))
    assert [r.repeated for r in results] == [False, True]
    assert len(gateway.charges) == 1
    assert _count(db, Invoice, Invoice.kind == "topup") == 1
    with Session(db) as session:
        assert session.scalars(select(Account.seats).where(Account.name == name)).one() == 5
        invoice = session.scalars(select(Invoice)).one()
    # 2026-11-25 to 2027-11-10: 12 whole months left, 12.00 per license per month, reverse charge.
    assert invoice.total == Decimal("288.00") and invoice.tax == Decimal("0.00")


def test_bank_transfer_topup_waits_as_awaiting_transfer(
    db: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    catalog: Catalog,
    gateway: SimulatedGateway,
) -> None:
    """Paid by transfer: the invoice waits, nothing goes to the card, the licenses are there."""
    actor, _, name = _setup(sessions, licenses=1, payment_method="transfer", billing_profile_id=None)
    with SqlUnitOfWork(sessions) as uow:
        done = confirm_topup(uow, catalog, clock, gateway, actor, name=name, extra=1, nonce="t1")
    assert done.invoice_status == "awaiting_transfer" and done.total_after == 2
    assert gateway.charges == []


def _new(**fields: Any) -> NewSubscription:
    values: dict[str, Any] = {
        "customer_name": "Ana Lima",
        "email": "Ana@Acme.example",
        "company": "Acme SARL",
        "country": "fr",
        "vat_number": None,
        "licenses": 3,
        "frequency": "annual",
        "payment_method": "card",
        "billing_profile_id": None,
        "nonce": "new-1",
    }
    values.update(fields)
    return NewSubscription(**values)


def test_new_subscription_is_an_account_charged_once(
    db: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    catalog: Catalog,
    gateway: SimulatedGateway,
    provider: SimulatedProvider,
) -> None:
    """The same submission twice creates one per-seat account and one first-cycle invoice."""
    actor, profile, _ = _setup(sessions)
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            done = create_subscription(
                uow, catalog, clock, provider, gateway, actor=actor, data=_new(billing_profile_id=profile)
            )
    assert done.repeated and done.account == "acme-sarl" and done.invoice_status == "paid"
    # Provisioned at the vendor after the answer, by its vendor operation (SPEC §9 Slow vendors).
    swept = operations.sweep(sessions, AccountPorts(clock, catalog, provider, gateway))
    assert [(o.kind, o.state, o.secret) for o in swept] == [("provision_seats", "succeeded", None)]
    with Session(db) as session:
        account = session.scalars(select(Account).where(Account.name == "acme-sarl")).one()
        assert (account.tier, account.seats, account.client_email) == ("licenses", 3, "ana@acme.example")
        assert account.period_end == date(2027, 11, 25) and account.provider_ref
    assert _count(db, Invoice, Invoice.kind == "first_cycle") == 1 and len(gateway.charges) == 1
    # 1 active paid account before it: no discount; 3 × 12.00 × 12 + 20% French VAT.
    assert gateway.charges[0][1] == Decimal("518.40")


def test_declined_card_creates_nothing(
    db: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    catalog: Catalog,
    gateway: SimulatedGateway,
    provider: SimulatedProvider,
) -> None:
    """A declined first charge leaves no account and nothing provisioned."""
    actor, profile, _ = _setup(sessions, behaviour="declined")
    with SqlUnitOfWork(sessions) as uow, pytest.raises(PaymentDeclined):
        create_subscription(
            uow, catalog, clock, provider, gateway, actor=actor, data=_new(billing_profile_id=profile)
        )
    assert _count(db, Account, Account.name == "acme-sarl") == 0
    assert not [e for e in provider.events if e[0] == "provision"]


def test_admin_sets_discount_loss_pending_and_needs_money_role(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, provider: SimulatedProvider
) -> None:
    """A manager manages members but cannot make a client administrator; an owner can."""
    actor, _, name = _setup(sessions)
    manager = Actor(actor.agency_id, "U0MGR", Role.MANAGER)
    with SqlUnitOfWork(sessions) as uow:
        add_members(uow, clock, provider, manager, name=name, emails="ana@x.io")
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Forbidden):
        make_admin(uow, clock, manager, name, "ana@x.io")
    with SqlUnitOfWork(sessions) as uow:
        make_admin(uow, clock, actor, name, "ana@x.io")
    with Session(db) as session:
        account = session.scalars(select(Account).where(Account.name == name)).one()
        assert account.discount_loss_pending and account.discount_eligible
        assert session.scalars(select(SeatMember.is_admin)).one()


def test_viewer_cannot_add_members(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, provider: SimulatedProvider
) -> None:
    """Viewers read only."""
    actor, _, name = _setup(sessions)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Forbidden):
        add_members(
            uow, clock, provider, Actor(actor.agency_id, "U0V", Role.VIEWER), name=name, emails="a@x.io"
        )


def test_user_seats_on_contact_tiered_plans(
    db: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    catalog: Catalog,
    gateway: SimulatedGateway,
) -> None:
    """Adding seats is a prorated upgrade charged now; removing waits for the renewal."""
    actor, profile, _ = _setup(sessions)
    with sessions() as session:
        from domain.store.models import Agency

        agency = session.get(Agency, actor.agency_id)
        assert agency is not None
        name = make_account(session, agency, billing_profile_id=profile).name
        session.commit()
    with SqlUnitOfWork(sessions) as uow:
        done = confirm_topup(uow, catalog, clock, gateway, actor, name=name, extra=2, nonce="u1")
    assert done.invoice_status == "paid" and Decimal(done.total) > 0
    with SqlUnitOfWork(sessions) as uow:
        offer = reduce_seats(uow, catalog, clock, actor, name=name, fewer=1, reason="team shrank")
    assert offer.effect == "at_renewal" and offer.today == Decimal("0.00")
    with Session(db) as session:
        account = session.scalars(select(Account).where(Account.name == name)).one()
        assert account.pending_change and account.pending_change["plan"]["seats"] == done.total_after - 1
        assert account.seats == done.total_after


def test_parallel_adds_never_overbook_the_last_licenses(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, provider: SimulatedProvider
) -> None:
    """Many adds at once against 2 free licenses: exactly 2 succeed, on SQLite and on PostgreSQL."""
    actor, _, name = _setup(sessions, licenses=3)
    with SqlUnitOfWork(sessions) as uow:
        add_members(uow, clock, provider, actor, name=name, emails="first@x.io")
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def add(n: int) -> None:
        start.wait()
        try:
            with SqlUnitOfWork(sessions) as uow:
                add_members(uow, clock, provider, actor, name=name, emails=f"m{n}@x.io")
            outcome = "added"
        except LicensesExhausted:
            outcome = "full"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes).count("added") == 2 and len(outcomes) == 12
    assert _count(db, SeatMember) == 3
    assert _count(db, Notice, Notice.kind == "license_pool_full") == 1


def test_topup_quote_after_an_admin_says_the_renewal_loses_the_discount(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """Today's top-up keeps the discount, but the quote says what the subscription costs without it
    from its next renewal, as `/seats admin` warned."""
    actor, _, name = _setup(sessions, licenses=3, discount_loss_pending=True)
    with sessions.begin() as session:
        agency = session.get_one(Agency, actor.agency_id)
        make_account(session, agency)  # two active paid accounts: 25%
    with SqlUnitOfWork(sessions) as uow:
        offer = quote_topup(uow, catalog, clock, actor, name=name, extra=1).quote
    # 4 licenses × 144.00 a year = 576.00; 25% off = 432.00 now, 576.00 from the renewal.
    assert offer.per_cycle == Decimal("432.00")
    note = offer.notes[0]
    assert note.params == {"date": date(2027, 11, 10), "amount": Decimal("576.00")}
