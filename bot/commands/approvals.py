"""Four-eyes approvals in Slack: the hook the confirm steps call, the request posted in the agency
channel with Approve / Reject, and `/agency approvals` (list, or set the amount).

The hook is one call per confirm path: `hold` returns None when no approval is needed (the rule is
off or the amount is at most the threshold), and the confirm path then charges exactly as before.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot import ui
from bot.answer import answer
from bot.commands.accounts_common import ports_of
from bot.context import Req, open_request
from bot.i18n import Translator, joined
from domain.approvals import actions, expiry, rules
from domain.approvals import requests as approvals
from domain.errors import InvalidInput
from domain.i18n import N_, revived
from domain.money import parse_money, round_money
from domain.numbers import row_id
from domain.store.models import Approval

log = logging.getLogger("reseller_desk.approvals")
APPROVE = "approval_approve"
REJECT = "approval_reject"
DECIDE_MENU = "approval_decide"
STATES = (N_("pending"), N_("approved"), N_("rejected"), N_("expired"), N_("failed"))
MONEY_PARAMS = ("total",)


def register(app: App) -> None:
    app.action(APPROVE)(on_decide)
    app.action(REJECT)(on_decide)
    app.action(DECIDE_MENU)(on_decide)


def hold(req: Req, kind: str, payload: dict[str, Any], origin: str | None) -> str | None:
    """Create and post an approval request when the amount needs one; the text tells the requester."""
    ports = ports_of(req)
    with req.deps.uow() as uow:
        threshold = approvals.threshold_of(uow, req.actor.agency_id)
        if threshold is None:
            return None
        amount = actions.price(uow, ports, req.actor, kind, payload)
        if not rules.needed(threshold, amount):
            return None
        channel = uow.agencies.get(req.actor.agency_id).notice_channel or origin or req.user_id
    with req.deps.uow() as uow:
        approval, created = approvals.request(uow, ports, req.actor, kind, payload=payload, amount=amount)
        approval_id = approval.id
    if created and req.client is not None:
        with req.deps.uow() as uow:
            message = request_message(req.channel_t, approvals.get(uow, req.actor, approval_id))
        posted = req.client.chat_postMessage(channel=channel, **message)
        with req.deps.uow() as uow:
            approvals.attach_message(
                uow, approval_id, str(posted.get("channel") or channel), str(posted["ts"])
            )
    return req.t(
        N_(
            ":hourglass: {amount} is above the approval amount ({threshold}): request #{id} waits in <#{channel}> "
            "for another owner or billing member. Nothing is charged until then; `/agency approvals` shows it."
        ),
        amount=amount,
        threshold=threshold,
        id=approval_id,
        channel=channel,
    )


def describe(t: Translator, approval: Approval) -> str:
    p = approval.payload
    if approval.kind == "credits":
        kind = str(p.get("kind"))
        quantity = Decimal(str(p.get("quantity") or 0))
        # Prepaid credit is money (a Decimal param is formatted as money); packs are a count of units.
        return t(
            N_("Credit purchase: {quantity} {kind}"),
            quantity=quantity if kind == "prepaid" else t.number(int(quantity)),
            kind=t(kind),
        )
    if approval.kind == "plan":
        return t(N_("Plan change of {name}"), name=str(p.get("name")))
    if approval.kind == "renewal" and p.get("undo") is True:
        return t(N_("Renewal of {name}, undoing its cancellation"), name=str(p.get("name")))
    if approval.kind == "renewal":
        return t(N_("Renewal of {name}"), name=str(p.get("name")))
    return t.plural(
        N_("{n} more license or user seat for {name}"),
        N_("{n} more licenses or user seats for {name}"),
        int(p.get("extra") or 0),
        name=str(p.get("name")),
    )


def state_text(t: Translator, approval: Approval) -> str:
    if approval.status == "pending":
        return t(N_("Waiting for approval until {when}."), when=approval.expires_at)
    if approval.status == "expired":
        return t(N_("Expired on {when}: nothing was charged."), when=approval.expires_at)
    text = t(approval.status)
    if approval.decided_by and approval.decided_at:
        text = t(
            N_("{status} by <@{user}> on {when}"),
            status=text,
            user=approval.decided_by,
            when=approval.decided_at,
        )
    result = approval.payload.get("result")
    if isinstance(result, dict):
        params = {
            k: Decimal(v) if k in MONEY_PARAMS else revived(v)
            for k, v in (result.get("params") or {}).items()
        }
        text = joined(" — ", [text, t(str(result.get("message")), **params)])
    return text


def request_message(t: Translator, approval: Approval) -> dict[str, Any]:
    what = describe(t, approval)
    blocks: list[Block] = [
        ui.section(
            t(
                N_("*Approval request #{id}*: {what}, {amount}, asked by <@{user}>."),
                id=approval.id,
                what=what,
                amount=approval.amount,
                user=approval.requester,
            )
        ),
        ui.context(state_text(t, approval)),
    ]
    if approval.status == "pending":
        blocks.append(
            ui.actions(
                ui.button(t(N_("Approve")), APPROVE, str(approval.id), style="primary"),
                ui.button(t(N_("Reject")), REJECT, str(approval.id), style="danger"),
            )
        )
    return ui.message(
        t(N_("Approval request #{id}: {what}"), id=approval.id, what=what), blocks, ephemeral=False
    )


def on_decide(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Decide, execute when approved, then show who decided and when on the channel message."""
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    action = ui.action(body)
    chosen = ui.selected_value(body)
    verb, _, raw = chosen.partition(":") if chosen else ("", "", ui.action_value(body))
    approval_id = row_id(raw)
    if approval_id is None:
        raise InvalidInput(N_("This approval button is not valid any more."))
    ports = ports_of(req)
    approve = action.get("action_id") == APPROVE or verb == "approve"
    try:
        with req.deps.uow() as uow:
            approval = approvals.decide(uow, ports, req.actor, approval_id, approve=approve)
            status = approval.status
    finally:
        _refresh(req, client, approval_id)
    if approve and status == "approved":
        try:
            with req.deps.uow() as uow:
                outcome = approvals.execute(uow, ports, req.actor, approval_id)
        finally:
            _refresh(req, client, approval_id)
        params = {k: Decimal(str(v)) if k in MONEY_PARAMS else v for k, v in outcome.params.items()}
        answer(context, body, ui.notice(req.t(outcome.message, **params)))


