"""Agency tools on `/accounts`: client prices and margins.

`/accounts price <name> <amount> [month|cycle]`, `/accounts margins`; the account card's margin and
access blocks; the overview's margin column; the App Home's margin section; the client-price input
of the add and edit modals. Client access help lives in `accounts_access`, template imports in
`accounts_templates`; this module routes their sub-commands.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from slack_bolt import App
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement
from sqlalchemy.orm import Session

from bot import ui
from bot.commands import accounts_access, accounts_templates
from bot.commands.accounts_common import ports_of
from bot.context import Req
from bot.i18n import Percent, Translator
from domain import access, margins
from domain.accounts import margins as portfolio_margins
from domain.catalog import Catalog
from domain.errors import InvalidInput
from domain.i18n import N_, Word
from domain.portfolio import count_active_paid
from domain.roles import Permission
from domain.store.models import Account
from domain.tiers import discount_tier

SHOWN = 20
VOCABULARY = (N_("margin"), N_("month"), N_("cycle"))


def register(app: App) -> None:
    accounts_access.register(app)
    accounts_templates.register(app)


def reply(req: Req, sub: str, words: list[str]) -> dict[str, Any] | None:
    """The reply for one of these sub-commands, or None for the other `/accounts` words."""
    if sub == "price":
        return price_reply(req, words)
    if sub == "margins" and not words:
        return margins_reply(req)
    if sub == "access":
        return accounts_access.access_reply(req, words)
    if sub == "templates":
        return accounts_templates.reply(req, words)
    return None


def money_per(t: Translator, amount: Decimal, per: str) -> str:
    return (
        t(N_("{amount} per month"), amount=amount)
        if per == "month"
        else t(N_("{amount} per cycle"), amount=amount)
    )


def margin_text(t: Translator, m: margins.Margin) -> str:
    if m.monthly is None:
        return t(N_("no client price"))
    return t(N_("{margin} a month"), margin=m.monthly)


def price_reply(req: Req, words: list[str]) -> dict[str, Any]:
    if len(words) < 2:
        raise InvalidInput(
            N_("Write it as `/accounts price acme-shop 120` or `/accounts price acme-shop 1200 cycle`.")
        )
    amount, per = margins.parse_client_price(words[1:])
    with req.deps.uow() as uow:
        account = portfolio_margins.set_client_price(
            uow, ports_of(req), req.actor, words[0], amount=amount, per=per
        )
        m = portfolio_margins.margin_for(uow.session, req.deps.catalog, account)
        name = account.name
    t = req.t
    if amount is None:
        return ui.notice(t(N_(":white_check_mark: {name} has no client price any more."), name=name))
    return ui.notice(
        t(
            N_(
                ":white_check_mark: {name}: client price {price}; cost {cost} a month; monthly margin {margin}."
            ),
            name=name,
            price=money_per(t, amount, per),
            cost=m.cost_per_month,
            margin=m.monthly or Decimal(0),
        )
    )


def margins_reply(req: Req) -> dict[str, Any]:
    t = req.t
    catalog = req.deps.catalog
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        session = uow.session
        totals = portfolio_margins.totals(session, catalog, req.actor.agency_id)
        rows = portfolio_margins.lowest(session, catalog, req.actor.agency_id, SHOWN)
        tier = discount_tier(catalog.discount_tiers, count_active_paid(session, req.actor.agency_id))
    lines = [
        t(
            N_("*{name}* · {client} · cost {cost} · client {price} · margin *{margin}*"),
            name=r.name,
            client=r.client,
            cost=r.margin.cost_per_month,
            price=r.margin.client_per_month or Decimal(0),
            margin=r.margin.monthly or Decimal(0),
        )
        for r in rows
    ]
    blocks: list[Block] = [ui.header(t(N_("Monthly margins, lowest first"))), *_totals_blocks(t, totals)]
    blocks.append(
        ui.section(
            "\n".join(lines) or t(N_("No account has a client price yet: `/accounts price <name> <amount>`."))
        )
    )
    if (
        tier.accounts_to_next is not None
        and tier.next_percent is not None
        and tier.accounts_to_next <= margins.CLOSE_TO_NEXT_TIER
    ):
        gain = totals.next_tier_gain
        blocks.append(
            ui.section(
                t.plural(
                    N_(
                        ":chart_with_upwards_trend: {n} more active paid account reaches the {percent} tier: from its next "
                        "charge the monthly margin grows by {gain}, to {total}."
                    ),
                    N_(
                        ":chart_with_upwards_trend: {n} more active paid accounts reach the {percent} tier: from their next "
                        "charges the monthly margin grows by {gain}, to {total}."
                    ),
                    tier.accounts_to_next,
                    percent=Percent(tier.next_percent),
                    gain=gain,
                    total=totals.margin + gain,
                )
            )
        )
    blocks.append(
        ui.context(
            t(
                N_(
                    "Cost is what each next renewal charges per cycle at today's discount tier; an annual cycle counts 1/12 a month."
                )
            )
        )
    )
    return ui.message(t(N_("Monthly margins")), blocks)


def _totals_blocks(t: Translator, totals: portfolio_margins.Totals) -> list[Block]:
    blocks: list[Block] = [
        ui.fields(
            [
                (t(N_("Monthly revenue")), t.money(totals.revenue)),
                (t(N_("Monthly cost")), t.money(totals.cost)),
                (t(N_("Monthly margin")), t.money(totals.margin)),
                (t(N_("Accounts with a client price")), t.number(totals.priced)),
            ]
        )
    ]
    if totals.unpriced:
        blocks.append(
            ui.context(
                t.plural(
                    N_(
                        "{n} live account has no client price; its cost ({cost} a month) is not in these figures."
                    ),
                    N_(
                        "{n} live accounts have no client price; their cost ({cost} a month) is not in these figures."
                    ),
                    totals.unpriced,
                    cost=totals.unpriced_cost,
                )
            )
        )
    return blocks


def home_blocks(req: Req) -> list[Block]:
    """The App Home's margin section: portfolio revenue, cost, margin and the accounts losing money."""
    t = req.t
    with req.deps.uow() as uow:
        totals = portfolio_margins.totals(uow.session, req.deps.catalog, req.actor.agency_id)
        losing = portfolio_margins.lowest(
            uow.session, req.deps.catalog, req.actor.agency_id, 10, negative_only=True
        )
    names = [f"*{ui.escape(r.name)}* · {t.money(r.margin.monthly or Decimal(0))}" for r in losing]
    return [
        ui.section(t(N_("*Margins* (`/accounts margins`)"))),
        *_totals_blocks(t, totals),
        ui.section(t(N_("*Negative margin*")) + "\n" + ("\n".join(names) or t(N_("None.")))),
    ]


