"""Billing history (SPEC §7): invoices per agency and per account, bank transfers marked paid, and
the cards declined since an account's last paid invoice (a renewal card never offers them first)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import audit
from domain.agency import Actor
from domain.clock import Clock
from domain.credits import find_account
from domain.errors import Conflict, InvalidInput, NotFound
from domain.i18n import N_, Word
from domain.roles import Permission
from domain.store.models import Account, Invoice
from domain.store.uow import SqlUnitOfWork
from domain.taxes import REVERSE_CHARGE

HISTORY_LIMIT = 25
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    account_name: str | None
    account_vat_number: str | None = None

    @property
    def reverse_charge_vat_number(self) -> str | None:
        """The customer's VAT number when the invoice is an EU reverse charge (no VAT charged), else None.

        Read from the invoice's reverse-charge line; invoices written before they kept that line
        (first cycles, top-ups) fall back on the account's VAT number when no tax was charged.
        """
        for line in self.invoice.lines or []:
            if line.get("label") == REVERSE_CHARGE:
                return str((line.get("params") or {}).get("vat_number") or self.account_vat_number or "")
        if self.account_vat_number and not self.invoice.tax and self.invoice.kind in VAT_KINDS:
            return self.account_vat_number
        return None


VAT_KINDS = ("first_cycle", "renewal", "topup", "upgrade")


def parse_month(text: str) -> date:
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(N_("Write the month as YYYY-MM, like 2026-11."), field="month")
    return date(int(match.group(1)), int(match.group(2)), 1)


def is_month(text: str) -> bool:
    return bool(_MONTH.match(text.strip()))


def history(
    uow: SqlUnitOfWork, actor: Actor, *, account_name: str | None = None, month: date | None = None
) -> list[InvoiceRow]:
    """The latest invoices first; a month is in UTC, the zone invoices are stamped in."""
    actor.require(Permission.READ)
    query = (
        select(Invoice, Account.name, Account.vat_number)
        .outerjoin(Account, Account.id == Invoice.account_id)
        .where(Invoice.agency_id == actor.agency_id)
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
        .limit(HISTORY_LIMIT)
    )
    if account_name:
        account = find_account(uow.session, actor.agency_id, account_name)
        query = query.where(Invoice.account_id == account.id)
    if month is not None:
        start = datetime(month.year, month.month, 1, tzinfo=UTC)
        query = query.where(Invoice.created_at >= start, Invoice.created_at < start + relativedelta(months=1))
    return [InvoiceRow(invoice, name, vat) for invoice, name, vat in uow.session.execute(query)]


def get_invoice(uow: SqlUnitOfWork, actor: Actor, number: str) -> InvoiceRow:
    actor.require(Permission.READ)
    row = uow.session.execute(
        select(Invoice, Account.name, Account.vat_number)
        .outerjoin(Account, Account.id == Invoice.account_id)
        .where(Invoice.agency_id == actor.agency_id, Invoice.number == number.strip().upper())
    ).first()
    if row is None:
        raise NotFound(
            N_("There is no invoice {number}. `/billing history` lists them."), field="invoice", number=number
        )
    return InvoiceRow(row[0], row[1], row[2])


def mark_paid(uow: SqlUnitOfWork, clock: Clock, actor: Actor, number: str) -> InvoiceRow:
    """An owner or billing member records that a bank transfer arrived; twice is harmless."""
    actor.require(Permission.SPEND_MONEY)
    row = get_invoice(uow, actor, number)
    invoice = row.invoice
    if invoice.status == "paid" and invoice.payment_method == "transfer":
        return row
    if invoice.status != "awaiting_transfer":
        raise Conflict(
            N_("Invoice {number} is {status}: only invoices awaiting a bank transfer can be marked paid."),
            number=invoice.number,
            status=Word(invoice.status.replace("_", " ")),
        )
    invoice.status = "paid"
    invoice.paid_at = clock.now()
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="invoice.marked_paid",
        target=invoice.number,
        before={"status": "awaiting_transfer"},
        after={"status": "paid", "total": str(invoice.total)},
    )
    uow.commit()
    return row


def declined_profiles(session: Session, account: Account) -> dict[int, date]:
    """Billing profiles whose charge for `account` was declined since its last paid invoice, with the
    day of the latest decline: a renewal card never offers them first."""
    invoices = session.scalars(
        select(Invoice)
        .where(Invoice.agency_id == account.agency_id, Invoice.account_id == account.id)
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
        .limit(50)
    ).all()
    declined: dict[int, date] = {}
    for invoice in invoices:
        if invoice.status != "failed":
            break
        if invoice.billing_profile_id is not None:
            declined.setdefault(invoice.billing_profile_id, invoice.created_at.date())
    return declined
