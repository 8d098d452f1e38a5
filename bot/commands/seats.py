"""`/seats`: per-seat subscriptions, their members and licenses; user seats of contact-tiered plans."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import portal_tasks, ui
from bot.commands import seats_buy, seats_modals, seats_new
from bot.commands.seats_modals import ADD_OPEN, BUY_OPEN, REMOVE_OPEN, added_text, exhausted_reply
from bot.context import Req, open_request
from bot.parsing import positive_int, refuse_extra, tokens
from domain.errors import InvalidInput
from domain.i18n import N_, Count
from domain.roles import Permission
from domain.seats.card import SeatCard, seat_card
from domain.seats.members import activate_member, add_members, remove_member, replace_member
from domain.seats.rules import LicensesExhausted, normalise_email

_USAGE = {
    "add": "`/seats add acme ana@example.com bo@example.com`",
    "activate": "`/seats activate acme ana@example.com`",
    "remove": "`/seats remove acme ana@example.com`",
    "replace": "`/seats replace acme old@example.com new@example.com`",
    "admin": "`/seats admin acme ana@example.com`",
    "buy": "`/seats buy acme 3`",
    "reduce": "`/seats reduce acme 2 [reason]`",
}


def register(app: App) -> None:
    app.command("/seats")(seats_command)
    seats_buy.register(app)
    seats_modals.register(app)


def seats_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    req = open_request(context, command)
    context["translator"] = req.t
    words = tokens(command.get("text"))
    sub = words[0].lower() if words else "help"
    if sub == "new":
        refuse_extra(words, 1, "`/seats new`")
        req.actor.require(Permission.SPEND_MONEY)  # before the form opens: its first charge needs this
        ack()
        view = seats_new.new_modal(req, command.get("channel_id"))
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    if sub == "help":
        ack(**help_reply(req))
        return
    if sub not in _USAGE:
        refuse_extra(words, 1, "`/seats acme-shop`")
        ack(**card_reply(req, words[0]))
        return
    ack(**action_reply(req, sub, words[1:]))


def _need(words: list[str], count: int, sub: str, *, at_least: bool = False) -> None:
    if len(words) < count or (not at_least and len(words) != count):
        raise InvalidInput(N_("Write it as {example}."), example=_USAGE[sub])


def action_reply(req: Req, sub: str, words: list[str]) -> dict[str, Any]:
    t, deps = req.t, req.deps
    if sub in ("buy", "reduce"):
        _need(words, 2, sub, at_least=sub == "reduce")
        n = positive_int(words[1], what=t(N_("The number of licenses")), example=_USAGE[sub])
        if sub == "buy":
            return seats_buy.buy_reply(req, words[0], n)
        return seats_buy.reduce_reply(req, words[0], n, " ".join(words[2:]) or None)
    if sub == "add":
        _need(words, 2, sub, at_least=True)
        return add_reply(req, words[0], words[1:])
    if sub == "admin":
        _need(words, 2, sub)
        # A money rule (it ends the discount): refuse before the warning, not after the click.
        req.actor.require(Permission.SPEND_MONEY)
        email = normalise_email(words[1])
        with deps.uow() as uow:
            card = seat_card(uow, deps.catalog, req.actor, words[0])
        if email not in {m.email for m in card.members}:
            raise InvalidInput(
                N_("{email} is not a member of {account}. Add them first."), email=email, account=card.account
            )
        return seats_buy.admin_reply(req, card.account, email, card.next_charge)
    with deps.uow() as uow:
        if sub == "activate":
            _need(words, 2, sub)
            row = activate_member(uow, deps.clock, req.actor, words[0], words[1])
            text = t(
                N_(":white_check_mark: {email} is active on {account}."), email=row.email, account=words[0]
            )
        elif sub == "remove":
            _need(words, 2, sub)
            free = remove_member(uow, deps.clock, req.actor, words[0], words[1])
            text = t(
                N_(":white_check_mark: {email} is removed; {account} has {free}. The expiry does not move."),
                email=words[1],
                account=words[0],
                free=Count(free, N_("{n} free license"), N_("{n} free licenses")),
            )
        else:
            _need(words, 3, sub)
            row = replace_member(uow, deps.clock, deps, req.actor, name=words[0], old=words[1], new=words[2])
            text = t(
                N_(":white_check_mark: {old} is replaced by {new}, who is invited."),
                old=words[1],
                new=row.email,
            )
    return ui.notice(portal_tasks.noted(t, uow, text))


def add_reply(req: Req, account: str, emails: list[str]) -> dict[str, Any]:
    deps = req.deps
    try:
        with deps.uow() as uow:
            done = add_members(uow, deps.clock, deps, req.actor, name=account, emails=emails)
    except LicensesExhausted as full:
        return exhausted_reply(req, full)
    return ui.notice(portal_tasks.noted(req.t, uow, added_text(req, done)))


def help_reply(req: Req) -> dict[str, Any]:
    t = req.t
    lines = [
        t(N_("`/seats new` — a new per-seat subscription (quote, then payment by card or bank transfer)")),
        t(N_("`/seats acme` — licenses bought, used and free, members and expiry")),
        *(f"{usage}" for usage in _USAGE.values()),
    ]
    blocks: list[Block] = [ui.header(t(N_("License seats"))), ui.section("\n".join(lines))]
    blocks.append(ui.context(t(N_("The agency administers every subscription and uses no license."))))
    return ui.message(t(N_("License seats help")), blocks)


def card_reply(req: Req, account: str) -> dict[str, Any]:
    with req.deps.uow() as uow:
        card = seat_card(uow, req.deps.catalog, req.actor, account)
    return ui.message(req.t(N_("Seats of {account}"), account=card.account), card_blocks(req, card))


def card_blocks(req: Req, card: SeatCard) -> list[Block]:
    t = req.t
    blocks: list[Block] = [ui.header(t(N_("Seats of {account}"), account=card.account))]
    if not card.per_seat:
        blocks.append(
            ui.fields(
                [
                    (t(N_("User seats")), t.number(card.licenses)),
                    (t(N_("Included in the tier")), t.number(card.included_seats)),
                    (t(N_("Renews on")), t.date(card.expiry)),
                ]
            )
        )
        if card.pending_change:
            seats = (card.pending_change.get("plan") or {}).get("seats")
            # `/seats reduce` writes effective_on, a plan change from `/accounts edit` writes effective.
            on = card.pending_change.get("effective_on") or card.pending_change.get("effective")
            if seats is not None and on:
                day = date.fromisoformat(str(on))
                blocks.append(
                    ui.context(t(N_("At renewal ({date}): {seats} user seats."), date=day, seats=seats))
                )
        blocks.append(ui.actions(ui.button(t(N_("Add user seats")), BUY_OPEN, f"{card.account}|1")))
        return blocks
    blocks.append(
        ui.fields(
            [
                (t(N_("Licenses")), t.number(card.licenses)),
                (t(N_("Used")), t.number(card.used)),
                (t(N_("Free")), t.number(card.free)),
                (t(N_("Expires")), t.date(card.expiry)),
                (t(N_("Next charge")), t.date(card.next_charge)),
                (
                    t(N_("Billing")),
                    t(N_("every month")) if card.frequency == "monthly" else t(N_("every 12 months")),
                ),
            ]
        )
    )
    admin = " · " + t(N_("administrator"))
    rows = [f"{ui.escape(m.email)} — {t(m.status)}{admin if m.is_admin else ''}" for m in card.members]
    blocks.append(
        ui.section("\n".join(rows[:100]) or t(N_("No members yet: the agency is the administrator.")))
    )
    if card.discount_loss_pending or not card.discount_eligible:
        blocks.append(
            ui.context(
                t(
                    N_(
                        ":warning: A client user administers this subscription: no reseller discount from the renewal on {date}."
                    ),
                    date=card.next_charge,
                )
            )
        )
    buttons = [
        ui.button(t(N_("Add members")), ADD_OPEN, card.account, style="primary"),
        ui.button(t(N_("Buy licenses")), BUY_OPEN, f"{card.account}|1"),
    ]
    if card.members:
        buttons.append(ui.button(t(N_("Remove")), REMOVE_OPEN, card.account))
    blocks.append(ui.actions(*buttons))
    return blocks
