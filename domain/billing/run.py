"""The daily billing run (SPEC §7): every account due is charged once for its next cycle.

Why it is shaped this way:
- Due accounts are taken in batches by keyset on id (`BATCH` at a time, full rows for only those),
  so memory stays flat however large the portfolio is.
- Each batch is one transaction (`domain.billing.batch`): the agency is locked once, balances and
  cards are read once, and rows are written in bulk. Every renewal keeps its own idempotency key
  `renewal:{account}:{period_end}`, so a run that dies half-way and is started again charges nobody
  twice (a rolled-back batch is charged again with the same keys, which the gateway answers with
  its first result; an invoice already recorded for a key is reused).
- The discount tier's count is read at the start of each batch and kept current as the run expires
  accounts, instead of a COUNT(*) per account over the whole portfolio.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from domain.billing.batch import Batch
from domain.billing.renewal import describe_plan, next_charge
from domain.billing.run_state import AgencyRow, Balances, RunState
from domain.catalog import Catalog
from domain.clock import Clock, agency_clock, today
from domain.jobs import JobReport
from domain.ledger import lock_agency
from domain.money import ZERO
from domain.portfolio import PAID_STATUSES, count_active_paid
from domain.ports import PaymentGateway, Provider
from domain.simulated import SimulatedProvider
from domain.store.models import Account, Agency
from domain.store.suspended import LIVE, note_skipped
from domain.store.uow import SqlUnitOfWork
from domain.vendor_billing import billing_vendor

BATCH = 500
MAX_CATCH_UP = 24
"""Cycles one run may charge for one account that the job missed (a stopped scheduler)."""


def run_billing(
    sessions: sessionmaker[Session],
    gateway: PaymentGateway,
    catalog: Catalog,
    clock: Clock,
    *,
    day: date | None = None,
    dry_run: bool = False,
    provider: Provider | None = None,
) -> JobReport:
    """Charge every account whose renewal is due on or before `day` (each agency's own today).

    `provider` is the default provider (the simulated one when not given): an account whose vendor
    bills the agency is recorded as billed by the vendor, never charged (`domain.vendor_billing`)."""
    report = JobReport("billing" + (" (dry run)" if dry_run else ""), day or today(clock))
    with sessions() as session:
        agencies = [
            AgencyRow(row.id, row.currency, row.timezone)
            for row in session.execute(select(Agency.id, Agency.currency, Agency.timezone).where(LIVE))
        ]
        note_skipped(session, report)
    for agency in agencies:
        local = agency_clock(clock, agency.timezone)
        run = AgencyRun(
            sessions,
            gateway,
            catalog,
            local,
            agency=agency,
            day=day or today(local, agency.timezone),
            provider=provider or SimulatedProvider(),
        )
        run.bill(report, dry_run=dry_run)
    return report


def _due(agency_id: int, day: date) -> tuple[ColumnElement[bool], ...]:
    return (
        Account.agency_id == agency_id,
        Account.period_end <= day,
        Account.status.in_(PAID_STATUSES),
        Account.pricing_version == "V3",
        Account.is_commission.is_(False),
        Account.plan_to_confirm.is_(False),  # imported with a plan to set first (migration 0010_c)
    )


class AgencyRun(RunState):
    """One agency's run over its due accounts, batch after batch, each in its own transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: PaymentGateway,
        catalog: Catalog,
        clock: Clock,
        *,
        agency: AgencyRow,
        day: date,
        provider: Provider,
    ) -> None:
        super().__init__(gateway, catalog, clock, agency=agency, day=day, provider=provider)
        self.sessions = sessions

    def due(self, session: Session, after: int) -> list[Account]:
        return list(
            session.scalars(
                select(Account)
                .where(*_due(self.agency.id, self.day), Account.id > after)
                .order_by(Account.id)
                .limit(BATCH)
            )
        )

    def bill(self, report: JobReport, *, dry_run: bool) -> None:
        last = 0
        while True:
            with SqlUnitOfWork(self.sessions) as uow:
                if not dry_run:
                    lock_agency(uow.session, self.agency.id)
                accounts = self.due(uow.session, last)
                if not accounts:
                    return
                self.count = count_active_paid(uow.session, self.agency.id)
                if dry_run:
                    self.preview(uow, accounts, report)
                    uow.rollback()
                else:
                    Batch(self, uow, accounts).bill(accounts, report, MAX_CATCH_UP)
                    uow.commit()
                last = accounts[-1].id

    def preview(self, uow: SqlUnitOfWork, accounts: list[Account], report: JobReport) -> None:
        balances = Balances(uow, self.agency.id, [a.id for a in accounts])
        for account in accounts:
            vendor = billing_vendor(self.provider, account.product)
            nxt = next_charge(
                uow.session,
                self.catalog,
                account,
                active_paid_count=self.count,
                balances=(ZERO, ZERO) if vendor is not None else balances.of(account.id),
            )
            report.count("would_charge")
            if vendor is not None:
                self.line(
                    report,
                    f"{account.name}: {nxt.total} {self.agency.currency} for {describe_plan(nxt.choice)} "
                    f"{nxt.period_start.isoformat()} to {nxt.period_end.isoformat()} "
                    f"(billed by {vendor or 'the vendor'}, discount {nxt.reseller_percent}%)",
                )
                continue
            self.line(
                report,
                f"{account.name}: {nxt.total} {self.agency.currency} for {describe_plan(nxt.choice)} "
                f"{nxt.period_start.isoformat()} to {nxt.period_end.isoformat()} "
                f"(credit {nxt.draw.from_credit}, card {nxt.draw.from_card}, "
                f"discount {nxt.reseller_percent}%)",
            )
