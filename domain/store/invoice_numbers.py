"""Invoice numbers per agency and year (`INV-2026-000001` is the agency's first invoice of 2026).

A number is reserved by one atomic upsert of the agency's counter, so concurrent charges of one
agency (several instances on PostgreSQL) never give the same number twice, and charges of different
agencies never touch the same row.
"""

from __future__ import annotations

from sqlalchemy import Integer, cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from domain.store.models import InvoiceCounter


def invoice_number(year: int, n: int) -> str:
    return f"INV-{year}-{n:06d}"


def reserve(session: Session, agency_id: int, year: int, count: int = 1) -> range:
    """The next `count` numbers of the agency's invoices of `year`, reserved until the transaction
    ends (a rolled-back charge gives its numbers back)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(InvoiceCounter)
        .values(agency_id=agency_id, year=year, last=count)
        .on_conflict_do_update(
            index_elements=["agency_id", "year"],
            set_={"last": InvoiceCounter.last + cast(count, Integer)},
        )
        .returning(InvoiceCounter.last)
    )
    last = int(session.execute(statement).scalar_one())
    return range(last - count + 1, last + 1)
