"""The Edit modal's confirm step: the prorated charge of an upgrade or a trial conversion is shown
before anything is charged, and a downgrade's quote (what is paid per cycle from the next renewal, no
refund) before it is scheduled. The server holds the plan and the amount shown (`bot.confirmations`); the
modal's metadata carries only that confirmation's id, which is the charge's idempotency key, so a
double submit charges once and a changed price is said, not charged."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import confirmations, portal_tasks, ui
from bot.commands import approvals
from bot.commands.accounts_common import ports_of
from bot.context import Req, open_request
from bot.quote_render import quote_blocks
from domain import pending
from domain.accounts import changes
from domain.accounts.service import plan_json
from domain.errors import DomainError
from domain.i18n import N_
from domain.plans import choice_from_json
from domain.portfolio import count_active_paid
from domain.pricing import PlanChoice, Quote
from domain.vendor_billing import billing_vendor, vendor_label

CONFIRM = "accounts_edit_confirm"


def confirm_view(
    req: Req, name: str, choice: PlanChoice, q: Quote, *, reason: str | None, meta: dict[str, Any]
) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        count = count_active_paid(uow.session, req.actor.agency_id)
    later = q.effect == "at_renewal"
    if later:
        head = t(
            N_(
                "Confirm the plan change of *{name}*: it takes effect at the next renewal on {date}, and from "
                "then on you pay {amount} per cycle. Nothing is charged today; no refund."
            ),
            name=name,
            date=q.renewal,
            amount=q.per_cycle,
        )
    elif (vendor := billing_vendor(req.deps.provider, choice.product)) is not None:
        head = t(
            N_(
                "Confirm the plan change of *{name}*: {vendor} bills {amount} today (no card is charged here)."
            ),
            name=name,
            vendor=vendor_label(vendor),
            amount=q.today,
        )
    else:
        head = t(
            N_("Confirm the plan change of *{name}*: {amount} is charged today."), name=name, amount=q.today
        )
    blocks: list[Block] = [ui.section(head)]
    if not later:  # a downgrade charges nothing today
        blocks += confirmations.large_charge(req, q.today)
    blocks += quote_blocks(t, q, count, with_create=False)[:40]
    held = {"name": name, "plan": plan_json(choice), "reason": reason}
    data = {
        "name": name,
        "channel": meta.get("channel"),
        "pending": confirmations.hold(req, "plan", held, amount=shown_amount(q)),
    }
    return ui.modal(
        t(N_("Confirm the change")),
        CONFIRM,
        blocks,
        submit=t(N_("Schedule the change")) if later else t(N_("Charge and change")),
        close=t(N_("Cancel")),
        private_metadata=data,
    )


def shown_amount(q: Quote) -> Decimal:
    """What the confirm step holds and checks again: today's charge, or a downgrade's per-cycle price."""
    return q.per_cycle if q.effect == "at_renewal" else q.today


@dataclass
class _Outcome:
    """What the confirmed change learnt: the account's name as held, and whether it waits for approval."""

    name: str
    held: bool = False


def _change(req: Req, meta: dict[str, Any], held: pending.Claimed, outcome: _Outcome) -> str:
    """Apply the held plan change once (`confirmations.confirmed` replays its text on a double submit):
    scheduled for the renewal, sent for approval, or charged and changed now."""
    outcome.name = name = str(held.payload["name"])
    choice, reason = choice_from_json(held.payload["plan"]), held.payload.get("reason")
    ports = ports_of(req)
    with req.deps.uow() as uow:
        q = changes.preview_plan_change(uow, ports, req.actor, name, choice)
    pending.same_amount(held.amount, shown_amount(q))
    if q.effect == "at_renewal":  # nothing is charged: no approval, scheduled for the renewal
        with req.deps.uow() as uow:
            result = changes.change_plan(
                uow, ports, req.actor, name, choice, request_key=held.id, reason=reason
            )
        return req.t(N_("plan change scheduled for the renewal on {date}"), date=result.effective_on)
    payload = {"name": name, "plan": plan_json(choice), "nonce": held.id, "reason": reason}
    held_text = approvals.hold(req, "plan", payload, meta.get("channel"))
    if held_text is not None:
        outcome.held = True
        return held_text
    with req.deps.uow() as uow:
        result = changes.change_plan(uow, ports, req.actor, name, choice, request_key=held.id, reason=reason)
        said = req.t(
            N_("plan changed now; charged {amount} (invoice {number})"),
            amount=result.charged,
            number=result.invoice_number or "–",
        )
        return portal_tasks.noted(req.t, uow, said)


def submit_confirm(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    outcome = _Outcome(str(meta.get("name")))
    title = callback_id = None
    try:
        text = confirmations.confirmed(
            req, "plan", meta.get("pending"), lambda held: _change(req, meta, held, outcome)
        )
        if outcome.held:
            title, callback_id = req.t(N_("Sent for approval")), "accounts_edit_held"
    except DomainError as error:
        # The confirm step has no inputs to hang an error on: say it in the modal instead.
        text = f":warning: {req.t(error.message, **error.params)}"
        title, callback_id = req.t(N_("Not changed")), "accounts_edit_failed"
    if title is None or callback_id is None:
        ack()
        tell(req, client, meta, outcome.name, [text])
    else:  # the modal turns into a one-line outcome
        ack(
            response_action="update",
            view=ui.modal(title, callback_id, [ui.section(text)], close=req.t(N_("Close"))),
        )


def tell(req: Req, client: WebClient, meta: dict[str, Any], name: str, done: list[str]) -> None:
    channel = meta.get("channel")
    if channel and done:
        client.chat_postEphemeral(
            channel=channel,
            user=req.user_id,
            text=req.t(N_(":white_check_mark: {name}: {changes}."), name=name, changes="; ".join(done)),
        )
