"""`/accounts`: the overview with its filters and pages, the account card, and the sub-commands.

Modals live in `accounts_add` and `accounts_edit`, row buttons and menus in `accounts_actions`, the
smaller sub-commands (views, snapshots, transfers, branding, commission) in `accounts_more`.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, StaticSelectElement

from bot import ui
from bot.answer import answer
from bot.commands import (
    accounts_actions,
    accounts_add,
    accounts_columns,
    accounts_edit,
    accounts_more,
    accounts_tools,
)
from bot.context import Req, open_request
from bot.i18n import Translator
from bot.parsing import refuse_extra, tokens
from bot.vocabulary import product_label, tier_label
from domain.accounts import margins as portfolio_margins
from domain.accounts import queries
from domain.accounts.common import AccountPorts
from domain.accounts.filters import FILTERS, PLAN_FILTERS, SORTS, STATUS_FILTERS, Filters, parse_filters
from domain.accounts.queries import Page
from domain.accounts.rules import TRANSFERRED
from domain.accounts.views import ALL_COLUMNS, OVERVIEW, columns_for
from domain.catalog import Catalog
from domain.errors import InvalidInput
from domain.i18n import N_, Word
from domain.roles import Permission
from domain.store.models import Account
from domain.tiers import discount_tier

PRIMARY_LOGIN = ("trial", "active", "disabled")


def register(app: App) -> None:
    app.command("/accounts")(accounts_command)
    for action in ("accounts_page", "accounts_filter_status", "accounts_filter_plan", "accounts_filter_sort"):
        app.action(action)(page_action)
    accounts_add.register(app)
    accounts_edit.register(app)
    accounts_actions.register(app)
    accounts_more.register(app)
    accounts_tools.register(app)
    accounts_columns.register(app)


def ports_of(req: Req) -> AccountPorts:
    d = req.deps
    return AccountPorts(
        clock=d.clock, catalog=d.catalog, provider=d.provider, gateway=d.gateway, providers=d.providers
    )


def accounts_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    req = open_request(context, command)
    context["translator"] = req.t
    words = tokens(command.get("text"))
    sub = words[0].lower() if words else ""
    if not _opened_modal(ack, req, client, command, words):
        ack(**_reply(req, sub, words))


def _opened_modal(ack: Ack, req: Req, client: WebClient, command: dict[str, Any], words: list[str]) -> bool:
    """`add`, `edit <name>`, `branding <name>`: acknowledged first, then the modal opens."""
    sub = words[0].lower() if words else ""
    if sub == "add":
        refuse_extra(words, 1, "`/accounts add`")
        ack()
        accounts_add.open_add_modal(req, client, command["trigger_id"], command.get("channel_id"))
    elif sub == "edit" and len(words) == 2:
        ack()
        accounts_edit.open_edit_modal(req, client, command["trigger_id"], words[1], command.get("channel_id"))
    elif sub == "branding" and len(words) == 2 and words[1] != "default":
        ack()
        accounts_more.open_branding_modal(
            req, client, command["trigger_id"], words[1], command.get("channel_id")
        )
    else:
        return False
    return True


def _reply(req: Req, sub: str, words: list[str]) -> dict[str, Any]:
    """Every other subcommand answers in the acknowledgement: help, a card, a tool, or the overview."""
    if sub == "help":
        return help_reply(req)
    if sub == "show":
        from bot.commands.accounts_card import card_reply  # it uses this module's row helpers

        return card_reply(req, _one_name(words, "show"))
    if sub == "renew":
        return accounts_actions.renew_card(req, _one_name(words, "renew"))
    handled = accounts_more.reply(req, sub, words[1:]) or accounts_tools.reply(req, sub, words[1:])
    if handled is not None:
        return handled
    if sub in SUB_USAGE and (sub != "view" or len(words) != 2):
        raise InvalidInput(N_("Write it as {example}."), example=SUB_USAGE[sub])
    if sub == "view":
        from domain.accounts.views import view_text

        with req.deps.uow() as uow:
            text = view_text(uow, req.actor, words[1])
        return overview_reply(req, parse_filters(tokens(text)), view=words[1])
    return overview_reply(req, parse_filters(words))


SUB_USAGE = {
    "edit": "`/accounts edit acme-shop`",
    "view": "`/accounts view renewals-soon`",
    "branding": "`/accounts branding acme-shop`, `/accounts branding acme-shop remove` or "
    "`/accounts branding default colour=#1F6FEB`",
    "margins": "`/accounts margins`",
}
"""Sub-commands whose words, written wrongly, would otherwise be read as overview filters."""


def _one_name(words: list[str], sub: str) -> str:
    if len(words) != 2:
        raise InvalidInput(N_("Write it as `/accounts {sub} acme-shop`."), sub=sub)
    return words[1]


def help_reply(req: Req) -> dict[str, Any]:
    t = req.t
    lines = [
        t(
            N_(
                "`/accounts` — active accounts; filters like `status:expired plan:plus sort:-expiry search:acme`"
            )
        ),
        t(N_("`/accounts add` — add an account (modal); `/accounts edit <name>` — change it")),
        t(N_("`/accounts show <name>` — the account card; `/accounts renew <name>` — renew it")),
        t(N_("`/accounts views`, `/accounts views save <name> <filters>`, `/accounts view <name>`")),
        t(N_("`/accounts snapshot <name>`, `/accounts snapshots` — copies new accounts can start from")),
        t(
            N_(
                "`/accounts transfer-out <name>`, `/accounts transfer-in <name> <client email> <plan, as in /quote> [country <code>]`, `/accounts transfer-confirm <number>`, `/accounts transfers`"
            )
        ),
        t(N_("`/accounts branding <name>` (modal), `/accounts branding default` — the agency's default")),
        t(N_("`/accounts commission`, `/accounts commission payout <email>` — referred accounts")),
        t(
            N_(
                '`/accounts commission add <name> client "<client>" referred YYYY-MM-DD plan <plan>` — record a referred account'
            )
        ),
        t(
            N_(
                "`/accounts price <name> <amount> [month|cycle]`, `/accounts margins` — client prices and margins"
            )
        ),
        t(N_("`/accounts templates import <share link> [filters]` — a template into many accounts")),
        t(N_("`/accounts access <name> [reset|password]` — help a client sign in")),
    ]
    blocks: list[Block] = [
        ui.header(t(N_("Resold accounts"))),
        ui.section("\n".join(lines)),
        ui.section(t(N_("*Filters*")) + "\n" + "\n".join(filter_help(t))),
    ]
    return ui.message(t(N_("Resold accounts help")), blocks)


def filter_help(t: Translator) -> list[str]:
    """One line per filter of the overview, from the parser's own table, so none is left out."""
    lines = []
    for spec in FILTERS:
        # the values are keywords typed as they are, in every language: shown as code, untranslated
        keywords = ", ".join(f"`{c}`" for c in spec.choices)
        what = t(spec.help, choices=keywords) if spec.choices else t(spec.help)
        line = f"`{spec.key}:` {what} — " + t(N_("e.g. {example}"), example=f"`{spec.example}`")
        if spec.synonyms:
            line += " " + t(N_("(also {keys})"), keys=", ".join(f"`{s}:`" for s in spec.synonyms))
        lines.append(line)
    return lines


