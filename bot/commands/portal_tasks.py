"""Portal tasks in Slack (SPEC §9): `/agency tasks` lists the open ones, and *Done* (from the channel
message, the reminder, the list or App Home) marks one done, audited, and updates its message."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import portal_tasks, ui
from bot.answer import answer
from bot.context import Req, open_request
from domain.i18n import N_
from domain.roles import Permission
from domain.vendors import tasks
from domain.vendors.tasks import TaskView

log = logging.getLogger("reseller_desk.portal_tasks")


def register(app: App) -> None:
    app.action(portal_tasks.DONE_ACTION)(done_clicked)


def tasks_reply(req: Req) -> dict[str, Any]:
    """`/agency tasks`: the open portal tasks, oldest first, each with its Done button."""
    t = req.t
    with req.deps.read_uow() as uow:
        req.actor.require(Permission.READ)
        total, listed = tasks.open_tasks(uow.session, req.actor.agency_id, portal_tasks.LISTED)
    title = t.plural(N_("{n} portal task open"), N_("{n} portal tasks open"), total)
    return ui.message(title, portal_tasks.listing(t, total, listed))


def done_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Done: only a member of the task's agency who manages accounts; a second click says who did it."""
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    t = req.t
    with req.deps.uow() as uow:
        completed = tasks.complete_task(uow, uow.session, req.deps.clock, req.actor, ui.action_value(body))
    task = completed.task
    if completed.already:
        note = t(
            N_(":information_source: Already done by <@{user}> on {date}."),
            user=task.done_by or "?",
            date=(task.done_at or req.deps.clock.now()).date(),
        )
        answer(context, body, ui.notice(note), replace=False)
        return
    _update_channel_message(req, client, task, body)
    answer(context, body, _clicked_message(req, task, body), replace=True)


def _clicked_message(req: Req, task: TaskView, body: dict[str, Any]) -> dict[str, Any]:
    """The message the click came from, with that task's button replaced by who did it."""
    t = req.t
    if body.get("container", {}).get("type") == "view":  # App Home: the tab is republished on open
        return ui.notice(portal_tasks.done_line(t, task.done_by, task.done_at))
    message = body.get("message") or {}
    if not message.get("blocks"):
        return portal_tasks.card(t, task, ephemeral=True)
    note = portal_tasks.done_line(t, task.done_by, task.done_at)
    updated = []
    for block in message.get("blocks") or []:
        block_id = block.get("block_id")
        if block_id == f"done:{task.id}":
            updated.append(
                {"type": "context", "block_id": block_id, "elements": [{"type": "mrkdwn", "text": note}]}
            )
        elif block_id == f"task:{task.id}" and block.get("accessory"):
            text = (block.get("text") or {}).get("text", "")
            updated.append(
                {
                    "type": "section",
                    "block_id": block_id,
                    "text": {"type": "mrkdwn", "text": ui.clip(f"{text}\n{note}", 3000)},
                }
            )
        else:
            updated.append(block)
    return {"text": str(message.get("text") or note), "blocks": updated}


def _update_channel_message(req: Req, client: WebClient, task: TaskView, body: dict[str, Any]) -> None:
    """Done pressed elsewhere than on the task's own channel message: that message says so too."""
    clicked = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    if not task.channel or not task.message_ts or clicked == task.message_ts:
        return
    message = portal_tasks.card(req.t, task)
    try:
        client.chat_update(
            channel=task.channel, ts=task.message_ts, text=message["text"], blocks=message["blocks"]
        )
    except SlackApiError as exc:  # the task is done whatever Slack says; its message stays as it was
        log.warning("could not update the portal task's message: %s", exc.response.get("error"))
