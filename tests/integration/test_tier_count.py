"""The active paid count behind the discount tier stays exact through every kind of account change."""

from __future__ import annotations

import random

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from domain.portfolio import PAID_STATUSES, count_active_paid
from domain.store.models import Account
from tests.factories import make_account, make_agency


def count_active_paid_slowly(session: Session, agency_id: int) -> int:
    """The same count by scanning accounts: the reference the triggers are tested against."""
    query = select(func.count(Account.id)).where(
        Account.agency_id == agency_id,
        Account.status.in_(PAID_STATUSES),
        Account.pricing_version == "V3",
        Account.is_commission.is_(False),
    )
    return int(session.scalar(query) or 0)


def test_triggers_keep_the_count_exact(db: Engine, sessions: sessionmaker[Session]) -> None:
    """Inserts, status changes (one by one and in bulk), commission flags and deletes all keep it exact."""
    rng = random.Random(3)
    with sessions() as session:
        agency = make_agency(session)
        other = make_agency(session, team_id="T0OTHER")
        statuses = ["active", "disabled", "trial", "cancelled", "expired", "archived"]
        accounts = [
            make_account(
                session, agency, status=rng.choice(statuses), pricing_version=rng.choice(["V1", "V3", "V3"])
            )
            for _ in range(40)
        ]
        make_account(session, other, status="active")
        session.commit()
        assert count_active_paid(session, agency.id) == count_active_paid_slowly(session, agency.id)
        for account in accounts[:20]:
            account.status = rng.choice(statuses)
            account.is_commission = rng.random() < 0.2
        session.commit()
        session.execute(update(Account).where(Account.status == "cancelled").values(status="expired"))
        session.execute(delete(Account).where(Account.id == accounts[-1].id))
        session.commit()
        assert count_active_paid(session, agency.id) == count_active_paid_slowly(session, agency.id)
        assert count_active_paid(session, other.id) == 1


def test_excluding_an_account(db: Engine, sessions: sessionmaker[Session]) -> None:
    """`excluding` leaves out an account that counts, and ignores one that does not."""
    with sessions() as session:
        agency = make_agency(session)
        paid = make_account(session, agency)
        trial = make_account(session, agency, status="trial", pricing_version="V1")
        session.commit()
        assert count_active_paid(session, agency.id) == 1
        assert count_active_paid(session, agency.id, excluding=paid.id) == 0
        assert count_active_paid(session, agency.id, excluding=trial.id) == 1
