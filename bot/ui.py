"""Block Kit building blocks, made with `slack_sdk.models` so Slack's own rules are applied.

Text goes into two kinds of text object. `mrkdwn` (sections, fields, context, a message's `text`) is
parsed by Slack: user and client text in it must be escaped, which the translator does for its
parameters (`bot.i18n.Mrkdwn`), and `escape` does for text placed without a message. `plain_text`
(headers, buttons, options, modal titles) is shown as written: the builders below take a translated
message's `plain` form there, never an escaped one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import i18n

Mrkdwn = i18n.Mrkdwn
escape = i18n.escape
plain = i18n.plain

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_MODAL_TITLE = 24
MAX_BUTTON_TEXT = 75


_SLACK_ID = re.compile(r"[A-Z0-9]{2,30}")


def channel_link(channel_id: str) -> Mrkdwn:
    """`<#C…>` for a channel id (Slack shows its name), the id as escaped text if it is not one."""
    if _SLACK_ID.fullmatch(channel_id):
        return Mrkdwn(f"<#{channel_id}>", f"#{channel_id}")
    return Mrkdwn(escape(channel_id), channel_id)


def plain_texts(node: Any) -> Any:
    """Every `plain_text` object under `node` (a payload as dicts) made from a translated message gets
    the message's plain form, in place: `slack_sdk` keeps the text object it was given, so a label, a
    hint or a placeholder built straight from `slack_sdk.models` reads as typed too."""
    if isinstance(node, dict):
        text = node.get("text")
        if isinstance(text, Mrkdwn) and node.get("type") == "plain_text":
            node["text"] = text.plain
        for value in node.values():
            if isinstance(value, dict | list):
                plain_texts(value)
    elif isinstance(node, list):
        for item in node:
            plain_texts(item)
    return node


def clip(text: str, limit: int) -> str:
    """At most `limit` characters; a cut never splits an escape (`&lt;`) or a token (`<@U…>`)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    entity, token = cut.rfind("&", -5), cut.rfind("<", -40)
    if entity != -1 and ";" not in cut[entity:]:
        cut = cut[:entity]
    if token != -1 and ">" not in cut[token:]:
        cut = cut[:token]
    return cut + "…"


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(plain(text), MAX_HEADER_TEXT)))


def section(text: str, *, accessory: Any = None, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT)), accessory=accessory, block_id=block_id
    )


def fields(pairs: Iterable[tuple[str, str]], text: str | None = None) -> SectionBlock:
    items = [MarkdownTextObject(text=clip(f"*{label}*\n{value}", MAX_FIELD_TEXT)) for label, value in pairs]
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT)) if text else None, fields=items[:10]
    )


def context(*texts: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(t, MAX_SECTION_TEXT)) for t in texts[:10]])


def divider() -> DividerBlock:
    return DividerBlock()


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None
) -> ButtonElement:
    return ButtonElement(
        text=clip(plain(text), MAX_BUTTON_TEXT),
        action_id=action_id,
        value=value or None,
        style=style,
        url=url,
    )


def actions(*elements: Any, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(elements)[:25], block_id=block_id)


def overflow(action_id: str, options: Sequence[tuple[str, str]]) -> OverflowMenuElement:
    return OverflowMenuElement(
        action_id=action_id,
        options=[Option(text=clip(plain(label), 75), value=value) for label, value in options[:5]],
    )


def option(label: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=clip(plain(label), 75)), value=value)


def message(
    text: str,
    blocks: Sequence[Block | dict[str, Any]],
    *,
    ephemeral: bool = True,
    replace: bool | None = None,
) -> dict[str, Any]:
    """A reply payload: `text` is the notification fallback, `blocks` the message itself.

    A block may be given already as a dict: hot paths cache blocks that do not change between
    requests, since building them with `slack_sdk.models` costs more than the request's queries.
    """
    payload: dict[str, Any] = {
        "text": clip(text, 3000),
        "blocks": plain_texts(
            [b if isinstance(b, dict) else b.to_dict() for b in blocks[:MAX_MESSAGE_BLOCKS]]
        ),
    }
    if ephemeral:
        payload["response_type"] = "ephemeral"
    if replace is not None:
        payload["replace_original"] = replace
    return payload


def notice(text: str, *details: str) -> dict[str, Any]:
    """A short ephemeral reply: one section, optional context lines."""
    blocks: list[Block] = [section(text)]
    if details:
        blocks.append(context(*details))
    return message(text, blocks)


def modal(
    title: str,
    callback_id: str,
    blocks: Sequence[Block],
    *,
    submit: str | None = None,
    close: str | None = None,
    private_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=clip(plain(title), MAX_MODAL_TITLE)),
        submit=PlainTextObject(text=clip(plain(submit), MAX_MODAL_TITLE)) if submit else None,
        close=PlainTextObject(text=clip(plain(close), MAX_MODAL_TITLE)) if close else None,
        blocks=list(blocks)[:MAX_MODAL_BLOCKS],
        private_metadata=json.dumps(private_metadata, separators=(",", ":")) if private_metadata else None,
    )
    return dict(plain_texts(view.to_dict()))


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    raw = view.get("private_metadata") or ""
    try:
        data = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def state_value(view: dict[str, Any], block_id: str) -> str | None:
    """The submitted value of one input block, whatever its element type."""
    values = (view.get("state") or {}).get("values") or {}
    element = next(iter((values.get(block_id) or {}).values()), None)
    if not isinstance(element, dict):
        return None
    for key in ("value", "selected_conversation", "selected_channel", "selected_user", "selected_date"):
        if element.get(key):
            return str(element[key])
    selected = element.get("selected_option")
    if isinstance(selected, dict):
        return str(selected.get("value"))
    options = element.get("selected_options")
    if isinstance(options, list):
        return ",".join(str(o.get("value")) for o in options if isinstance(o, dict))
    return None


# Plain-dict builders for hot paths (an overview page has dozens of blocks): the same payloads as the
# model classes above, without their per-object validation cost. Tests parse every payload back with
# slack_sdk.models, so these are held to the same rules.
def section_dict(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}}


def button_dict(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(plain(text), MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        button["style"] = style
    return button


def overflow_dict(action_id: str, options: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "overflow",
        "action_id": action_id,
        "options": [
            {
                "text": {"type": "plain_text", "text": clip(plain(label), 75), "emoji": True},
                "value": value[:150],
            }
            for label, value in options[:5]
        ],
    }


def actions_dict(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)[:25]}
