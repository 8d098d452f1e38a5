"""`/agency notices` (settings, the pending outbox, mute, snooze, lead days, run) and the buttons
notices carry (Renew, View account, Buy licenses, Buy prepaid, List them all).

A button acts, then updates the notice in the channel with who did what, in place of the button, so
the next reader does not act twice.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from sqlalchemy import select

from bot import ui
from bot.answer import answer
from bot.commands import credits_buy, seats_modals
from bot.commands.accounts import plan_label
from bot.commands.accounts_actions import renew_card
from bot.context import Req, open_request
from bot.jobs.notifier import run_notices
from bot.jobs.workspace_clients import clients_of
from bot.notice_render import render_line
from domain import credits
from domain.clock import today
from domain.errors import InvalidInput, NotFound
from domain.i18n import N_
from domain.notices import delivery, rules, service, texts
from domain.numbers import row_id, whole_number
from domain.roles import Permission
from domain.store.models import Account, Agency, Notice

RUN_WAIT_SECONDS = 2.5


def register(app: App) -> None:
    app.action(texts.RENEW)(on_renew)
    app.action(texts.VIEW)(on_view)
    app.action(texts.BUY_LICENSES)(on_buy_licenses)
    app.action(texts.BUY_PREPAID)(on_buy_prepaid)
    app.action(texts.LIST_ALL)(on_list_all)


def notices_reply(req: Req, words: list[str]) -> dict[str, Any]:
    t, deps = req.t, req.deps
    sub = words[0].lower() if words else "status"
    with deps.uow() as uow:
        if sub == "mute" and len(words) == 2:
            kind = service.set_muted(uow, deps.clock, req.actor, words[1], muted=True)
            return ui.notice(t(N_(":white_check_mark: {kind} notices are muted."), kind=kind))
        if sub == "unmute" and len(words) == 2:
            kind = service.set_muted(uow, deps.clock, req.actor, words[1], muted=False)
            return ui.notice(t(N_(":white_check_mark: {kind} notices are posted again."), kind=kind))
        if sub == "snooze" and len(words) == 3:
            days = whole_number(words[2])
            if days is None:
                raise InvalidInput(N_("Snooze for 0 to 365 days, like `/agency notices snooze acme 14`."))
            name, until = service.snooze(uow, deps.clock, req.actor, words[1], days)
            if until is None:
                return ui.notice(
                    t(N_(":white_check_mark: Notices about *{account}* are posted again."), account=name)
                )
            return ui.notice(
                t(
                    N_(":white_check_mark: No notices about *{account}* until {date}."),
                    account=name,
                    date=until,
                )
            )
        if sub == "lead" and len(words) == 2:
            leads = service.set_lead_days(uow, deps.clock, req.actor, words[1])
            return ui.notice(
                t.plural(
                    N_(":white_check_mark: Renewals are announced {days} day before."),
                    N_(":white_check_mark: Renewals are announced {days} days before."),
                    leads[0] if len(leads) == 1 else len(leads),
                    days=", ".join(map(str, leads)),
                )
            )
        if sub == "run" and len(words) == 1:
            req.actor.require(Permission.MANAGE_ACCOUNTS)
            return run_now(req)
        if sub != "status" or len(words) > 1:
            raise InvalidInput(
                N_(
                    "Use `/agency notices`, `mute <kind>`, `unmute <kind>`, `snooze <account> <days>`, `lead 7,1` or `run`."
                )
            )
        req.actor.require(Permission.READ)
        agency: Agency = uow.agencies.get(req.actor.agency_id)
        total, rows = delivery.pending(uow.session, agency.id)
        ids = [int(k) for k in agency.notice_snoozes or {}]
        names = dict(uow.session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all())
        return status_message(req, agency, total, rows, names)


def status_message(
    req: Req,
    agency: Agency,
    total: int,
    rows: list[tuple[Notice, str | None]],
    names: dict[int, str],
) -> dict[str, Any]:
    """Snoozes are shown by account name, as owners typed them."""
    t = req.t
    channel = ui.channel_link(agency.notice_channel) if agency.notice_channel else t(N_("no channel yet"))
    # Each muted kind in the reader's words, with the code `unmute` takes.
    muted = ", ".join(
        t(N_("{kind} (`{code}`)"), kind=t(texts.KIND_NAMES.get(k, k)), code=k)
        for k in agency.notice_mutes or []
    ) or t(N_("none"))
    snoozes = ", ".join(
        t(N_("{account} until {date}"), account=names.get(int(k), k), date=date.fromisoformat(v))
        for k, v in (agency.notice_snoozes or {}).items()
    ) or t(N_("none"))
    blocks: list[Block] = [
        ui.header(t(N_("Notices"))),
        ui.fields(
            [
                (t(N_("Channel")), channel),
                (t(N_("Renewal lead days")), ui.escape(str(agency.notice_lead_days))),
                (t(N_("Low-balance threshold")), t.money(agency.low_balance_threshold)),
                (t(N_("Muted kinds")), muted),
                (t(N_("Snoozed accounts")), snoozes),
            ]
        ),
    ]
    if not agency.notice_channel and total:
        blocks.append(
            ui.section(
                t(
                    N_(
                        ":warning: No notice channel is set: these wait until one is chosen in `/agency settings`."
                    )
                )
            )
        )
    lines = [
        f"{t.date(n.due_on)} · {t(texts.KIND_NAMES.get(n.kind, n.kind))} · {ui.escape(name or '-')}"
        + (f" · _{ui.escape(n.last_error)}_" if n.last_error else "")
        for n, name in rows
    ]
    blocks.append(ui.section("\n".join(lines) if lines else t(N_("Nothing waits in the outbox."))))
    blocks.append(
        ui.context(
            t.plural(N_("{n} notice waiting."), N_("{n} notices waiting."), total),
            t(
                N_(
                    "Owners: `/agency notices mute <kind>`, `snooze <account> <days>`, `lead 7,1`; `run` posts now."
                )
            ),
        )
    )
    return ui.message(t(N_("Notices")), blocks)


def run_now(req: Req) -> dict[str, Any]:
    """Sweep and send for this agency; wait briefly so a short run answers with its result."""
    deps, t = req.deps, req.t
    done: list[Any] = []

    def work() -> None:
        done.extend(
            run_notices(
                deps.settings,
                deps.sessions,
                deps.catalog,
                deps.clock,
                agency_ids=[req.actor.agency_id],
                provider=deps.provider,
                clients=clients_of(deps),
                **deps.extras.get("notices", {}),
            )
        )

    # A daemon: a process that ends mid-run leaves a claim the next run takes over after its lease.
    worker = threading.Thread(target=work, name="notices-run", daemon=True)
    worker.start()
    deps.extras.setdefault("notice_runs", []).append(worker)
    worker.join(RUN_WAIT_SECONDS)
    if not done:
        return ui.notice(t(N_(":hourglass: Notices are being posted; the rest follows in the channel.")))
    counts = done[0].counts
    return ui.notice(
        t(
            N_(
                ":white_check_mark: Notices run — new: {queued}, posted: {posted}, messages: {messages}, waiting: {waiting}."
            ),
            queued=counts.get("queued", 0),
            posted=counts.get("posted", 0),
            messages=counts.get("messages", 0),
            waiting=counts.get("waiting_for_channel", 0) + counts.get("failed", 0),
        )
    )


# buttons -----------------------------------------------------------------------------------------


def _notice(req: Req, value: str) -> tuple[Notice, Account | None]:
    with req.deps.uow() as uow:
        notice_id = row_id(value)
        notice = uow.session.get(Notice, notice_id) if notice_id is not None else None
        if notice is None or notice.agency_id != req.actor.agency_id:
            raise NotFound(N_("This notice is no longer there."))
        account = uow.session.get(Account, notice.account_id) if notice.account_id else None
        uow.session.expunge_all()  # read-only here: keep the loaded rows readable after the session ends
        return notice, account


def _start(ack: Ack, body: dict[str, Any], context: BoltContext) -> tuple[Req, Notice, Account | None]:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    notice, account = _notice(req, ui.action_value(body))
    return req, notice, account


def mark_done(context: BoltContext, body: dict[str, Any], notice_id: int, note: str) -> None:
    """Replace the notice's button with who did what, keeping the rest of the message as it was."""
    message = body.get("message") or {}
    blocks = list(message.get("blocks") or [])
    if not blocks or body.get("container", {}).get("is_ephemeral"):
        return
    updated = []
    for original in blocks:
        block = original
        block_id = block.get("block_id")
        if block_id == f"actions:{notice_id}":
            block = {"type": "context", "block_id": block_id, "elements": [{"type": "mrkdwn", "text": note}]}
        elif block_id == f"notice:{notice_id}" and block.get("accessory"):  # a digest line's button
            text = (block.get("text") or {}).get("text", "")
            block = {
                "type": "section",
                "block_id": block_id,
                "text": {"type": "mrkdwn", "text": ui.clip(f"{text}\n{note}", 3000)},
            }
        updated.append(block)
    answer(context, body, {"text": str(message.get("text") or note), "blocks": updated}, replace=True)


