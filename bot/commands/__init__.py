"""The one place that registers every listener: each command module exposes `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import (
    accounts,
    agency,
    agency_import,
    approvals,
    billing,
    credits,
    home,
    notices,
    portal_tasks,
    quote,
    seats,
    uninstall,
)


def register_all(app: App) -> None:
    # agency_import before agency: its `/agency import` listener is matched first.
    for module in (
        agency_import,
        agency,
        quote,
        accounts,
        credits,
        billing,
        seats,
        notices,
        home,
        approvals,
        portal_tasks,
        uninstall,
    ):
        module.register(app)
