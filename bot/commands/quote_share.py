"""*Share quote*: the quote a person built, posted to the channel for the team (issue 18 §1).

The quote's button carries only a held confirmation's id: the plan, the taxes and the channel stay
on the server, and the quote is priced again when shared (today's tier), never read from the button.
A shared quote is a channel message, so it is in the agency's language; a second click (or a Slack
retry) answers what the first one did and posts nothing again.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import confirmations, ui
from bot.answer import answer
from bot.context import Req, open_request
from bot.i18n import Translator
from bot.quote_render import plan_from_value, plan_value, quote_blocks
from bot.quote_text import QuoteRequest
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.pricing import Quote
from domain.quotes import MigrationDiscount

ACTION = "quote_share"
KIND = "quote-share"
CHANNEL = re.compile(r"[CG][A-Z0-9]{2,30}")


def register(app: App) -> None:
    app.action(ACTION)(share_clicked)


def share_button(req: Req, request: QuoteRequest, channel: str | None) -> Block | None:
    """The button under a quote shown to one person; none where there is no channel to post to."""
    if not channel or not CHANNEL.fullmatch(channel):  # a DM with the app, a global shortcut: no channel
        return None
    migration = request.migration
    payload = {
        "plan": plan_value(request.choice),
        "migration": None if migration is None else [str(migration.percent), migration.cycles],
        "vat": request.vat_number,
        "country": request.country,
        "channel": channel,
    }
    held = confirmations.hold(req, KIND, payload)
    return ui.actions(ui.button(req.t(N_("Share quote")), ACTION, held))


def with_share(
    req: Req, message: dict[str, Any], request: QuoteRequest, channel: str | None
) -> dict[str, Any]:
    button = share_button(req, request, channel)
    if button is None:
        return message
    return {**message, "blocks": [*message["blocks"], button.to_dict()]}


def request_of(payload: dict[str, Any]) -> QuoteRequest:
    try:
        choice = plan_from_value(str(payload["plan"]))
        raw = payload.get("migration")
        migration = None if raw is None else MigrationDiscount(Decimal(str(raw[0])), int(raw[1]))
    except (ValueError, KeyError, TypeError, IndexError, ArithmeticError):
        raise InvalidInput(N_("This quote is out of date: make it again with `/quote`.")) from None
    return QuoteRequest(
        choice=choice, migration=migration, vat_number=payload.get("vat"), country=payload.get("country")
    )


def shared_message(t: Translator, result: Quote, count: int, user: str) -> dict[str, Any]:
    summary = t(N_("Quote shared by <@{user}>"), user=user)
    blocks = [*quote_blocks(t, result, count, with_create=False), ui.context(summary)]
    return ui.message(summary, blocks, ephemeral=False)


def share_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t

    def run(claimed: Any) -> str:
        from bot.commands.quote import price

        channel = str(claimed.payload.get("channel") or "")
        result, count = price(req, request_of(claimed.payload))
        with req.deps.uow() as uow:
            agency = uow.agencies.get(req.actor.agency_id)
            t = Translator(agency.language, agency.currency, agency.timezone)
        message = shared_message(t, result, count, req.user_id)
        client.chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"])
        return req.t(N_(":white_check_mark: Quote shared in <#{channel}>."), channel=channel)

    text = confirmations.confirmed(req, KIND, ui.action_value(body), run)
    answer(context, body, ui.notice(text), replace=False)