def on_renew(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Shows the renewal's confirm card (amount, period, payment choices) to the member who clicked:
    a charge is never made in one click from a channel message, and the approvals rule applies."""
    req, _notice_row, account = _start(ack, body, context)
    if account is None:
        raise NotFound(N_("This notice is about no account."))
    answer(context, body, renew_card(req, account.name))


def on_view(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req, _, account = _start(ack, body, context)
    if account is None:
        raise NotFound(N_("This notice is about no account."))
    t = req.t
    blocks: list[Block] = [
        ui.header(account.name),
        ui.fields(
            [
                (t(N_("Status")), t(account.status)),
                (t(N_("Plan")), plan_label(t, account)),
                (t(N_("Client")), ui.escape(account.client_name)),
                (t(N_("Period ends")), t.date(account.period_end)),
            ]
        ),
        ui.context(t(N_("More with `/accounts show {name}`."), name=account.name)),
    ]
    answer(context, body, ui.message(account.name, blocks))


def _channel(body: dict[str, Any]) -> str | None:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


def on_buy_licenses(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Opens the top-up right there; only someone who may spend is shown as buying."""
    req, notice, account = _start(ack, body, context)
    if account is None:
        raise NotFound(N_("This notice is about no account."))
    req.actor.require(Permission.SPEND_MONEY)
    view = seats_modals.buy_view(req, account.name, "1", _channel(body))
    client.views_open(trigger_id=body["trigger_id"], view=view)
    t = req.channel_t  # the note edits the channel's notice
    mark_done(context, body, notice.id, t(N_(":hourglass: <@{user}> is buying licenses."), user=req.user_id))


def on_buy_prepaid(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Opens the credit purchase right there; only someone who may spend is shown as buying."""
    req, notice, _ = _start(ack, body, context)
    req.actor.require(Permission.SPEND_MONEY)
    if notice.kind == rules.PREPAID_ADVICE:
        answer(context, body, advice_purchase(req), replace=False)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=credits_buy.buy_modal(req, _channel(body)))
    t = req.channel_t  # the note edits the channel's notice
    mark_done(
        context, body, notice.id, t(N_(":hourglass: <@{user}> is buying prepaid credit."), user=req.user_id)
    )


def advice_purchase(req: Req) -> dict[str, Any]:
    """The monthly advice's Buy prepaid: the amount worked out again now (renewals, balances and the
    tier as they are at the click), never read from the notice or the button, then the usual
    confirm card (a held confirmation, priced again on Confirm)."""
    from domain.notices.prepaid import month_advice

    with req.deps.uow() as uow:
        advice = month_advice(
            uow.session, req.deps.catalog, req.actor.agency_id, today(req.deps.clock, req.timezone)
        )
    if advice.to_buy is None:
        return ui.notice(
            req.t(N_("Your prepaid credit already covers this month's renewals: nothing to buy."))
        )
    return credits_buy.confirm_card(req, credits.Order("prepaid", advice.to_buy, None, None))


def on_list_all(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    marker = ui.action_value(body)
    with req.deps.uow() as uow:
        rows = delivery.in_message(uow.session, req.actor.agency_id, marker)
        lines = [render_line(req.t, n.kind, name, n.due_on, n.payload) for n, name in rows]
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900 and chunk:
            blocks.append(ui.section("\n".join(chunk)))
            chunk = []
        chunk.append(ui.clip(line, 2900))
    if chunk:
        blocks.append(ui.section("\n".join(chunk)))
    title = req.t.plural(N_("{n} notice"), N_("{n} notices"), len(lines))
    answer(
        context, body, ui.message(title, [ui.header(title), *blocks][: ui.MAX_MESSAGE_BLOCKS]), replace=False
    )
