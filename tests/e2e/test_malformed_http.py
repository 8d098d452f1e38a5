"""Each class of malformed input the issue found, sent over signed HTTP: a clear ephemeral answer
(naming the field where there is one), nothing written, nothing crashed. The fuzz tests
(test_fuzz_interactions.py) cover every listener; these pin one example of each class with its
expected words, on SQLite and on PostgreSQL (where NUL and out-of-range ids used to fail)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from tests.e2e.test_agency_http import row_counts
from tests.e2e.test_seats_http import _seat_account
from tests.slackhttp import TEAM, Reply, SlackHttp, text_input

CRASH = "Something went wrong"


@pytest.fixture
def watched(http: SlackHttp, db: Engine) -> Iterator[None]:
    """The owner exists; every test below must leave every table as it found it."""
    http.command("/agency", "members")
    before = row_counts(db)
    yield
    assert row_counts(db) == before


def _answered(reply: Reply, *words: str) -> str:
    assert reply.status == 200, reply.raw
    assert CRASH not in reply.text
    for word in words:
        assert word in reply.text, reply.text
    return reply.text


@pytest.mark.usefixtures("watched")
def test_ids_past_the_64_bit_range_are_not_found(http: SlackHttp) -> None:
    """`bigint out of range` on PostgreSQL before: now the id is simply not there."""
    big = "99999999999999999999"
    _answered(http.command("/billing", f"profiles delete {big}"), "There is no billing profile", big)
    _answered(http.command("/accounts", f"transfer-confirm {big}"), "There is no transfer number", big)


@pytest.mark.usefixtures("watched")
@pytest.mark.parametrize(
    ("command", "text", "words"),
    [
        ("/agency", "audit ²", "from 1 to 50"),
        ("/agency", "audit " + "9" * 5000, "from 1 to 50"),
        ("/credits", "buy sms " + "9" * 5000, "pack"),
        ("/accounts", "page:²", "page"),
        ("/accounts", "profile:" + "9" * 5000, "profile:2"),
        ("/seats", "buy x ²", "whole number"),
        ("/seats", "buy x " + "9" * 30, "at most"),
        ("/quote", "marketing plus " + "9" * 5000, "at most"),
    ],
)
def test_huge_and_unicode_numbers_get_a_message(http: SlackHttp, command: str, text: str, words: str) -> None:
    """More than 4,300 digits made `int()` raise; `²` passed `isdigit()` then failed `int()`."""
    _answered(http.command(command, text), words)


@pytest.mark.usefixtures("watched")
def test_nul_in_typed_text_is_refused_before_any_look_up(http: SlackHttp) -> None:
    """A NUL in a name reached PostgreSQL (`DataError`) in account, invoice and view look-ups."""
    for command, text in [
        ("/accounts", "show acme\x00"),
        ("/accounts", "view x\x00"),
        ("/billing", "invoice a\x00"),
    ]:
        _answered(http.command(command, text), "cannot be saved")


@pytest.mark.usefixtures("watched")
def test_nul_in_a_modal_input_is_shown_on_that_input(http: SlackHttp) -> None:
    """The refusal sits on the input that holds the character."""
    http.command("/agency", "settings")
    reply = http.submit(http.opened_view(), {"name": text_input("Acme\x00 Agency")})
    assert reply.body["response_action"] == "errors"
    assert "cannot be saved" in reply.body["errors"]["name"]


@pytest.mark.usefixtures("watched")
def test_nul_in_a_button_value_is_answered(http: SlackHttp, slack: LocalSlack) -> None:
    """A clicked value (or a modal's metadata) is untrusted too."""
    mark = slack.mark()
    assert http.click("accounts_login", "acme\x00").status == 200
    said = [json.dumps(c.params) for c in slack.since(mark)]
    assert any("cannot be saved" in s for s in said) and not any(CRASH in s for s in said)


def test_malformed_metadata_in_the_seats_modals_is_answered(
    http: SlackHttp, db: Engine, sessions: sessionmaker[Session], provider: object
) -> None:
    """`TypeError` before: metadata that is not what the modal wrote is out of date, not a crash."""
    _seat_account(sessions, provider, 3)  # type: ignore[arg-type]
    before = row_counts(db)
    for metadata in ("[", "null", "[]", '{"account": ["x"], "channel": 5}', '{"value": {"a": 1}}'):
        for callback, values in (("seats_buy", {"licenses": text_input("2")}), ("seats_buy_pay", {})):
            view = {"id": "V1", "type": "modal", "callback_id": callback, "private_metadata": metadata}
            reply = http.submit(view, values)
            assert reply.status == 200 and CRASH not in reply.text, reply.raw
        confirm = {
            "id": "V1",
            "type": "modal",
            "callback_id": "seats_new_confirm",
            "private_metadata": metadata,
        }
        shown = http.submit(confirm, {})  # the confirm modal has no input: the answer replaces it
        # The step holds only the server's confirmation id: anything else is not a valid one.
        assert shown.body["response_action"] == "update" and "not valid any more" in shown.raw
    assert row_counts(db) == before


@pytest.mark.usefixtures("watched")
def test_interactions_without_a_user_object_are_refused_plainly(http: SlackHttp) -> None:
    """`"user"` as a string made the request context fail (500): it is not a Slack payload (400);
    a payload whose user has no id is a stranger, refused as a non-member."""
    body = {"type": "block_actions", "user": "U0OWNER", "team": {"id": TEAM}, "actions": [{"action_id": "x"}]}
    assert http.interaction(body).status == 400
    command = http.command("/accounts", "", user="")
    _answered(command, "not a member")


@pytest.mark.usefixtures("watched")
def test_a_forged_body_is_refused_for_its_signature_before_its_shape(http: SlackHttp) -> None:
    """Not a Slack request and not signed by Slack: the signature answers first (401), then the
    shape (400 for a signed one)."""
    for body in ("payload=null", "payload={", ""):
        assert http.post(body, signature="v0=" + "0" * 64).status == 401
        assert http.post(body).status == 400
