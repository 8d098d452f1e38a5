"""The sweep: read the facts of one agency's portfolio for a day and enqueue the notices due.

It writes only outbox rows (insert-or-ignore on the notice's key) and the tier it saw, so running it
again, late, or in two processes at once changes nothing that was already recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import ledger, outbox
from domain.catalog import Catalog
from domain.errors import DomainError
from domain.money import ZERO
from domain.notices import rules
from domain.outbox import insert_ignoring_duplicates
from domain.portfolio import count_active_paid
from domain.store.models import Account, Agency, BillingProfile, JobRun, LedgerEntry, SeatMember
from domain.tiers import discount_tier

JOB = "notices"
OPEN_STATUSES = ("trial", "active", "disabled")


def sweep(session: Session, catalog: Catalog, agency: Agency, day: date, now: datetime) -> list[rules.Due]:
    """Enqueue what is due for `agency` on its calendar `day`; returns the notices newly recorded."""
    leads = _leads(agency.notice_lead_days)
    count = count_active_paid(session, agency.id)
    horizon = day + timedelta(days=max(*leads, rules.WEEK))
    accounts = list(
        session.scalars(
            select(Account).where(
                Account.agency_id == agency.id,
                Account.status.in_(OPEN_STATUSES),
                Account.is_commission.is_(False),
                Account.period_end > day,
                Account.period_end <= horizon,
            )
        )
    )
    facts = [_facts(session, catalog, a, day, count) for a in accounts]
    due = rules.renewal_notices(facts, day, leads) + rules.trial_notices(facts, day)
    due += rules.invitation_notices(_invites(session, agency.id, now), day)
    general = ledger.balance(session, agency.id, "prepaid")
    week = rules.plan_week(_upcoming(session, agency.id, facts, day), general)
    for profile in week.payload["profiles"]:
        profile["label"] = _profile_label(session, profile["profile_id"])
    digest = rules.billing_digest(week, day)
    low = rules.low_balance_notice(
        balance=general,
        threshold=Decimal(agency.low_balance_threshold),
        shortfall=week.from_card,
        ever_prepaid=_ever_prepaid(session, agency.id),
        today=day,
    )
    tier = _tier_facts(catalog, count)
    changed = rules.tier_notice(_last_tier(session, agency.id, day), tier, day)
    due += [n for n in (digest, low, changed) if n is not None]
    _remember_tier(session, agency.id, day, tier, now)
    recorded = []
    # A fixed order keeps two concurrent sweeps from waiting on each other's rows in opposite order.
    for notice in sorted(due, key=lambda d: outbox.dedupe_key(d.kind, d.account_id, d.due_on)):
        new = outbox.enqueue(
            session,
            agency_id=agency.id,
            kind=notice.kind,
            due_on=notice.due_on,
            now=now,
            account_id=notice.account_id,
            payload=notice.payload,
        )
        if new:
            recorded.append(notice)
    return recorded


def _leads(text: str) -> tuple[int, ...]:
    try:
        return rules.parse_lead_days(text or "7,1")
    except DomainError:
        return (7, 1)


def _facts(session: Session, catalog: Catalog, account: Account, day: date, count: int) -> rules.AccountFacts:
    facts = rules.AccountFacts(
        id=account.id,
        name=account.name,
        status=account.status,
        version=account.pricing_version,
        level=account.tier,
        commission=account.is_commission,
        period_end=account.period_end,
        profile_id=account.billing_profile_id,
    )
    if not facts.billed:
        return facts
    return replace(facts, charge=renewal_charge(session, catalog, account, day, count))


def renewal_charge(
    session: Session, catalog: Catalog, account: Account, day: date, count: int
) -> rules.Charge | None:
    """What the billing run will charge at the account's renewal: the same computation it uses.

    None when the plan cannot be priced (a catalog that dropped it): the notice then goes without
    an amount rather than not at all.
    """
    from domain.renewal import next_charge

    try:
        charge = next_charge(session, catalog, account, day, active_paid_count=count)
    except (DomainError, KeyError, ValueError):
        return None
    return rules.Charge(charge.total, charge.draw.from_credit, charge.draw.from_card)


def _upcoming(
    session: Session, agency_id: int, facts: list[rules.AccountFacts], day: date
) -> list[rules.Upcoming]:
    earmarks = ledger.balances_by_account(session, agency_id, "prepaid")
    end = day + timedelta(days=rules.WEEK)
    return [
        rules.Upcoming(f.id, f.name, f.profile_id, f.period_end, f.charge.total, earmarks.get(f.id, ZERO))
        for f in facts
        if f.billed and f.charge is not None and day < f.period_end <= end
    ]


def _profile_label(session: Session, profile_id: int | None) -> str | None:
    profile = None if profile_id is None else session.get(BillingProfile, profile_id)
    return None if profile is None else f"{profile.label} ({profile.brand} …{profile.last4})"


def _invites(session: Session, agency_id: int, now: datetime) -> list[rules.Invite]:
    rows = session.execute(
        select(SeatMember.account_id, SeatMember.email, SeatMember.invited_at)
        .join(Account, Account.id == SeatMember.account_id)
        .where(
            Account.agency_id == agency_id,
            Account.status.in_(OPEN_STATUSES),
            Account.is_commission.is_(False),
            SeatMember.status == "invited",
            SeatMember.invited_at < now - timedelta(days=rules.INVITATION_DAYS),
        )
    )
    return [rules.Invite(account_id, email, invited_at.date()) for account_id, email, invited_at in rows]


def _ever_prepaid(session: Session, agency_id: int) -> bool:
    query = select(LedgerEntry.id).where(LedgerEntry.agency_id == agency_id, LedgerEntry.pool == "prepaid")
    return session.scalar(query.limit(1)) is not None


def _tier_facts(catalog: Catalog, count: int) -> dict[str, object]:
    tier = discount_tier(catalog.discount_tiers, count)
    return {
        "index": tier.index,
        "percent": str(tier.percent),
        "count": count,
        "next_percent": None if tier.next_percent is None else str(tier.next_percent),
        "to_next": tier.accounts_to_next,
    }


def _last_tier(session: Session, agency_id: int, day: date) -> dict[str, object] | None:
    """The tier the latest earlier sweep saw (this day's own earlier run included)."""
    detail = session.scalar(
        select(JobRun.detail)
        .where(JobRun.agency_id == agency_id, JobRun.job == JOB, JobRun.day <= day)
        .order_by(JobRun.day.desc())
        .limit(1)
    )
    tier = (detail or {}).get("tier")
    return tier if isinstance(tier, dict) else None


def _remember_tier(
    session: Session, agency_id: int, day: date, tier: dict[str, object], now: datetime
) -> None:
    values = {"agency_id": agency_id, "job": JOB, "day": day, "detail": {"tier": tier}, "finished_at": now}
    session.execute(insert_ignoring_duplicates(session, JobRun, values, ["agency_id", "job", "day"]))
    run = session.scalars(
        select(JobRun).where(JobRun.agency_id == agency_id, JobRun.job == JOB, JobRun.day == day)
    ).one()
    run.detail = {**(run.detail or {}), "tier": tier}
    run.finished_at = now
