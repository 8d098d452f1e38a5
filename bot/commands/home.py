"""The App Home tab: the agency at a glance — discount tier and the accounts to the next one, accounts
by status, renewals in the next 7 days with their amounts, balances, and the common actions.

Every figure is one aggregate or one bounded query, so the tab publishes quickly for any portfolio.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import portal_tasks, ui
from bot.commands.accounts_tools import home_blocks as margin_blocks
from bot.context import Req, open_request
from bot.i18n import Percent
from bot.prepaid_advice import advice_blocks
from bot.vendor_links import vendor_blocks
from bot.vocabulary import role_name
from domain import ledger
from domain.accounts import queries
from domain.accounts.rules import STATUSES
from domain.billing.renewal import next_charge
from domain.clock import today
from domain.errors import DomainError, NotAMember
from domain.i18n import N_
from domain.money import ZERO
from domain.portfolio import count_active_paid
from domain.roles import Permission
from domain.tiers import discount_tier
from domain.vendor_billing import billing_vendor, vendor_label
from domain.vendors import tasks

RENEWALS_SHOWN = 15
HOME_TASKS = 10
"""Open portal tasks the tab shows with their Done buttons (the rest: `/agency tasks`)."""


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)


def publish_home(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    if event.get("tab") not in (None, "home"):
        return
    try:  # the workspace is the installation Bolt authorised, never the event's team fields
        req = open_request(context, {"user_id": event.get("user")})
    except NotAMember:
        return
    view = ui.plain_texts(View(type="home", blocks=home_blocks(req)).to_dict())
    client.views_publish(user_id=req.user_id, view=view)


def home_blocks(req: Req) -> list[Block]:
    t = req.t
    catalog = req.deps.catalog
    day = today(req.deps.clock, req.timezone)
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        agency_id = req.actor.agency_id
        count = count_active_paid(uow.session, agency_id)
        tier = discount_tier(catalog.discount_tiers, count)
        by_status = queries.counts_by_status(uow.session, agency_id)
        renewals = []
        total = ZERO
        for account in queries.renewals_between(
            uow.session, agency_id, day, day + timedelta(days=7), RENEWALS_SHOWN
        ):
            try:  # the billing run's own computation: scheduled changes, lost discounts, tax
                price = next_charge(
                    uow.session, catalog, account, active_paid_count=count, balances=(ZERO, ZERO)
                ).total
            except (DomainError, KeyError, ValueError):  # a plan the catalog no longer prices
                continue
            total += price
            line = f"{t.date(account.period_end)} · *{ui.escape(account.name)}* · {t.money(price)}"
            vendor = billing_vendor(req.deps.provider, account.product)
            if vendor is not None:  # SPEC §9: the vendor bills it, not the desk
                line += " · " + t(N_("billed by {vendor}"), vendor=vendor_label(vendor))
            renewals.append(line)
        open_count, open_listed = tasks.open_tasks(uow.session, agency_id, HOME_TASKS)
        prepaid = ledger.balance(uow.session, agency_id, "prepaid")
        sms = ledger.balance(uow.session, agency_id, "sms")
        preview = ledger.balance(uow.session, agency_id, "preview")
    if tier.accounts_to_next is not None:
        to_next = t.plural(
            N_("{n} more active paid account reaches {percent}."),
            N_("{n} more active paid accounts reach {percent}."),
            tier.accounts_to_next,
            percent=Percent(tier.next_percent or 0),
        )
    else:
        to_next = t(N_("The highest tier."))
    shown = (*STATUSES, "creating") if by_status.get("creating") else STATUSES  # the vendor is creating them
    statuses = " · ".join(f"{t(s)} {t.number(by_status.get(s, 0))}" for s in shown)
    return [
        ui.header(t(N_("{agency} at a glance"), agency=req.agency_name)),
        ui.fields(
            [
                (
                    t(N_("Reseller discount")),
                    t.plural(
                        N_("{percent} with {n} active paid account"),
                        N_("{percent} with {n} active paid accounts"),
                        count,
                        percent=Percent(tier.percent),
                    ),
                ),
                (t(N_("Next tier")), to_next),
                (t(N_("Prepaid balance")), t.money(prepaid)),
                (t(N_("SMS and preview credits")), f"{t.number(int(sms))} · {t.number(int(preview))}"),
                (t(N_("Your role")), role_name(t, req.actor.role)),
                (t(N_("Time zone")), req.timezone),
            ]
        ),
        ui.section(t(N_("*Accounts by status*")) + "\n" + statuses),
        ui.section(
            t(N_("*Renewals in the next 7 days* ({total})"), total=total)
            + "\n"
            + ("\n".join(renewals) or t(N_("None.")))
        ),
        *(portal_tasks.listing(t, open_count, open_listed) if open_count else []),
        *advice_blocks(req),
        *margin_blocks(req),
        ui.actions(
            ui.button(t(N_("Add account")), "accounts_add_open", style="primary"),
            ui.button(
                t(N_("Expiring soon")),
                "accounts_page",
                f"status:all sort:expiry expires:{day.isoformat()}..{(day + timedelta(days=7)).isoformat()}",
            ),
            ui.button(t(N_("Expired")), "accounts_page", "status:expired sort:-expiry"),
        ),
        ui.context(
            t(
                N_(
                    "`/accounts` finds accounts, `/quote` prices plans, `/credits` and `/billing` handle money."
                )
            )
        ),
        *vendor_blocks(t, catalog, req.deps.provider.key),
    ]
