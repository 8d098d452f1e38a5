"""The sweep: read the facts of one agency's portfolio for a day and enqueue the notices due.

It writes only outbox rows (insert-or-ignore on the notice's key) and the tier it saw, so running it
again, late, or in two processes at once changes nothing that was already recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from domain import ledger, outbox
from domain.billing.renewal import next_charge
from domain.catalog import Catalog
from domain.errors import DomainError
from domain.money import ZERO
from domain.notices import rules
from domain.numbers import whole_number
from domain.outbox import insert_ignoring_duplicates
from domain.portfolio import count_active_paid
from domain.ports import Provider
from domain.simulated import SimulatedProvider
from domain.store.db import id_in
from domain.store.models import (
    Account,
    Agency,
    BillingProfile,
    Invoice,
    JobRun,
    LedgerEntry,
    Notice,
    SeatMember,
)
from domain.tiers import discount_tier
from domain.vendor_billing import billing_vendor
from domain.vendors import tasks

JOB = "notices"
OPEN_STATUSES = ("trial", "active", "disabled")
CHUNK = 1000
NOTICES = cast(Table, Notice.__table__)


def sweep(
    session: Session,
    catalog: Catalog,
    agency: Agency,
    day: date,
    now: datetime,
    *,
    provider: Provider | None = None,
) -> int:
    """Enqueue what is due for `agency` on its calendar `day`; returns how many notices were new.

    The accounts renewing within the horizon are streamed in chunks in the billing run's order
    (renewal date, then id), each charge drawing on the general credit the earlier ones left: each
    chunk's earmarks are read in one query, its notices written in one INSERT ignoring duplicates,
    and next week's charges fed to a planner that keeps only what the digest shows, so memory does
    not grow with the portfolio. An account whose vendor bills the agency (`provider`, the default
    one; the simulated provider when not given) draws nothing: its notices say the vendor will bill.
    """
    provider = provider or SimulatedProvider()
    leads = _leads(agency.notice_lead_days)
    count = count_active_paid(session, agency.id)
    horizon = day + timedelta(days=max(*leads, rules.WEEK))
    general = ledger.balance(session, agency.id, "prepaid")
    query = (
        select(Account)
        .where(
            Account.agency_id == agency.id,
            Account.status.in_(OPEN_STATUSES),
            Account.is_commission.is_(False),
            Account.plan_to_confirm.is_(False),
            Account.period_end > day,
            Account.period_end <= horizon,
        )
        .order_by(Account.period_end, Account.id)
        .execution_options(yield_per=CHUNK)
    )
    week = _Week(rules.WeekPlanner(general), day)
    recorded = 0
    left = general
    for chunk in session.scalars(query).partitions():
        earmarks = _earmarks(session, agency.id, [a.id for a in chunk])
        facts = []
        for a in chunk:
            earmark = earmarks.get(a.id, ZERO)
            vendor = billing_vendor(provider, a.product)
            balances = (earmark, left) if vendor is None else (ZERO, ZERO)
            fact = _facts(session, catalog, a, count, balances=balances, vendor=vendor)
            if (
                fact.charge is not None and vendor is None
            ):  # the general credit an earlier charge takes is not there for this one
                left -= fact.charge.from_credit - min(fact.charge.total, max(earmark, ZERO))
            facts.append(fact)
        due = rules.renewal_notices(facts, day, leads) + rules.trial_notices(facts, day)
        recorded += _enqueue(session, agency.id, due, now)
        for fact in facts:
            week.add(fact, earmarks.get(fact.id, ZERO))
    due = rules.invitation_notices(_invites(session, agency.id, now), day)
    plan = week.plan()
    for profile in plan.payload["profiles"]:
        profile["label"] = _profile_label(session, profile["profile_id"])
    digest = rules.billing_digest(plan, day, _previous_sweep(session, agency.id, day))
    low = rules.low_balance_notice(
        balance=general,
        threshold=Decimal(agency.low_balance_threshold),
        shortfall=plan.from_card,
        ever_prepaid=_ever_prepaid(session, agency.id),
        today=day,
    )
    tier = _tier_facts(catalog, count)
    swept, charged = _last_tiers(session, catalog, agency.id, day)
    changed = rules.tier_notice(swept, tier, day, charged=charged)
    tasks_open = tasks.reminder(session, agency.id, day, now)
    advice = _prepaid_advice(session, catalog, agency, day)
    due += [n for n in (digest, low, changed, tasks_open, advice) if n is not None]
    _remember_tier(session, agency.id, day, tier, now)
    return recorded + _enqueue(session, agency.id, due, now)


def _prepaid_advice(session: Session, catalog: Catalog, agency: Agency, day: date) -> rules.Due | None:
    """The month's prepaid advice on the agency's advice day (or just after, a missed day caught up),
    once a month (its due date is the month's first day); computed only on the days it may be due."""
    from domain.notices.prepaid import advice_due, advice_notice, month_advice

    if not advice_due(agency.prepaid_advice_day, day):
        return None
    key = outbox.dedupe_key(rules.PREPAID_ADVICE, None, day.replace(day=1))
    if session.scalar(select(Notice.id).where(Notice.agency_id == agency.id, Notice.dedupe_key == key)):
        return None
    return advice_notice(agency, month_advice(session, catalog, agency.id, day), day)


def _enqueue(session: Session, agency_id: int, due: list[rules.Due], now: datetime) -> int:
    """One INSERT … ON CONFLICT DO NOTHING for a chunk; counts the rows that were new.

    Rows go in dedupe-key order, and chunks in renewal-date order, so two concurrent sweeps take
    the unique index's locks in the same order and never wait on each other in a cycle.
    """
    if not due:
        return 0
    rows = [
        {
            "agency_id": agency_id,
            "kind": n.kind,
            "account_id": n.account_id,
            "due_on": n.due_on,
            "dedupe_key": outbox.dedupe_key(n.kind, n.account_id, n.due_on),
            "payload": n.payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in due
    ]
    rows.sort(key=lambda r: str(r["dedupe_key"]))
    if session.get_bind().dialect.name == "postgresql":
        return _enqueue_pg(session, rows, now)
    statement = (
        sqlite_insert(NOTICES)
        .on_conflict_do_nothing(index_elements=["agency_id", "dedupe_key"])
        .returning(NOTICES.c.id)
    )
    # executemany of one cached statement (batched into multi-row INSERTs by the driver layer)
    return len(session.connection().execute(statement, rows).all())


_PG_ENQUEUE = text(
    """
    INSERT INTO notices (agency_id, kind, account_id, due_on, dedupe_key, payload, status, attempts,
                         next_attempt_at, created_at)
    SELECT r.agency_id, r.kind, r.account_id, r.due_on, r.dedupe_key, r.payload, 'pending', 0, :now, :now
    FROM jsonb_to_recordset(CAST(:rows AS jsonb))
         AS r(agency_id bigint, kind text, account_id bigint, due_on date, dedupe_key text, payload json)
    ORDER BY r.dedupe_key COLLATE "C"
    ON CONFLICT (agency_id, dedupe_key) DO NOTHING
    RETURNING id
    """
)


def _enqueue_pg(session: Session, rows: Sequence[Mapping[str, object]], now: datetime) -> int:
    """The chunk as one JSON parameter: a multi-row VALUES of ten placeholders a row costs the
    driver more to assemble than the server takes to insert it (a sweep writes 150,000 rows at 1M
    accounts). Rows go in dedupe-key order (byte order, as Python sorts these ASCII keys), as on SQLite."""
    data = [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items() if k in _PG_KEYS}
        for row in rows
    ]
    return len(session.execute(_PG_ENQUEUE, {"rows": json.dumps(data), "now": now}).all())


_PG_KEYS = frozenset({"agency_id", "kind", "account_id", "due_on", "dedupe_key", "payload"})


def _earmarks(session: Session, agency_id: int, account_ids: list[int]) -> dict[int, Decimal]:
    rows = session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
        .where(
            LedgerEntry.agency_id == agency_id,
            LedgerEntry.pool == "prepaid",
            id_in(session, LedgerEntry.account_id, account_ids),
        )
        .group_by(LedgerEntry.account_id)
    )
    return {int(a): Decimal(t).quantize(Decimal("0.01")) for a, t in rows if a is not None and t}


