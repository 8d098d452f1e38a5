"""`/billing profiles`: the agency's billing profiles, kept as references (SPEC §7, §10).

No field ever asks for a card number. The add modal depends on the gateway: with test cards (the
simulated gateway), pick one by its label; otherwise (a vendor that bills the agency), give the
vendor's billing-profile id with a label, brand, last four digits and expiry for display.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement, StaticSelectElement

from bot import ui
from bot.context import Req, open_request
from bot.i18n import Translator
from bot.parsing import refuse_extra
from domain.billing import profiles as service
from domain.errors import InvalidInput, NotFound
from domain.i18n import N_
from domain.numbers import row_id, too_large
from domain.ports import PaymentGateway, TestCard
from domain.roles import Permission

MODAL = "billing_profile_add"
EDIT_MODAL = "billing_profile_edit"
EDIT_OPEN = "billing_profile_edit_open"


def register(app: App) -> None:
    app.view(MODAL)(save_profile)
    app.view(EDIT_MODAL)(save_edit)
    app.action(EDIT_OPEN)(edit_clicked)


def profiles_reply(ack: Ack, req: Req, words: list[str], command: dict[str, Any], client: WebClient) -> None:
    action = words[0].lower() if words else "list"
    if action == "add":
        refuse_extra(words, 1, "`/billing profiles add`")
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
    if action == "edit":
        profile_id = _profile_id(words)
        view = edit_modal(req, profile_id, command.get("channel_id"))
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    if action != "list" or len(words) > 1:
        raise InvalidInput(
            N_(
                "Use `/billing profiles`, `/billing profiles add`, `/billing profiles edit <id>` or `/billing profiles delete <id>`."
            )
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
                        "*{id}. {label}* — {brand} ···· {last4}, expires {month}/{year}\nAccounts: {accounts}"
                    ),
                    id=p.id,
                    label=p.label,
                    brand=t(service.BRANDS.get(p.brand, p.brand)),
                    last4=p.last4,
                    month=f"{p.exp_month:02d}",
                    year=str(p.exp_year),
                    accounts=using or t(N_("none")),
                ),
                accessory=ui.button(t(N_("Edit")), EDIT_OPEN, str(p.id)),
            )
        )
    if not rows:
        blocks.append(ui.section(t(N_("No billing profile yet. Add one with `/billing profiles add`."))))
    blocks.append(
        ui.context(
            t(
                N_(
                    "A billing profile is a reference: its label, brand, last four digits, expiry and the "
                    "gateway's or vendor's id. No card number is ever typed here or kept."
                )
            )
        )
    )
    return ui.message(t(N_("Billing profiles")), blocks)


OUTCOMES = {
    "success": N_("succeeds"),
    "declined": N_("declined (insufficient funds)"),
    "network": N_("network error"),
}
"""What each simulated test card does, as its label says it."""


def test_card_label(t: Translator, card: TestCard) -> str:
    """`Visa ···· 4242 — succeeds`: how a test card is picked and named."""
    return t(
        N_("{brand} ···· {last4} — {outcome}"),
        brand=t(service.BRANDS.get(card.brand, card.brand)),
        last4=card.last4,
        outcome=t(OUTCOMES[card.outcome]),
    )


def add_modal(req: Req, channel_id: str | None) -> dict[str, Any]:
    t = req.t
    gateway = req.deps.gateway
    blocks = _test_card_blocks(t, gateway) if _test_cards(req) else _vendor_blocks(t)
    blocks.append(
        InputBlock(
            block_id="label",
            label=t(N_("Name for this billing profile")),
            optional=True,
            element=PlainTextInputElement(action_id="value", max_length=80),
        )
    )
    return ui.modal(
        t(N_("Add a billing profile")),
        MODAL,
        blocks,
        submit=t(N_("Add")),
        close=t(N_("Cancel")),
        private_metadata={"channel": channel_id} if channel_id else None,
    )


def _test_cards(req: Req) -> bool:
    """The simulated gateway's test cards, unless the vendor bills the agency itself (SPEC §9): then
    the profile is the vendor's billing-profile id, which the desk sends on account creation."""
    return bool(req.deps.gateway.test_cards) and not req.deps.provider.bills_agency


def _test_card_blocks(t: Translator, gateway: PaymentGateway) -> list[Block]:
    options = [ui.option(test_card_label(t, card), card.key) for card in gateway.test_cards]
    return [
        InputBlock(
            block_id="test_card",
            label=t(N_("Test card")),
            hint=t(N_("The simulated payment gateway's documented test cards: no card number is typed.")),
            element=StaticSelectElement(action_id="value", options=options, initial_option=options[0]),
        )
    ]


