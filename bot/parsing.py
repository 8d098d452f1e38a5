"""Reading what people type after a slash command. Tolerant: unbalanced quotes never crash."""

from __future__ import annotations

import re
import shlex

from domain.errors import InvalidInput
from domain.i18n import N_
from domain.numbers import MAX_ID, too_large, whole_number

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
RAW_USER = re.compile(r"^@?([UW][A-Z0-9]{2,20})$")


def tokens(text: str | None) -> list[str]:
    raw = (text or "").replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'").strip()
    if not raw:
        return []
    try:
        return shlex.split(raw)
    except ValueError:
        return raw.split()


def user_id(token: str) -> str:
    """A Slack user from `<@U123|name>` (escaped mention), `<@U123>` or a bare id."""
    for pattern in (MENTION, RAW_USER):
        match = pattern.match(token.strip())
        if match:
            return match.group(1)
    raise InvalidInput(
        N_("{token} is not a Slack user. Mention them, like `/agency members add @maria billing`."),
        token=token,
    )


def positive_int(token: str, *, what: str, example: str, maximum: int = MAX_ID) -> int:
    """A count above zero, read by the one bounded parser (ASCII digits, `,` and `_` ignored)."""
    value = whole_number(token, maximum=maximum, separators=",_")
    if value is None and too_large(token, maximum=maximum, separators=",_"):
        raise InvalidInput(
            N_("{what} can be at most {maximum}, not {token}. Example: {example}"),
            what=what,
            maximum=maximum,
            token=token[:40],
            example=example,
        )
    if value is None or value <= 0:
        raise InvalidInput(
            N_("{what} must be a whole number above zero, not {token}. Example: {example}"),
            what=what,
            token=token[:40],
            example=example,
        )
    return value


def refuse_extra(words: list[str], used: int, usage: str) -> None:
    """Words after the ones a command reads are refused, never ignored: `/credits history acme 99`
    must not quietly answer for `acme` alone. `usage` is how to write the command."""
    extra = words[used:]
    if extra:
        raise InvalidInput(
            N_("I don't understand {words} at the end. Write it as {usage}."),
            words=" ".join(extra)[:80],
            usage=usage,
        )
