"""The shared readers of untrusted input: one bounded integer parser, the unstorable-text check, the
request context's team and user, Slack's envelope, and the typed readers of values and metadata.
Each never raises on garbage; each answers "not a number", "not found" or "out of date"."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot import ui
from bot.context import user_of
from bot.parsing import positive_int
from bot.quote_text import parse_count
from bot.server import is_slack_envelope
from domain.errors import InvalidInput
from domain.numbers import MAX_ID, row_id, whole_number
from domain.plaintext import holds_unstorable

ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("0", 0),
        ("000000000000000000000000001", 1),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("9" * 5000, None),  # int() raises past 4,300 digits
        ("²", None),  # passes str.isdigit(), fails int()
        ("١٢٣", None),  # Arabic-Indic digits: int() would read 123
        ("１２", None),  # full-width digits
        ("-1", None),
        ("1.5", None),
        ("", None),
        (None, None),
        (12, None),
        (["1"], None),
    ],
)
def test_whole_number_reads_ascii_digits_within_the_64_bit_range(text: object, expected: int | None) -> None:
    """Only ASCII digits count, at most 19 significant ones, within the bound; anything else is None."""
    assert whole_number(text) == expected


def test_ids_past_the_64_bit_range_are_ids_no_row_has() -> None:
    """A 20-digit id is 0 (the look-up then says "not found"); a word is not an id at all."""
    assert row_id("99999999999999999999") == 0
    assert row_id("9" * 5000) == 0
    assert row_id("12") == 12
    assert row_id("²") is None and row_id("abc") is None


@given(text=st.text() | st.just("9" * 5000))
@example(text="²")
def test_counts_never_raise_anything_but_invalid_input(text: str) -> None:
    """The command parsers for counts answer with a message, whatever is typed."""
    for parse in (
        lambda: positive_int(text, what="The number", example="2"),
        lambda: parse_count(text, what="contacts"),
    ):
        with contextlib.suppress(InvalidInput):
            assert 0 < parse() <= MAX_ID


def test_a_count_past_the_bound_names_the_bound() -> None:
    """Too large is not "not a number": the reply says how large it may be."""
    with pytest.raises(InvalidInput) as raised:
        positive_int("99999999999999999999", what="The number", example="2")
    assert "at most" in raised.value.message
    assert raised.value.params["maximum"] == MAX_ID


@pytest.mark.parametrize(
    "value",
    ["a\x00b", "x\ud800", ["ok", "\x00"], {"k": "\x00"}, {"\x00": 1}, json.dumps({"name": "a\x00"})],
)
def test_text_the_database_cannot_hold_is_found_wherever_it_is(value: object) -> None:
    """NUL and lone surrogates, in nested values and in JSON kept inside a string (metadata)."""
    assert holds_unstorable(value)


def test_ordinary_text_is_storable() -> None:
    """Accents, emoji, quotes and broken JSON are all fine to store."""
    assert not holds_unstorable({"a": ["é💥\"'<>&", "{", 3, None]})


@given(body=st.dictionaries(st.sampled_from(["team", "user", "team_id", "user_id"]), ANYTHING))
@example(body={"user": "U0OWNER"})
@example(body={"user": None, "team": []})
def test_the_request_context_reads_the_user_from_any_body(body: dict[str, Any]) -> None:
    """`user_of` never raises; a user that is not an object or an id that is not text is missing
    (and is then refused as a non-member). No team is read: the workspace is Bolt's authorisation."""
    user = user_of(body)
    assert isinstance(user, str)
    if isinstance(body.get("user_id"), str) and body["user_id"]:
        assert user == body["user_id"]


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "x",
        {"type": 1},
        {"type": "block_actions", "user": {"id": "U1"}, "actions": [{}]},
        {"type": "block_actions", "user": {"id": "U1"}, "actions": None},
        {"type": "block_actions", "user": "U1", "actions": [{"action_id": "a"}]},
        {"type": "view_submission", "user": {"id": "U1"}, "view": None},
        {"type": "view_submission", "user": {"id": "U1"}, "view": {"callback_id": None}},
        {
            "type": "block_actions",
            "user": {"id": "U1"},
            "trigger_id": "1",
            "actions": [{"action_id": "a"}],
            "view": None,
        },
        {"team": "T1"},
        {},
        {"command": "/agency", "text": "", "user_id": "U1"},
        {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a"}]},
    ],
)
def test_bodies_bolt_cannot_route_are_not_slack_requests(body: object) -> None:
    """These get a plain 400 before Bolt reads them."""
    assert not is_slack_envelope(body)


def test_slack_shapes_pass_the_envelope() -> None:
    """A command, a click and a submission as Slack sends them."""
    assert is_slack_envelope({"command": "/agency", "text": "", "user_id": "U1", "trigger_id": "1.2"})
    assert is_slack_envelope(
        {
            "type": "block_actions",
            "user": {"id": "U1"},
            "trigger_id": "1.2",
            "actions": [{"action_id": "a", "value": "1"}],
        }
    )
    assert is_slack_envelope(
        {"type": "view_submission", "user": {"id": "U1"}, "view": {"type": "modal", "callback_id": "c"}}
    )


@given(action=ANYTHING, metadata=ANYTHING, state=ANYTHING)
def test_values_metadata_and_inputs_are_read_as_text_or_nothing(
    action: Any, metadata: Any, state: Any
) -> None:
    """Whatever a click or a modal carries, the readers return text (or None/{}), never raise."""
    body = {"actions": [action]}
    assert isinstance(ui.action_value(body), str)
    assert isinstance(ui.selected_value(body), str)
    for raw in (metadata, json.dumps(metadata)):
        view = {"private_metadata": raw, "state": state}
        meta = ui.metadata(view)
        assert isinstance(meta, dict)
        assert all(isinstance(meta.get(k), str | None) for k in ("channel", "name", "account", "nonce"))
        assert ui.state_value(view, "name") is None or isinstance(ui.state_value(view, "name"), str)
        assert isinstance(ui.state_values(view), dict)


@dataclass(frozen=True)
class _Kept:
    name: str
    count: int
    profile: int | None
    when: Literal["monthly", "annual"]


def test_a_record_kept_in_metadata_comes_back_typed_or_out_of_date() -> None:
    """A whole dataclass in a modal's metadata: rebuilt when every field fits, else "out of date"."""
    good = {"name": "a", "count": 2, "profile": None, "when": "annual", "channel": "C1"}
    assert ui.metadata_record({"private_metadata": json.dumps(good)}, _Kept) == _Kept("a", 2, None, "annual")
    for bad in ({**good, "count": "2"}, {**good, "when": "daily"}, {**good, "count": 2**70}, {"name": "a"}):
        with pytest.raises(InvalidInput):
            ui.metadata_record({"private_metadata": json.dumps(bad)}, _Kept)
    with pytest.raises(InvalidInput):
        ui.metadata_record({"private_metadata": "{"}, _Kept)
