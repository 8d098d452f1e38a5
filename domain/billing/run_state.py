"""What one agency's billing run carries from batch to batch, shared by the run and its batches.

Why its own module: the run (`domain.billing.run`) creates the batches (`domain.billing.batch`), and
each batch reads the run's ports and day, keeps its discount-tier count current as it expires
accounts, and writes the run's report lines. With that state and the balances both read here, the
run imports the batch and the batch imports only this module: no import cycle between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from domain import ledger
from domain.catalog import Catalog
from domain.clock import Clock
from domain.jobs import JobReport
from domain.money import ZERO
from domain.ports import PaymentGateway, Provider
from domain.store.models import LedgerEntry
from domain.store.uow import SqlUnitOfWork

MAX_LINES = 200
"""Readable lines one run reports; the counts stay complete beyond them."""


@dataclass(frozen=True)
class AgencyRow:
    id: int
    currency: str
    timezone: str


class RunState:
    """One agency's run: its ports, its day, and the count of active paid accounts that sets the tier."""

    def __init__(
        self,
        gateway: PaymentGateway,
        catalog: Catalog,
        clock: Clock,
        *,
        agency: AgencyRow,
        day: date,
        provider: Provider,
    ) -> None:
        self.provider = provider
        self.gateway = gateway
        self.catalog = catalog
        self.clock = clock
        self.agency = agency
        self.day = day
        self.count = 0

    @staticmethod
    def line(report: JobReport, text: str) -> None:
        if len(report.lines) < MAX_LINES:
            report.lines.append(text)
        elif len(report.lines) == MAX_LINES:
            report.lines.append("… (more lines left out; the counts above are complete)")


class Balances:
    """Earmarks of the batch's accounts and the general prepaid pool, read once under the lock."""

    def __init__(self, uow: SqlUnitOfWork, agency_id: int, account_ids: Sequence[int]) -> None:
        session = uow.session
        self.general = ledger.balance(session, agency_id, "prepaid")
        rows = session.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
            .where(
                LedgerEntry.agency_id == agency_id,
                LedgerEntry.pool == "prepaid",
                LedgerEntry.account_id.in_(account_ids),
            )
            .group_by(LedgerEntry.account_id)
        )
        self.earmarks = {int(a): Decimal(t or 0).quantize(Decimal("0.01")) for a, t in rows if a is not None}

    def of(self, account_id: int) -> tuple[Decimal, Decimal]:
        return self.earmarks.get(account_id, ZERO), self.general

    def spend(self, account_id: int, draw: ledger.Draw) -> None:
        self.earmarks[account_id] = self.earmarks.get(account_id, ZERO) - draw.from_earmark
        self.general -= draw.from_general
