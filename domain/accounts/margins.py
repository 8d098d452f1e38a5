"""Margins over the portfolio: setting a client price, and the figures the card, the overview, the
App Home and `/accounts margins` show.

Totals are one aggregate query in integer cents (`(2c + 12) // 24` is c/12 rounded half-up, exactly,
on SQLite and PostgreSQL alike), so 100,000 accounts cost one scan, not 100,000 objects. A paid
account whose stored cycle price is 0 (imported or older rows) is priced at the current tier in
Python; there are few of them and they are read with a bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, cast, func, not_, select
from sqlalchemy.orm import Session

from domain import audit
from domain.accounts.common import AccountPorts
from domain.accounts.queries import by_name
from domain.agency import Actor
from domain.catalog import Catalog
from domain.margins import Margin, margin_of
from domain.money import ZERO
from domain.portfolio import count_active_paid, migration_of, plan_choice_of
from domain.quotes import cycle_price
from domain.roles import Permission
from domain.store.models import Account
from domain.store.uow import SqlUnitOfWork
from domain.tiers import discount_tier

LIVE = ("trial", "active", "disabled")
FALLBACK_LIMIT = 1000
CENTS = Decimal("0.01")


def _cents(column: Any) -> ColumnElement[int]:
    return cast(func.round(column * 100), BigInteger)


def _monthly(cents: ColumnElement[int], annual: ColumnElement[bool]) -> ColumnElement[int]:
    return case((annual, (cents * 2 + 12) // 24), else_=cents)


def cost_cents() -> ColumnElement[int]:
    return _monthly(_cents(Account.price_per_cycle), Account.frequency == "annual")


def client_cents() -> ColumnElement[int]:
    annual_cycle = and_(Account.client_price_per == "cycle", Account.frequency == "annual")
    return _monthly(_cents(Account.client_price), annual_cycle)


def margin_cents() -> ColumnElement[int]:
    """The overview's `sort:margin` key; NULL (sorted last) without a client price."""
    return client_cents() - cost_cents()


def _unpriced_paid() -> ColumnElement[bool]:
    return and_(Account.pricing_version == "V3", Account.price_per_cycle == 0)


def _live(agency_id: int) -> list[ColumnElement[bool]]:
    return [Account.agency_id == agency_id, Account.is_commission.is_(False), Account.status.in_(LIVE)]


def current_cost(session: Session, catalog: Catalog, account: Account, count: int | None = None) -> Decimal:
    """The stored cycle price after discounts; for a paid account stored at 0, its price at today's tier."""
    if account.pricing_version != "V3" or account.price_per_cycle > 0:
        return Decimal(account.price_per_cycle)
    count = count_active_paid(session, account.agency_id) if count is None else count
    percent = discount_tier(catalog.discount_tiers, count).percent if account.discount_eligible else ZERO
    deal = migration_of(account)
    cycle = max(1, account.cycles_billed)
    migration = deal.percent if deal is not None and deal.applies_to(cycle) else None
    choice = plan_choice_of(account)
    return cycle_price(catalog, choice, reseller_percent=percent, migration_percent=migration).per_cycle


def margin_for(session: Session, catalog: Catalog, account: Account, count: int | None = None) -> Margin:
    return margin_of(
        cost_per_cycle=current_cost(session, catalog, account, count),
        frequency=account.frequency,
        client_price=account.client_price,
        client_price_per=account.client_price_per,
    )


@dataclass(frozen=True)
class Row:
    name: str
    client: str
    margin: Margin


@dataclass(frozen=True)
class Totals:
    priced: int
    revenue: Decimal
    cost: Decimal
    unpriced: int
    unpriced_cost: Decimal
    eligible_cost: Decimal
    """Monthly cost of the priced accounts that get the reseller discount (what a tier change moves)."""

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


def _fallback_rows(session: Session, catalog: Catalog, agency_id: int) -> list[tuple[Account, Margin]]:
    query = (
        select(Account).where(*_live(agency_id), _unpriced_paid()).order_by(Account.id).limit(FALLBACK_LIMIT)
    )
    accounts = list(session.scalars(query))
    if not accounts:
        return []
    count = count_active_paid(session, agency_id)
    return [(a, margin_for(session, catalog, a, count)) for a in accounts]


def totals(session: Session, catalog: Catalog, agency_id: int) -> Totals:
    priced = Account.client_price.is_not(None)
    eligible = and_(priced, Account.discount_eligible.is_(True), Account.discount_loss_pending.is_(False))
    row = session.execute(
        select(
            func.count(Account.id).filter(priced),
            func.coalesce(func.sum(client_cents()), 0),
            func.coalesce(func.sum(case((priced, cost_cents()), else_=0)), 0),
            func.count(Account.id).filter(not_(priced)),
            func.coalesce(func.sum(case((priced, 0), else_=cost_cents())), 0),
            func.coalesce(func.sum(case((eligible, cost_cents()), else_=0)), 0),
        ).where(*_live(agency_id), not_(_unpriced_paid()))
    ).one()
    n, revenue, cost, unpriced, unpriced_cost, eligible_cost = (int(v or 0) for v in row)
    money = [Decimal(revenue) * CENTS, Decimal(cost) * CENTS, Decimal(unpriced_cost) * CENTS]
    extra_eligible = ZERO
    for account, m in _fallback_rows(session, catalog, agency_id):
        if m.client_per_month is None:
            unpriced += 1
            money[2] += m.cost_per_month
            continue
        n += 1
        money[0] += m.client_per_month
        money[1] += m.cost_per_month
        if account.discount_eligible and not account.discount_loss_pending:
            extra_eligible += m.cost_per_month
    return Totals(n, money[0], money[1], unpriced, money[2], Decimal(eligible_cost) * CENTS + extra_eligible)


def lowest(
    session: Session, catalog: Catalog, agency_id: int, limit: int, *, negative_only: bool = False
) -> list[Row]:
    """Priced live accounts by monthly margin, lowest first (name breaks ties)."""
    where = [*_live(agency_id), Account.client_price.is_not(None), not_(_unpriced_paid())]
    if negative_only:
        where.append(margin_cents() < 0)
    query = select(Account).where(*where).order_by(margin_cents(), Account.name).limit(limit)
    rows = [Row(a.name, a.client_name, margin_for(session, catalog, a)) for a in session.scalars(query)]
    for account, m in _fallback_rows(session, catalog, agency_id):
        if m.monthly is not None and (not negative_only or m.monthly < 0):
            rows.append(Row(account.name, account.client_name, m))
    rows.sort(key=lambda r: (r.margin.monthly or ZERO, r.name))
    return rows[:limit]


def set_client_price(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, *, amount: Decimal | None, per: str
) -> Account:
    """Record what the agency charges its client (None forgets it); audited with before/after."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = by_name(uow.session, actor.agency_id, name, for_update=True)
    before = {"client_price": _text(account.client_price), "client_price_per": account.client_price_per}
    account.client_price = amount
    account.client_price_per = per
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="account.client_price",
        target=account.name,
        before=before,
        after={"client_price": _text(amount), "client_price_per": per},
    )
    uow.commit()
    return account


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)
