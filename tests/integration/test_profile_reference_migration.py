"""Migration 0008_b: existing billing profiles keep working, with random references (issue 13 §3).

Rows are written as the old gateway wrote them (`tok_sim_<outcome>_` + sha256 of the card number and
expiry), the migration runs, and each profile must be charged exactly as the old gateway charged it
while its token no longer holds anything derived from the card.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text

from domain.simulated import SimulatedGateway
from domain.store.migrate import upgrade
from domain.store.models import Agency, BillingProfile

OLD_TEST_CARDS = {
    "4242424242424242": "success",
    "5555555555554444": "success",
    "4000000000009995": "declined",
    "4000000000000119": "network",
    "4111111111111111": "success",  # any other valid number succeeded
}


def old_token(number: str, month: int = 12, year: int = 2030) -> str:
    """What the old built-in gateway stored: brute-forceable from last four digits and expiry."""
    digest = hashlib.sha256(f"{number}:{year}:{month}".encode()).hexdigest()[:16]
    return f"tok_sim_{OLD_TEST_CARDS[number]}_{digest}"


def old_charge_outcome(token: str) -> str:
    """How the old gateway charged a token."""
    return "network" if "_network_" in token else "declined" if "_declined_" in token else "success"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("PostgreSQL only with DATABASE_URL (never another database)")
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_existing_profiles_are_charged_as_before_under_random_references(url: str) -> None:
    upgrade(url, "0007")
    engine = create_engine(url)
    rows = [(number[-4:], old_token(number)) for number in OLD_TEST_CARDS]
    rows += [("9995", "tok_sim_declined_testdeclined"), ("4242", "bp_vendor_829371")]
    now = datetime(2026, 11, 30, tzinfo=UTC)
    with engine.begin() as conn:
        agency = conn.execute(insert(Agency).values(team_id="T1", name="Agency", created_at=now))
        agency_id = agency.inserted_primary_key[0]
        for index, (last4, token) in enumerate(rows, start=1):
            conn.execute(
                insert(BillingProfile).values(
                    id=index,
                    agency_id=agency_id,
                    label="Card",
                    holder="Holder",
                    brand="visa",
                    last4=last4,
                    exp_month=12,
                    exp_year=2030,
                    token=token,
                    created_by="U0OWNER",
                    created_at=now,
                )
            )
    upgrade(url, "0008_b")
    with engine.connect() as conn:
        after = dict(conn.execute(text("SELECT id, token FROM billing_profiles")).all())
    engine.dispose()
    gateway = SimulatedGateway()
    for index, (last4, old) in enumerate(rows, start=1):
        new = after[index]
        if not old.startswith("tok_sim_"):
            assert new == old  # a vendor's or another gateway's reference is left as it is
            continue
        outcome = old_charge_outcome(old)
        assert re.fullmatch(rf"tok_sim_{outcome}_[0-9a-f]{{32}}", new), (last4, new)
        assert old.rsplit("_", 1)[1] not in new
        result = gateway.charge(new, Decimal("10.00"), "USD", f"k{index}")
        assert (result.ok, result.declined, result.retryable) == {
            "success": (True, False, False),
            "declined": (False, True, False),
            "network": (False, False, True),
        }[outcome]
    assert len({after[i] for i in after}) == len(after)
