"""Reading accounts: the overview page, one account by name, and the portfolio's counts.

Every query is bounded: the overview reads one page (LIMIT/OFFSET on an index that starts with the
agency and the status), counts are aggregated in SQL, and nothing loads a whole portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from domain.accounts.filters import PAGE_SIZE, Filters
from domain.errors import NotFound
from domain.i18n import N_
from domain.money import ZERO
from domain.store.models import (
    Account,
    AuditEntry,
    BillingProfile,
    Invoice,
    SavedView,
    Snapshot,
    StatusCount,
)

COUNT_CAP = 100
"""Beyond this many matches a filtered overview says "100+" instead of counting every row."""


@dataclass(frozen=True)
class Page:
    accounts: list[Account]
    total: int
    filters: Filters
    exact: bool = True
    """False when `total` is the cap of a count that stopped early."""
    more: bool = False

    @property
    def has_next(self) -> bool:
        return self.more

    @property
    def has_previous(self) -> bool:
        return self.filters.page > 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(agency_id: int, f: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Account.agency_id == agency_id, Account.is_commission.is_(False)]
    if f.status != "all":
        where.append(Account.status == f.status)
    if f.plan == "to-confirm":
        where.append(Account.plan_to_confirm.is_(True))
    elif f.plan:
        where.append(Account.tier == f.plan)
    if f.frequency:
        where.append(Account.frequency == f.frequency)
        where.append(Account.pricing_version == "V3")
    if f.country:
        where.append(Account.country == f.country)
    if f.profile is not None:
        where.append(Account.billing_profile_id == f.profile)
    if f.created_from:
        where.append(Account.created_at >= datetime.combine(f.created_from, time.min, UTC))
    if f.created_to:
        where.append(Account.created_at < datetime.combine(f.created_to + timedelta(days=1), time.min, UTC))
    if f.expires_from:
        where.append(Account.period_end >= f.expires_from)
    if f.expires_to:
        where.append(Account.period_end <= f.expires_to)
    if f.search:
        pattern = f"%{_escape(f.search.lower())}%"
        where.append(
            or_(
                Account.name.like(pattern, escape="\\"),
                func.lower(Account.client_name).like(pattern, escape="\\"),
                func.lower(Account.client_email).like(pattern, escape="\\"),
                func.lower(Account.notification_email).like(pattern, escape="\\"),
            )
        )
    return where


def _ordered(query: Select[Any], f: Filters, reseller_percent: Decimal) -> Select[Any]:
    if f.sort == "margin":
        from domain.accounts.margins import margin_cents  # margins reads accounts through this module

        key = margin_cents(reseller_percent)
        first = (key.desc() if f.descending else key.asc()).nulls_last()
        return query.order_by(first, Account.id.desc() if f.descending else Account.id.asc())
    column = {
        "name": Account.name,
        "size": Account.plan_size,
        "created": Account.created_at,
        "expiry": Account.period_end,
    }[f.sort]
    primary = column.desc() if f.descending else column.asc()
    tie = Account.id.desc() if f.descending else Account.id.asc()
    return query.order_by(primary, tie)


def overview(session: Session, agency_id: int, f: Filters, *, reseller_percent: Decimal = ZERO) -> Page:
    """One page, read in index order; the total comes from the trigger-kept status counts when only
    the status filters, otherwise from a count that stops at COUNT_CAP — never a scan of everything.
    `reseller_percent` is the tier in force, which the margin sort prices the next renewals at."""
    where = _conditions(agency_id, f)
    total, exact = _total(session, agency_id, f, where)
    page = f.page
    if exact and total and (page - 1) * PAGE_SIZE >= total:
        page = -(-total // PAGE_SIZE)
    f = f.with_page(page)
    query = (
        _ordered(select(Account).where(*where), f, reseller_percent)
        .limit(PAGE_SIZE + 1)
        .offset((f.page - 1) * PAGE_SIZE)
    )
    rows = list(session.scalars(query))
    return Page(rows[:PAGE_SIZE], total, f, exact=exact, more=len(rows) > PAGE_SIZE)


def _total(
    session: Session, agency_id: int, f: Filters, where: list[ColumnElement[bool]]
) -> tuple[int, bool]:
    if f == Filters(status=f.status, sort=f.sort, descending=f.descending, page=f.page):
        query = select(func.coalesce(func.sum(StatusCount.n), 0)).where(StatusCount.agency_id == agency_id)
        if f.status != "all":
            query = query.where(StatusCount.status == f.status)
        return int(session.scalar(query) or 0), True
    capped = select(Account.id).where(*where).limit(COUNT_CAP + 1).subquery()
    found = int(session.scalar(select(func.count()).select_from(capped)) or 0)
    return min(found, COUNT_CAP), found <= COUNT_CAP


def matching(session: Session, agency_id: int, f: Filters, limit: int) -> tuple[int, list[Account]]:
    """How many accounts the overview's filters match, and the first `limit` of them by name."""
    where = _conditions(agency_id, f)
    total = int(session.scalar(select(func.count(Account.id)).where(*where)) or 0)
    query = select(Account).where(*where).order_by(Account.name, Account.id).limit(limit)
    return total, list(session.scalars(query))


