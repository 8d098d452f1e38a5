"""Block Kit building blocks, made with `slack_sdk.models` so Slack's own rules are applied.

Text goes into two kinds of text object. `mrkdwn` (sections, fields, context, a message's `text`) is
parsed by Slack: user and client text in it must be escaped, which the translator does for its
parameters (`bot.i18n.Mrkdwn`), and `escape` does for text placed without a message. `plain_text`
(headers, buttons, options, modal titles) is shown as written: the builders below take a translated
message's `plain` form there, never an escaped one.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

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
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.numbers import MAX_ID

Mrkdwn = i18n.Mrkdwn
escape = i18n.escape
plain = i18n.plain
T = TypeVar("T")

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_MODAL_TITLE = 24
MAX_BUTTON_TEXT = 75
MAX_ACTION_VALUE = 2000
"""Slack's longest button value; a longer one did not come from a button the app drew."""


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


METADATA_TYPES: dict[str, type | tuple[type, ...]] = {
    "channel": str,
    "name": str,
    "account": str,
    "nonce": str,
    "value": str,
    "reason": str,
    "plan": dict,
    "pending": str,
}
"""What the app's modals keep in their metadata, by key. Metadata comes back from the client, so a
value of another type (a list for a channel, a number for a name) is dropped here, once, rather
than crashing whichever listener reads it."""


def metadata(view: object) -> dict[str, Any]:
    """A modal's `private_metadata`: the JSON object the app wrote, or {} for anything else."""
    raw = view.get("private_metadata") if isinstance(view, dict) else None
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        key: value
        for key, value in data.items()
        if key not in METADATA_TYPES or value is None or isinstance(value, METADATA_TYPES[key])
    }


STALE_FORM = N_("This form is out of date, so nothing was done: open it again.")


def metadata_record(view: object, cls: type[T]) -> T:
    """A dataclass the app kept whole in a modal's metadata, rebuilt with every field's type checked:
    a missing field or a value of another type raises `InvalidInput` ("out of date"), never a
    `TypeError` from the constructor or further in."""
    data = metadata(view)
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        if item.name not in data or not _fits(data[item.name], hints[item.name]):
            raise InvalidInput(STALE_FORM)
        values[item.name] = data[item.name]
    return cls(**values)


def _fits(value: object, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin is Literal:
        return value in get_args(hint)
    if origin in (Union, types.UnionType):
        return any(_fits(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_ID
    return hint in (str, bool, float) and isinstance(value, hint)


def action(body: dict[str, Any]) -> dict[str, Any]:
    """The element that was clicked or chosen ({} when the body has none)."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, dict) else {}


def selected_value(body: dict[str, Any]) -> str:
    """The option chosen in a menu or overflow, as text ("" when none, or not text)."""
    selected = action(body).get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else None
    return value if isinstance(value, str) and len(value) <= MAX_ACTION_VALUE else ""


def action_value(body: dict[str, Any]) -> str:
    """The clicked element's value as text: a button's `value`, else the chosen option's; "" when
    there is none or it is not text, so a listener never meets a number, a list or null."""
    value = action(body).get("value")
    if isinstance(value, str) and value:
        return value if len(value) <= MAX_ACTION_VALUE else ""
    return selected_value(body)


def state_values(view: object) -> dict[str, dict[str, Any]]:
    """A submitted view's input blocks, {block_id: {action_id: element}}: anything not shaped as
    Slack sends it (a state that is not an object, a block that is not one) is left out."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        return {}
    return {str(block_id): block for block_id, block in values.items() if isinstance(block, dict)}


def state_value(view: dict[str, Any], block_id: str) -> str | None:
    """The submitted value of one input block, whatever its element type (None when absent or not
    shaped as Slack sends it)."""
    block = state_values(view).get(block_id)
    element = next(iter(block.values()), None) if block else None
    if not isinstance(element, dict):
        return None
    for key in ("value", "selected_conversation", "selected_channel", "selected_user", "selected_date"):
        if isinstance(element.get(key), str) and element[key]:
            return str(element[key])
    selected = element.get("selected_option")
    if isinstance(selected, dict):
        return str(selected.get("value")) if isinstance(selected.get("value"), str) else None
    options = element.get("selected_options")
    if isinstance(options, list):
        return ",".join(
            str(o.get("value")) for o in options if isinstance(o, dict) and isinstance(o.get("value"), str)
        )
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
