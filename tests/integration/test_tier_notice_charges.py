"""Issue 18 §3: the "discount tier changed" notice on an agency's first notice sweep compares with
the tier of its last charge, not only with the last sweep (which a first sweep does not have)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from domain.catalog import Catalog
from domain.notices.sweep import sweep
from domain.store.models import Agency, Invoice, Notice
from tests.factories import make_account, make_agency

DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
RENEWAL = "Reseller discount ({percent}%; active paid accounts: {count})"
NEW_ACCOUNT = "Minus reseller discount ({percent}%)"


def _agency(session: Session, paid: int) -> Agency:
    agency = make_agency(session, notice_channel="C0NOTICES")
    for n in range(paid):
        make_account(session, agency, name=f"paid-{n}")
    return agency


def _charge(session: Session, agency: Agency, label: str, at: datetime, **params: str) -> None:
    session.add(
        Invoice(
            agency_id=agency.id,
            number=f"INV-{at:%Y%m%d%H%M%S}",
            kind="renewal",
            status="paid",
            currency="USD",
            lines=[{"label": label, "amount": "-7.50", "params": params}],
            subtotal=Decimal("22.50"),
            total=Decimal("22.50"),
            idempotency_key=f"k-{at.isoformat()}",
            actor="billing",
            created_at=at,
        )
    )
    session.flush()


def _tier_notices(session: Session, agency: Agency) -> list[Notice]:
    return list(
        session.scalars(select(Notice).where(Notice.agency_id == agency.id, Notice.kind == "tier_changed"))
    )


@pytest.mark.parametrize(
    ("label", "params", "notified"),
    [
        (RENEWAL, {"percent": "0", "count": "1"}, True),  # billed at 0 %, now 2 paid accounts: 25 %
        (RENEWAL, {"percent": "25", "count": "2"}, False),  # billed at today's tier
        (NEW_ACCOUNT, {"percent": "35"}, True),  # billed at 35 %, now 25 %: down
        (NEW_ACCOUNT, {"percent": "25"}, False),
        (NEW_ACCOUNT, {"percent": "0"}, False),  # 0 % may be an account without discount: says nothing
    ],
)
def test_first_sweep_compares_with_the_last_charge(
    db: Engine,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    label: str,
    params: dict[str, str],
    notified: bool,
) -> None:
    with sessions() as session, session.begin():
        agency = _agency(session, paid=2)
        _charge(session, agency, label, datetime(2026, 11, 10, 6, tzinfo=UTC), **params)
        sweep(session, catalog, agency, DAY, NOW)
        notices = _tier_notices(session, agency)
        assert len(notices) == (1 if notified else 0)
        if notified:
            assert notices[0].payload["percent"] == "25"
            assert notices[0].payload["previous_percent"] == (params["percent"])


def test_later_sweeps_compare_with_the_last_sweep_and_newer_charges(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """Once a sweep saw the tier, a charge before it says nothing more; a charge after it at another
    tier than today's is announced by the next sweep."""
    with sessions() as session, session.begin():
        agency = _agency(session, paid=2)
        _charge(session, agency, RENEWAL, datetime(2026, 11, 10, 6, tzinfo=UTC), percent="0", count="1")
        sweep(session, catalog, agency, DAY, NOW)
        assert len(_tier_notices(session, agency)) == 1
        sweep(session, catalog, agency, date(2026, 11, 26), datetime(2026, 11, 26, 6, tzinfo=UTC))
        assert len(_tier_notices(session, agency)) == 1  # nothing moved since that sweep
        _charge(session, agency, RENEWAL, datetime(2026, 11, 26, 9, tzinfo=UTC), percent="0", count="1")
        sweep(session, catalog, agency, date(2026, 11, 27), datetime(2026, 11, 27, 6, tzinfo=UTC))
        assert len(_tier_notices(session, agency)) == 2
