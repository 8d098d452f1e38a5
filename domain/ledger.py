"""The append-only ledger of money and credits (SPEC §5).

A balance is the sum of its entries; nothing stores a counter that could drift. Writers take the
agency's lock first (`lock_agency`: a row lock on PostgreSQL, the write lock on SQLite), read the
balance, and append only if it stays at or above zero — so concurrent spends never overdraw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from domain.errors import Conflict
from domain.i18n import N_, Word
from domain.money import ZERO
from domain.store.models import Agency, LedgerEntry

Pool = Literal["prepaid", "sms", "preview"]
UNITS: dict[str, str] = {"prepaid": "money", "sms": "sms", "preview": "preview"}
POOL_NAMES: dict[str, str] = {"prepaid": N_("prepaid"), "sms": N_("SMS"), "preview": N_("inbox preview")}
"""What a reader calls each pool (`sms` is a command word and a column value, not a name)."""


def pool_name(pool: str) -> Word:
    return Word(POOL_NAMES.get(pool, pool))


GENERAL = None


@dataclass(frozen=True)
class Draw:
    """How one charge is paid: the account's earmark first, then the general balance, then the card."""

    from_earmark: Decimal
    from_general: Decimal
    from_card: Decimal

    @property
    def from_credit(self) -> Decimal:
        return self.from_earmark + self.from_general


def plan_draw(amount: Decimal, earmark: Decimal, general: Decimal) -> Draw:
    if amount <= ZERO:
        return Draw(ZERO, ZERO, ZERO)
    from_earmark = min(amount, max(earmark, ZERO))
    rest = amount - from_earmark
    from_general = min(rest, max(general, ZERO))
    return Draw(from_earmark, from_general, rest - from_general)


def lock_agency(session: Session, agency_id: int) -> None:
    """Serialise ledger writers of one agency. SQLite's BEGIN IMMEDIATE already holds the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Agency.id).where(Agency.id == agency_id).with_for_update())


def balance(session: Session, agency_id: int, pool: Pool, account_id: int | None = GENERAL) -> Decimal:
    condition = (
        LedgerEntry.account_id.is_(None) if account_id is None else LedgerEntry.account_id == account_id
    )
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.agency_id == agency_id, LedgerEntry.pool == pool, condition
        )
    )
    return Decimal(total or 0).quantize(Decimal("0.01"))


def earmark_and_general(
    session: Session, agency_id: int, pool: Pool, account_id: int
) -> tuple[Decimal, Decimal]:
    """An account's earmark and the general balance of one pool, in one query (a charge's draw)."""
    earmarked = LedgerEntry.account_id == account_id
    general = LedgerEntry.account_id.is_(None)
    row = session.execute(
        select(
            func.coalesce(func.sum(case((earmarked, LedgerEntry.amount), else_=0)), 0),
            func.coalesce(func.sum(case((general, LedgerEntry.amount), else_=0)), 0),
        ).where(LedgerEntry.agency_id == agency_id, LedgerEntry.pool == pool, or_(earmarked, general))
    ).one()
    cent = Decimal("0.01")
    return Decimal(row[0] or 0).quantize(cent), Decimal(row[1] or 0).quantize(cent)


def account_balances(session: Session, agency_id: int, account_id: int) -> dict[str, Decimal]:
    """Every pool's balance for one account in one query (earmarked prepaid, SMS, previews)."""
    rows = session.execute(
        select(LedgerEntry.pool, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.agency_id == agency_id, LedgerEntry.account_id == account_id)
        .group_by(LedgerEntry.pool)
    )
    found = {str(pool): Decimal(total or 0).quantize(Decimal("0.01")) for pool, total in rows}
    return {pool: found.get(pool, Decimal("0.00")) for pool in UNITS}


def balances_by_account(session: Session, agency_id: int, pool: Pool) -> dict[int, Decimal]:
    rows = session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
        .where(
            LedgerEntry.agency_id == agency_id, LedgerEntry.pool == pool, LedgerEntry.account_id.is_not(None)
        )
        .group_by(LedgerEntry.account_id)
    )
    return {int(account): Decimal(total) for account, total in rows if account is not None and total}


def already_recorded(session: Session, agency_id: int, key: str) -> bool:
    return (
        session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.agency_id == agency_id, LedgerEntry.idempotency_key == key
            )
        )
        is not None
    )


def append(
    session: Session,
    *,
    agency_id: int,
    pool: Pool,
    amount: Decimal,
    kind: str,
    actor: str,
    at: datetime,
    account_id: int | None = GENERAL,
    reason: str | None = None,
    idempotency_key: str | None = None,
    invoice_id: int | None = None,
) -> LedgerEntry:
    """Append one entry; a debit that would take its balance below zero is refused.

    Callers hold `lock_agency` for the whole transaction, so the check and the write are atomic.
    """
    if amount < ZERO and balance(session, agency_id, pool, account_id) + amount < ZERO:
        raise Conflict(
            N_("Not enough {pool} credit for this: the balance cannot go below zero."), pool=pool_name(pool)
        )
    entry = LedgerEntry(
        agency_id=agency_id,
        pool=pool,
        account_id=account_id,
        amount=amount,
        unit=UNITS[pool],
        kind=kind,
        reason=reason,
        actor=actor,
        idempotency_key=idempotency_key,
        invoice_id=invoice_id,
        created_at=at,
    )
    session.add(entry)
    session.flush()
    return entry
