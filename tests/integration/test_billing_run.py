"""The billing run on a real database: each account due is charged once, on its own day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain import ledger
from domain.billing.renewal import next_charge
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.ports import ChargeResult
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Agency, BillingProfile, Invoice, Notice
from tests.e2e.test_agency_http import row_counts
from tests.factories import make_account, make_agency, make_profile

DAY = date(2026, 12, 10)
T = datetime(2026, 11, 1, tzinfo=UTC)


def _setup(
    sessions: sessionmaker[Session], n: int = 2, behaviour: str = "success", **fields: Any
) -> list[int]:
    with sessions.begin() as s:
        agency = make_agency(s)
        profile = make_profile(s, agency, behaviour)
        return [make_account(s, agency, billing_profile_id=profile.id, **fields).id for _ in range(n)]


def _credit(sessions: sessionmaker[Session], amount: str, account_id: int | None = None) -> None:
    with sessions.begin() as s:
        agency_id = s.scalars(select(Agency.id)).one()
        ledger.append(
            s,
            agency_id=agency_id,
            pool="prepaid",
            amount=Decimal(amount),
            kind="purchase",
            actor="test",
            at=T,
            account_id=account_id,
        )


def _account(sessions: sessionmaker[Session], account_id: int) -> Account:
    with sessions() as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account


def test_due_accounts_are_charged_once_and_a_rerun_charges_nobody(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """Two plus 2,500 accounts due: 99.00 less 25% each; the same run again charges nothing more."""
    ids = _setup(sessions)
    with sessions.begin() as s:
        agency = s.scalars(select(Agency)).one()
        make_account(s, agency, period_end=date(2026, 12, 11))  # not due yet
        make_account(s, agency, pricing_version="V1", product="EM", tier="trial", status="trial")
        make_account(s, agency, is_commission=True)
        make_account(s, agency, status="cancelled")
    report = run_billing(sessions, gateway, catalog, clock, day=DAY)
    assert report.counts == {"charged": 2}
    assert [amount for _, amount, _ in gateway.charges] == [Decimal("74.25")] * 2
    again = run_billing(sessions, gateway, catalog, clock, day=DAY)
    assert again.counts == {}
    assert len(gateway.charges) == 2
    account = _account(sessions, ids[0])
    assert (account.period_start, account.period_end) == (DAY, date(2027, 1, 10))
    assert account.price_per_cycle == Decimal("74.25") and account.cycles_billed == 2
    with sessions() as s:
        invoice = s.scalars(select(Invoice).where(Invoice.account_id == ids[0])).one()
    assert invoice.kind == "renewal" and invoice.card_charged == Decimal("74.25")
    assert invoice.idempotency_key == f"renewal:{ids[0]}:2026-12-10"
    assert [line["amount"] for line in invoice.lines] == ["99.00", "-24.75"]


def test_credit_is_drawn_first_earmark_then_general_then_card(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """50 earmarked and 10 general pay 60 of 74.25; the card pays the remaining 14.25."""
    ids = _setup(sessions)
    _credit(sessions, "50", ids[0])
    _credit(sessions, "10")
    run_billing(sessions, gateway, catalog, clock, day=DAY)
    with sessions() as s:
        invoice = s.scalars(select(Invoice).where(Invoice.account_id == ids[0])).one()
        agency_id = invoice.agency_id
        assert ledger.balance(s, agency_id, "prepaid", ids[0]) == Decimal("0.00")
        assert ledger.balance(s, agency_id, "prepaid") == Decimal("0.00")
    assert (invoice.credit_used, invoice.card_charged) == (Decimal("60.00"), Decimal("14.25"))
    assert sorted(amount for _, amount, _ in gateway.charges) == [Decimal("14.25"), Decimal("74.25")]


def test_declined_card_expires_the_account_and_queues_charge_failed(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """A decline: the account is expired with the reason, one charge_failed notice carries the renewal."""
    ids = _setup(sessions, n=1, behaviour="declined")
    report = run_billing(sessions, gateway, catalog, clock, day=DAY)
    run_billing(sessions, gateway, catalog, clock, day=DAY)
    assert report.counts == {"expired": 1}
    account = _account(sessions, ids[0])
    assert account.status == "expired" and "insufficient funds" in (account.status_reason or "")
    assert account.period_end == DAY
    with sessions() as s:
        notices = list(s.scalars(select(Notice)))
    assert len(notices) == 1 and notices[0].kind == "charge_failed" and notices[0].due_on == DAY
    assert notices[0].payload["amount"] == "99.00" and notices[0].payload["account"] == account.name


def test_network_failure_is_retried_on_the_next_run_not_declined(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """A retryable failure leaves the account active and due; the next run charges it."""
    ids = _setup(sessions, n=1, behaviour="network")
    assert run_billing(sessions, gateway, catalog, clock, day=DAY).counts == {"retry": 1}
    assert _account(sessions, ids[0]).status == "active"
    with sessions.begin() as s:
        for profile in s.scalars(select(BillingProfile)):
            profile.token = "tok_sim_success_recovered"  # the card network is back
    assert run_billing(sessions, gateway, catalog, clock, day=DAY).counts == {"charged": 1}


def test_dry_run_writes_nothing_and_says_what_would_be_charged(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """--dry-run: same amounts as the real run, no row written, no card charged."""
    _setup(sessions)
    before = row_counts(db)
    report = run_billing(sessions, gateway, catalog, clock, day=DAY, dry_run=True)
    assert report.counts == {"would_charge": 2} and "74.25" in report.lines[0]
    assert row_counts(db) == before and gateway.charges == []


def test_tier_is_counted_when_each_charge_is_computed(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """Alone, an account pays list price; once an earlier renewal in the run expires, the tier drops."""
    with sessions.begin() as s:
        agency = make_agency(s)
        bad, good = make_profile(s, agency, "declined"), make_profile(s, agency, "success")
        make_account(s, agency, billing_profile_id=bad.id)
        second = make_account(s, agency, billing_profile_id=good.id).id
    run_billing(sessions, gateway, catalog, clock, day=DAY)
    assert _account(sessions, second).price_per_cycle == Decimal("99.00")


def test_scheduled_downgrade_migration_discount_and_discount_loss_apply_at_renewal(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """The pending change is the plan renewed; migration covers cycle 2 of 2; the admin rule ends the
    reseller discount from this renewal on."""
    ids = _setup(
        sessions,
        pending_change={"contacts": 1000, "tier": "plus"},
        migration_percent=Decimal("10"),
        migration_cycles=2,
        discount_loss_pending=True,
    )
    run_billing(sessions, gateway, catalog, clock, day=DAY)
    account = _account(sessions, ids[0])
    # plus 1,000 is 59.00; 10% migration = 53.10; no reseller discount.
    assert account.contacts == 1000 and account.pending_change is None
    assert account.price_per_cycle == Decimal("53.10")
    assert account.discount_eligible is False and account.discount_loss_pending is False
    with sessions() as s:
        nxt = next_charge(s, catalog, account)
    assert nxt.per_cycle == Decimal("59.00") and nxt.cycle_number == 3


def test_annual_accounts_and_catch_up_after_missed_runs(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """An annual account renews for a year; a monthly one two cycles behind is charged twice, once each."""
    with sessions.begin() as s:
        agency = make_agency(s)
        profile = make_profile(s, agency)
        annual = make_account(s, agency, frequency="annual", billing_profile_id=profile.id).id
        late = make_account(
            s,
            agency,
            billing_profile_id=profile.id,
            period_start=date(2026, 10, 10),
            period_end=date(2026, 11, 10),
        ).id
    run_billing(sessions, gateway, catalog, clock, day=DAY)
    assert _account(sessions, annual).period_end == date(2027, 12, 10)
    assert _account(sessions, late).period_end == date(2027, 1, 10)
    with sessions() as s:
        assert s.scalar(select(func.count(Invoice.id)).where(Invoice.account_id == late)) == 2


def test_transfer_subscriptions_wait_for_the_transfer(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """Per-seat on bank transfer: the renewal invoice waits as awaiting_transfer; no card is charged."""
    _setup(
        sessions,
        n=1,
        product="business-licenses",
        tier="licenses",
        contacts=None,
        seats=5,
        payment_method="transfer",
        country="US",
    )
    report = run_billing(sessions, gateway, catalog, clock, day=DAY)
    assert report.counts == {"awaiting_transfer": 1} and gateway.charges == []


class _DiesAfterCharging(SimulatedGateway):
    """The card is charged, then the process dies before the database commits."""

    def __init__(self, inner: SimulatedGateway) -> None:
        super().__init__()
        self.inner = inner

    def charge(self, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        self.inner.charge(token, amount, currency, idempotency_key)
        raise SystemExit("killed")


def test_a_run_interrupted_after_the_card_charge_charges_nobody_twice(
    db: Engine,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """Killed between the card and the commit, then run again: the gateway key makes it one charge."""
    _setup(sessions, n=1)
    with pytest.raises(SystemExit):
        run_billing(sessions, _DiesAfterCharging(gateway), catalog, clock, day=DAY)
    assert run_billing(sessions, gateway, catalog, clock, day=DAY).counts == {"charged": 1}
    assert len(gateway.charges) == 1