def by_name(session: Session, agency_id: int, name: str, *, for_update: bool = False) -> Account:
    query = select(Account).where(Account.agency_id == agency_id, Account.name == name.strip().lower())
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    account = session.scalars(query).first()
    if account is None:
        raise NotFound(
            N_("There is no account named {name}. `/accounts search:{name}` finds similar ones."),
            field="name",
            name=name,
        )
    return account


def name_taken(session: Session, agency_id: int, name: str) -> bool:
    query = select(Account.id).where(Account.agency_id == agency_id, Account.name == name)
    return session.scalar(query) is not None


def counts_by_status(session: Session, agency_id: int) -> dict[str, int]:
    """Commission accounts aside, from the counts the database triggers keep (migration 0004b)."""
    rows = session.execute(
        select(StatusCount.status, StatusCount.n).where(StatusCount.agency_id == agency_id, StatusCount.n > 0)
    )
    return {str(status): int(n) for status, n in rows}


def renewals_between(session: Session, agency_id: int, start: date, end: date, limit: int) -> list[Account]:
    """Paid accounts whose next charge falls in [start, end]: what the billing run will charge."""
    return list(
        session.scalars(
            select(Account)
            .where(
                Account.agency_id == agency_id,
                Account.status.in_(("active", "disabled")),
                Account.pricing_version == "V3",
                Account.is_commission.is_(False),
                Account.period_end >= start,
                Account.period_end <= end,
            )
            .order_by(Account.period_end, Account.name)
            .limit(limit)
        )
    )


def invoices_of(session: Session, account: Account, limit: int = 10) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.agency_id == account.agency_id, Invoice.account_id == account.id)
            .order_by(Invoice.created_at.desc(), Invoice.id.desc())
            .limit(limit)
        )
    )


def history_of(session: Session, account: Account, limit: int = 8) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.agency_id == account.agency_id, AuditEntry.target == account.name)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )


def snapshots(session: Session, agency_id: int, limit: int = 50) -> list[Snapshot]:
    return list(
        session.scalars(
            select(Snapshot)
            .where(Snapshot.agency_id == agency_id)
            .order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
            .limit(limit)
        )
    )


def saved_views(session: Session, agency_id: int, user_id: str) -> list[SavedView]:
    return list(
        session.scalars(
            select(SavedView)
            .where(SavedView.agency_id == agency_id, SavedView.user_id == user_id)
            .where(SavedView.name != "(overview)")  # the member's overview columns, not a named view
            .order_by(SavedView.name)
        )
    )


def commission_accounts(session: Session, agency_id: int, limit: int = 40) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .where(Account.agency_id == agency_id, Account.is_commission.is_(True))
            .order_by(Account.name)
            .limit(limit)
        )
    )


def billing_profiles(session: Session, agency_id: int) -> list[BillingProfile]:
    return list(
        session.scalars(
            select(BillingProfile)
            .where(BillingProfile.agency_id == agency_id, BillingProfile.deleted_at.is_(None))
            .order_by(BillingProfile.id)
            .limit(50)
        )
    )
