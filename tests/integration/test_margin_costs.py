"""Margin cost = what the next renewal would charge per cycle at the tier in force now (SPEC §3/§4):
the renewed plan's list price, minus the migration discount still due, minus today's reseller
discount; computed in SQL for totals and the margin sort, and equal to the billing run's own figure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from domain.accounts import margins
from domain.accounts.filters import parse_filters
from domain.accounts.queries import overview
from domain.billing.renewal import next_charge
from domain.catalog import Catalog
from domain.margins import margin_of
from domain.portfolio import count_active_paid
from domain.store.db import make_session_factory
from domain.store.models import Account
from tests.factories import make_account, make_agency

PLUS_ANNUAL = {"tier": "plus", "contacts": 2500, "frequency": "annual"}


def _portfolio(sessions: sessionmaker[Session]) -> int:
    """Ten accounts (tier 25%) whose stored `price_per_cycle` is stale (charged at 0%)."""
    with sessions.begin() as s:
        agency = make_agency(s)
        variants: list[dict[str, Any]] = [
            {"name": "stale", "client_price": Decimal("120")},
            {
                "name": "migrating",
                "migration_percent": Decimal("20"),
                "migration_cycles": 3,
                "cycles_billed": 1,
            },
            {
                "name": "migrated",
                "migration_percent": Decimal("20"),
                "migration_cycles": 1,
                "cycles_billed": 1,
            },
            {"name": "odd", "migration_percent": Decimal("12.5"), "migration_cycles": 5, "cycles_billed": 2},
            {"name": "yearly", **PLUS_ANNUAL, "client_price": Decimal("900"), "client_price_per": "cycle"},
            {"name": "loses", "discount_loss_pending": True},
            {"name": "ineligible", "discount_eligible": False},
            {
                "name": "downgrading",
                "tier": "professional",
                "pending_change": {
                    "plan": {
                        "version": "V3",
                        "product": "marketing",
                        **PLUS_ANNUAL,
                        "addons": [],
                        "limits": [],
                    },
                    "effective": "2026-12-10",
                },
            },
            {"name": "limited", "tier": "enterprise", "limits": {"custom-reports": 20}, "seats": 7},
            {"name": "seats", "tier": "professional", "contacts": 130_000, "addons": ["sms"], "seats": 9},
        ]
        for i, fields in enumerate(variants):
            fields.setdefault("client_price", Decimal(40 + 37 * i))
            make_account(s, agency, price_per_cycle=Decimal("99.00"), **fields)
        return agency.id


def _python_margin(session: Session, catalog: Catalog, account: Account) -> Any:
    """The billing run's own next charge, brought to a month: the figure margins must agree with."""
    charge = next_charge(session, catalog, account)
    return margin_of(
        cost_per_cycle=charge.per_cycle,
        frequency=charge.choice.frequency,
        client_price=account.client_price,
        client_price_per=account.client_price_per,
        client_frequency=account.frequency,
    )


def test_card_cost_is_the_next_renewal_at_todays_tier_not_the_last_charge(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """acme-shop's case: charged 99.00 at 0%, now 25% applies: the cost is 74.25, not 99.00."""
    _portfolio(sessions)
    with sessions() as s:
        stale = s.scalars(select(Account).where(Account.name == "stale")).one()
        m = margins.margin_for(s, catalog, stale)
        assert m.cost_per_cycle == Decimal("74.25") and m.monthly == Decimal("45.75")


def test_sql_totals_rows_and_sort_agree_with_the_billing_runs_next_charge(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """Migration still due or over (12.5% rounds half-up), scheduled downgrade to annual, discount
    lost at renewal, ineligible, custom limits and contacts: the SQL totals, the lowest-first list
    and the overview's margin sort all match the billing run's charge, account by account."""
    agency_id = _portfolio(sessions)
    with sessions() as s:
        accounts = list(s.scalars(select(Account).where(Account.agency_id == agency_id)))
        assert all(a.renewal_base is not None for a in accounts)  # the SQL path, not the fallback
        expected = {a.name: _python_margin(s, catalog, a) for a in accounts}
        totals = margins.totals(s, catalog, agency_id)
        assert totals.cost == sum(m.cost_per_month for m in expected.values())
        assert totals.revenue == sum(m.client_per_month for m in expected.values())
        rows = margins.lowest(s, catalog, agency_id, 20)
        assert [(r.name, r.margin) for r in rows] == sorted(
            expected.items(), key=lambda item: (item[1].monthly, item[0])
        )
        page = overview(s, agency_id, parse_filters(["sort:margin"]), reseller_percent=Decimal(25))
        shown = [expected[a.name].monthly for a in page.accounts]
        assert len(shown) == 10 and shown == sorted(m.monthly for m in expected.values())


def test_next_tier_gain_is_the_exact_difference_at_the_next_tier(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """`/accounts margins`' tier effect: every priced account's next renewal at 35% instead of 25%,
    each rounded as it would be charged, summed (not a rescaling of stale prices)."""
    agency_id = _portfolio(sessions)
    with sessions() as s:
        accounts = list(s.scalars(select(Account).where(Account.agency_id == agency_id)))
        now = sum(margins.margin_at(catalog, a, Decimal(25)).cost_per_month for a in accounts)
        then = sum(margins.margin_at(catalog, a, Decimal(35)).cost_per_month for a in accounts)
        assert count_active_paid(s, agency_id) == 10
        assert margins.totals(s, catalog, agency_id).next_tier_gain == now - then


def test_terms_follow_a_plan_change_and_unknown_terms_are_priced_in_python(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """A flush that changes the plan refreshes the stored base; a session without a catalog stores
    NULL, and margins then price that account in Python instead of trusting a stale figure."""
    agency_id = _portfolio(sessions)
    with sessions.begin() as s:
        stale = s.scalars(select(Account).where(Account.name == "stale")).one()
        stale.tier = "professional"
    with sessions() as s:
        assert s.scalars(select(Account.renewal_base).where(Account.name == "stale")).one() == Decimal(
            "229.00"
        )  # professional 2,500 monthly
    bare = make_session_factory(db)
    with bare.begin() as s:
        stale = s.scalars(select(Account).where(Account.name == "stale")).one()
        stale.tier = "enterprise"
    with sessions() as s:
        row = s.scalars(select(Account).where(Account.name == "stale")).one()
        assert row.renewal_base is None
        rows = {r.name: r.margin for r in margins.lowest(s, catalog, agency_id, 20)}
        assert rows["stale"] == _python_margin(s, catalog, row)
        assert margins.totals(s, catalog, agency_id).priced == 10