class _Week:
    """Feeds the week planner in the billing run's order (date, then account id), the order the
    accounts are streamed in and the renewal notices draw credit in, so both tell the same split."""

    def __init__(self, planner: rules.WeekPlanner, day: date) -> None:
        self.planner, self.end = planner, day + timedelta(days=rules.WEEK)
        self.on: date | None = None
        self.items: list[rules.Upcoming] = []

    def add(self, f: rules.AccountFacts, earmark: Decimal) -> None:
        if not (f.billed and f.charge is not None and f.period_end <= self.end):
            return
        if f.period_end != self.on:
            self.flush()
            self.on = f.period_end
        self.items.append(
            rules.Upcoming(f.id, f.name, f.profile_id, f.period_end, f.charge.total, earmark, f.charge.vendor)
        )

    def flush(self) -> None:
        for item in sorted(self.items, key=lambda u: u.account_id):
            self.planner.add(item)
        self.items = []

    def plan(self) -> rules.WeekPlan:
        self.flush()
        return self.planner.plan()


def _leads(text: str) -> tuple[int, ...]:
    try:
        return rules.parse_lead_days(text or "7,1")
    except DomainError:
        return (7, 1)


def _facts(
    session: Session,
    catalog: Catalog,
    account: Account,
    count: int,
    *,
    balances: tuple[Decimal, Decimal] | None = None,
    vendor: str | None = None,
) -> rules.AccountFacts:
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
    charge = renewal_charge(session, catalog, account, count, balances=balances)
    if charge is not None and vendor is not None:
        charge = rules.Charge(charge.total, ZERO, ZERO, vendor)
    return replace(facts, charge=charge)


