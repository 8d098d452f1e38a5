"""Vendor operations on a real database (SQLite, and PostgreSQL with DATABASE_URL): a refusal voids
the charge and frees the name, a 429 is retried after its backoff, a crash is resumed and the account
the vendor already made is adopted, two runners never both run one, a double submission is one
account, and the one-time password is stored nowhere."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain import operations
from domain.accounts.common import AccountPorts
from domain.accounts.provisioning import add_account_now
from domain.accounts.service import add_account
from domain.agency import Actor
from domain.clock import FixedClock
from domain.ports import ProviderError, Provisioned, ProvisionRequest
from domain.roles import Role
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, AuditEntry, Invoice, LedgerEntry, VendorOperation
from domain.store.uow import SqlUnitOfWork
from tests.integration.test_accounts_services import command, setup  # noqa: F401 - fixture

OWNER = "U0OWNER"


class ScriptedProvider(SimulatedProvider):
    """The simulated vendor, answering each `provision` with the next scripted failure, if any."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[ProviderError] = []
        self.calls = 0

    def provision(self, request: ProvisionRequest) -> Provisioned:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return super().provision(request)


@pytest.fixture
def provider() -> ScriptedProvider:
    return ScriptedProvider()


def count(db: Engine, model: type) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def op_of(sessions: sessionmaker[Session], op_id: int) -> VendorOperation:
    with sessions() as session:
        op = session.get(VendorOperation, op_id)
        assert op is not None
        return op


def test_a_refusal_voids_the_charge_and_frees_the_name(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
    gateway: SimulatedGateway,
) -> None:
    """The vendor refuses the client email: the operation fails at once (no retry) naming the field,
    the card is refunded, the invoice is void, the account row is gone and the name can be used again."""
    ports, agency_id, profile_id = setup
    owner = Actor(agency_id, OWNER, Role.OWNER)
    provider.failures.append(ProviderError("email is not valid at the vendor", field="client_email"))
    with SqlUnitOfWork(sessions) as uow:
        _, outcome = add_account_now(uow, ports, owner, command(profile_id))
    assert outcome is not None and outcome.state == "failed" and outcome.error_field == "client_email"
    assert provider.calls == 1 and count(db, Account) == 0
    with sessions() as session:
        invoice = session.scalars(select(Invoice)).one()
        assert invoice.status == "void" and invoice.account_id is None
        assert session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "account.add_failed")
        ).one()
    assert gateway.refunds == [(invoice.gateway_ref, Decimal("99.00"))]
    with SqlUnitOfWork(sessions) as uow:
        again, done = add_account_now(uow, ports, owner, command(profile_id, key="nonce-2"))
    assert done is not None and done.state == "succeeded" and again.status == "active"


def test_prepaid_credit_drawn_goes_back_on_a_refusal(
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
    clock: FixedClock,
) -> None:
    from domain import ledger

    ports, agency_id, profile_id = setup
    with sessions() as session:
        ledger.append(
            session,
            agency_id=agency_id,
            pool="prepaid",
            amount=Decimal("60.00"),
            kind="purchase",
            actor=OWNER,
            at=clock.now(),
        )
        session.commit()
    provider.failures.append(ProviderError("refused"))
    with SqlUnitOfWork(sessions) as uow:
        add_account_now(uow, ports, Actor(agency_id, OWNER, Role.OWNER), command(profile_id))
    with sessions() as session:
        assert ledger.balance(session, agency_id, "prepaid") == Decimal("60.00")
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 3


def test_a_429_is_retried_after_its_backoff_and_makes_one_account(
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
    clock: FixedClock,
    gateway: SimulatedGateway,
) -> None:
    ports, agency_id, profile_id = setup
    provider.failures.append(ProviderError("429 Too Many Requests", retryable=True))
    with SqlUnitOfWork(sessions) as uow:
        added, outcome = add_account_now(uow, ports, Actor(agency_id, OWNER, Role.OWNER), command(profile_id))
    assert outcome is not None and outcome.state == "pending" and added.status == "creating"
    assert operations.run(sessions, ports, outcome.operation_id) is None  # not due before its backoff
    clock.advance(timedelta(seconds=31))
    assert operations.due(sessions, clock.now()) == [outcome.operation_id]
    later = operations.sweep(sessions, ports)
    assert [o.state for o in later] == ["succeeded"] and later[0].secret
    assert provider.calls == 2 and len(provider.accounts) == 1 and len(gateway.charges) == 1
    assert op_of(sessions, outcome.operation_id).attempts == 2


