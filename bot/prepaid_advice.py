"""The monthly prepaid advice where people look at their money: `/credits` and the App Home.

The same figure as the monthly notice (`domain.notices.prepaid`), worked out for the month from
today; its *Buy prepaid* button carries nothing but its action: the amount is worked out again at
the click and shown on the usual confirm card.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.models.blocks import Block

from bot import ui
from bot.answer import answer
from bot.context import Req, open_request
from bot.notice_render import say
from domain.clock import today
from domain.i18n import N_
from domain.notices import texts
from domain.notices.prepaid import MonthAdvice, month_advice
from domain.roles import Permission

BUY = "credits_advice_buy"


def register(app: App) -> None:
    app.action(BUY)(buy_clicked)


def current(req: Req) -> MonthAdvice:
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        return month_advice(
            uow.session, req.deps.catalog, req.actor.agency_id, today(req.deps.clock, req.timezone)
        )


def advice_blocks(req: Req) -> list[Block]:
    t = req.t
    advice = current(req)
    text = t(N_("*This month's renewals*")) + "\n" + say(t, texts.advice_text(advice.payload()))
    button = ui.button(t(N_("Buy prepaid")), BUY, "month") if advice.to_buy is not None else None
    return [ui.section(text, accessory=button)]


def buy_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    req.actor.require(Permission.SPEND_MONEY)
    from bot.commands.notices import advice_purchase

    answer(context, body, advice_purchase(req), replace=False)
