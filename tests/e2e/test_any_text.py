"""Nothing a user can type crashes a handler or writes anything it shouldn't."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.shell.localslack import LocalSlack
from domain.cards import contains_card_number
from domain.plaintext import holds_unstorable
from tests.e2e.test_agency_http import data_counts as row_counts
from tests.slackhttp import SlackHttp

COMMANDS = ["/agency", "/accounts", "/quote", "/credits", "/seats", "/billing"]
# Words that start real sub-commands, mixed into random text so the parsers' deeper paths are reached.
WORDS = [
    "members",
    "add",
    "remove",
    "audit",
    "settings",
    "help",
    "owner",
    "viewer",
    "<@U0X|x>",
    "U0OWNER",
    "0",
    "-1",
    "999999999999",
    "plus",
    "2500",
    "annual",
    '"',
    "'",
    "`",
    "<",
    ">",
    "&",
    "%",
    "é",
    "💥",
]
TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=6).map(" ".join),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=st.sampled_from(COMMANDS), text=TEXT)
def test_any_text_gets_an_ephemeral_answer_and_writes_nothing(
    http: SlackHttp, db: Engine, slack: LocalSlack, command: str, text: str
) -> None:
    """Arbitrary text to every command: an ephemeral answer (or a modal), never an error, never a write.

    `members add`/`remove` with a valid user and role are real writes, so those exact forms are
    excluded; everything else must leave every table as it was.
    """
    http.command("/agency", "members")
    words = text.split()
    if (
        command == "/agency"
        and len(words) >= 2
        and words[0].lower() == "members"
        and words[1].lower() in ("add", "remove")
    ):
        return
    before = row_counts(db)
    mark = slack.mark()
    reply = http.command(command, text)
    assert reply.status == 200
    opened = [c for c in slack.since(mark) if c.method == "views.open"]
    assert reply.body.get("response_type") == "ephemeral" or opened or reply.body == {}
    if not opened:
        assert reply.text.strip()
    assert row_counts(db) == before


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=st.sampled_from(COMMANDS), text=TEXT)
@example(command="/agency", text="0000000000000")  # drawn once on a fresh clone; a card to the old guard
@example(command="/billing", text="4242 4242 4242 4242")
@example(command="/accounts", text="show acme")
@example(command="/accounts", text="show acme\x00")
def test_strangers_typing_anything_are_refused(http: SlackHttp, db: Engine, command: str, text: str) -> None:
    """A non-member typing anything is refused and writes nothing.

    Which refusal comes first: the card-number guard. A card number is refused before anything else
    reads the text, for members and strangers alike (it must reach no listener, no table, no log);
    then text the database cannot hold (a NUL) is refused, for everyone too, before any look-up;
    any other text from a stranger gets the not-a-member refusal. The expectation is computed with
    the guards' own `contains_card_number` and `holds_unstorable`, so it follows their definitions.
    """
    http.command("/agency", "members")
    before = row_counts(db)
    reply = http.command(command, text, user="U0STRANGER")
    assert reply.status == 200
    if contains_card_number(text):
        assert "card number" in reply.text and "not a member" not in reply.text
    elif holds_unstorable(text):
        assert "cannot be saved" in reply.text and "not a member" not in reply.text
    else:
        assert "not a member" in reply.text
    assert row_counts(db) == before