def test_retryable_failures_are_bounded(
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
    clock: FixedClock,
) -> None:
    ports, agency_id, profile_id = setup
    provider.failures += [ProviderError("timeout", retryable=True) for _ in range(operations.MAX_ATTEMPTS)]
    with SqlUnitOfWork(sessions) as uow:
        _, outcome = add_account_now(uow, ports, Actor(agency_id, OWNER, Role.OWNER), command(profile_id))
    assert outcome is not None
    states = [outcome.state]
    for _ in range(operations.MAX_ATTEMPTS - 1):
        clock.advance(timedelta(hours=2))
        states += [o.state for o in operations.sweep(sessions, ports)]
    assert states == ["pending"] * (operations.MAX_ATTEMPTS - 1) + ["failed"]


def test_a_crash_mid_way_is_resumed_and_the_vendors_account_adopted(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
    clock: FixedClock,
    gateway: SimulatedGateway,
) -> None:
    """A runner claimed it, the vendor created the account, the runner died before writing: once the
    lease expires another runner adopts that account (no second one), with a new password."""
    ports, agency_id, profile_id = setup
    with SqlUnitOfWork(sessions) as uow:
        added = add_account(uow, ports, Actor(agency_id, OWNER, Role.OWNER), command(profile_id))
    assert added.operation_id is not None and added.status == "creating"
    assert operations.claim(sessions, added.operation_id, "dead-runner", clock.now())
    provider.provision(
        ProvisionRequest(
            name="acme-shop",
            client_name="",
            notification_email="",
            country="FR",
            region="eu",
            language="en",
            timezone="UTC",
            plan={},
            password="lost-with-the-crash",
        )
    )
    assert operations.run(sessions, ports, added.operation_id) is None  # the lease still holds
    clock.advance(operations.LEASE + timedelta(seconds=1))
    outcome = operations.run(sessions, ports, added.operation_id)
    assert outcome is not None and outcome.state == "succeeded" and outcome.secret
    assert len(provider.accounts) == 1 and provider.calls == 1 and len(gateway.charges) == 1
    assert (
        "set_password",
        outcome.result["login_url"] and next(iter(provider.accounts)),
        None,
    ) in provider.events
    with sessions() as session:
        assert session.scalars(select(Account.status)).one() == "active"


def test_two_runners_racing_run_it_once(
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
    clock: FixedClock,
) -> None:
    ports, agency_id, profile_id = setup
    with SqlUnitOfWork(sessions) as uow:
        added = add_account(uow, ports, Actor(agency_id, OWNER, Role.OWNER), command(profile_id))
    assert added.operation_id is not None
    start = threading.Barrier(2)
    results: list[object] = []

    def runner() -> None:
        start.wait()
        results.append(operations.run(sessions, ports, added.operation_id or 0))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r is None for r in results) == [False, True] and provider.calls == 1


def test_a_double_submission_is_one_operation_one_account_one_charge(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    gateway: SimulatedGateway,
    provider: ScriptedProvider,
) -> None:
    ports, agency_id, profile_id = setup
    owner = Actor(agency_id, OWNER, Role.OWNER)
    with SqlUnitOfWork(sessions) as uow:
        first = add_account(uow, ports, owner, command(profile_id))
    with SqlUnitOfWork(sessions) as uow:
        again = add_account(uow, ports, owner, command(profile_id))
    assert first.operation_id == again.operation_id and not again.first_delivery
    assert operations.sweep(sessions, ports)[0].state == "succeeded"
    assert operations.sweep(sessions, ports) == []
    assert count(db, VendorOperation) == 1 and count(db, Account) == 1 and len(gateway.charges) == 1
    assert provider.calls == 1


