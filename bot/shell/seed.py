"""Bulk demo portfolios: `reseller-bot demo-data --accounts N`, fast enough for 1,000,000 rows.

Rows are generated in chunks (`bot.shell.demo_rows`: a realistic spread of products, tiers, statuses,
billing frequencies and renewal days, so benchmarks and the daily jobs meet the shapes a real agency
has) and written with executemany (SQLite) or COPY (PostgreSQL). Running it again tops up to N, never
duplicates.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text

from bot.shell.demo_rows import COLUMNS, rows
from domain.agency import resolve_actor
from domain.clock import FixedClock
from domain.portfolio import PAID_STATUSES
from domain.simulated import SimulatedGateway
from domain.store.db import make_session_factory
from domain.store.models import Account, Agency, AgencyStats, BillingProfile, StatusCount
from domain.store.uow import SqlUnitOfWork

CHUNK = 5_000


def ensure_agency(engine: Engine, team_id: str, owner: str, now: datetime) -> tuple[int, int]:
    """The agency and one success-card billing profile the demo accounts pay with."""
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        actor = resolve_actor(uow, FixedClock(now), team_id, owner, (owner,))
        profile = uow.session.scalars(
            select(BillingProfile).where(BillingProfile.agency_id == actor.agency_id)
        ).first()
        if profile is None:
            # The simulated gateway's test card that succeeds, under a random reference (SPEC §10).
            card = SimulatedGateway().test_card_reference("4242", 12, now.year + 4)
            profile = BillingProfile(
                agency_id=actor.agency_id,
                label="Agency Visa",
                holder="",
                brand=card.brand,
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                token=card.token,
                created_by=owner,
                created_at=now,
            )
            uow.session.add(profile)
            uow.flush()
        profile_id = profile.id
        agency = uow.session.get(Agency, actor.agency_id)
        assert agency is not None
        if not agency.notice_channel:
            agency.notice_channel = "C0NOTICES"
        uow.commit()
        return actor.agency_id, profile_id


def seed_accounts(
    engine: Engine, team_id: str, owner: str, n: int, *, today: date | None = None, seed: int = 7
) -> int:
    """Top the agency up to `n` demo accounts; returns how many were written."""
    now = datetime.now(UTC)
    today = today or now.date()
    agency_id, profile_id = ensure_agency(engine, team_id, owner, now)
    with engine.connect() as conn:
        have = int(conn.scalar(select(func.count(Account.id)).where(Account.agency_id == agency_id)) or 0)
    written = 0
    bypassed = False
    for start in range(have, n, CHUNK):
        chunk = list(
            rows(agency_id, profile_id, start=start, count=min(CHUNK, n - start), today=today, seed=seed)
        )
        bypassed = _write(engine, chunk) or bypassed
        written += len(chunk)
    if bypassed:
        recount(engine, agency_id)
    if written and engine.dialect.name == "postgresql":
        # Fresh statistics, so the planner uses the overview's indexes right after a bulk load.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE accounts"))
    return written


def _write(engine: Engine, chunk: list[dict[str, Any]]) -> bool:
    """Write one chunk; True when the count triggers were bypassed and the counts need recounting."""
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        bypassed = False
        try:
            with raw.cursor() as cursor:  # type: ignore[attr-defined]
                try:
                    # Row triggers cost ~6× a bulk COPY; a superuser may skip them and recount once.
                    cursor.execute("SET session_replication_role = replica")
                    bypassed = True
                except Exception:  # noqa: BLE001 - not a superuser: keep the triggers
                    raw.rollback()
                statement = f"COPY accounts ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.copy(statement) as copy:
                    for row in chunk:
                        copy.write_row([row[c] for c in COLUMNS])
                if bypassed:
                    cursor.execute("SET session_replication_role = DEFAULT")
            raw.commit()
        finally:
            raw.close()
        return bypassed
    for row in chunk:
        row["addons"] = json.loads(row["addons"])
        row["limits"] = json.loads(row["limits"])
    with engine.begin() as conn:
        conn.execute(insert(Account), chunk)
    return False


def recount(engine: Engine, agency_id: int) -> None:
    """Recompute the trigger-kept counts of one agency from its accounts, after a bulk load."""
    with engine.begin() as conn:
        paid = conn.scalar(
            select(func.count(Account.id)).where(
                Account.agency_id == agency_id,
                Account.status.in_(PAID_STATUSES),
                Account.pricing_version == "V3",
                Account.is_commission.is_(False),
            )
        )
        conn.execute(delete(AgencyStats).where(AgencyStats.agency_id == agency_id))
        conn.execute(insert(AgencyStats).values(agency_id=agency_id, active_paid=int(paid or 0)))
        conn.execute(delete(StatusCount).where(StatusCount.agency_id == agency_id))
        rows = conn.execute(
            select(Account.status, func.count(Account.id))
            .where(Account.agency_id == agency_id, Account.is_commission.is_(False))
            .group_by(Account.status)
        ).all()
        if rows:
            conn.execute(
                insert(StatusCount), [{"agency_id": agency_id, "status": s, "n": n} for s, n in rows]
            )
