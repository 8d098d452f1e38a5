"""`/agency`: settings, members and roles, and the audit log."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    NumberInputElement,
    PlainTextInputElement,
    StaticSelectElement,
)

from bot import audit_text, ui
from bot.context import Req, open_request
from bot.i18n import _
from bot.parsing import refuse_extra, tokens, user_id
from bot.vendor_links import vendor_blocks
from bot.vocabulary import role_name
from domain import agency as service
from domain import audit
from domain.agency import LAST_ADVICE_DAY
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.numbers import whole_number
from domain.roles import Permission, parse_role

LANGUAGE_NAMES = {"en": _("English"), "fr": _("French"), "it": _("Italian")}


def register(app: App) -> None:
    app.command("/agency")(agency_command)
    app.view("agency_settings")(save_settings)


def agency_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    req = open_request(context, command)
    context["translator"] = req.t
    words = tokens(command.get("text"))
    sub = words[0].lower() if words else "help"
    if sub == "settings":
        refuse_extra(words, 1, "`/agency settings`")
        req.actor.require(Permission.MANAGE_AGENCY)  # before the form opens: saving it needs this
        ack()
        with req.deps.uow() as uow:
            agency = service.get_agency(uow, req.actor)
            view = settings_modal(req, agency, command.get("channel_id"))
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    if sub == "members":
        ack(**members_reply(req, words[1:]))
        return
    if sub == "notices":
        from bot.commands.notices import notices_reply

        ack(**notices_reply(req, words[1:]))
        return
    if sub == "audit":
        ack(**audit_reply(req, words[1:]))
        return
    if sub == "tasks":
        from bot.commands.portal_tasks import tasks_reply

        ack(**tasks_reply(req))
        return
    if sub == "approvals":
        from bot.commands.approvals import agency_reply

        ack(**agency_reply(req, words[1:]))
        return
    ack(**help_reply(req, unknown=None if sub == "help" else words[0]))


def help_reply(req: Req, unknown: str | None = None) -> dict[str, Any]:
    t = req.t
    lines = [
        t(
            N_(
                "`/agency settings` — agency name, notice channel, currency, time zone, language, low-balance threshold, notification email"
            )
        ),
        t(N_("`/agency members` — who can use Reseller Desk, and their roles")),
        t(N_("`/agency members add @user owner|billing|manager|viewer` — add a member or change a role")),
        t(N_("`/agency members remove @user` — remove a member (the last owner stays)")),
        t(N_("`/agency audit [n]` — the latest n changes (default 10)")),
        t(N_("`/agency tasks` — portal tasks: what to do by hand at the vendor, with a Done button")),
        t(
            N_(
                "`/agency import` — bring in the accounts the agency already has at the vendor; `/agency import csv` — from CSV rows"
            )
        ),
        t(
            N_(
                "`/agency approvals [amount|off]` — four-eyes approvals: the list, or the amount above which they apply"
            )
        ),
    ]
    blocks: list[Block] = []
    if unknown:
        blocks.append(
            ui.section(t(N_(":warning: I don't know `{word}`. Here is what `/agency` does:"), word=unknown))
        )
    blocks += [
        ui.header(t(N_("Reseller Desk — {agency}"), agency=req.agency_name)),
        ui.section("\n".join(lines)),
        *vendor_blocks(t, req.deps.catalog, req.deps.provider.key),
    ]
    blocks.append(
        ui.context(
            t(
                N_(
                    "Roles: `owner` (everything), `billing` (money), `manager` (accounts and seats), `viewer` (read only)."
                )
            ),
            t(N_("Other commands: /accounts, /quote, /credits, /seats, /billing.")),
        )
    )
    return ui.message(t(N_("Reseller Desk help")), blocks)


def members_reply(req: Req, words: list[str]) -> dict[str, Any]:
    t = req.t
    action = words[0].lower() if words else "list"
    example_add = "`/agency members add @maria billing`"
    with req.deps.uow() as uow:
        if action == "add":
            if len(words) != 3:
                raise InvalidInput(N_("Write it as {example}."), example=example_add)
            who, role = user_id(words[1]), parse_role(words[2])
            service.add_member(uow, req.deps.clock, req.actor, who, role)
            return ui.notice(
                t(N_(":white_check_mark: <@{user}> is now {role}."), user=who, role=role_name(t, role))
            )
        if action == "remove":
            if len(words) != 2:
                raise InvalidInput(N_("Write it as {example}."), example="`/agency members remove @maria`")
            who = user_id(words[1])
            service.remove_member(uow, req.deps.clock, req.actor, who, req.deps.settings.reseller_owners)
            return ui.notice(t(N_(":white_check_mark: <@{user}> is no longer a member."), user=who))
        if action == "list":
            refuse_extra(words, 1 if words else 0, "`/agency members`")
        if action != "list":
            raise InvalidInput(
                N_(
                    "I don't know `members {word}`. Use `/agency members`, {example} or `/agency members remove @maria`."
                ),
                word=words[0],
                example=example_add,
            )
        members = service.list_members(uow, req.actor)
        rows = [t(N_("<@{user}> — {role}"), user=m.user_id, role=role_name(t, m.role)) for m in members]
    blocks: list[Block] = [
        ui.header(t(N_("Members of {agency}"), agency=req.agency_name)),
        ui.section("\n".join(rows) or t(N_("No members yet."))),
        ui.context(
            t.plural(N_("{n} member."), N_("{n} members."), len(rows)),
            t(N_("Add one with {example}."), example=example_add),
        ),
    ]
    return ui.message(t(N_("Members of {agency}"), agency=req.agency_name), blocks)


def audit_reply(req: Req, words: list[str]) -> dict[str, Any]:
    t = req.t
    limit = 10
    if words:
        refuse_extra(words, 1, "`/agency audit 20`")
        wanted = whole_number(words[0], maximum=50)
        if wanted is None or wanted < 1:
            raise InvalidInput(N_("Give a number of entries from 1 to 50, like `/agency audit 20`."))
        limit = wanted
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        entries = audit.latest(uow, req.actor.agency_id, limit)
        lines = [audit_text.entry_line(t, entry) for entry in entries]
    blocks: list[Block] = [ui.header(t(N_("Audit log")))]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800:
            blocks.append(ui.section("\n".join(chunk)))
            chunk = []
        chunk.append(ui.clip(line, 2800))
    if chunk:
        blocks.append(ui.section("\n".join(chunk)))
    if not lines:
        blocks.append(ui.section(t(N_("No changes recorded yet."))))
    return ui.message(t(N_("Audit log")), blocks)


def settings_modal(req: Req, agency: Any, channel_id: str | None) -> dict[str, Any]:
    t = req.t
    languages = [ui.option(t(label), code) for code, label in LANGUAGE_NAMES.items()]
    current_language = next((o for o in languages if o.value == agency.language), languages[0])
    blocks: list[Block] = [
        InputBlock(
            block_id="name",
            label=t(N_("Agency name")),
            element=PlainTextInputElement(action_id="value", initial_value=req.agency_name, max_length=120),
        ),
        InputBlock(
            block_id="notice_channel",
            label=t(N_("Notice channel")),
            hint=t(N_("Expiry and billing notices are posted here. Never to clients.")),
            optional=True,
            element=ConversationSelectElement(
                action_id="value",
                initial_conversation=agency.notice_channel,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            ),
        ),
        InputBlock(
            block_id="currency",
            label=t(N_("Currency")),
            hint=t(N_("ISO 4217 code, like USD, EUR or GBP.")),
            element=PlainTextInputElement(action_id="value", initial_value=agency.currency, max_length=3),
        ),
        InputBlock(
            block_id="timezone",
            label=t(N_("Time zone")),
            hint=t(N_("IANA name, like Europe/Paris. Renewal days and notices follow it.")),
            element=PlainTextInputElement(action_id="value", initial_value=agency.timezone, max_length=64),
        ),
        InputBlock(
            block_id="language",
            label=t(N_("Agency language")),
            hint=t(N_("Used for channel notices and for people whose Slack language we don't speak.")),
            element=StaticSelectElement(
                action_id="value", options=languages, initial_option=current_language
            ),
        ),
        InputBlock(
            block_id="low_balance_threshold",
            label=t(N_("Low-balance threshold")),
            hint=t(N_("A notice is posted when prepaid credit falls below this amount.")),
            element=NumberInputElement(
                action_id="value",
                is_decimal_allowed=True,
                min_value="0",
                initial_value=str(agency.low_balance_threshold),
            ),
        ),
        InputBlock(
            block_id="notification_email",
            label=t(N_("Notification email")),
            hint=t(
                N_("The agency's address new accounts get: provider messages go there, never to clients.")
            ),
            optional=True,
            element=PlainTextInputElement(
                action_id="value", initial_value=agency.notification_email or None, max_length=254
            ),
        ),
        InputBlock(
            block_id="large_charge",
            label=t(N_("Large-charge amount")),
            hint=t(N_("Every charge above this amount asks to be checked before it is confirmed.")),
            element=NumberInputElement(
                action_id="value",
                is_decimal_allowed=True,
                min_value="0.01",
                initial_value=str(agency.large_charge),
            ),
        ),
        InputBlock(
            block_id="prepaid_advice_day",
            label=t(N_("Prepaid advice day")),
            hint=t(
                N_(
                    "Each month on this day (1 to 28) the notice channel gets what the month's renewals will cost and the prepaid credit that covers them."
                )
            ),
            element=NumberInputElement(
                action_id="value",
                is_decimal_allowed=False,
                min_value="1",
                max_value=str(LAST_ADVICE_DAY),
                initial_value=str(agency.prepaid_advice_day or 1),
            ),
        ),
    ]
    return ui.modal(
        t(N_("Agency settings")),
        "agency_settings",
        blocks,
        submit=t(N_("Save")),
        close=t(N_("Cancel")),
        private_metadata={"channel": channel_id} if channel_id else None,
    )


def _amount(raw: str | None) -> Decimal | None:
    """The large-charge amount typed (None when left empty: the current one is kept)."""
    if raw is None or not raw.strip():
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidInput(
            N_("Large-charge amount: write a number, like 1000 or 2500.50."), field="large_charge"
        )
    return value


def _advice_day(raw: str | None) -> int | None:
    """The advice day typed (None when left empty: the current one is kept)."""
    if raw is None or not raw.strip():
        return None
    day = whole_number(raw.strip())
    if day is None:
        raise InvalidInput(
            N_("Prepaid advice day: a day of the month from 1 to {last}, like 1."),
            field="prepaid_advice_day",
            last=LAST_ADVICE_DAY,
        )
    return day


def save_settings(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    raw_threshold = ui.state_value(view, "low_balance_threshold") or "0"
    try:
        threshold = Decimal(raw_threshold)
    except InvalidOperation:
        raise InvalidInput(
            N_("Write the threshold as a number, like 250 or 99.50."), field="low_balance_threshold"
        ) from None
    data = service.SettingsInput(
        name=ui.state_value(view, "name") or "",
        notice_channel=ui.state_value(view, "notice_channel"),
        currency=ui.state_value(view, "currency") or "",
        timezone=ui.state_value(view, "timezone") or "",
        low_balance_threshold=threshold,
        language=ui.state_value(view, "language") or "en",
        notification_email=ui.state_value(view, "notification_email"),
        large_charge=_amount(ui.state_value(view, "large_charge")),
        prepaid_advice_day=_advice_day(ui.state_value(view, "prepaid_advice_day")),
    )
    with req.deps.uow() as uow:
        agency = service.update_settings(uow, req.deps.clock, req.actor, data)
        summary = req.t(
            N_(":white_check_mark: Settings saved: {name}, {currency}, {tz}, notices in {channel}."),
            name=agency.name,
            currency=agency.currency,
            tz=agency.timezone,
            channel=ui.channel_link(agency.notice_channel)
            if agency.notice_channel
            else req.t(N_("no channel yet")),
        )
    ack()
    channel = ui.metadata(view).get("channel")
    if channel:
        client.chat_postEphemeral(channel=channel, user=req.user_id, text=summary)
