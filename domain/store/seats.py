"""Queries for license seats (`domain.seats`): the only seat code that speaks SQLAlchemy, so the
rules stay plain functions and the services read as what they do.

Functions taking the unit of work's session, like the other query modules; the account row lock
for the last free licenses is here because it depends on the database dialect."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.errors import NotFound
from domain.i18n import N_
from domain.seats.rules import Capacity
from domain.store.models import Account, BillingProfile, SeatMember


def find_account(session: Session, agency_id: int, name: str, *, lock: bool = False) -> Account:
    """The agency's account by name; with `lock`, its row is held until the transaction ends.

    The lock is what keeps concurrent adds from sharing the last free license: on PostgreSQL it is a
    row lock (`SELECT … FOR UPDATE`, re-reading the row as it is after the previous holder's commit);
    SQLite already serialises writers with BEGIN IMMEDIATE, so the plain read is enough there.
    """
    query = select(Account).where(Account.agency_id == agency_id, Account.name == name.strip().lower())
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update().execution_options(populate_existing=True)
    account = session.scalars(query).first()
    if account is None:
        raise NotFound(
            N_("There is no account named {name}. `/accounts` lists them."), field="account", name=name
        )
    return account


def members_of(session: Session, account_id: int) -> list[SeatMember]:
    return list(
        session.scalars(
            select(SeatMember).where(SeatMember.account_id == account_id).order_by(SeatMember.email)
        )
    )


def existing_emails(session: Session, account_id: int, emails: list[str]) -> list[str]:
    """Which of these addresses are members already — only those rows, not the whole member list."""
    lowered = sorted({email.lower() for email in emails})
    if not lowered:
        return []
    query = select(SeatMember.email).where(SeatMember.account_id == account_id, SeatMember.email.in_(lowered))
    return list(session.scalars(query))


def member(session: Session, account: Account, email: str) -> SeatMember:
    found = session.scalars(
        select(SeatMember).where(SeatMember.account_id == account.id, SeatMember.email == email.lower())
    ).first()
    if found is None:
        raise NotFound(
            N_("{email} is not a member of {account}. `/seats {account}` lists them."),
            field="emails",
            email=email,
            account=account.name,
        )
    return found


def capacity(session: Session, account: Account) -> Capacity:
    used = session.scalar(select(func.count(SeatMember.id)).where(SeatMember.account_id == account.id))
    return Capacity(licenses=account.seats or 0, used=int(used or 0))


def name_taken(session: Session, agency_id: int, name: str) -> bool:
    return (
        session.scalar(select(Account.id).where(Account.agency_id == agency_id, Account.name == name))
        is not None
    )


def profiles(session: Session, agency_id: int) -> list[BillingProfile]:
    """The agency's cards a subscription can be charged to (deleted ones excluded)."""
    return list(
        session.scalars(
            select(BillingProfile)
            .where(BillingProfile.agency_id == agency_id, BillingProfile.deleted_at.is_(None))
            .order_by(BillingProfile.label)
            .limit(99)
        )
    )
