"""The Slack locale of each user is asked once an hour, not on every request (`bot.context.LocaleCache`)."""

from __future__ import annotations

from typing import Any, cast

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.context import LOCALE_TTL_SECONDS, LocaleCache


class _Client:
    """Counts `users.info` calls; fails for the user named `broken`."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def users_info(self, *, user: str, include_locale: bool) -> dict[str, Any]:
        assert include_locale
        self.asked.append(user)
        if user == "broken":
            raise SlackApiError("user_not_found", {"ok": False, "error": "user_not_found"})
        return {"user": {"id": user, "locale": "fr-FR"}}


def test_a_locale_is_kept_an_hour_and_an_unknown_one_too() -> None:
    """Within the hour the cache answers (a failed look-up too, as None); after it, Slack is asked again."""
    now = [0.0]
    cache = LocaleCache(entries=TTLCache(maxsize=10, ttl=LOCALE_TTL_SECONDS, timer=lambda: now[0]))
    fake = _Client()
    client = cast(WebClient, fake)
    assert cache.lookup(client, "U1") == "fr-FR"
    assert cache.lookup(client, "broken") is None
    now[0] = LOCALE_TTL_SECONDS - 1
    assert cache.lookup(client, "U1") == "fr-FR"
    assert cache.lookup(client, "broken") is None
    assert fake.asked == ["U1", "broken"]
    now[0] = LOCALE_TTL_SECONDS + 1
    assert cache.lookup(client, "U1") == "fr-FR"
    assert fake.asked == ["U1", "broken", "U1"]
