"""`/quote`: any plan priced exactly, from text or in a live modal; `/quote matrix` for the price list."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement

from bot import planbuilder, ui
from bot.commands import quote_share
from bot.commands.quote_matrix import matrix_reply
from bot.commands.quote_share import with_share
from bot.context import Req, open_request
from bot.parsing import tokens
from bot.quote_render import quote_blocks, quote_message
from bot.quote_text import EXAMPLE, LICENSES_EXAMPLE, LIMITS_EXAMPLE, QuoteRequest, parse_quote
from domain.accounts.rules import clean_country
from domain.catalog import PerSeatProduct
from domain.clock import today
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.pricing import PlanChoice, Quote, quote

CALLBACK = "quote_modal"


SHORTCUT = "quote_shortcut"


def register(app: App) -> None:
    app.command("/quote")(quote_command)
    app.shortcut(SHORTCUT)(quote_shortcut)
    quote_share.register(app)
    app.action(planbuilder.ACTION)(plan_changed)
    app.view(CALLBACK)(quote_submitted)
    planbuilder.REBUILDERS[CALLBACK] = rebuild_quote_modal


def quote_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    req = open_request(context, command)
    context["translator"] = req.t
    words = tokens(command.get("text"))
    if not words:
        ack()
        view = quote_modal(req, planbuilder.PlanState(), {"channel": command.get("channel_id")})
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    head = words[0].lower()
    if head == "help":
        ack(**help_reply(req))
    elif head == "matrix":
        ack(**matrix_reply(req, words[1:]))
    else:
        request = parse_quote(req.deps.catalog, words)
        result, count = price(req, request)
        ack(**with_share(req, quote_message(req.t, result, count), request, command.get("channel_id")))


def quote_shortcut(ack: Ack, shortcut: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """The global shortcut "Quote": the same modal as `/quote`; with no channel, the quote comes to
    the person's DM with the app."""
    ack()
    req = open_request(context, shortcut)
    context["translator"] = req.t
    view = quote_modal(req, planbuilder.PlanState(), {"channel": None})
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)


def help_reply(req: Req) -> dict[str, Any]:
    t = req.t
    lines = [
        t(
            N_(
                "`/quote` — the quote modal: choose product, tier, contacts, billing, seats, add-ons and account limits live"
            )
        ),
        t(
            N_(
                "`/quote <tier> <contacts> [monthly|annual] [seats N] [addons a,b] [migration P%]` — e.g. {example}"
            ),
            example=EXAMPLE,
        ),
        t(N_("`/quote <product> <tier> <contacts> …` — for the sales or bundle product")),
        t(
            N_(
                "`… limits <limit>=<choice or number>,…` — account limits; a number sets a custom limit. E.g. {example}"
            ),
            example=LIMITS_EXAMPLE,
        ),
        t(
            N_("`/quote licenses <n> [monthly|annual] [vat <number>] [country <code>]` — e.g. {example}"),
            example=LICENSES_EXAMPLE,
        ),
        t(
            N_(
                "`/quote matrix [product] [monthly|annual]` — list prices next to your price at your current tier"
            )
        ),
    ]
    return ui.message(t(N_("Quote help")), [ui.header(t(N_("Quotes"))), ui.section("\n".join(lines))])


def price(req: Req, request: QuoteRequest) -> tuple[Quote, int]:
    """Price a new account at the tier the agency has now; the count is read once per quote."""
    count = req.active_paid
    country = clean_country(request.country) if request.country else None
    result = quote(
        req.deps.catalog,
        request.choice,
        active_paid_count=count,
        today=today(req.deps.clock, req.timezone),
        migration=request.migration,
        vat_number=request.vat_number,
        customer_country=country,
        require_country=False,
    )
    return result, count