def plan_label(t: Translator, account: Account) -> str:
    """The plan in the reader's words: the catalog's product and tier labels, the frequency
    translated, a count with its plural form ("Bundle Enterprise 25,000 contacts, mensuel")."""
    if getattr(account, "plan_to_confirm", False):  # imported with a plan the desk could not read
        return t(N_(":grey_question: plan to confirm: set it through Edit (not billed until then)"))
    product = product_label(t, account.product)
    if account.pricing_version == "V1":
        return t(N_("{product} {level} (free)"), product=product, level=tier_label(t, account.tier))
    if account.tier == "licenses":
        return t.plural(
            N_("{product}, {n} license, {frequency}"),
            N_("{product}, {n} licenses, {frequency}"),
            account.seats or 0,
            product=product,
            frequency=t(account.frequency),
        )
    return t(
        N_("{product} {tier} {contacts} contacts, {frequency}"),
        product=product,
        tier=tier_label(t, account.tier),
        contacts=account.contacts or 0,
        frequency=t(account.frequency),
    )


def expiry_label(t: Translator, account: Account) -> str:
    if account.pricing_version == "V1" and account.tier == "sandbox":
        return t(N_("never expires"))
    if account.status in ("trial", "cancelled"):
        return t(N_("ends {date}"), date=account.period_end)
    if account.status in ("expired", "archived"):
        return t(N_("ended {date}"), date=account.period_end)
    if account.status == TRANSFERRED:
        return t(N_("transferred out {date}"), date=account.status_changed_at.date())
    return t(N_("renews {date}"), date=account.period_end)


def next_cycle_text(t: Translator, account: Account, catalog: Catalog, percent: Decimal) -> str:
    """The overview's "per cycle" column: what the next renewal charges at the tier in force
    (`percent`), as the billing run computes it, not what the last charge billed."""
    if account.pricing_version != "V3":
        return t(N_("free"))
    cost = portfolio_margins.next_renewal_cost(catalog, account, percent)
    if cost is None:
        return t(N_("no renewal ({status})"), status=Word(account.status))
    return t(N_("{amount} per cycle"), amount=cost)


