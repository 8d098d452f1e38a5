"""Agencies whose workspace removed the app (SPEC §11): the daily jobs leave them alone entirely
until the workspace installs the app again, and say how many they left."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from domain.jobs import JobReport
from domain.store.models import Agency

LIVE: ColumnElement[bool] = Agency.suspended_at.is_(None)
"""The agencies a job works for: not suspended."""


def suspended_ids(session: Session, among: Collection[int] | None = None) -> set[int]:
    query = select(Agency.id).where(Agency.suspended_at.is_not(None))
    if among is not None:
        query = query.where(Agency.id.in_(list(among)))
    return set(session.scalars(query))


def note_skipped(session: Session, report: JobReport, among: Collection[int] | None = None) -> None:
    """Count in `report` the suspended agencies (of `among`, or all) a job skipped."""
    query = select(func.count(Agency.id)).where(Agency.suspended_at.is_not(None))
    if among is not None:
        query = query.where(Agency.id.in_(list(among)))
    skipped = int(session.scalar(query) or 0)
    if skipped:
        report.count("skipped_suspended", skipped)
        report.lines.append(
            f"{skipped} agency(ies) skipped: suspended, their Slack workspace removed the app "
            "(nothing changed, charged or posted for them until it is installed again)"
        )
