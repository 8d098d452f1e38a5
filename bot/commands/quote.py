"""`/quote`."""

from __future__ import annotations

from slack_bolt import App

from bot.commands.placeholders import coming_soon


def register(app: App) -> None:
    app.command("/quote")(coming_soon)
