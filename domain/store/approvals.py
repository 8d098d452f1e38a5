"""Queries for four-eyes approvals (`domain.approvals`), so the service and the expiry rules read as
what they do and no module there imports SQLAlchemy. Functions taking the unit of work's session."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.store.models import Agency, Approval
from domain.store.suspended import LIVE


def pending(session: Session, agency_id: int) -> list[Approval]:
    """The agency's requests still marked pending (whether or not their 24 hours are over)."""
    query = select(Approval).where(Approval.agency_id == agency_id, Approval.status == "pending")
    return list(session.scalars(query))


def pending_of_live_agencies(session: Session) -> list[Approval]:
    """Every pending request of an agency that is not suspended (SPEC §11), for the daily job."""
    query = select(Approval).join(Agency, Agency.id == Approval.agency_id).where(LIVE)
    return list(session.scalars(query.where(Approval.status == "pending")))


def expired_with_message(session: Session) -> list[Approval]:
    """Expired requests of live agencies that were posted to a channel, oldest first."""
    query = (
        select(Approval)
        .join(Agency, Agency.id == Approval.agency_id)
        .where(LIVE, Approval.status == "expired", Approval.message_ts.is_not(None))
    )
    return list(session.scalars(query.order_by(Approval.id)))


def latest(session: Session, agency_id: int, limit: int) -> list[Approval]:
    """The agency's most recent requests, newest first."""
    query = (
        select(Approval)
        .where(Approval.agency_id == agency_id)
        .order_by(Approval.created_at.desc(), Approval.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
