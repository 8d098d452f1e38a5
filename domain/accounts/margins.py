"""Margins over the portfolio: setting a client price, and the figures the card, the overview, the
App Home and `/accounts margins` show.

The cost is what the account's next renewal would charge per cycle at the tier in force now (its
renewed plan's value after the migration discount still due, then today's reseller discount; SPEC
§3/§4), not the price last charged, which may date from an older tier. Each account keeps its
renewal base (`Account.renewal_base`, see `domain.store.renewal_terms`), so the discount is
applied in SQL with integer cents: `(2·b·n + 100·d) // (200·d)` is `b × n/d %` rounded half-up,
exactly, on SQLite and PostgreSQL alike, and `(2c + 12) // 24` is c/12 rounded half-up. Totals are
one aggregate query, so 100,000 accounts cost one scan, not 100,000 objects. An account whose base is
not known yet (rows written before it existed) is priced in Python; there are few and they are read
with a bound.
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
from domain.billing.renewal import renewal_cost, renewed_choice
from domain.catalog import Catalog
from domain.margins import Margin, margin_of
from domain.money import ZERO
from domain.portfolio import PAID_STATUSES, count_active_paid
from domain.quotes import discount_amount
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


def cost_cycle_cents(percent: Decimal) -> ColumnElement[int]:
    """The next renewal's cycle price in cents at the reseller discount `percent`, as `next_charge`
    rounds it: the discount on the base, rounded half-up once, then subtracted."""
    n, d = Decimal(percent).as_integer_ratio()
    base = _cents(Account.renewal_base)
    eligible = and_(Account.discount_eligible.is_(True), Account.discount_loss_pending.is_(False))
    discount = (base * (2 * n) + 100 * d) // (200 * d)
    return base - case((eligible, discount), else_=0)


def cost_cents(percent: Decimal) -> ColumnElement[int]:
    return _monthly(cost_cycle_cents(percent), Account.renewal_months == 12)


def client_cents() -> ColumnElement[int]:
    annual_cycle = and_(Account.client_price_per == "cycle", Account.frequency == "annual")
    return _monthly(_cents(Account.client_price), annual_cycle)


def margin_cents(percent: Decimal) -> ColumnElement[int]:
    """The overview's `sort:margin` key at the tier in force; NULL (sorted last) without a client price."""
    return client_cents() - cost_cents(percent)


def _unknown_base() -> ColumnElement[bool]:
    return Account.renewal_base.is_(None)


def _live(agency_id: int) -> list[ColumnElement[bool]]:
    return [Account.agency_id == agency_id, Account.is_commission.is_(False), Account.status.in_(LIVE)]


def tier_percent(session: Session, catalog: Catalog, agency_id: int) -> Decimal:
    """The reseller discount in force now (the count of active paid accounts today)."""
    return discount_tier(catalog.discount_tiers, count_active_paid(session, agency_id)).percent


def next_renewal_cost(catalog: Catalog, account: Account, percent: Decimal) -> Decimal | None:
    """What the account's next renewal charges per cycle (before credit and tax) with the reseller
    discount at `percent`, exactly as `domain.billing.renewal.next_charge` computes it; None when no renewal
    is ahead (free levels, and cancelled, expired, archived or transferred accounts).

    The overview calls it for every row, so it reads the stored renewal terms (`renewal_base`: the
    plan value after the migration discount) and applies the discount with one rounding, as
    `cycle_price` does; only an account whose terms are not stored yet is priced from the catalog.
    """
    if account.pricing_version != "V3" or account.status not in PAID_STATUSES or account.is_commission:
        return None
    if account.renewal_base is None:
        return renewal_cost(catalog, account, percent)
    eligible = bool(account.discount_eligible) and not account.discount_loss_pending
    base = Decimal(account.renewal_base)
    return base + discount_amount(base, Decimal(percent)) if eligible else base


def margin_for(session: Session, catalog: Catalog, account: Account) -> Margin:
    return margin_at(catalog, account, tier_percent(session, catalog, account.agency_id))


def margin_at(catalog: Catalog, account: Account, percent: Decimal) -> Margin:
    """The account's margin with the reseller discount at `percent` (the overview's rows, read once)."""
    return margin_of(
        cost_per_cycle=renewal_cost(catalog, account, percent),
        frequency="annual" if renewed_choice(account).frequency == "annual" else "monthly",
        client_price=account.client_price,
        client_price_per=account.client_price_per,
        client_frequency=account.frequency,
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
    next_tier_cost: Decimal | None
    """Monthly cost of the priced accounts at the next tier's discount; None at the top tier."""

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def next_tier_gain(self) -> Decimal:
        """How much the monthly margin grows when the next tier applies to every renewal."""
        return ZERO if self.next_tier_cost is None else self.cost - self.next_tier_cost


def _fallback_accounts(session: Session, agency_id: int) -> list[Account]:
    query = (
        select(Account).where(*_live(agency_id), _unknown_base()).order_by(Account.id).limit(FALLBACK_LIMIT)
    )
    return list(session.scalars(query))


def totals(session: Session, catalog: Catalog, agency_id: int) -> Totals:
    tier = discount_tier(catalog.discount_tiers, count_active_paid(session, agency_id))
    after = tier.next_percent if tier.next_percent is not None else tier.percent
    priced = Account.client_price.is_not(None)
    row = session.execute(
        select(
            func.count(Account.id).filter(priced),
            func.coalesce(func.sum(client_cents()), 0),
            func.coalesce(func.sum(case((priced, cost_cents(tier.percent)), else_=0)), 0),
            func.count(Account.id).filter(not_(priced)),
            func.coalesce(func.sum(case((priced, 0), else_=cost_cents(tier.percent))), 0),
            func.coalesce(func.sum(case((priced, cost_cents(after)), else_=0)), 0),
        ).where(*_live(agency_id), not_(_unknown_base()))
    ).one()
    n, revenue, cost, unpriced, unpriced_cost, next_cost = (int(v or 0) for v in row)
    money = [Decimal(v) * CENTS for v in (revenue, cost, unpriced_cost, next_cost)]
    for account in _fallback_accounts(session, agency_id):
        m = margin_at(catalog, account, tier.percent)
        if m.client_per_month is None:
            unpriced += 1
            money[2] += m.cost_per_month
            continue
        n += 1
        money[0] += m.client_per_month
        money[1] += m.cost_per_month
        money[3] += margin_at(catalog, account, after).cost_per_month
    next_tier = money[3] if tier.next_percent is not None else None
    return Totals(n, money[0], money[1], unpriced, money[2], next_tier)


def lowest(
    session: Session, catalog: Catalog, agency_id: int, limit: int, *, negative_only: bool = False
) -> list[Row]:
    """Priced live accounts by monthly margin at today's tier, lowest first (name breaks ties)."""
    percent = tier_percent(session, catalog, agency_id)
    where = [*_live(agency_id), Account.client_price.is_not(None), not_(_unknown_base())]
    if negative_only:
        where.append(margin_cents(percent) < 0)
    query = select(Account).where(*where).order_by(margin_cents(percent), Account.name).limit(limit)
    rows = [Row(a.name, a.client_name, margin_at(catalog, a, percent)) for a in session.scalars(query)]
    for account in _fallback_accounts(session, agency_id):
        m = margin_at(catalog, account, percent)
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
