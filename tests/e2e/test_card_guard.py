"""A card number typed anywhere, however spelled, is refused and written nowhere (SPEC §10).

No field asks for a card number any more, so every input of every request is read: command text,
every value of a submitted view (plain, multi-line and rich text), actions typed in inputs that
dispatch on change. Each spelling of the test-card table is tried on each path that used to store
it: a saved view, the commission payout email, the agency settings (audit log) and the live check
of the add-account modal.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine, select

from domain.cards import normalize_digits
from domain.store.models import Base
from tests.e2e.test_agency_http import row_counts
from tests.slackhttp import TEAM, SlackHttp, text_input
from tests.unit.test_cards import CARD_SPELLINGS, NOT_CARDS

CARDS = ("4242424242424242", "378282246310005", "4000000000009995")


def stored_text(db: Engine) -> str:
    """Every row of every table, as digits only (any script), to look for a card number in."""
    with db.connect() as conn:
        dump = "".join(str(conn.execute(select(table)).all()) for table in Base.metadata.sorted_tables)
    return re.sub(r"[^0-9]", "", normalize_digits(dump))


def _settings(http: SlackHttp, name: Any) -> Any:
    http.command("/agency", "settings")
    return http.submit(
        http.opened_view(),
        {
            "name": name,
            "currency": text_input("EUR"),
            "timezone": text_input("UTC"),
            "low_balance_threshold": text_input("1"),
        },
    )


def _rich_text(*pieces: str) -> dict[str, Any]:
    """A rich text input whose text is split across styled pieces, as Slack sends it."""
    elements = [
        {"type": "text", "text": piece, **({"style": {"bold": True}} if i % 2 else {})}
        for i, piece in enumerate(pieces)
    ]
    return {
        "type": "rich_text_input",
        "rich_text_value": {
            "type": "rich_text",
            "elements": [{"type": "rich_text_section", "elements": elements}],
        },
    }


def _live_check(http: SlackHttp, typed: str) -> Any:
    """The add-account modal's client field, which dispatches each change to `accounts_live`."""
    return http.interaction(
        {
            "type": "block_actions",
            "user": {"id": "U0OWNER", "team_id": TEAM},
            "container": {"type": "view", "view_id": "V0ADD"},
            "view": {
                "id": "V0ADD",
                "hash": "h",
                "type": "modal",
                "callback_id": "accounts_add",
                "private_metadata": "",
                "blocks": [],
                "state": {
                    "values": {"client": {"accounts_live": {"type": "plain_text_input", "value": typed}}}
                },
            },
            "actions": [
                {
                    "action_id": "accounts_live",
                    "block_id": "client",
                    "type": "plain_text_input",
                    "value": typed,
                }
            ],
        }
    )


@pytest.mark.parametrize("spelling", CARD_SPELLINGS)
def test_every_spelling_is_refused_on_every_path_and_nothing_is_stored(
    http: SlackHttp, db: Engine, spelling: str
) -> None:
    """Commands (saved view, payout email, members), a modal field, rich text split across styles
    and a dispatched input: all refused, no row added, the digits in no table."""
    http.command("/agency", "members")
    before = row_counts(db)
    for command, text in [
        ("/accounts", f"views save soon search:{spelling}"),
        ("/accounts", f"commission payout finance+{spelling}@agency.example"),
        ("/accounts", f"search:{spelling}"),
        ("/agency", f"members add {spelling} owner"),
    ]:
        reply = http.command(command, text)
        assert reply.status == 200 and "card number" in reply.text, (command, text)
    reply = _settings(http, text_input(f"Acme {spelling}"))
    assert reply.body["response_action"] == "errors"
    assert "card number" in reply.body["errors"]["name"]
    half = len(spelling) // 2
    reply = _settings(http, _rich_text("Acme ", spelling[:half], spelling[half:]))
    assert "card number" in reply.body["errors"]["name"]
    mark = http.slack.mark()
    assert _live_check(http, f"Acme {spelling}").status == 200
    calls = http.slack.since(mark)
    assert not [c for c in calls if c.method == "views.update"]
    assert any("card number" in str(c.params) for c in calls)
    assert row_counts(db) == before
    digits = stored_text(db)
    assert not any(card in digits for card in CARDS)


@pytest.mark.parametrize("text", [p for p in NOT_CARDS if p.values[0]])
def test_ordinary_long_numbers_pass_commands_and_modals(http: SlackHttp, text: str) -> None:
    """Invoice numbers, phones, references, thirteen zeros: never taken for a card."""
    http.command("/agency", "members")
    assert "card number" not in http.command("/accounts", f"search:{text}").text
    reply = _settings(http, text_input(f"Acme {text}"[:80]))
    assert "card number" not in str(reply.body)


def test_strangers_typing_thirteen_zeros_get_the_membership_answer(http: SlackHttp) -> None:
    """`0000000000000` is no card: a stranger is told they are not a member, not about cards."""
    http.command("/agency", "members")
    reply = http.command("/agency", "0000000000000", user="U0STRANGER")
    assert "card number" not in reply.text
