"""A short help for commands whose capability has not landed yet (used by their modules meanwhile)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot import ui
from bot.context import open_request
from domain.i18n import N_

COMING = {
    "/accounts": N_("add, find, change, renew and retire resold accounts"),
    "/quote": N_("price any plan with the reseller discount and proration"),
    "/credits": N_("prepaid, SMS and inbox-preview credits"),
    "/seats": N_("license seats of per-seat subscriptions"),
    "/billing": N_("billing profiles, invoices and the billing run"),
}


def coming_soon(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = open_request(context, command)
    name = command.get("command", "")
    text = req.t(
        N_("`{command}` will {purpose}. It is coming soon; meanwhile `/agency help` shows what works today."),
        command=name,
        purpose=req.t(COMING.get(name, "")),
    )
    ack(**ui.notice(text))