def _vendor_blocks(t: Translator) -> list[Block]:
    brands = [ui.option(t(name), key) for key, name in service.BRANDS.items()]
    return [
        InputBlock(
            block_id="reference",
            label=t(N_("Vendor's billing-profile id")),
            hint=t(N_("As shown at the vendor, which bills the agency. Never a card number.")),
            element=PlainTextInputElement(action_id="value", max_length=120),
        ),
        InputBlock(
            block_id="brand",
            label=t(N_("Card brand")),
            element=StaticSelectElement(action_id="value", options=brands),
        ),
        InputBlock(
            block_id="last4",
            label=t(N_("Last four digits")),
            hint=t(N_("Shown beside the label, so people know which card it is.")),
            element=PlainTextInputElement(action_id="value", min_length=4, max_length=4),
        ),
        InputBlock(
            block_id="expiry",
            label=t(N_("Expiry (MM/YY)")),
            element=PlainTextInputElement(action_id="value", max_length=7),
        ),
    ]


def save_profile(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    label = ui.state_value(view, "label") or ""
    with req.deps.uow() as uow:
        if _test_cards(req):
            choice = service.TestCardChoice(card=ui.state_value(view, "test_card") or "", label=label)
            profile = service.add_test_card_profile(uow, req.deps.gateway, req.deps.clock, req.actor, choice)
        else:
            given = service.VendorProfile(
                reference=ui.state_value(view, "reference") or "",
                brand=ui.state_value(view, "brand") or "",
                last4=ui.state_value(view, "last4") or "",
                expiry=ui.state_value(view, "expiry") or "",
                label=label,
            )
            profile = service.add_vendor_profile(uow, req.deps.clock, req.actor, given)
        text = req.t(
            N_(":white_check_mark: Billing profile {id} added: {label}, {brand} ···· {last4}."),
            id=profile.id,
            label=profile.label,
            brand=req.t(service.BRANDS.get(profile.brand, profile.brand)),
            last4=profile.last4,
        )
    ack()
    channel = ui.metadata(view).get("channel") or req.user_id
    client.chat_postEphemeral(channel=channel, user=req.user_id, text=text)


# changing a profile's label and expiry (SPEC §7) ----------------------------------------------------
def _profile_id(words: list[str]) -> int:
    profile_id = row_id(words[1]) if len(words) == 2 else None
    if profile_id is None or profile_id == 0:
        raise InvalidInput(N_("Write it as {example}."), example="`/billing profiles edit 2`")
    return profile_id


def edit_modal(req: Req, profile_id: int, channel_id: str | None) -> dict[str, Any]:
    """The profile's label and expiry, filled with what is stored; permission checked on opening."""
    t = req.t
    with req.deps.uow() as uow:
        p = service.get_profile(uow, req.actor, profile_id)
        label, expiry = p.label, f"{p.exp_month:02d}/{p.exp_year % 100:02d}"
        card = t(N_("{brand} ···· {last4}"), brand=t(service.BRANDS.get(p.brand, p.brand)), last4=p.last4)
    blocks: list[Block] = [
        ui.section(t(N_("Billing profile {id}: {card}"), id=profile_id, card=card)),
        InputBlock(
            block_id="label",
            label=t(N_("Name for this billing profile")),
            optional=True,
            hint=t(N_("Empty: the card's brand and last four digits.")),
            element=PlainTextInputElement(action_id="value", initial_value=label, max_length=80),
        ),
        InputBlock(
            block_id="expiry",
            label=t(N_("Expiry (MM/YY)")),
            element=PlainTextInputElement(action_id="value", initial_value=expiry, max_length=7),
        ),
    ]
    meta: dict[str, Any] = {"profile": profile_id, **({"channel": channel_id} if channel_id else {})}
    return ui.modal(
        t(N_("Change a billing profile")),
        EDIT_MODAL,
        blocks,
        submit=t(N_("Save")),
        close=t(N_("Cancel")),
        private_metadata=meta,
    )


def edit_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    profile_id = row_id(ui.action_value(body))
    if not profile_id:
        raise InvalidInput(N_("Write it as {example}."), example="`/billing profiles edit 2`")
    channel = (body.get("channel") or {}).get("id")
    client.views_open(trigger_id=body["trigger_id"], view=edit_modal(req, profile_id, channel))


def save_edit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """The profile id comes from the modal's metadata: it is only a row id, checked against the
    clicker's agency and role like any typed id; nothing else in the metadata is used but the channel."""
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    profile_id = row_id(str(meta.get("profile", "")))
    if not profile_id:
        raise InvalidInput(N_("Write it as {example}."), example="`/billing profiles edit 2`")
    change = service.ProfileChange(
        label=ui.state_value(view, "label") or "", expiry=ui.state_value(view, "expiry") or ""
    )
    with req.deps.uow() as uow:
        try:
            profile, changed = service.edit_profile(uow, req.deps.clock, req.actor, profile_id, change)
        except NotFound as error:  # deleted meanwhile: said beside the first input of the modal
            error.field = "label"
            raise
        params = {
            "id": profile.id,
            "label": profile.label,
            "month": f"{profile.exp_month:02d}",
            "year": str(profile.exp_year),
        }
    message = (
        N_(":white_check_mark: Billing profile {id} is now {label}, expires {month}/{year}.")
        if changed
        else N_(
            ":information_source: Billing profile {id} already reads {label}, expires {month}/{year}: nothing changed."
        )
    )
    ack()
    channel = str(meta.get("channel") or req.user_id)
    client.chat_postEphemeral(channel=channel, user=req.user_id, text=req.t(message, **params))
