"""The add-account modal: live name and region checks, the shared live plan builder, the package and
its effect on the discount tier, then credentials shown once, to the creator only.

Submitting checks the form locally, charges the first cycle and answers at once that the account is
being created; the vendor call runs after the ack (`bot.operations`), which then replaces the modal
with the credentials (or, the modal closed, tells them in a message only the creator sees; the channel
gets an ephemeral confirmation without the password), or with the vendor's reason and a button to
reopen the form prefilled. The modal's private_metadata carries the id of a form the server
issued to this member when it opened (`bot.confirmations.form_id` checks it at submit); that id is
the idempotency key, so a made-up or another agency's id is refused and a retry creates one account.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import confirmations, planbuilder, ui
from bot.commands import accounts_add_large, accounts_add_outcome
from bot.commands.accounts_add_outcome import after_ack, creating_view, notify_of
from bot.commands.accounts_add_view import CALLBACK, FIELDS, LIVE, add_modal
from bot.commands.accounts_common import errors_on, ports_of
from bot.commands.accounts_tools import read_client_price
from bot.context import Req, open_request
from domain import pending
from domain.accounts.fields import field_errors
from domain.accounts.margins import set_client_price
from domain.accounts.service import AddAccount, add_account
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_
from domain.numbers import row_id, whole_number
from domain.plans import PlanChoice
from domain.roles import Permission

SHORTCUT = "accounts_new_shortcut"


def register(app: App) -> None:
    app.view(CALLBACK)(submit_add)
    accounts_add_large.register(app)
    accounts_add_outcome.register(app)
    app.action(LIVE)(live_check)
    app.action("accounts_add_open")(open_from_button)
    app.action("accounts_add_with_plan")(open_from_button)
    app.shortcut(SHORTCUT)(open_from_shortcut)
    planbuilder.REBUILDERS[CALLBACK] = rebuild


def open_add_modal(
    req: Req,
    client: WebClient,
    trigger_id: str,
    channel: str | None,
    plan: planbuilder.PlanState | None = None,
) -> None:
    req.actor.require(Permission.MANAGE_ACCOUNTS)
    form = confirmations.hold(req, "accounts-add", {}, ttl=pending.FORM_TTL)
    meta = {"nonce": form, "channel": channel}
    client.views_open(trigger_id=trigger_id, view=add_modal(req, {}, plan or planbuilder.PlanState(), meta))


def open_from_shortcut(ack: Ack, shortcut: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """The global shortcut "New account": the same modal as `/accounts add` (no channel: the modal's
    own result view is the answer)."""
    ack()
    req = open_request(context, shortcut)
    context["translator"] = req.t
    open_add_modal(req, client, str(shortcut.get("trigger_id") or ""), None)


def open_from_button(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """The App Home's Add button, and the quote's "Create account with this plan" (a JSON plan value)."""
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    action = ui.action(body)
    plan = None
    if action.get("action_id") == "accounts_add_with_plan" and action.get("value"):
        try:
            from bot.quote_render import plan_from_value

            choice = plan_from_value(ui.action_value(body))
        except (ValueError, KeyError, TypeError):
            choice = None
        if choice is not None:
            if choice.version != "V1":  # a paid plan: only a member who may spend can submit it
                req.actor.require(Permission.SPEND_MONEY)
            plan = planbuilder.state_of(choice)
    channel = (body.get("channel") or {}).get("id")
    open_add_modal(req, client, body["trigger_id"], channel, plan)


def rebuild(req: Req, view: dict[str, Any]) -> dict[str, Any]:
    values = {f: ui.state_value(view, f) for f in FIELDS}
    return add_modal(req, values, planbuilder.read_state(view), ui.metadata(view), live=True)


def live_check(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    view = body.get("view") or {}
    if view.get("id") and view.get("callback_id") == CALLBACK:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=rebuild(req, view))


def submit_add(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    nonce = confirmations.form_id(req, "accounts-add", meta.get("nonce"))
    errors = all_errors(req, view, nonce)
    if len(errors) > 1:
        ack(response_action="errors", errors=errors)
        return
    with errors_on(view):
        cmd = read_add(req, view, nonce)
        client_price = read_client_price(view)
        step = accounts_add_large.confirm_step(
            req, cmd, (ui.state_value(view, "client_price") or "").strip(), meta.get("channel")
        )
        if step is not None:  # above the large-charge amount: nothing is charged before a confirmation
            ack(response_action="update", view=step)
            return
        with req.deps.uow() as uow:
            added = add_account(uow, ports_of(req), req.actor, cmd, notify_of(req, view, meta.get("channel")))
    if client_price is not None:
        with req.deps.uow() as uow:
            set_client_price(
                uow, ports_of(req), req.actor, added.name, amount=client_price[0], per=client_price[1]
            )
    ack(response_action="update", view=creating_view(req.t, added))
    after_ack(req, client, added)


def all_errors(req: Req, view: dict[str, Any], nonce: str) -> dict[str, str]:
    """Every failing field of the modal (plan, migration and each typed field), not only the first."""
    problems: list[DomainError] = []
    try:
        with errors_on(view):
            problems += field_errors(read_add(req, view, nonce))
    except DomainError as error:
        problems.append(error)
        try:
            with errors_on(view):
                problems += field_errors(read_add(req, view, nonce, plan=False))
        except DomainError:
            pass  # the plan or migration error above is the one to fix first
    blocks = set(ui.state_values(view).keys())
    errors: dict[str, str] = {}
    for problem in problems:
        field = problem.field if problem.field in blocks else "name"
        errors.setdefault(str(field), ui.plain(req.t(problem.message, **problem.params))[:2000])
    return errors


def read_add(req: Req, view: dict[str, Any], nonce: str, *, plan: bool = True) -> AddAccount:
    def value(block: str) -> str:
        return (ui.state_value(view, block) or "").strip()

    choice = (
        planbuilder.to_choice(req.deps.catalog, planbuilder.read_state(view))
        if plan
        else PlanChoice(version="V1", product="EM", level="trial")
    )
    percent = None
    if value("migration"):
        try:
            percent = Decimal(value("migration"))
        except InvalidOperation:
            raise InvalidInput(
                N_("Write the migration discount as a number, like 20."), field="migration"
            ) from None
    cycles = None
    if value("migration_cycles"):
        cycles = whole_number(value("migration_cycles"))
        if cycles is None:
            raise InvalidInput(
                N_("Write the migration discount's cycles as a whole number, like 6."),
                field="migration_cycles",
            )
    return AddAccount(
        request_key=nonce,
        name=value("name"),
        client_name=value("client_name"),
        client_email=value("client_email"),
        notification_email=value("notification_email"),
        country=value("country"),
        language=value("language"),
        timezone=value("timezone"),
        plan=choice,
        billing_profile_id=row_id(value("profile")),
        custom_domain=value("custom_domain") or None,
        snapshot_id=row_id(value("snapshot")),
        migration_percent=percent,
        migration_cycles=cycles,
    )
