"""`reseller-bot jobs … --date`: a job run for a given day writes that day, not the machine's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import DAILY_AT, run_jobs
from bot.settings import Settings
from domain.clock import DayClock, today
from domain.store.models import Account, AuditEntry, Invoice, LedgerEntry, Notice
from tests.factories import make_account, make_agency, make_profile

DAY = date(2031, 1, 5)
ZONE = "Pacific/Auckland"
SIX_AM = datetime(2031, 1, 5, 6, 0, tzinfo=ZoneInfo(ZONE))


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def test_day_clock_is_the_schedule_hour_of_the_day_in_each_zone() -> None:
    """06:00 on the day in the agency's zone is that agency's today, even a day ahead of UTC."""
    local = DayClock(DAY, DAILY_AT).in_zone(ZONE)
    assert local.now() == SIX_AM and local.now().astimezone(UTC).date() == date(2031, 1, 4)
    assert today(local, ZONE) == DAY and today(DayClock(DAY, DAILY_AT)) == DAY


def test_daily_jobs_for_a_date_stamp_invoices_ledger_audit_and_notices_with_that_day(
    db: Engine, sessions: sessionmaker[Session], settings: Settings
) -> None:
    """Renewal paid with credit and card, a declined renewal and a trial ending, all run for
    2031-01-05 at 06:00 Auckland: every row written is dated then, invoices are numbered INV-2031-."""
    created = datetime(2030, 12, 5, 9, 0, tzinfo=UTC)
    with sessions.begin() as s:
        agency = make_agency(s, timezone=ZONE)
        good, bad = make_profile(s, agency), make_profile(s, agency, "declined")
        fields = {"created_at": created, "period_end": DAY}
        paid = make_account(s, agency, billing_profile_id=good.id, **fields).id
        declined = make_account(s, agency, billing_profile_id=bad.id, **fields).id
        make_account(s, agency, status="trial", pricing_version="V1", product="EM", tier="trial", **fields)
    reports = run_jobs(settings, "daily", day=DAY)
    assert {report.day for report in reports} == {DAY}
    with sessions() as s:
        invoices = list(s.scalars(select(Invoice)))
        assert {i.account_id for i in invoices} == {paid, declined}
        assert all(_utc(i.created_at) == SIX_AM for i in invoices)
        assert all(i.number.startswith("INV-2031-") for i in invoices)
        entries = list(s.scalars(select(LedgerEntry)))
        assert all(_utc(e.created_at) == SIX_AM for e in entries)
        audit = list(s.scalars(select(AuditEntry)))
        assert audit and all(_utc(a.at) == SIX_AM for a in audit)
        notices = list(s.scalars(select(Notice)))
        assert {n.kind for n in notices} >= {"charge_failed", "trial_ended"}
        assert all(_utc(n.created_at) == SIX_AM for n in notices)
        expired = s.get_one(Account, declined)
        assert expired.status == "expired" and _utc(expired.status_changed_at) == SIX_AM