def test_the_password_is_stored_nowhere_and_never_logged(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    ports, agency_id, profile_id = setup
    caplog.set_level(logging.DEBUG)
    with SqlUnitOfWork(sessions) as uow:
        added, _ = add_account_now(uow, ports, Actor(agency_id, OWNER, Role.OWNER), command(profile_id))
    assert added.password and len(added.password) >= 16
    meta = MetaData()
    meta.reflect(db)
    with db.connect() as conn:
        dump = "".join(str(row) for table in meta.sorted_tables for row in conn.execute(table.select()))
    assert "acme-shop" in dump and added.password not in dump
    assert added.password not in caplog.text


def test_a_template_import_that_stopped_is_resumed_and_imports_nothing_twice(
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
    clock: FixedClock,
) -> None:
    """A runner died after importing into one account of three: after its lease the sweep imports
    the other two and skips the first; a second sweep finds nothing to do."""
    from domain import templates
    from domain.accounts.filters import parse_filters
    from domain.store.models import Agency, TemplateImport
    from tests.factories import make_account

    ports, agency_id, _ = setup
    owner = Actor(agency_id, OWNER, Role.OWNER)
    link = "https://crm.example/share/welcome"
    with sessions.begin() as session:
        agency = session.get(Agency, agency_id)
        for name in ("one", "two", "three"):
            make_account(session, agency, name=name, provider_ref=f"acc_{name}")
    with SqlUnitOfWork(sessions) as uow:
        op = templates.request_import(
            uow, owner, link, "status:active", key="held-1", now=clock.now(), notify={}
        )
        op_id = op.id
    assert operations.claim(sessions, op_id, "dead-runner", clock.now())
    with SqlUnitOfWork(sessions) as uow:
        first = templates.targets(uow, owner, parse_filters(["status:active"]))[0]
        templates.import_one(uow, ports, owner, first, link)
    assert operations.sweep(sessions, ports) == []  # the lease still holds
    clock.advance(operations.LEASE + timedelta(seconds=1))
    [outcome] = operations.sweep(sessions, ports)
    results = templates.results_of(outcome.result)
    assert sorted(r.status for r in results) == ["imported", "imported", "skipped"]
    assert operations.sweep(sessions, ports) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(TemplateImport)) == 3


def test_a_snapshot_request_is_one_operation_however_retried(
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
) -> None:
    from domain.accounts import snapshots
    from domain.store.models import Agency, Snapshot
    from tests.factories import make_account

    ports, agency_id, _ = setup
    owner = Actor(agency_id, OWNER, Role.OWNER)
    with sessions.begin() as session:
        make_account(session, session.get(Agency, agency_id), name="acme", provider_ref="acc_acme")
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            snapshots.request_snapshot(uow, ports, owner, "acme", key="trigger-1", notify={})
    assert [o.state for o in operations.sweep(sessions, ports)] == ["succeeded"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_a_deadlock_while_recording_the_answer_is_tried_again_without_a_second_vendor_call(
    db: Engine,
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
    gateway: SimulatedGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Measured in `make bench` on PostgreSQL: a runner's status update met a submission's in the
    status counters. The vendor's answer is in hand: recording it is tried again at once, the vendor is
    not called twice, and the lease is not left to expire."""
    from sqlalchemy.exc import OperationalError

    ports, agency_id, profile_id = setup
    handler = operations.HANDLERS["provision_account"]
    real_record = handler.record
    failures = [OperationalError("UPDATE accounts", {}, Exception("deadlock detected"))]

    def record_once_deadlocked(*args: object, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return real_record(*args, **kwargs)

    monkeypatch.setattr(handler, "record", record_once_deadlocked)
    with SqlUnitOfWork(sessions) as uow:
        _, outcome = add_account_now(uow, ports, Actor(agency_id, OWNER, Role.OWNER), command(profile_id))
    assert outcome is not None and outcome.state == "succeeded" and outcome.secret
    assert provider.calls == 1 and len(provider.accounts) == 1 and len(gateway.charges) == 1
    assert op_of(sessions, outcome.operation_id).state == "succeeded" and count(db, Account) == 1