def _refresh(req: Req, client: WebClient, approval_id: int) -> None:
    with req.deps.uow() as uow:
        approval = approvals.get(uow, req.actor, approval_id)
        channel, ts = approval.channel, approval.message_ts
        message = request_message(req.channel_t, approval)
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])


def agency_reply(req: Req, words: list[str]) -> dict[str, Any]:
    """`/agency approvals` lists recent requests; `/agency approvals 1000` or `off` sets the rule."""
    t = req.t
    if words:
        amount = None if words[0].lower() == "off" else _amount(words[0])
        if len(words) > 1:
            raise InvalidInput(N_("Write it as `/agency approvals 1000` or `/agency approvals off`."))
        with req.deps.uow() as uow:
            approvals.set_threshold(uow, ports_of(req), req.actor, amount)
        if amount is None:
            return ui.notice(t(N_(":white_check_mark: Approvals are off: purchases are charged on confirm.")))
        return ui.notice(
            t(
                N_(
                    ":white_check_mark: Purchases, plan changes and renewals above {amount} now wait for approval."
                ),
                amount=amount,
            )
        )
    with req.deps.uow() as uow:
        expired = expiry.expire_overdue(uow, ports_of(req), req.actor)
    if req.client is not None:
        _refresh_expired(req, req.client, expired)
    with req.deps.uow() as uow:
        threshold = approvals.threshold_of(uow, req.actor.agency_id)
        recent = approvals.recent(uow, req.actor)
        pending = [(a.id, describe(t, a)) for a in recent if a.status == "pending"]
        lines = [
            t(
                N_("#{id} · {what} · {amount} · <@{user}> · {state}"),
                id=a.id,
                what=describe(t, a),
                amount=a.amount,
                user=a.requester,
                state=state_text(t, a),
            )
            for a in recent
        ]
    rule = (
        t(N_("Above {amount}, a second owner or billing member approves."), amount=threshold)
        if threshold is not None
        else t(N_("Approvals are off. Turn them on with `/agency approvals 1000`."))
    )
    blocks: list[Block] = [
        ui.header(t(N_("Approvals"))),
        ui.section(rule),
        ui.section("\n".join(lines) or t(N_("No approval requests yet."))),
    ]
    for approval_id, what in pending[:5]:  # decide here too, e.g. when the channel message is far up
        blocks.append(
            ui.section(
                f"#{approval_id} · {what}",
                accessory=ui.overflow(
                    DECIDE_MENU,
                    [
                        (t(N_("Approve")), f"approve:{approval_id}"),
                        (t(N_("Reject")), f"reject:{approval_id}"),
                    ],
                ),
            )
        )
    return ui.message(t(N_("Approvals")), blocks)


def _refresh_expired(req: Req, client: WebClient, expired: list[int]) -> None:
    """The channel messages of requests that just expired lose their buttons and say so."""
    for approval_id in expired:
        try:
            _refresh(req, client, approval_id)
        except SlackApiError as error:  # the daily job tries again; the listing shows it meanwhile
            log.warning("approval %s: message not updated: %s", approval_id, error.response.get("error"))
            continue
        with req.deps.uow() as uow:
            expiry.mark_shown(uow, approval_id)


def _amount(text: str) -> Decimal:
    try:
        amount = round_money(parse_money(text))
    except ValueError:
        raise InvalidInput(N_("Write the amount as a number, like 1000, or off.")) from None
    if amount < 0:
        raise InvalidInput(N_("Write the amount as a number, like 1000, or off."))
    return amount