def row_blocks(
    t: Translator,
    account: Account,
    catalog: Catalog,
    percent: Decimal,
    columns: tuple[str, ...] = ALL_COLUMNS,
) -> list[dict[str, Any]]:
    """One account of the overview: its name, then the columns the member chose (all by default)."""
    head = f"*{ui.escape(account.name)}*"
    if "client" in columns:
        head += f" · {ui.escape(account.client_name)}"
    parts = []
    if "plan" in columns:
        parts.append(plan_label(t, account))
    if "status" in columns:
        parts.append(t(account.status))
    if "expiry" in columns:
        parts.append(expiry_label(t, account))
    if "cost" in columns:
        parts.append(next_cycle_text(t, account, catalog, percent))
    line = " · ".join(parts)
    if "margin" in columns:
        margin = accounts_tools.row_margin(t, account, catalog, percent)
        line = line + margin if line else margin.removeprefix(" · ")
    text = head + (f"\n{line}" if line else "")
    if account.status == TRANSFERRED:  # gone from the agency: its history only, nothing to renew or edit
        history = ui.overflow_dict("accounts_menu", [(t(N_("Billing history")), f"billing:{account.name}")])
        return [ui.section_dict(text), ui.actions_dict(history)]
    if account.status in PRIMARY_LOGIN:
        primary = ui.button_dict(t(N_("Login")), "accounts_login", account.name)
    else:
        primary = ui.button_dict(t(N_("Renew")), "accounts_renew", account.name, style="primary")
    menu = ui.overflow_dict(
        "accounts_menu",
        [
            (t(N_("Edit")), f"edit:{account.name}"),
            (t(N_("Branding")), f"branding:{account.name}"),
            (t(N_("Billing history")), f"billing:{account.name}"),
            (t(N_("Credits")), f"credits:{account.name}"),
            (t(N_("Seats")), f"seats:{account.name}"),
        ],
    )
    return [ui.section_dict(text), ui.actions_dict(primary, menu)]


def _select(
    t: Translator, action: str, placeholder: str, options: list[tuple[str, str]], current: str
) -> StaticSelectElement:
    opts = [ui.option(label, value[:150]) for label, value in options]
    initial = next((o for o in opts if o.value == current[:150]), None)
    return StaticSelectElement(
        action_id=action, placeholder=placeholder, options=opts, initial_option=initial
    )


@lru_cache(maxsize=1024)
def cached_filter_controls(lang: str, f: Filters) -> dict[str, Any]:
    """The same filters in the same language give the same controls: built once, reused."""
    return filter_controls(Translator(lang), f).to_dict()


def filter_controls(t: Translator, f: Filters) -> Block:
    from dataclasses import replace

    current = f.as_text(page=False)
    statuses = [(t(s), replace(f, status=s, page=1).as_text(page=False)) for s in STATUS_FILTERS]
    plans = [(t(N_("all plans")), replace(f, plan=None, page=1).as_text(page=False))]
    plans += [(t(p), replace(f, plan=p, page=1).as_text(page=False)) for p in PLAN_FILTERS]
    sorts = []
    for s in SORTS:
        for desc in (False, True):
            label = t(N_("{sort} ↓"), sort=t(s)) if desc else t(N_("{sort} ↑"), sort=t(s))
            sorts.append((label, replace(f, sort=s, descending=desc, page=1).as_text(page=False)))
    return ui.actions(
        _select(t, "accounts_filter_status", t(N_("Status")), statuses, current),
        _select(t, "accounts_filter_plan", t(N_("Plan")), plans, current),
        _select(t, "accounts_filter_sort", t(N_("Sort")), sorts, current),
    )


def overview_reply(req: Req, f: Filters, view: str | None = None) -> dict[str, Any]:
    """The overview page; `view` names the saved view shown (its columns), None the plain overview."""
    t = req.t
    with req.deps.read_uow() as uow:
        req.actor.require(Permission.READ)
        columns = columns_for(uow, req.actor, view)
        percent = discount_tier(req.deps.catalog.discount_tiers, req.active_paid).percent
        page: Page = queries.overview(uow.session, req.actor.agency_id, f, reseller_percent=percent)
        rows: list[Block | dict[str, Any]] = []
        for account in page.accounts:
            rows += row_blocks(t, account, req.deps.catalog, percent, columns)
    f = page.filters
    title = (
        t.plural(N_("{n} account"), N_("{n} accounts"), page.total)
        if page.exact
        else t(N_("more than {n} accounts"), n=page.total)
    )
    blocks: list[Block | dict[str, Any]] = [
        ui.header(t(N_("Accounts — {filters}"), filters=f.as_text(page=False))),
        cached_filter_controls(t.lang, f.with_page(1)),
        *(rows or [ui.section(t(N_("No account matches. Try `status:all` or another search.")))]),
    ]
    nav = []
    if page.has_previous:
        nav.append(ui.button(t(N_("Previous")), "accounts_page", f.with_page(f.page - 1).as_text()))
    if page.has_next:
        nav.append(ui.button(t(N_("Next")), "accounts_page", f.with_page(f.page + 1).as_text()))
    nav.append(ui.button(t(N_("Columns")), accounts_columns.OPEN, view or OVERVIEW))
    blocks.append(ui.actions(*nav))
    blocks.append(
        ui.context(
            t(N_("{title} · page {page} of {pages}"), title=title, page=f.page, pages=page.pages)
            if page.exact
            else t(N_("{title} · page {page}"), title=title, page=f.page),
            t(
                N_("Save these filters: `/accounts views save <name> {filters}`"),
                filters=f.as_text(page=False),
            ),
        )
    )
    return ui.message(title, blocks)


def page_action(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    value = ui.action_value(body)
    answer(context, body, overview_reply(req, parse_filters(tokens(value))), replace=True)
