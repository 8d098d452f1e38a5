"""The add-account modal's confirm step for a large first charge (issue 14 §2).

When what the new account charges today is above the agency's large-charge amount, submitting the
add-account modal charges nothing: it answers with a confirm step (`response_action: update`) that
shows the amount and the warning line. The step carries only the id of a confirmation the server holds
with the checked form (`bot.confirmations`); confirming recomputes the charge (refused if it moved),
then creates and charges the account once, keyed by the form's own id, and shows its credentials.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import confirmations, ui
from bot.commands.accounts_add_outcome import after_ack, creating_view, notify_of
from bot.commands.accounts_common import ports_of
from bot.context import Req, open_request
from domain import pending
from domain.accounts.margins import set_client_price
from domain.accounts.service import AddAccount, AddedAccount, add_account, first_charge, plan_json
from domain.agency import is_large_charge
from domain.errors import DomainError
from domain.i18n import N_
from domain.margins import parse_client_price
from domain.plans import choice_from_json

CONFIRM = "accounts_add_large"
KIND = "accounts-add-large"


def register(app: App) -> None:
    app.view(CONFIRM)(submit_confirm)


def confirm_step(req: Req, cmd: AddAccount, client_price: str, channel: Any) -> dict[str, Any] | None:
    """The confirm view when the first charge is above the large-charge amount; None below it."""
    with req.deps.uow() as uow:
        amount = first_charge(uow, ports_of(req), req.actor, cmd)
        limit = Decimal(uow.agencies.get(req.actor.agency_id).large_charge)
    if not is_large_charge(limit, amount):
        return None
    held = confirmations.hold(
        req, KIND, {"command": _command_json(cmd), "client_price": client_price}, amount=amount
    )
    t = req.t
    blocks = [
        ui.section(
            t(
                N_("Create *{name}* and charge {amount} today for its first cycle?"),
                name=cmd.name,
                amount=amount,
            )
        ),
        ui.section(confirmations.large_charge_text(req, amount, limit)),
        ui.context(t(N_("Nothing is charged until you confirm. Taxes not included."))),
    ]
    return ui.modal(
        t(N_("Confirm the charge")),
        CONFIRM,
        blocks,
        submit=t(N_("Create and charge")),
        close=t(N_("Cancel")),
        private_metadata={"pending": held, "channel": channel},
    )


def submit_confirm(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    created: list[AddedAccount] = []

    def run(held: pending.Claimed) -> str:
        cmd = _command_of(held.payload.get("command") or {})
        with req.deps.uow() as uow:
            pending.same_amount(held.amount, first_charge(uow, ports_of(req), req.actor, cmd))
        with req.deps.uow() as uow:
            added = add_account(uow, ports_of(req), req.actor, cmd, notify_of(req, view, meta.get("channel")))
        price = str(held.payload.get("client_price") or "").strip()
        if price:
            amount, per = parse_client_price(price.split())
            with req.deps.uow() as uow:
                set_client_price(uow, ports_of(req), req.actor, added.name, amount=amount, per=per)
        created.append(added)
        return req.t(N_("Account {name} is {status}."), name=added.name, status=req.t(added.status))

    try:
        text = confirmations.confirmed(req, KIND, meta.get("pending"), run)
    except DomainError as error:
        text = f":warning: {req.t(error.message, **error.params)}"
        title = req.t(N_("Not created"))
        ack(
            response_action="update",
            view=ui.modal(title, "accounts_add_failed", [ui.section(text)], close=req.t(N_("Close"))),
        )
        return
    if created:
        ack(response_action="update", view=creating_view(req.t, created[0]))
        after_ack(req, client, created[0])
    else:
        done = ui.modal(
            req.t(N_("Add account")), "accounts_add_done", [ui.section(text)], close=req.t(N_("Close"))
        )
        ack(response_action="update", view=done)


def _command_json(cmd: AddAccount) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: value for key, value in cmd.__dict__.items() if key not in ("plan", "migration_percent")
    }
    data["plan"] = plan_json(cmd.plan)
    data["migration_percent"] = None if cmd.migration_percent is None else str(cmd.migration_percent)
    return data


def _command_of(data: dict[str, Any]) -> AddAccount:
    """The command the server held (never read from the view): its own JSON, written above."""
    fields = {key: value for key, value in data.items() if key not in ("plan", "migration_percent")}
    percent = data.get("migration_percent")
    return AddAccount(
        **fields,
        plan=choice_from_json(data["plan"]),
        migration_percent=None if percent is None else Decimal(str(percent)),
    )