def card_blocks(req: Req, session: Session, account: Account) -> list[Block]:
    """The card's margin line, and the provider lockout when the client is locked out now."""
    t = req.t
    catalog = req.deps.catalog
    percent = portfolio_margins.tier_percent(session, catalog, account.agency_id)
    m = portfolio_margins.margin_at(catalog, account, percent)
    price = (
        t(N_("none"))
        if account.client_price is None
        else money_per(t, account.client_price, account.client_price_per)
    )
    cost = portfolio_margins.next_renewal_cost(catalog, account, percent)
    if cost is None:  # free, or no renewal ahead (cancelled, expired…): no cost, no margin to show
        if account.is_commission:
            none = t(N_("none: the provider bills the client (commission account)"))
        elif account.pricing_version != "V3":
            none = t(N_("free"))
        else:
            none = t(N_("no renewal ({status})"), status=Word(account.status))
        pairs = [(t(N_("Next renewal")), none), (t(N_("Client price")), price)]
    else:
        pairs = [
            (t(N_("Cost per cycle at the next renewal, at today's tier")), t.money(cost)),
            (t(N_("Client price")), price),
            (t(N_("Monthly margin")), margin_text(t, m)),
        ]
    blocks: list[Block] = [ui.fields(pairs)]
    note = accounts_access.lockout_note(req, account)
    if note:
        blocks.append(ui.context(note))
    if account.status in access.HELPED_STATUSES and account.provider_ref:
        blocks.append(
            ui.actions(ui.button(t(N_("Client access")), accounts_access.ACCESS_OPEN, account.name))
        )
    return blocks


def row_margin(t: Translator, account: Account, catalog: Catalog, percent: Decimal) -> str:
    """The overview's margin column: the next renewal's cost at the tier in force (`percent`)."""
    if account.client_price is None or account.pricing_version != "V3" or account.is_commission:
        return ""
    m = portfolio_margins.margin_at(catalog, account, percent)
    return " · " + t(N_("margin {margin} a month"), margin=m.monthly or Decimal(0))


def client_price_input(t: Translator, initial: str | None) -> InputBlock:
    return InputBlock(
        block_id="client_price",
        label=t(N_("Client price (what you charge the client)")),
        optional=True,
        hint=t(N_("Per month, like 120; or per billing cycle, like 1200 cycle. Empty: none.")),
        element=PlainTextInputElement(action_id="value", initial_value=initial or None, max_length=30),
    )


def initial_client_price(account: Account) -> str | None:
    if account.client_price is None:
        return None
    return f"{account.client_price} {account.client_price_per}"


def read_client_price(view: dict[str, Any]) -> tuple[Decimal | None, str] | None:
    """The modal's client price, validated before anything else is saved; None when left empty."""
    text = (ui.state_value(view, "client_price") or "").strip()
    return margins.parse_client_price(text.split()) if text else None
