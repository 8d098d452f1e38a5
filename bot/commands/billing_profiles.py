"""`/billing profiles`: the agency's cards. The add-card modal's number and CVC go to the gateway only."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement

from bot import ui
from bot.context import Req, open_request
from domain import profiles as service
from domain.errors import InvalidInput, NotFound
from domain.i18n import N_
from domain.numbers import row_id, too_large
from domain.roles import Permission
from domain.simulated import TEST_CARDS

MODAL = "billing_profile_add"


def register(app: App) -> None:
    app.view(MODAL)(save_profile)


def profiles_reply(ack: Ack, req: Req, words: list[str], command: dict[str, Any], client: WebClient) -> None:
    action = words[0].lower() if words else "list"
    if action == "add":
        req.actor.require(Permission.SPEND_MONEY)
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=add_modal(req, command.get("channel_id")))
        return
    if action == "delete":
        profile_id = row_id(words[1]) if len(words) == 2 else None
        if profile_id is None:
            raise InvalidInput(N_("Write it as {example}."), example="`/billing profiles delete 2`")
        if profile_id == 0 and too_large(words[1]):  # past the 64-bit range: no row has it
            raise NotFound(
                N_("There is no billing profile {id}. `/billing profiles` lists them."), id=words[1][:40]
            )
        with req.deps.uow() as uow:
            profile = service.delete_profile(uow, req.deps.clock, req.actor, profile_id)
            reply = ui.notice(
                req.t(
                    N_(":white_check_mark: Billing profile {id} ({label}) deleted."),
                    id=profile.id,
                    label=profile.label,
                )
            )
        ack(**reply)
        return
    if action != "list":
        raise InvalidInput(
            N_("Use `/billing profiles`, `/billing profiles add` or `/billing profiles delete <id>`.")
        )
    ack(**list_reply(req))


def list_reply(req: Req) -> dict[str, Any]:
    with req.deps.uow() as uow:
        rows = service.list_profiles(uow, req.actor)
        return _render_list(req, rows)


def _render_list(req: Req, rows: list[service.ProfileRow]) -> dict[str, Any]:
    t = req.t
    blocks: list[Block] = [ui.header(t(N_("Billing profiles")))]
    for row in rows[:40]:
        p = row.profile
        using = ", ".join(row.accounts[:15]) + (
            f" (+{len(row.accounts) - 15})" if len(row.accounts) > 15 else ""
        )
        blocks.append(
            ui.section(
                t(
                    N_(
                        "*{id}. {label}* — {holder}, {brand} ···· {last4}, expires {month}/{year}\nAccounts: {accounts}"
                    ),
                    id=p.id,
                    label=p.label,
                    holder=p.holder,
                    brand=p.brand,
                    last4=p.last4,
                    month=f"{p.exp_month:02d}",
                    year=str(p.exp_year),
                    accounts=using or t(N_("none")),
                )
            )
        )
    if not rows:
        blocks.append(ui.section(t(N_("No billing profile yet. Add a card with `/billing profiles add`."))))
    blocks.append(
        ui.context(t(N_("Only the holder, brand, last four digits, expiry and a gateway token are kept.")))
    )
    return ui.message(t(N_("Billing profiles")), blocks)


OUTCOMES = {"success": N_("succeeds"), "declined": N_("declined"), "network": N_("network error")}
"""What each simulated test card does, as the card hint says it."""


def add_modal(req: Req, channel_id: str | None) -> dict[str, Any]:
    t = req.t
    test_cards = ", ".join(f"{number} ({t(OUTCOMES[outcome])})" for number, outcome in TEST_CARDS.items())
    blocks: list[Block] = [
        InputBlock(
            block_id="holder",
            label=t(N_("Card holder")),
            element=PlainTextInputElement(action_id="value", max_length=120),
        ),
        InputBlock(
            block_id="number",
            label=t(N_("Card number")),
            hint=t(
                N_("Sent to the payment gateway and never stored. Simulated gateway test cards: {cards}."),
                cards=test_cards,
            ),
            element=PlainTextInputElement(action_id="value", max_length=23),
        ),
        InputBlock(
            block_id="expiry",
            label=t(N_("Expiry (MM/YY)")),
            element=PlainTextInputElement(action_id="value", max_length=7),
        ),
        InputBlock(
            block_id="cvc",
            label=t(N_("Security code (CVC)")),
            element=PlainTextInputElement(action_id="value", max_length=4),
        ),
        InputBlock(
            block_id="label",
            label=t(N_("Name for this card")),
            optional=True,
            element=PlainTextInputElement(action_id="value", max_length=80),
        ),
    ]
    return ui.modal(
        t(N_("Add a card")),
        MODAL,
        blocks,
        submit=t(N_("Add card")),
        close=t(N_("Cancel")),
        private_metadata={"channel": channel_id} if channel_id else None,
    )


def save_profile(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    card = service.NewCard(
        holder=ui.state_value(view, "holder") or "",
        number=ui.state_value(view, "number") or "",
        expiry=ui.state_value(view, "expiry") or "",
        cvc=ui.state_value(view, "cvc") or "",
        label=ui.state_value(view, "label") or "",
    )
    with req.deps.uow() as uow:
        profile = service.add_profile(uow, req.deps.gateway, req.deps.clock, req.actor, card)
        text = req.t(
            N_(":white_check_mark: Card added as billing profile {id}: {label}, {brand} ···· {last4}."),
            id=profile.id,
            label=profile.label,
            brand=profile.brand,
            last4=profile.last4,
        )
    ack()
    channel = ui.metadata(view).get("channel") or req.user_id
    client.chat_postEphemeral(channel=channel, user=req.user_id, text=text)
