"""`/credits buy …`: a confirm card first, then one charge per card however often Confirm arrives.

The server holds the order and the price shown (`bot.confirmations`); the Confirm button carries only
that confirmation's id, the order is priced again at the click, and the charge key is built from the
id, so a double click or Slack's retry charges once and answers with the first result.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement, StaticSelectElement

from bot import confirmations, ui
from bot.answer import answer
from bot.commands import approvals
from bot.context import Req, open_request
from domain import credits as service
from domain import pending
from domain.billing import profiles
from domain.cards import refuse_card_numbers
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.numbers import row_id
from domain.roles import Permission

CONFIRM = "credits_buy_confirm"
CANCEL = "credits_buy_cancel"
MODAL = "credits_buy"
EXAMPLE = "`/credits buy prepaid 500 for acme`, `/credits buy sms 5000`, `/credits buy preview 200`"


def register(app: App) -> None:
    app.action(CONFIRM)(confirm)
    app.action(CANCEL)(cancel)
    app.view(MODAL)(submit_modal)


def parse_order(req: Req, words: list[str]) -> service.Order:
    """`prepaid <amount> [for <account>] [profile <id>]` or `sms|preview <pack> [profile <id>]`."""
    if len(words) < 2 or words[0].lower() not in service.KINDS:
        raise InvalidInput(N_("Write it as {example}."), example=EXAMPLE)
    kind: service.Kind = words[0].lower()  # type: ignore[assignment]
    rest = words[2:]
    account_name = profile_id = None
    while rest:
        if len(rest) < 2 or rest[0].lower() not in ("for", "profile"):
            raise InvalidInput(N_("Write it as {example}."), example=EXAMPLE)
        if rest[0].lower() == "for":
            account_name = rest[1]
        else:
            profile_id = _profile_id(rest[1])
        rest = rest[2:]
    catalog = req.deps.catalog
    if kind == "prepaid":
        quantity = service.parse_prepaid(catalog, words[1])
    else:
        quantity = Decimal(service.parse_pack(catalog, kind, words[1]).units)
    account_id = None
    if account_name:
        with req.deps.uow() as uow:
            account_id = service.find_account(uow.session, req.actor.agency_id, account_name).id
    return service.Order(kind, quantity, account_id, profile_id)


def _profile_id(text: str) -> int:
    profile = row_id(text)
    if profile is None:
        raise InvalidInput(N_("Name the billing profile by its number, like `profile 2`."), field="profile")
    return profile


def buy_command(ack: Ack, req: Req, words: list[str], command: dict[str, Any], client: WebClient) -> None:
    if not words:
        req.actor.require(Permission.SPEND_MONEY)
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=buy_modal(req, command.get("channel_id")))
        return
    ack(**confirm_card(req, parse_order(req, words)))


def confirm_card(req: Req, order: service.Order) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        offer = service.offer(
            uow, req.deps.catalog, req.actor, req.currency, order, provider=req.deps.provider
        )
        profile = offer.profile
        card = (
            t(
                N_("{id}. {label}, expires {month}/{year}"),
                id=profile.id,
                label=profile.label
                if profile.last4 in profile.label
                else f"{profile.label} ···· {profile.last4}",
                month=f"{profile.exp_month:02d}",
                year=str(profile.exp_year),
            )
            if profile
            else t(N_("none"))
        )
    order = offer.order
    what = describe(req, order, offer.account_name)
    value = confirmations.hold(req, "credits", _payload(order), amount=offer.price)
    blocks: list[Block] = [
        ui.header(t(N_("Confirm purchase"))),
        ui.fields(
            [
                (t(N_("Purchase")), what),
                (t(N_("Price")), t.money(offer.price)),
                (t(N_("Billing profile")), card),
                (t(N_("From prepaid credit")), t.money(offer.draw.from_credit)),
                (t(N_("On the card")), t.money(offer.draw.from_card)),
            ]
        ),
        *confirmations.large_charge(req, offer.price),
        ui.context(t(N_("Nothing is charged until you confirm. Taxes not included."))),
        ui.actions(
            ui.button(t(N_("Confirm and pay")), CONFIRM, value, style="primary"),
            ui.button(t(N_("Cancel")), CANCEL, value),
        ),
    ]
    return ui.message(t(N_("Confirm purchase: {what}"), what=what), blocks)


def describe(req: Req, order: service.Order, account_name: str | None) -> str:
    t = req.t
    if order.kind == "prepaid":
        if account_name:
            return t(
                N_("{amount} of prepaid credit earmarked for {account}"),
                amount=order.quantity,
                account=account_name,
            )
        return t(N_("{amount} of prepaid credit"), amount=order.quantity)
    if order.kind == "sms":
        return t(N_("{units} SMS credits"), units=int(order.quantity))
    return t(N_("{units} inbox-preview credits"), units=int(order.quantity))


def _payload(order: service.Order) -> dict[str, Any]:
    return {
        "kind": order.kind,
        "quantity": str(order.quantity),
        "account_id": order.account_id,
        "profile_id": order.profile_id,
    }


def _order(p: dict[str, Any]) -> service.Order:
    kind: service.Kind = next((k for k in service.KINDS if k == p["kind"]), "prepaid")
    return service.Order(kind, Decimal(p["quantity"]), p.get("account_id"), p.get("profile_id"))


def confirm(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    origin = (body.get("channel") or {}).get("id")

    def run(held: pending.Claimed) -> str:
        order = _order(held.payload)
        with req.deps.uow() as uow:
            deps = req.deps
            price = service.offer(
                uow, deps.catalog, req.actor, req.currency, order, provider=deps.provider
            ).price
        pending.same_amount(held.amount, price)
        waiting = approvals.hold(req, "credits", {**_payload(order), "nonce": held.id}, origin)
        return waiting if waiting is not None else _buy(req, order, held.id)

    text = confirmations.confirmed(req, "credits", ui.action_value(body), run)
    answer(context, body, ui.notice(text), replace=True)


def _buy(req: Req, order: service.Order, nonce: str) -> str:
    t = req.t
    with req.deps.uow() as uow:
        bought = service.buy(
            uow,
            req.deps.gateway,
            req.deps.clock,
            req.deps.catalog,
            req.actor,
            currency=req.currency,
            order=order,
            nonce=nonce,
            provider=req.deps.provider,
        )
        name = None
        if order.account_id is not None:
            from domain.store.models import Account

            account = uow.session.get(Account, order.account_id)
            name = account.name if account else None
    what = describe(req, order, name)
    if bought.status == "failed":
        return t(
            N_(
                ":x: The card was declined ({reason}): {what} was not bought. Invoice {invoice} records the attempt."
            ),
            reason=bought.failure or "",
            what=what,
            invoice=bought.invoice_number,
        )
    return t(
        N_(
            ":white_check_mark: Bought {what}: invoice {invoice}, {total} — {credit} from prepaid credit, {card} on the card."
        ),
        what=what,
        invoice=bought.invoice_number,
        total=bought.total,
        credit=bought.credit_used,
        card=bought.card_charged,
    )


def cancel(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    text = req.t(N_("Cancelled: nothing was charged."))
    answer(
        context,
        body,
        ui.notice(confirmations.cancelled(req, ui.action_value(body), text)),
        replace=True,
    )


def buy_modal(req: Req, channel_id: str | None) -> dict[str, Any]:
    t = req.t
    kinds = [
        ui.option(t(N_("Prepaid credit")), "prepaid"),
        ui.option(t(N_("SMS pack")), "sms"),
        ui.option(t(N_("Inbox-preview pack")), "preview"),
    ]
    catalog = req.deps.catalog
    hint = t(
        N_("Prepaid: an amount from {min} to {max}. SMS packs: {sms}. Inbox-preview packs: {preview}."),
        min=catalog.credits.prepaid.min,
        max=catalog.credits.prepaid.max,
        sms=tuple(p.units for p in catalog.credits.sms_packs),
        preview=tuple(p.units for p in catalog.credits.inbox_preview_packs),
    )
    with req.deps.uow() as uow:
        # Read inside the unit of work: leaving it rolls back, which expires the loaded rows.
        rows = profiles.list_profiles(uow, req.actor)
        cards = [ui.option(f"{row.profile.id}: {row.profile.label}", str(row.profile.id)) for row in rows]
    cards = cards[:100]
    blocks: list[Block] = [
        InputBlock(
            block_id="kind",
            label=t(N_("What to buy")),
            element=StaticSelectElement(action_id="value", options=kinds, initial_option=kinds[0]),
        ),
        InputBlock(
            block_id="quantity",
            label=t(N_("Amount or pack")),
            hint=hint,
            element=PlainTextInputElement(action_id="value", max_length=20),
        ),
        InputBlock(
            block_id="account",
            label=t(N_("Earmark for account (prepaid only)")),
            optional=True,
            element=PlainTextInputElement(action_id="value", max_length=63),
        ),
    ]
    if cards:
        blocks.append(
            InputBlock(
                block_id="profile",
                label=t(N_("Billing profile")),
                element=StaticSelectElement(action_id="value", options=cards, initial_option=cards[0]),
            )
        )
    return ui.modal(
        t(N_("Buy credits")),
        MODAL,
        blocks,
        submit=t(N_("Review")),
        close=t(N_("Cancel")),
        private_metadata={"channel": channel_id} if channel_id else None,
    )


def submit_modal(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    values = {key: ui.state_value(view, key) or "" for key in ("kind", "quantity", "account", "profile")}
    refuse_card_numbers(values["quantity"], field="quantity")
    refuse_card_numbers(values["account"], field="account")
    words = [values["kind"] or "prepaid", values["quantity"].strip() or "?"]
    if values["account"].strip():
        words += ["for", values["account"].strip()]
    if values["profile"]:
        words += ["profile", values["profile"]]
    card = confirm_card(req, parse_order(req, words))
    ack()
    channel = ui.metadata(view).get("channel") or req.user_id
    client.chat_postEphemeral(channel=channel, user=req.user_id, text=card["text"], blocks=card["blocks"])
