"""Notice buttons (Renew, View account, Buy licenses, Buy prepaid) and `/agency notices`."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot import ui
from bot.context import Req
from domain.i18n import N_


def register(app: App) -> None:
    return None


def notices_reply(req: Req, words: list[str]) -> dict[str, Any]:
    return ui.notice(req.t(N_("Notices are coming soon.")))
