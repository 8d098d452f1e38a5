"""What the add-account modal shows while the vendor creates the account and once it has answered.

The submission answers at once with "being created" (`creating_view`) and hands the operation to the
runner (`bot.operations`), which then shows the one-time credentials (`succeeded_view`) or the
vendor's reason with the field to change (`failed_view`): its button reopens the add form prefilled
with what was submitted, read from the server-held operation (the button carries only its id).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import confirmations, planbuilder, ui
from bot.commands.accounts_add_view import FIELDS, add_modal
from bot.context import Req, open_request
from bot.i18n import Translator, joined
from bot.operations import RETRY_REOPEN, runner_of
from domain import operations, pending
from domain.accounts.service import AddedAccount
from domain.errors import NotFound
from domain.i18n import N_
from domain.numbers import row_id
from domain.plans import choice_from_json
from domain.roles import Permission
from domain.store.models import VendorOperation
from domain.vendor_billing import vendor_label

FIELD_LABELS = {
    "name": N_("Account name"),
    "custom_domain": N_("Custom domain"),
    "client_name": N_("Client name"),
    "client_email": N_("Client email"),
    "notification_email": N_("Notification email"),
    "country": N_("Country"),
    "language": N_("Language"),
    "timezone": N_("Time zone"),
    "profile": N_("Billing profile"),
    "snapshot": N_("Start from snapshot"),
}


def register(app: App) -> None:
    app.action(RETRY_REOPEN)(reopen)


def notify_of(req: Req, view: dict[str, Any], channel: Any) -> dict[str, Any]:
    """Where and how to tell the creator: the submitted modal, the flow's channel, their language."""
    return {
        "user": req.user_id,
        "view_id": str(view.get("id") or "") or None,
        "channel": channel if isinstance(channel, str) and channel else None,
        "language": req.t.lang,
        "currency": req.currency,
        "timezone": req.timezone,
    }


def after_ack(req: Req, client: WebClient, added: AddedAccount) -> None:
    """Run the account's vendor operation now, after the answer (a retried submission: already queued)."""
    if added.operation_id is not None and added.first_delivery:
        runner_of(req.deps).submit(added.operation_id, client)


def creating_view(t: Translator, added: AddedAccount) -> dict[str, Any]:
    if not added.first_delivery and added.status == "failed":
        text = t(
            N_("This form was already submitted: {name} is {status}."),
            name=added.name,
            status=t(added.status),
        )
    elif not added.first_delivery and added.status != "creating":
        text = t(
            N_(
                "This account was already created by this form. Its password was shown once and cannot be shown again: send the client a password reset from the provider."
            )
        )
    else:
        text = t(
            N_(
                ":hourglass: Creating *{name}* at the provider: this can take a few moments. "
                "Its credentials appear here; if you close this window, they are sent to you in a message only you can see."
            ),
            name=added.name,
        )
    blocks: list[Block] = [ui.section(text)]
    if added.invoice_number:
        blocks.append(ui.context(_paid_text(t, added)))
    return ui.modal(t(N_("Creating the account")), "accounts_add_creating", blocks, close=t(N_("Close")))


def _paid_text(t: Translator, added: AddedAccount) -> str:
    """How the first cycle is paid: credit and card, or billed by the vendor (SPEC §9); voided if the
    vendor does not create the account."""
    if added.vendor is not None:
        paid = t(
            N_("Invoice {number}: {total}, billed by {vendor} (no card charged here)."),
            number=added.invoice_number,
            total=added.total,
            vendor=vendor_label(added.vendor),
        )
    else:
        paid = t(
            N_("Invoice {number}: {total} ({credit} from credit, {card} by card)."),
            number=added.invoice_number,
            total=added.total,
            credit=added.credit_used,
            card=added.card_charged,
        )
    return joined(" ", [paid, t(N_("It is voided if the provider does not create the account."))])


def succeeded_view(t: Translator, outcome: operations.Outcome) -> dict[str, Any]:
    from bot.commands.accounts_add_view import credentials_modal

    r = outcome.result
    if r.get("portal_task"):  # a vendor without an account API: a person creates it in its portal
        return by_hand_view(t, str(r.get("name") or outcome.target), str(r.get("portal_url") or ""))
    return credentials_modal(
        t,
        name=str(r.get("name") or outcome.target),
        status=str(r.get("status") or ""),
        login_url=str(r.get("login_url") or ""),
        username=str(r.get("username") or ""),
        password=outcome.secret,
        invoice=None,
    )


def by_hand_view(t: Translator, name: str, portal_url: str) -> dict[str, Any]:
    """No credentials to show: the vendor's portal creates the account and emails its owner."""
    blocks: list[Block] = [
        ui.section(
            t(
                N_(
                    ":white_check_mark: *{name}* is recorded. The vendor's API cannot create accounts, so a portal task in the agency channel says what to enter in the vendor's portal; the vendor then emails the client's sign-in details."
                ),
                name=name,
            )
        )
    ]
    if portal_url:
        blocks.append(ui.context(t(N_("Partner portal: {url}"), url=portal_url)))
    return ui.modal(t(N_("Account recorded")), "accounts_added", blocks, close=t(N_("Done")))


def failed_view(t: Translator, outcome: operations.Outcome) -> dict[str, Any]:
    blocks: list[Block] = [
        ui.section(
            t(
                N_(":x: The provider did not create *{name}*: {reason}"),
                name=outcome.target,
                reason=outcome.error or "",
            )
        ),
        ui.section(t(N_("Nothing was kept: any charge for it was voided and the name is free again."))),
    ]
    label = FIELD_LABELS.get(outcome.error_field or "")
    if label:
        blocks.append(ui.section(t(N_("Change *{field}* and submit again."), field=t(label))))
    blocks.append(
        ui.actions(
            ui.button(t(N_("Change and try again")), RETRY_REOPEN, str(outcome.operation_id), style="primary")
        )
    )
    return ui.modal(t(N_("Not created")), "accounts_add_failed", blocks, close=t(N_("Close")))


def reopen(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """The add form again, prefilled with the refused submission the server holds."""
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    req.actor.require(Permission.MANAGE_ACCOUNTS)
    op_id = row_id(ui.action_value(body))
    with req.deps.read_uow() as uow:
        op = uow.session.get(VendorOperation, op_id) if op_id else None
        if op is None or op.agency_id != req.actor.agency_id or op.state != "failed":
            raise NotFound(
                N_("That request is no longer there: open the add form again with `/accounts add`.")
            )
        command, plan = dict(op.payload.get("command") or {}), op.payload.get("plan")
        first_channel = (op.notify or {}).get("channel")
    values = {f: _text(command.get(f)) for f in FIELDS}
    values["profile"] = _text(command.get("billing_profile_id"))
    values["snapshot"] = _text(command.get("snapshot_id"))
    values["migration"] = _text(command.get("migration_percent"))
    state = (
        planbuilder.state_of(choice_from_json(plan)) if isinstance(plan, dict) else planbuilder.PlanState()
    )
    form = confirmations.hold(req, "accounts-add", {}, ttl=pending.FORM_TTL)
    channel = (body.get("channel") or {}).get("id") or first_channel
    view = add_modal(req, values, state, {"nonce": form, "channel": channel})
    view_id = (body.get("view") or {}).get("id")
    if view_id:
        client.views_update(view_id=view_id, view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
