"""Block Kit as readable text, for the local shell: what Slack would show, in a terminal.

Interactive elements are numbered so they can be chosen by typing the number.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)\|([^>]+)>")
BARE_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)>")
USER = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
"""`<!here>`, `<!channel>`, `<!subteam^S123|@team>`, `<!date^1700000000^{date}|fallback>`."""
CODE_BLOCK = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
CODE = re.compile(r"`([^`\n]+)`")
BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")
STYLES = {
    "bold": ("\033[1m", "\033[22m"),
    "italic": ("\033[3m", "\033[23m"),
    "strike": ("\033[9m", "\033[29m"),
}
STYLES["code"] = ("\033[2m", "\033[22m")
WIDTH = 100
ANSI = {"on": False}
"""Whether the terminal shows styles (bold, italics): set by the shell when it writes to a tty; in a
pipe or a test the markers are only removed, so the text reads as Slack shows it, without them."""


@dataclass
class Clickable:
    """One thing the shell user can choose: a button, or one option of a menu."""

    label: str
    action: dict[str, Any]
    block_id: str | None


@dataclass
class Rendered:
    text: str
    clickables: list[Clickable] = field(default_factory=list)


EMOJI = {
    ":white_check_mark:": "✅",
    ":warning:": "⚠️",
    ":x:": "❌",
    ":hourglass:": "⏳",
    ":bell:": "🔔",
    ":moneybag:": "💰",
    ":lock:": "🔒",
    ":key:": "🔑",
    ":calendar:": "📅",
    ":chart_with_upwards_trend:": "📈",
    ":information_source:": "ℹ️",
}
EMOJI_CODE = re.compile(r":[a-z0-9_+-]+:")


def mrkdwn(text: str) -> str:
    """Slack's mrkdwn as a terminal reads it: *bold*, _italics_, ~strike~ and `code` without their
    markers (styled on a tty), links as `text (url)`, mentions as @user and #channel, and `&amp;`,
    `&lt;`, `&gt;` as the characters they stand for. Code is shown as written, markers and all."""
    pieces: list[str] = []
    last = 0
    for match in re.finditer(f"{CODE_BLOCK.pattern}|{CODE.pattern}", text, re.DOTALL):
        pieces.append(_inline(text[last : match.start()]))
        pieces.append(_styled("code", _entities(match.group(1) or match.group(2) or "")))
        last = match.end()
    pieces.append(_inline(text[last:]))
    return "".join(pieces)


def _inline(text: str) -> str:
    text = EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(0), m.group(0)), text)
    text = LINK.sub(lambda m: f"{m.group(2)} ({m.group(1).removeprefix('mailto:')})", text)
    text = BARE_LINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    text = USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = SPECIAL.sub(lambda m: m.group(2) or "@" + m.group(1), text)
    text = BOLD.sub(lambda m: _styled("bold", m.group(1)), text)
    text = ITALIC.sub(lambda m: _styled("italic", m.group(1)), text)
    text = STRIKE.sub(lambda m: _styled("strike", m.group(1)), text)
    return _entities(text)


def _entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _styled(style: str, text: str) -> str:
    if not ANSI["on"]:
        return text
    start, end = STYLES[style]
    return f"{start}{text}{end}"


def _text(obj: Any) -> str:
    if isinstance(obj, dict) and obj.get("type") == "plain_text":  # shown as written: no markup
        return EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(0), m.group(0)), str(obj.get("text", "")))
    if isinstance(obj, dict):
        return mrkdwn(str(obj.get("text", "")))
    return mrkdwn(str(obj or ""))


def _wrap(text: str, indent: str = "  ") -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(raw, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent])
    return lines


def render_blocks(
    blocks: list[dict[str, Any]], start: int = 1, *, optional_tag: str = "(optional)"
) -> Rendered:
    out: list[str] = []
    clickables: list[Clickable] = []

    def add_element(element: dict[str, Any], block_id: str | None) -> str:
        kind = element.get("type")
        if kind == "button":
            clickables.append(Clickable(_text(element.get("text")), {**element}, block_id))
            url = f" → {element['url']}" if element.get("url") else ""
            return f"[{start + len(clickables) - 1}] {_text(element.get('text'))}{url}"
        if kind in ("overflow", "static_select"):
            options = list(element.get("options") or [])
            for group in element.get("option_groups") or []:
                options.extend(group.get("options") or [])
            parts = []
            for opt in options:
                action = {**element, "selected_option": opt}
                clickables.append(Clickable(_text(opt.get("text")), action, block_id))
                parts.append(f"[{start + len(clickables) - 1}] {_text(opt.get('text'))}")
            label = _text(element.get("placeholder")) if kind == "static_select" else "⋯"
            return f"{label} " + " ".join(parts)
        if kind == "image":
            return f"[image: {element.get('alt_text', '')}]"
        return _text(element.get("text") or element)

    for block in blocks:
        kind = block.get("type")
        block_id = block.get("block_id")
        if kind == "header":
            title = _text(block.get("text"))
            out += ["", title.upper(), "═" * min(len(title), WIDTH)]
        elif kind == "section":
            if block.get("text"):
                out += _wrap(_text(block["text"]))
            for item in block.get("fields") or []:
                out += _wrap(_text(item).replace("\n", ": ", 1), "    ")
            if block.get("accessory"):
                out.append("    " + add_element(block["accessory"], block_id))
        elif kind == "context":
            for element in block.get("elements") or []:
                out += _wrap(add_element(element, block_id), "  · ")
        elif kind == "divider":
            out.append("  " + "─" * 40)
        elif kind == "actions":
            out.append("  " + "   ".join(add_element(e, block_id) for e in block.get("elements") or []))
        elif kind == "image":
            out.append(f"  [image: {block.get('alt_text', '')}]")
        elif kind == "rich_text":
            out.append("  " + _rich_text(block))
        elif kind == "input":
            optional = f" {optional_tag}" if block.get("optional") else ""
            out.append(f"  ▸ {_text(block.get('label'))}{optional}")
            if block.get("hint"):
                out.append(f"      {_text(block['hint'])}")
    return Rendered("\n".join(out), clickables)


def _rich_text(block: dict[str, Any]) -> str:
    parts: list[str] = []
    for element in block.get("elements") or []:
        for item in element.get("elements") or []:
            parts.append(str(item.get("text") or item.get("url") or ""))
    return "".join(parts)


def render_message(payload: dict[str, Any], start: int = 1) -> Rendered:
    blocks = payload.get("blocks")
    if isinstance(blocks, list) and blocks:
        return render_blocks(blocks, start)
    return Rendered("\n".join(_wrap(mrkdwn(str(payload.get("text", ""))))))


def render_view(view: dict[str, Any], tag: str = "(modal)", optional_tag: str = "(optional)") -> str:
    """A modal (or the App Home) framed by its title; `tag` is the shell's word for what it is."""
    title = _text(view.get("title"))
    bar = "┌" + "─" * (len(title) + 2) + "┐"
    body = render_blocks(list(view.get("blocks") or []), optional_tag=optional_tag).text
    return f"{bar}\n│ {title} │{'  ' + tag if tag else ''}\n└{'─' * (len(title) + 2)}┘\n{body}"
