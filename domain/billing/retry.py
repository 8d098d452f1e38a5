"""How long a renewal may keep meeting a payment network failure before it counts as failed.

A retryable failure (the gateway unreachable) is retried on every run, but not forever: from the
first failure of one renewal (account and period end), after the catalog's `renewal_retry_days` it is
treated like a decline (account expired, charge-failed notice). The first failure's day is kept as a
processed-request row under its own key, so a rerun, a catch-up after a stopped scheduler and a
second process all count from the same day, and no schema is needed for it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.store.models import Account, ProcessedRequest


def retry_key(account: Account) -> str:
    return f"renewal-retry:{account.id}:{account.period_end.isoformat()}"


def first_failure(session: Session, account: Account, day: date, now: datetime) -> date:
    """The day this renewal first met a network failure; today when it is the first time."""
    key = retry_key(account)
    row = session.scalars(
        select(ProcessedRequest).where(
            ProcessedRequest.agency_id == account.agency_id, ProcessedRequest.key == key
        )
    ).first()
    if row is None:
        session.add(
            ProcessedRequest(
                agency_id=account.agency_id, key=key, result={"first_failed_on": day.isoformat()}, at=now
            )
        )
        return day
    return min(date.fromisoformat(str(row.result["first_failed_on"])), day)
