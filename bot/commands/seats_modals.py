"""The card's buttons: Add members, Buy licenses, Remove — each a small modal.

Buying in a modal is two steps like `/seats new`: the number, then the quote with a Pay button; the
quote's metadata carries only the id of the pending confirmation the server holds.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    NumberInputElement,
    PlainTextInputElement,
    StaticSelectElement,
)

from bot import portal_tasks, ui
from bot.commands import seats_buy, seats_new
from bot.context import Req, open_request
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_, Count
from domain.roles import Permission
from domain.seats.card import seat_card
from domain.seats.members import AddResult, add_members, remove_member
from domain.seats.new_subscription import read_licenses
from domain.seats.rules import LicensesExhausted

BUY_OPEN = "seats_buy_open"
ADD_OPEN = "seats_add_open"
REMOVE_OPEN = "seats_remove_open"


def register(app: App) -> None:
    seats_new.register(app)
    app.action(ADD_OPEN)(on_add_open)
    app.action(BUY_OPEN)(on_buy_open)
    app.action(REMOVE_OPEN)(on_remove_open)
    app.view("seats_add")(on_add)
    app.view("seats_buy")(on_buy)
    app.view("seats_buy_pay")(on_buy_pay)
    app.view("seats_remove")(on_remove)


def added_text(req: Req, done: AddResult) -> str:
    t = req.t
    parts = []
    if done.added:
        parts.append(
            t(
                N_(":white_check_mark: Invited to {account}: {emails}."),
                account=done.account,
                emails=", ".join(done.added),
            )
        )
    if done.already:
        parts.append(t(N_("Already members: {emails}."), emails=", ".join(done.already)))
    parts.append(t.plural(N_("{n} free license left."), N_("{n} free licenses left."), done.free))
    return " ".join(parts)


def exhausted_reply(req: Req, full: LicensesExhausted) -> dict[str, Any]:
    """The refusal names the free count and offers the purchase that would make room."""
    text = req.t(full.message, **full.params)
    button = ui.button(
        req.t(N_("Buy licenses")), BUY_OPEN, f"{full.account}|{full.shortfall}", style="primary"
    )
    return ui.message(text, [ui.section(f":warning: {text}"), ui.actions(button)])


def _start(context: BoltContext, body: dict[str, Any]) -> tuple[Req, str, str | None]:
    req = open_request(context, body)
    context["translator"] = req.t
    value = ui.action_value(body)
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return req, value, channel


def on_add_open(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    req, account, channel = _start(context, body)
    req.actor.require(Permission.MANAGE_ACCOUNTS)  # before the form opens: inviting needs this
    t = req.t
    element = PlainTextInputElement(action_id="value", multiline=True, max_length=3000)
    blocks: list[Block] = [
        InputBlock(
            block_id="emails",
            label=t(N_("Emails")),
            element=element,
            hint=t(N_("One per line, or separated by commas.")),
        )
    ]
    meta = {"account": account, "channel": channel}
    view = ui.modal(
        t(N_("Add members")),
        "seats_add",
        blocks,
        submit=t(N_("Invite")),
        close=t(N_("Cancel")),
        private_metadata=meta,
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _tell(req: Req, client: WebClient, channel: Any, payload: dict[str, Any]) -> None:
    if channel:
        payload = {k: v for k, v in payload.items() if k != "response_type"}
        client.chat_postEphemeral(channel=str(channel), user=req.user_id, **payload)


def on_add(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    deps = req.deps
    try:
        with deps.uow() as uow:
            done = add_members(
                uow,
                deps.clock,
                deps,
                req.actor,
                name=str(meta.get("account")),
                emails=ui.state_value(view, "emails") or "",
            )
    except LicensesExhausted as full:
        ack(response_action="errors", errors={"emails": ui.plain(req.t(full.message, **full.params))[:2000]})
        _tell(req, client, meta.get("channel"), exhausted_reply(req, full))
        return
    ack()
    _tell(req, client, meta.get("channel"), ui.notice(portal_tasks.noted(req.t, uow, added_text(req, done))))


def on_buy_open(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    req, value, channel = _start(context, body)
    req.actor.require(Permission.SPEND_MONEY)  # before the form opens: buying licenses needs this
    account, _, suggested = value.partition("|")
    client.views_open(trigger_id=body["trigger_id"], view=buy_view(req, account, suggested, channel))


def buy_view(req: Req, account: str, suggested: str, channel: str | None) -> dict[str, Any]:
    """How many licenses to buy for `account`: the first step of a top-up, wherever it starts."""
    t = req.t
    element = NumberInputElement(
        action_id="value", is_decimal_allowed=False, min_value="1", initial_value=suggested or "1"
    )
    blocks: list[Block] = [InputBlock(block_id="licenses", label=t(N_("How many more")), element=element)]
    meta = {"account": account, "channel": channel}
    return ui.modal(
        t(N_("Buy licenses")),
        "seats_buy",
        blocks,
        submit=t(N_("See the quote")),
        close=t(N_("Cancel")),
        private_metadata=meta,
    )


def on_buy(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    extra = read_licenses(req.deps.catalog, ui.state_value(view, "licenses") or "")
    offer = seats_buy.quote_topup_of(req, str(meta.get("account")), extra)
    pay = {"pending": seats_buy.hold_topup(req, offer), "channel": meta.get("channel")}
    t = req.t
    confirm = ui.modal(
        t(N_("Confirm purchase")),
        "seats_buy_pay",
        seats_buy.topup_blocks(req, offer),
        submit=t(N_("Pay")),
        close=t(N_("Cancel")),
        private_metadata=pay,
    )
    ack(response_action="update", view=confirm)


def on_buy_pay(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    t = req.t
    meta = ui.metadata(view)
    channel = meta.get("channel")
    try:
        text = seats_buy.confirm_buy(req, meta.get("pending"), channel if isinstance(channel, str) else None)
    except DomainError as error:
        text = f":warning: {t(error.message, **error.params)}"
    ack(
        response_action="update",
        view=ui.modal(t(N_("Buy licenses")), "seats_done", [ui.section(text)], close=t(N_("Close"))),
    )


def on_remove_open(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    req, account, channel = _start(context, body)
    req.actor.require(Permission.MANAGE_ACCOUNTS)  # before the form opens: removing needs this
    t = req.t
    with req.deps.uow() as uow:
        card = seat_card(uow, req.deps.catalog, req.actor, account)
    if not card.members:
        raise InvalidInput(N_("{account} has no members to remove."), account=account)
    options = [ui.option(m.email, m.email) for m in card.members[:100]]
    blocks: list[Block] = [
        InputBlock(
            block_id="member",
            label=t(N_("Member")),
            element=StaticSelectElement(action_id="value", options=options),
        ),
        ui.context(t(N_("The license is freed at once; the expiry date does not move."))),
    ]
    meta = {"account": card.account, "channel": channel}
    view = ui.modal(
        t(N_("Remove a member")),
        "seats_remove",
        blocks,
        submit=t(N_("Remove")),
        close=t(N_("Cancel")),
        private_metadata=meta,
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_remove(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    email, account = ui.state_value(view, "member") or "", str(meta.get("account"))
    with req.deps.uow() as uow:
        free = remove_member(uow, req.deps.clock, req.actor, account, email)
    ack()
    text = req.t(
        N_(":white_check_mark: {email} is removed; {account} has {free}."),
        email=email,
        account=account,
        free=Count(free, N_("{n} free license"), N_("{n} free licenses")),
    )
    _tell(req, client, meta.get("channel"), ui.notice(text))
