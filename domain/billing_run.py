"""The daily billing run (SPEC §7): every account due is charged once for its next cycle.

Why it is shaped this way:
- Each account is renewed in its own transaction with the idempotency key
  `renewal:{account}:{period_end}`, so a run that dies half-way and is started again charges nobody
  twice (the charge path returns the existing invoice, and the gateway gets the same key).
- Accounts are streamed by keyset on id, reading only ids per batch, so memory stays flat however
  large the portfolio is.
- The discount tier's count is taken at the start of each batch and kept current as the run expires
  accounts, instead of a COUNT(*) per account over the whole portfolio.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from domain import audit, outbox
from domain.catalog import Catalog
from domain.charges import ChargeRequest, charge
from domain.clock import Clock, today
from domain.errors import InvalidInput, NotFound, PaymentUnavailable
from domain.jobs import JobReport
from domain.ledger import lock_agency
from domain.portfolio import PAID_STATUSES, count_active_paid
from domain.ports import PaymentGateway
from domain.renewal import NextCharge, apply_renewal, describe_plan, next_charge
from domain.store.models import Account, Agency
from domain.store.uow import SqlUnitOfWork

__all__ = ["NextCharge", "next_charge", "run_billing"]

BATCH = 500
MAX_LINES = 200
MAX_CATCH_UP = 24
"""Cycles one run may charge for one account that the job missed (a stopped scheduler)."""


@dataclass(frozen=True)
class _AgencyRow:
    id: int
    currency: str
    timezone: str


def run_billing(
    sessions: sessionmaker[Session],
    gateway: PaymentGateway,
    catalog: Catalog,
    clock: Clock,
    *,
    day: date | None = None,
    dry_run: bool = False,
) -> JobReport:
    """Charge every account whose renewal is due on or before `day` (each agency's own today)."""
    report = JobReport("billing" + (" (dry run)" if dry_run else ""), day or today(clock))
    with sessions() as session:
        agencies = [
            _AgencyRow(row.id, row.currency, row.timezone)
            for row in session.execute(select(Agency.id, Agency.currency, Agency.timezone))
        ]
    for agency in agencies:
        run = _AgencyRun(
            sessions, gateway, catalog, clock, agency=agency, day=day or today(clock, agency.timezone)
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
    )


class _AgencyRun:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: PaymentGateway,
        catalog: Catalog,
        clock: Clock,
        *,
        agency: _AgencyRow,
        day: date,
    ) -> None:
        self.sessions = sessions
        self.gateway = gateway
        self.catalog = catalog
        self.clock = clock
        self.agency = agency
        self.day = day
        self.count = 0

    def batches(self) -> Iterator[list[int]]:
        last = 0
        while True:
            with self.sessions() as session:
                ids = list(
                    session.scalars(
                        select(Account.id)
                        .where(*_due(self.agency.id, self.day), Account.id > last)
                        .order_by(Account.id)
                        .limit(BATCH)
                    )
                )
                if ids:
                    self.count = count_active_paid(session, self.agency.id)
            if not ids:
                return
            yield ids
            last = ids[-1]

    def bill(self, report: JobReport, *, dry_run: bool) -> None:
        for ids in self.batches():
            for account_id in ids:
                if dry_run:
                    self.preview(account_id, report)
                    continue
                for _ in range(MAX_CATCH_UP):
                    outcome = self.renew(account_id, report)
                    if outcome != "charged":
                        break

    def preview(self, account_id: int, report: JobReport) -> None:
        with self.sessions() as session:
            account = session.get(Account, account_id)
            if account is None:
                return
            nxt = next_charge(session, self.catalog, account, self.day, active_paid_count=self.count)
            report.count("would_charge")
            _line(
                report,
                f"{account.name}: {nxt.total} {self.agency.currency} for {describe_plan(nxt.choice)} "
                f"{nxt.period_start.isoformat()} to {nxt.period_end.isoformat()} "
                f"(credit {nxt.draw.from_credit}, card {nxt.draw.from_card}, "
                f"discount {nxt.reseller_percent}%)",
            )
            session.rollback()

    def renew(self, account_id: int, report: JobReport) -> str:
        """One account, one cycle, one transaction; returns the outcome counted in the report."""
        with SqlUnitOfWork(self.sessions) as uow:
            session = uow.session
            lock_agency(session, self.agency.id)
            account = session.scalars(
                select(Account).where(Account.id == account_id, *_due(self.agency.id, self.day))
            ).first()
            if account is None:
                return "done"  # renewed meanwhile (another instance, or caught up), or no longer billed
            nxt = next_charge(session, self.catalog, account, self.day, active_paid_count=self.count)
            request = ChargeRequest(
                agency_id=self.agency.id,
                kind="renewal",
                lines=nxt.lines,
                subtotal=nxt.per_cycle,
                tax=nxt.tax,
                idempotency_key=f"renewal:{account.id}:{account.period_end.isoformat()}",
                actor="system",
                currency=self.agency.currency,
                account_id=account.id,
                billing_profile_id=account.billing_profile_id,
                payment_method="transfer" if account.payment_method == "transfer" else "card",
                period_start=nxt.period_start,
                period_end=nxt.period_end,
            )
            try:
                invoice = charge(session, self.gateway, self.clock, request)
            except PaymentUnavailable:
                uow.rollback()
                report.count("retry")
                _line(report, f"{account.name}: payment network unavailable, retried on the next run")
                return "retry"
            except (InvalidInput, NotFound) as exc:
                uow.rollback()
                return self.fail_without_invoice(account_id, nxt, str(exc), report)
            if invoice.status == "failed":
                self.expire(uow, account, nxt, invoice.failure or "declined", invoice.number)
                uow.commit()
                report.count("expired")
                _line(report, f"{account.name}: declined ({invoice.failure}), account expired")
                return "expired"
            before = apply_renewal(account, nxt)
            audit.record(
                uow,
                self.clock,
                agency_id=self.agency.id,
                actor="system",
                action="account.renewed",
                target=account.name,
                before=before,
                after={
                    "period_end": account.period_end.isoformat(),
                    "price_per_cycle": str(account.price_per_cycle),
                    "invoice": invoice.number,
                },
            )
            uow.commit()
            outcome = "awaiting_transfer" if invoice.status == "awaiting_transfer" else "charged"
            report.count(outcome)
            _line(
                report,
                f"{account.name}: {invoice.number} {invoice.total} {invoice.currency} "
                f"(credit {invoice.credit_used}, card {invoice.card_charged}, {invoice.status})",
            )
            return "charged" if outcome == "charged" else outcome

    def fail_without_invoice(self, account_id: int, nxt: NextCharge, reason: str, report: JobReport) -> str:
        """No card to charge (none set, or deleted): the renewal failed like a decline."""
        with SqlUnitOfWork(self.sessions) as uow:
            account = uow.session.get(Account, account_id)
            if account is None:
                return "done"
            self.expire(uow, account, nxt, reason, None)
            uow.commit()
            report.count("expired")
            _line(report, f"{account.name}: {reason}; account expired")
            return "expired"

    def expire(
        self, uow: SqlUnitOfWork, account: Account, nxt: NextCharge, reason: str, invoice: str | None
    ) -> None:
        now = self.clock.now()
        before = {"status": account.status}
        account.status = "expired"
        account.status_changed_at = now
        account.status_reason = f"renewal charge failed: {reason}"
        self.count = max(0, self.count - 1)
        outbox.enqueue(
            uow.session,
            agency_id=account.agency_id,
            kind="charge_failed",
            due_on=self.day,
            now=now,
            account_id=account.id,
            payload={
                "account": account.name,
                "amount": str(nxt.total),
                "currency": self.agency.currency,
                "reason": reason,
                "invoice": invoice,
                "billing_profile_id": account.billing_profile_id,
                "period_start": nxt.period_start.isoformat(),
                "period_end": nxt.period_end.isoformat(),
                "plan": describe_plan(nxt.choice),
            },
        )
        audit.record(
            uow,
            self.clock,
            agency_id=account.agency_id,
            actor="system",
            action="account.expired",
            target=account.name,
            before=before,
            after={"status": "expired"},
            reason=account.status_reason,
        )


def _line(report: JobReport, text: str) -> None:
    if len(report.lines) < MAX_LINES:
        report.lines.append(text)
    elif len(report.lines) == MAX_LINES:
        report.lines.append("… (more lines left out; the counts above are complete)")