def renewal_charge(
    session: Session,
    catalog: Catalog,
    account: Account,
    count: int,
    *,
    balances: tuple[Decimal, Decimal] | None = None,
) -> rules.Charge | None:
    """What the billing run will charge at the account's renewal: the same computation it uses.

    None when the plan cannot be priced (a catalog that dropped it): the notice then goes without
    an amount rather than not at all.
    """
    try:
        charge = next_charge(session, catalog, account, active_paid_count=count, balances=balances)
    except (DomainError, KeyError, ValueError):
        return None
    return rules.Charge(charge.total, charge.draw.from_credit, charge.draw.from_card)


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


def _previous_sweep(session: Session, agency_id: int, day: date) -> date | None:
    """The day of the agency's latest sweep before `day` (each sweep records its day in job_runs)."""
    return session.scalar(
        select(func.max(JobRun.day)).where(JobRun.agency_id == agency_id, JobRun.job == JOB, JobRun.day < day)
    )


def _last_tiers(
    session: Session, catalog: Catalog, agency_id: int, day: date
) -> tuple[dict[str, object] | None, dict[str, object] | None]:
    """The tier the latest earlier sweep saw (this day's own earlier run included), and the tier of
    the last charge when that charge came after it (or no sweep ran yet): the first sweep of an
    agency whose tier moved since its last charge announces the change instead of taking the new
    tier as its starting point."""
    run = session.execute(
        select(JobRun.detail, JobRun.finished_at)
        .where(JobRun.agency_id == agency_id, JobRun.job == JOB, JobRun.day <= day)
        .order_by(JobRun.day.desc())
        .limit(1)
    ).first()
    tier = (run.detail or {}).get("tier") if run is not None else None
    swept = tier if isinstance(tier, dict) else None
    charged = _charged_tier(session, catalog, agency_id)
    if charged is None:
        return swept, None
    at, charged_tier = charged
    if swept is None or run is None or run.finished_at is None or _aware(run.finished_at) < _aware(at):
        return swept, charged_tier
    return swept, None


RESELLER_LINES = (
    "Reseller discount ({percent}%; active paid accounts: {count})",
    "Minus reseller discount ({percent}%)",
)
"""The invoice lines that say the discount a charge was billed at (renewals, then new accounts)."""


def _charged_tier(
    session: Session, catalog: Catalog, agency_id: int
) -> tuple[datetime, dict[str, object]] | None:
    """The tier of the agency's latest charge that states one, with when it was made: from the active
    paid count a renewal line records, else from the percent a new account's line records (0% there
    may be an account without the discount, so it says nothing)."""
    rows = session.execute(
        select(Invoice.lines, Invoice.created_at)
        .where(Invoice.agency_id == agency_id, Invoice.status != "failed")
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
        .limit(20)
    ).all()
    bands = catalog.discount_tiers
    for lines, at in rows:
        for line in lines or []:
            if not isinstance(line, dict) or line.get("label") not in RESELLER_LINES:
                continue
            params = line.get("params") or {}
            count = whole_number(str(params.get("count", "")))
            if count is not None:
                return at, _tier_facts(catalog, count)
            try:
                percent = Decimal(str(params.get("percent")))
            except ArithmeticError:
                continue
            index = next((i for i, band in enumerate(bands) if band.percent == percent), None)
            if index is not None and percent > 0:
                return at, _tier_facts(catalog, bands[index].from_accounts)
    return None


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they are UTC, as everything the app stores."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