# the live modal ------------------------------------------------------------------------------------
def quote_modal(
    req: Req, state: planbuilder.PlanState, meta: dict[str, Any], taxes: dict[str, str] | None = None
) -> dict[str, Any]:
    t, catalog = req.t, req.deps.catalog
    state = planbuilder.normalise(catalog, state)
    taxes = taxes or {}
    blocks: list[Block] = planbuilder.plan_blocks(t, catalog, state)
    per_seat = isinstance(catalog.product(state.product_name), PerSeatProduct)
    if per_seat:
        blocks += [
            _tax_input("quote_country", t(N_("Customer country (ISO code)")), taxes.get("country"), 2),
            _tax_input("quote_vat", t(N_("EU VAT number")), taxes.get("vat"), 20),
        ]
    blocks.append(ui.divider())
    blocks += live_quote(req, state, taxes)
    meta = {**meta, "taxes": taxes}
    return ui.modal(
        t(N_("Quote a plan")),
        CALLBACK,
        blocks,
        submit=t(N_("Share quote")),
        close=t(N_("Close")),
        private_metadata=meta,
    )


def _tax_input(block_id: str, label: str, value: str | None, length: int) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        dispatch_action=True,
        element=PlainTextInputElement(
            action_id=planbuilder.ACTION, initial_value=value or None, max_length=length
        ),
    )


def live_quote(req: Req, state: planbuilder.PlanState, taxes: dict[str, str]) -> list[Block]:
    """The quote for the modal's current state, or what is missing, without raising."""
    try:
        choice = planbuilder.to_choice(req.deps.catalog, state)
        if choice.version == "V1":
            return [ui.section(req.t(N_("Trials and sandboxes are free: nothing is charged.")))]
        result, count = price(req, request_for(choice, taxes))
    except InvalidInput as error:
        return [ui.section(":warning: " + req.t(error.message, **error.params))]
    return quote_blocks(req.t, result, count, with_create=False)


def request_for(choice: PlanChoice, taxes: dict[str, str]) -> QuoteRequest:
    return QuoteRequest(
        choice=choice, vat_number=taxes.get("vat") or None, country=taxes.get("country") or None
    )


def taxes_of(view: dict[str, Any]) -> dict[str, str]:
    return {
        "country": (ui.state_value(view, "quote_country") or "").strip().upper(),
        "vat": (ui.state_value(view, "quote_vat") or "").strip().upper(),
    }


def rebuild_quote_modal(req: Req, view: dict[str, Any]) -> dict[str, Any]:
    meta = ui.metadata(view)
    return quote_modal(req, planbuilder.read_state(view), {"channel": meta.get("channel")}, taxes_of(view))


def plan_changed(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Any plan input changed in any modal: the modal that owns the view rebuilds itself."""
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    view = body.get("view") or {}
    rebuild = planbuilder.REBUILDERS.get(str(view.get("callback_id")))
    if rebuild is None or not view.get("id"):
        return
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=rebuild(req, view))


def quote_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """Share the final quote with the person who built it, with the button to create the account."""
    req = open_request(context, body)
    context["translator"] = req.t
    choice = planbuilder.to_choice(req.deps.catalog, planbuilder.read_state(view))
    if choice.version == "V1":
        raise InvalidInput(
            N_("Trials and sandboxes are free: add one with `/accounts add`."), field="plan_product"
        )
    taxes = taxes_of(view)
    try:
        result, count = price(req, request_for(choice, taxes))
    except InvalidInput as error:
        if error.field in ("vat", "country"):
            error.field = f"quote_{error.field}"
        raise
    ack()
    channel = ui.metadata(view).get("channel")
    channel = channel if isinstance(channel, str) and channel else None
    message = with_share(req, quote_message(req.t, result, count), request_for(choice, taxes), channel)
    if channel:
        client.chat_postEphemeral(
            channel=channel, user=req.user_id, text=message["text"], blocks=message["blocks"]
        )
    else:  # opened from the global shortcut: the app's DM
        client.chat_postMessage(channel=req.user_id, text=message["text"], blocks=message["blocks"])
