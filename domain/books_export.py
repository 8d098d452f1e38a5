"""The agency's books as CSV (issue 17 §3): accounts, invoices and the ledger, for spreadsheets.

Pure row builders (money as plain decimal strings with the currency in its own column, dates ISO,
user-typed cells guarded against spreadsheet formulas) and the queries that feed them. Invoices and
ledger entries are filtered by a UTC month; accounts are as of now.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.agency import Actor
from domain.roles import Permission
from domain.store.models import Account, Agency, Invoice, LedgerEntry
from domain.store.uow import SqlUnitOfWork

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ACCOUNT_COLUMNS = (
    "name",
    "client_name",
    "client_email",
    "company",
    "country",
    "vat_number",
    "product",
    "tier",
    "contacts",
    "seats",
    "frequency",
    "status",
    "period_start",
    "period_end",
    "price_per_cycle",
    "client_price",
    "client_price_per",
    "currency",
    "payment_method",
    "created_at",
)
INVOICE_COLUMNS = (
    "number",
    "date",
    "account",
    "kind",
    "status",
    "subtotal",
    "tax",
    "total",
    "credit_used",
    "card_charged",
    "currency",
    "payment_method",
    "billed_by",
    "period_start",
    "period_end",
    "paid_at",
)
LEDGER_COLUMNS = ("id", "date", "pool", "account", "kind", "amount", "currency", "unit", "reason", "invoice")


def safe(text: str | None) -> str:
    """A cell a user typed: prefixed with ' when a spreadsheet would read it as a formula."""
    value = text or ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def money(amount: Decimal | None) -> str:
    """A plain decimal string with two places ("1234.50", "-3.00"), never an exponent or a grouping."""
    if amount is None:
        return ""
    return format(Decimal(amount).quantize(Decimal("0.01")), "f")


def day(value: date | datetime | None) -> str:
    """ISO 8601: a date as YYYY-MM-DD, a moment in UTC as YYYY-MM-DDTHH:MM:SS+00:00."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0).isoformat()
    return value.isoformat()


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def account_row(account: Account, currency: str) -> list[str]:
    return [
        account.name,
        safe(account.client_name),
        safe(account.client_email),
        safe(account.company),
        account.country,
        safe(account.vat_number),
        account.product,
        account.tier,
        _number(account.contacts),
        _number(account.seats),
        account.frequency,
        account.status,
        day(account.period_start),
        day(account.period_end),
        money(account.price_per_cycle),
        money(account.client_price),
        account.client_price_per,
        currency,
        account.payment_method,
        day(account.created_at),
    ]


def invoice_row(invoice: Invoice, account_name: str | None) -> list[str]:
    return [
        invoice.number,
        day(invoice.created_at),
        safe(account_name),
        invoice.kind,
        invoice.status,
        money(invoice.subtotal),
        money(invoice.tax),
        money(invoice.total),
        money(invoice.credit_used),
        money(invoice.card_charged),
        invoice.currency,
        invoice.payment_method,
        invoice.billed_by,
        day(invoice.period_start),
        day(invoice.period_end),
        day(invoice.paid_at),
    ]


def ledger_row(entry: LedgerEntry, account_name: str | None, currency: str) -> list[str]:
    is_money = entry.unit == "money"
    return [
        str(entry.id),
        day(entry.created_at),
        entry.pool,
        safe(account_name),
        entry.kind,
        money(entry.amount) if is_money else str(int(entry.amount)),
        currency if is_money else "",
        entry.unit,
        safe(entry.reason),
        _number(entry.invoice_id),
    ]


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    return start, start + relativedelta(months=1)


def agency_of_team(session: Session, team_id: str) -> Agency | None:
    return session.scalar(select(Agency).where(Agency.team_id == team_id))


def accounts_rows(session: Session, agency: Agency) -> list[list[str]]:
    query = select(Account).where(Account.agency_id == agency.id).order_by(Account.name, Account.id)
    return [account_row(a, agency.currency) for a in session.scalars(query)]


def invoices_rows(session: Session, agency_id: int, month: date | None) -> list[list[str]]:
    query = (
        select(Invoice, Account.name)
        .outerjoin(Account, Account.id == Invoice.account_id)
        .where(Invoice.agency_id == agency_id)
        .order_by(Invoice.created_at, Invoice.id)
    )
    if month is not None:
        start, end = month_bounds(month)
        query = query.where(Invoice.created_at >= start, Invoice.created_at < end)
    return [invoice_row(invoice, name) for invoice, name in session.execute(query)]


def ledger_rows(session: Session, agency: Agency, month: date | None) -> list[list[str]]:
    query = (
        select(LedgerEntry, Account.name)
        .outerjoin(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.agency_id == agency.id)
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    )
    if month is not None:
        start, end = month_bounds(month)
        query = query.where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
    return [ledger_row(entry, name, agency.currency) for entry, name in session.execute(query)]


def books(session: Session, agency: Agency, month: date | None) -> dict[str, str]:
    """The three files' contents by name: accounts.csv, invoices.csv, ledger.csv."""
    return {
        "accounts": to_csv(ACCOUNT_COLUMNS, accounts_rows(session, agency)),
        "invoices": to_csv(INVOICE_COLUMNS, invoices_rows(session, agency.id, month)),
        "ledger": to_csv(LEDGER_COLUMNS, ledger_rows(session, agency, month)),
    }


def invoices_csv(uow: SqlUnitOfWork, actor: Actor, month: date | None) -> str:
    """The invoices file a member may read (the permission of `/billing history`)."""
    actor.require(Permission.READ)
    return to_csv(INVOICE_COLUMNS, invoices_rows(uow.session, actor.agency_id, month))


def file_name(kind: str, month: date | None) -> str:
    return f"{kind}-{month.strftime('%Y-%m')}.csv" if month else f"{kind}-all.csv"
