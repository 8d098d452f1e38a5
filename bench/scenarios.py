"""The interactions measured. Each prepares its own requests outside the timed part: a fresh confirm
card for every confirm click, a fresh nonce for every modal submission, a new email for every add."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from bench.harness import OWNER, TEAM, Client, command_body, interaction_body
from bot.shell.localslack import LocalSlack
from domain.store.db import make_engine
from domain.store.models import Account

BodyMaker = Callable[[int], str]
Prepare = Callable[[Client, LocalSlack, str], BodyMaker]


@dataclass
class Scenario:
    name: str
    prepare: Prepare
    check: Callable[[bytes], bool] | None = None


def floor_body(slack: LocalSlack) -> str:
    return command_body("/noop", "", slack.base_url)


def answered(data: bytes) -> bool:
    return b'"blocks"' in data and b":warning:" not in data


def accepted(data: bytes) -> bool:
    return b'"errors"' not in data and b":warning:" not in data


def command(cmd: str, text: str) -> Prepare:
    def prepare(client: Client, slack: LocalSlack, url: str) -> BodyMaker:
        return lambda i: command_body(cmd, text, slack.base_url)

    return prepare


def first_account(url: str, **where: Any) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        query = select(Account.name).where(*(getattr(Account, k) == v for k, v in where.items())).limit(1)
        name = conn.scalar(query)
    engine.dispose()
    assert name, f"no seeded account with {where}"
    return str(name)


def show_account(client: Client, slack: LocalSlack, url: str) -> BodyMaker:
    name = first_account(url, status="active", tier="plus")
    return lambda i: command_body("/accounts", f"show {name}", slack.base_url)


def _fill(view: dict[str, Any], overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """State values for every input: the override, else the element's initial value."""
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        state: dict[str, Any] = {"type": element["type"]}
        if block["block_id"] in overrides:
            state.update(overrides[block["block_id"]])
        elif element.get("initial_option"):
            state["selected_option"] = element["initial_option"]
        elif element.get("initial_options"):
            state["selected_options"] = element["initial_options"]
        elif element.get("initial_value"):
            state["value"] = element["initial_value"]
        elif element.get("options"):
            state["selected_option"] = element["options"][0]
        values[block["block_id"]] = {element.get("action_id", "value"): state}
    return values


def add_account(client: Client, slack: LocalSlack, url: str) -> BodyMaker:
    """The add-account modal, opened afresh (untimed) for each timed submission: the server issues the
    form's id when it opens and a submission under an id already used replays the first one, so a
    reused form would time the replay instead of a creation. Each submission has a new name."""
    helper = Client(client.port)

    def opened_form() -> tuple[dict[str, Any], dict[str, Any]]:
        mark = slack.mark()
        helper.post(command_body("/accounts", "add", slack.base_url))
        opened = [c for c in slack.since(mark) if c.method == "views.open"]
        assert opened, "the add-account modal did not open"
        view = dict(opened[-1].response["view"])
        return view, json.loads(view.get("private_metadata") or "{}")

    def body(i: int) -> str:
        view, meta = opened_form()
        suffix = uuid.uuid4().hex[:10]
        text = {"type": "plain_text_input"}
        values = _fill(
            view,
            {
                "name": {**text, "value": f"bench-{suffix}"},
                "client_name": {**text, "value": f"Bench Client {suffix}"},
                "client_email": {**text, "value": f"client-{suffix}@example.com"},
                "notification_email": {**text, "value": "ops@agency.example"},
                "country": {**text, "value": "FR"},
                "language": {**text, "value": "fr"},
                "timezone": {**text, "value": "Europe/Paris"},
            },
        )
        submitted = {**view, "private_metadata": json.dumps(meta), "state": {"values": values}}
        return interaction_body(
            {
                "type": "view_submission",
                "team": {"id": TEAM},
                "user": {"id": OWNER, "team_id": TEAM},
                "view": submitted,
                "response_urls": [],
            }
        )

    return body


def credits_confirm(client: Client, slack: LocalSlack, url: str) -> BodyMaker:
    """A fresh confirm card (untimed) for each timed Confirm click."""
    helper = Client(client.port)

    def body(i: int) -> str:
        _status, _ms, _server, data = helper.post(command_body("/credits", "buy prepaid 100", slack.base_url))
        button = _find_button(json.loads(data), "credits_buy_confirm")
        return interaction_body(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": OWNER, "team_id": TEAM},
                "container": {"type": "message", "is_ephemeral": True},
                "channel": {"id": "C0BENCH"},
                "response_url": f"{slack.base_url}/respond/{uuid.uuid4().hex}",
                "trigger_id": uuid.uuid4().hex,
                "actions": [
                    {
                        "action_id": button["action_id"],
                        "value": button.get("value", ""),
                        "type": "button",
                        "block_id": button.get("block_id", "b"),
                    }
                ],
            }
        )

    return body


def _find_button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return {**element, "block_id": block.get("block_id")}
    raise AssertionError(f"no {action_id} button in {str(message)[:300]}")


def seats_add(client: Client, slack: LocalSlack, url: str) -> BodyMaker:
    """One per-seat subscription with room for every member the run adds."""
    name = first_account(url, tier="licenses", status="active")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(update(Account).where(Account.name == name).values(seats=1_000_000))
    engine.dispose()
    return lambda i: command_body(
        "/seats", f"add {name} member-{uuid.uuid4().hex[:12]}@example.com", slack.base_url
    )


SCENARIOS: list[Scenario] = [
    Scenario(
        "/quote plus 2500 annual seats 4 addons sms",
        command("/quote", "plus 2500 annual seats 4 addons sms"),
        answered,
    ),
    Scenario("/accounts (overview, default filter)", command("/accounts", ""), answered),
    Scenario(
        "/accounts status:all plan:plus sort:-expiry search:alpine",
        command("/accounts", "status:all plan:plus sort:-expiry search:alpine"),
        answered,
    ),
    Scenario("/accounts show <name>", show_account, answered),
    Scenario("add-account modal submission", add_account, accepted),
    Scenario("/credits buy confirm (click)", credits_confirm, None),
    Scenario("/seats add <account> <email>", seats_add, answered),
]
