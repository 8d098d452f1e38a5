"""The App Home tab: the agency at a glance."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import ui
from bot.context import Req, open_request
from domain import agency as service
from domain.errors import NotAMember
from domain.i18n import N_


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)


def publish_home(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    if event.get("tab") not in (None, "home"):
        return
    flat = {"team_id": body.get("team_id"), "user_id": event.get("user")}
    try:
        req = open_request(context, flat)
    except NotAMember:
        return
    view = View(type="home", blocks=home_blocks(req)).to_dict()
    client.views_publish(user_id=req.user_id, view=view)


def home_blocks(req: Req) -> list[Block]:
    t = req.t
    with req.deps.uow() as uow:
        members = service.list_members(uow, req.actor)
    return [
        ui.header(t(N_("{agency} at a glance"), agency=req.agency_name)),
        ui.fields(
            [
                (t(N_("Your role")), t(req.actor.role.value)),
                (t(N_("Members")), t.number(len(members))),
                (t(N_("Currency")), req.currency),
                (t(N_("Time zone")), req.timezone),
            ]
        ),
        ui.context(t(N_("Type `/agency help` in any channel to start."))),
    ]
