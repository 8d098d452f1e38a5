"""The overview's Columns button (seed 001: the gear icon adds and removes columns).

The button opens a modal of checkboxes, filled with the member's current choice; submitting keeps
the choice with their view: the saved view the overview was showing, else their plain overview.
The choice is checked against the known columns whatever the form sends.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import CheckboxesElement, InputBlock

from bot import ui
from bot.commands.accounts_common import ports_of
from bot.context import Req, open_request
from domain.accounts import views
from domain.accounts.views import COLUMNS
from domain.errors import InvalidInput
from domain.i18n import N_

OPEN = "accounts_columns"
CALLBACK = "accounts_columns_save"


def register(app: App) -> None:
    app.action(OPEN)(open_clicked)
    app.view(CALLBACK)(columns_saved)


def columns_modal(req: Req, view_name: str, channel: str | None) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        if view_name:
            views.view_text(uow, req.actor, view_name)  # a view the member has, or "no view named…"
        current = views.columns_for(uow, req.actor, view_name or None)
    options = [ui.option(t(label), key) for key, label in COLUMNS.items()]
    initial = [o for o in options if o.value in current]
    hint = (
        t(N_("Kept with your saved view {name}."), name=view_name)
        if view_name
        else t(N_("Kept for your overview, and copied into the views you save next."))
    )
    block = InputBlock(
        block_id="columns",
        label=t(N_("Columns to show")),
        optional=True,
        hint=hint,
        element=CheckboxesElement(action_id="value", options=options, initial_options=initial or None),
    )
    meta: dict[str, Any] = {"name": view_name, **({"channel": channel} if channel else {})}
    return ui.modal(
        t(N_("Overview columns")),
        CALLBACK,
        [block],
        submit=t(N_("Save")),
        close=t(N_("Cancel")),
        private_metadata=meta,
    )


def open_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    name = ui.action_value(body)
    if not views.VIEW_NAME.match(name):  # the plain overview's button, or anything else sent
        name = ""
    channel = (body.get("channel") or {}).get("id")
    client.views_open(trigger_id=body["trigger_id"], view=columns_modal(req, name, channel))


def chosen(view: dict[str, Any]) -> object:
    """The ticked values as Slack sends them (the checkboxes' state, `[]` when none is ticked); a
    form without that state is out of date, and anything else is handed on for the domain to refuse."""
    element = next(iter(ui.state_values(view).get("columns", {}).values()), None)
    if not isinstance(element, dict) or "selected_options" not in element:
        raise InvalidInput(ui.STALE_FORM, field="columns")
    options = element.get("selected_options")
    if not isinstance(options, list):
        return options
    return [o.get("value") if isinstance(o, dict) else o for o in options]


def columns_saved(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    name = str(meta.get("name") or "")
    if name and not views.VIEW_NAME.match(name):
        raise InvalidInput(ui.STALE_FORM, field="columns")
    with req.deps.uow() as uow:
        columns, changed = views.set_columns(uow, ports_of(req), req.actor, name or None, chosen(view))
    t = req.t
    shown = ", ".join(t(COLUMNS[c]) for c in columns) or t(N_("the name only"))
    text = (
        t(N_(":white_check_mark: The overview now shows: {columns}."), columns=shown)
        if changed
        else t(N_(":information_source: The overview already shows: {columns}."), columns=shown)
    )
    ack()
    channel = meta.get("channel")
    if channel:
        client.chat_postEphemeral(channel=channel, user=req.user_id, text=text)
    else:
        client.chat_postMessage(channel=req.user_id, text=text)
