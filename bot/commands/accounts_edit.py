"""The Edit modal: plan, billing frequency, notification email, billing profile, and cancel, disable
or enable with a reason; every plan change goes through a confirm step that shows its quote: an upgrade
or a trial conversion its prorated charge before anything is charged (its pending confirmation's id is
the charge's key), a downgrade what is paid per cycle from the next renewal, with no refund."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement, StaticSelectElement

from bot import planbuilder, portal_tasks, ui
from bot.commands.accounts_common import errors_on, ports_of, profile_options
from bot.commands.accounts_edit_confirm import CONFIRM, confirm_view, submit_confirm, tell
from bot.commands.accounts_tools import client_price_input, initial_client_price, read_client_price
from bot.context import Req, open_request
from domain.accounts import changes, edits, queries
from domain.accounts.margins import set_client_price
from domain.errors import DomainError
from domain.i18n import N_
from domain.numbers import row_id
from domain.portfolio import plan_choice_of
from domain.roles import Permission

CALLBACK = "accounts_edit"
STATUS_ACTIONS = edits.STATUS_ACTIONS


def register(app: App) -> None:
    app.view(CALLBACK)(submit_edit)
    app.view(CONFIRM)(submit_confirm)
    planbuilder.REBUILDERS[CALLBACK] = rebuild


def open_edit_modal(req: Req, client: WebClient, trigger_id: str, name: str, channel: str | None) -> None:
    req.actor.require(Permission.MANAGE_ACCOUNTS)
    with req.deps.uow() as uow:
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        state = planbuilder.state_of(plan_choice_of(account))
        values = {
            "client_price": initial_client_price(account),
            "notification_email": account.notification_email,
            "profile": str(account.billing_profile_id) if account.billing_profile_id else None,
        }
        meta = {"name": account.name, "channel": channel}
    client.views_open(trigger_id=trigger_id, view=edit_modal(req, str(meta["name"]), values, state, meta))


def rebuild(req: Req, view: dict[str, Any]) -> dict[str, Any]:
    values = {
        f: ui.state_value(view, f)
        for f in ("notification_email", "profile", "status_action", "reason", "login_message", "client_price")
    }
    meta = ui.metadata(view)
    return edit_modal(req, str(meta.get("name")), values, planbuilder.read_state(view), meta)


def edit_modal(
    req: Req, name: str, values: dict[str, str | None], plan: planbuilder.PlanState, meta: dict[str, Any]
) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        profiles = profile_options(uow.session, req.actor.agency_id)
        summary = t(
            N_("*{name}* · {client} · {status}"),
            name=account.name,
            client=account.client_name,
            status=t(account.status),
        )
    blocks: list[Block] = [
        ui.section(summary),
        *planbuilder.plan_blocks(t, req.deps.catalog, plan),
        ui.context(
            t(
                N_(
                    "Upgrades take effect now (prorated, confirmed on the next step); downgrades and billing frequency changes at the next renewal."
                )
            )
        ),
        InputBlock(
            block_id="notification_email",
            label=t(N_("Notification email")),
            element=PlainTextInputElement(
                action_id="value", initial_value=values.get("notification_email") or None
            ),
        ),
    ]
    if profiles:
        options = [ui.option(label, value) for label, value in profiles]
        initial = next((o for o in options if o.value == values.get("profile")), None)
        blocks.append(
            InputBlock(
                block_id="profile",
                label=t(N_("Billing profile")),
                optional=True,
                element=StaticSelectElement(action_id="value", options=options, initial_option=initial),
            )
        )
    labels = {
        "keep": N_("Keep as it is"),
        "cancel": N_("Cancel (usable until the period ends)"),
        "disable": N_("Disable (still billed)"),
        "enable": N_("Enable"),
    }
    options = [ui.option(t(labels[a]), a) for a in STATUS_ACTIONS]
    initial = next((o for o in options if o.value == (values.get("status_action") or "keep")), options[0])
    blocks += [
        InputBlock(
            block_id="status_action",
            label=t(N_("Status")),
            element=StaticSelectElement(action_id="value", options=options, initial_option=initial),
        ),
        InputBlock(
            block_id="reason",
            label=t(N_("Reason")),
            optional=True,
            hint=t(N_("Needed to cancel, disable or downgrade; kept in the audit log.")),
            element=PlainTextInputElement(
                action_id="value", initial_value=values.get("reason") or None, max_length=500
            ),
        ),
        InputBlock(
            block_id="login_message",
            label=t(N_("Message on the client's login page")),
            optional=True,
            hint=t(N_('When disabling, e.g. "please contact your agency".')),
            element=PlainTextInputElement(
                action_id="value", initial_value=values.get("login_message") or None, max_length=300
            ),
        ),
        client_price_input(t, values.get("client_price")),
    ]
    return ui.modal(
        t(N_("Edit {name}"), name=name),
        CALLBACK,
        blocks,
        submit=t(N_("Save")),
        close=t(N_("Cancel")),
        private_metadata=meta,
    )


def submit_edit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """Check the whole edit first (a refusal writes nothing), then apply the simple changes at once;
    a plan change charged today waits on the confirm step."""
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    name = str(meta.get("name"))
    ports = ports_of(req)
    done: list[str] = []
    with errors_on(view), _status_errors_on(view):
        edit = _read_edit(req, view, name)
        read_client_price(view)
        with req.deps.uow() as uow:
            q = edits.check_edit(uow, ports, req.actor, name, edit)
        done += _client_price(req, view, name)
        if edit.notification_email is not None:
            with req.deps.uow() as uow:
                changes.set_notification_email(uow, ports, req.actor, name, edit.notification_email)
                done.append(portal_tasks.noted(req.t, uow, req.t(N_("notification email changed"))))
        if edit.change_profile:
            with req.deps.uow() as uow:
                changes.set_billing_profile(uow, ports, req.actor, name, edit.billing_profile_id)
            done.append(req.t(N_("billing profile changed")))
        done += _status_change(req, view, name, edit.reason)
        if edit.plan is not None and q is not None:
            # Upgrade or downgrade, the plan choice shows its quote and waits on the confirm step.
            ack(
                response_action="update",
                view=confirm_view(req, name, edit.plan, q, reason=edit.reason, meta=meta),
            )
            tell(req, client, meta, name, done)
            return
    ack()
    tell(req, client, meta, name, done or [req.t(N_("nothing changed"))])


def _read_edit(req: Req, view: dict[str, Any], name: str) -> edits.EditRequest:
    """What the person asked to change; fields left as they were are not part of the edit."""
    catalog = req.deps.catalog
    with req.deps.uow() as uow:
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        current, email, profile = (
            plan_choice_of(account),
            account.notification_email,
            account.billing_profile_id,
        )
    try:
        shown = planbuilder.to_choice(catalog, planbuilder.state_of(current))
    except DomainError:
        shown = current
    chosen = planbuilder.to_choice(catalog, planbuilder.read_state(view))
    new_email = (ui.state_value(view, "notification_email") or "").strip()
    raw_profile = ui.state_value(view, "profile")
    new_profile = row_id(raw_profile) if row_id(raw_profile) is not None else profile
    return edits.EditRequest(
        notification_email=new_email if new_email and new_email != email else None,
        billing_profile_id=new_profile,
        change_profile=new_profile != profile,
        status_action=ui.state_value(view, "status_action") or "keep",
        reason=(ui.state_value(view, "reason") or "").strip() or None,
        plan=None if edits.same_plan(current, chosen, shown) else chosen,
    )


@contextmanager
def _status_errors_on(view: dict[str, Any]) -> Iterator[None]:
    """A refusal about the status, or one naming no field (a role), goes on the Status menu."""
    try:
        yield
    except DomainError as error:
        if error.field in (None, "status"):
            error.field = "status_action"
        raise


def _client_price(req: Req, view: dict[str, Any], name: str) -> list[str]:
    """Validated first, saved only when it changed; an emptied field forgets the price."""
    price = read_client_price(view) or (None, "month")
    with req.deps.uow() as uow:
        current = initial_client_price(queries.by_name(uow.session, req.actor.agency_id, name))
    wanted = None if price[0] is None else f"{price[0]} {price[1]}"
    if wanted == current:
        return []
    with req.deps.uow() as uow:
        set_client_price(uow, ports_of(req), req.actor, name, amount=price[0], per=price[1])
    return [req.t(N_("client price changed"))]


def _status_change(req: Req, view: dict[str, Any], name: str, reason: str | None) -> list[str]:
    action = ui.state_value(view, "status_action") or "keep"
    ports = ports_of(req)
    t = req.t
    with req.deps.uow() as uow:
        if action == "cancel":
            changes.cancel(uow, ports, req.actor, name, reason)
            return [portal_tasks.noted(t, uow, t(N_("cancelled")))]
        if action == "disable":
            changes.disable(
                uow,
                ports,
                req.actor,
                name,
                reason=reason,
                login_message=ui.state_value(view, "login_message"),
            )
            return [portal_tasks.noted(t, uow, t(N_("disabled")))]
        if action == "enable":
            changes.enable(uow, ports, req.actor, name)
            return [portal_tasks.noted(t, uow, t(N_("enabled")))]
    return []
