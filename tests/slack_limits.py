"""Every Block Kit payload the app sends is parsed back with `slack_sdk.models` and held to Slack's limits."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
SECTION_TEXT = 3000
MODAL_TITLE = 24
SELECT_OPTIONS = 100


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


def check_view(view: dict[str, Any]) -> None:
    parsed = View(**view)
    parsed.validate_json()
    limit = MODAL_BLOCKS
    assert len(view.get("blocks") or []) <= limit, "too many blocks in a view"
    if view.get("type") == "modal":
        assert len(view["title"]["text"]) <= MODAL_TITLE, f"modal title {view['title']['text']!r} is too long"
    _check_blocks(list(view.get("blocks") or []))
