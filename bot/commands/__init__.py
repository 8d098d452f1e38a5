"""The one place that registers every listener: each command module exposes `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import agency, home, placeholders


def register_all(app: App) -> None:
    for module in (agency, home, placeholders):
        module.register(app)
