"""Answering an interaction through what the surface it came from allows.

Slack sends a click from four surfaces, and each allows different answers:

- a message in a channel or DM, and an ephemeral message: the body carries a `response_url`; the
  answer goes there (`replace_original` updates the message that was clicked);
- a modal: no `response_url`; the answer is pushed on top of the modal (`views.push` with the click's
  trigger id), so what the person typed underneath is kept;
- the App Home tab: no `response_url` and no channel; the answer goes to the person's DM with the app
  (`chat.postMessage` to their user id opens it).

A message body without a `response_url` (an old or replayed payload) is answered ephemerally in its
channel, or by updating the app's own message when the answer replaces it. Listeners call `answer`
and never `respond`, so the rule is the same everywhere, the error fallback included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ui
from bot.context import translator_for, user_of
from bot.i18n import Translator
from domain.i18n import N_

Surface = Literal["message", "ephemeral", "modal", "home", "none"]
MESSAGE_KEYS = ("text", "blocks")
PUSHED_TITLE = "Reseller Desk"  # the product's name, the same in every language


def surface_of(body: Mapping[str, Any]) -> Surface:
    """Where the interaction happened, read from `container` as Slack sends it (or `view` alone)."""
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    kind = (container or {}).get("type")
    if kind == "view" or (kind is None and view):
        return "home" if (view or {}).get("type") == "home" else "modal"
    if kind in ("message", "message_attachment"):
        return "ephemeral" if (container or {}).get("is_ephemeral") else "message"
    return "none"


def is_user_id(channel: str) -> bool:
    """A user id is no channel for `chat.postEphemeral` (Slack answers `channel_not_found`)."""
    return channel[:1] in ("U", "W")


def channel_of(body: Mapping[str, Any]) -> str | None:
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    found = (channel or {}).get("id") or (container or {}).get("channel_id")
    return str(found) if found and not is_user_id(str(found)) else None


def answer(
    context: BoltContext, body: Mapping[str, Any], payload: Mapping[str, Any], *, replace: bool = False
) -> None:
    """Show `payload` (a `ui.message`/`ui.notice` reply) to the person who clicked, wherever they were.

    `replace` asks to update the clicked message in place; surfaces without one add the answer instead.
    """
    respond = context.get("respond")
    if respond is not None and body.get("response_url"):
        respond(**{**payload, "replace_original": replace})
        return
    client: WebClient | None = context.get("client")
    user = user_of(body)
    if client is None or not user:
        return
    message = {k: payload[k] for k in MESSAGE_KEYS if k in payload}
    surface = surface_of(body)
    channel = channel_of(body)
    if surface in ("message", "ephemeral") and channel:
        container = body.get("container") or {}
        if replace and surface == "message" and container.get("message_ts"):
            client.chat_update(channel=channel, ts=str(container["message_ts"]), **message)
        else:
            client.chat_postEphemeral(channel=channel, user=user, **message)
        return
    if surface == "modal" and body.get("trigger_id"):
        t: Translator = context.get("translator") or translator_for(context, body)
        view = ui.modal(PUSHED_TITLE, "answer", _blocks(message), close=t(N_("Close")))
        try:
            client.views_push(trigger_id=str(body["trigger_id"]), view=view)
            return
        except SlackApiError:  # a full view stack (3 modals) or an expired trigger: the DM still works
            pass
    client.chat_postMessage(channel=user, **message)


def _blocks(message: Mapping[str, Any]) -> list[Any]:
    blocks = list(message.get("blocks") or [])
    return blocks or [ui.section(str(message.get("text") or ""))]
