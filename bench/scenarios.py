"""The interactions measured, each able to prepare its own requests (a fresh confirm card, a view)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from bench.harness import OWNER, TEAM, Client, command_body
from bot.localslack import LocalSlack

BodyMaker = Callable[[int], str]


@dataclass
class Scenario:
    name: str
    prepare: Callable[[Client, LocalSlack, str], BodyMaker]
    check: Callable[[bytes], bool] | None = None


def floor_body(slack: LocalSlack) -> str:
    return command_body("/noop", "", slack.base_url)


def command(cmd: str, text: str) -> Callable[[Client, LocalSlack, str], BodyMaker]:
    def prepare(client: Client, slack: LocalSlack, url: str) -> BodyMaker:
        return lambda i: command_body(cmd, text, slack.base_url)

    return prepare


def answered(data: bytes) -> bool:
    return b'"blocks"' in data and b":warning:" not in data


SCENARIOS: list[Scenario] = [
    Scenario(
        "/quote plus 2500 annual seats 4 addons sms",
        command("/quote", "plus 2500 annual seats 4 addons sms"),
        answered,
    ),
]

__all__ = ["OWNER", "SCENARIOS", "TEAM", "Scenario", "floor_body", "json"]
