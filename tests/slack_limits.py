"""Every Block Kit payload the app sends is parsed back with `slack_sdk.models` and held to Slack's limits,
and its text to Slack's markup rules (SPEC §10)."""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
SECTION_TEXT = 3000
MODAL_TITLE = 24
SELECT_OPTIONS = 100


# The only markup the app writes in mrkdwn: a user mention, a channel, a bare https link (a template's
# share link). Anything else between `<` and `>` came from data: `<!channel>`, `<https://…|label>`.
APP_TOKEN = re.compile(r"<(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|https://[^\s|<>]+)>")
ENTITY = re.compile(r"&(?:amp|lt|gt);")
LONE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")
TWICE_ESCAPED = re.compile(r"&amp;(?:amp|lt|gt);")


def check_mrkdwn(text: str, where: str = "mrkdwn") -> None:
    """Slack parses `&`, `<`, `>` in mrkdwn: outside the app's own tokens each must be escaped, once."""
    rest = APP_TOKEN.sub("", text)
    assert "<" not in rest and ">" not in rest, f"unescaped markup in {where}: {text!r}"
    assert not LONE_AMPERSAND.search(rest), f"unescaped & in {where}: {text!r}"
    assert not TWICE_ESCAPED.search(text), f"text escaped twice in {where}: {text!r}"


def check_plain(text: str, where: str = "plain_text") -> None:
    """`plain_text` is shown as written: an entity there would read `&lt;` (no test types one)."""
    assert not ENTITY.search(text), f"mrkdwn escape in {where}, shown as typed: {text!r}"


def check_texts(node: Any) -> None:
    """Every text object under `node`, by its type."""
    if isinstance(node, dict):
        kind, text = node.get("type"), node.get("text")
        if isinstance(text, str) and kind == "mrkdwn":
            check_mrkdwn(text)
        elif isinstance(text, str) and kind == "plain_text":
            check_plain(text)
        for value in node.values():
            check_texts(value)
    elif isinstance(node, list):
        for item in node:
            check_texts(item)


def check_errors(errors: dict[str, Any]) -> None:
    """A modal's field errors are shown as plain text under the field."""
    for field, text in errors.items():
        check_plain(str(text), f"the error of {field}")


def _walk_options(element: dict[str, Any]) -> None:
    options = element.get("options") or []
    assert len(options) <= SELECT_OPTIONS, f"{len(options)} options in a select"
    for group in element.get("option_groups") or []:
        assert len(group.get("options") or []) <= SELECT_OPTIONS


def _check_blocks(blocks: list[dict[str, Any]]) -> None:
    parsed = Block.parse_all(blocks)
    assert len(parsed) == len(blocks), "a block did not parse"
    for block, raw in zip(parsed, blocks, strict=True):
        block.validate_json()
        assert block.to_dict()["type"] == raw["type"]
        if raw["type"] == "section":
            text = (raw.get("text") or {}).get("text", "")
            assert len(text) <= SECTION_TEXT, f"section text of {len(text)} characters"
            for field in raw.get("fields") or []:
                assert len(field.get("text", "")) <= 2000
            if raw.get("accessory"):
                _walk_options(raw["accessory"])
        for element in raw.get("elements") or []:
            if isinstance(element, dict):
                _walk_options(element)
        if raw.get("element"):
            _walk_options(raw["element"])


def check_message(payload: dict[str, Any]) -> None:
    blocks = payload.get("blocks") or []
    assert isinstance(blocks, list)
    assert len(blocks) <= MESSAGE_BLOCKS, f"{len(blocks)} blocks in a message"
    assert payload.get("text") or blocks, "a message needs text or blocks"
    _check_blocks(blocks)
    if isinstance(payload.get("text"), str) and payload.get("mrkdwn") is not False:
        check_mrkdwn(payload["text"], "the message text (its notification fallback)")
    check_texts(blocks)


def check_view(view: dict[str, Any]) -> None:
    parsed = View(**view)
    parsed.validate_json()
    limit = MODAL_BLOCKS
    assert len(view.get("blocks") or []) <= limit, "too many blocks in a view"
    if view.get("type") == "modal":
        assert len(view["title"]["text"]) <= MODAL_TITLE, f"modal title {view['title']['text']!r} is too long"
    _check_blocks(list(view.get("blocks") or []))
    check_texts(view)
