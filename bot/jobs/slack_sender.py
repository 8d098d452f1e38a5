"""Posting one message to a channel the way Slack asks to be posted to: 429 waits for
`Retry-After`, 5xx and network errors are retried with backoff, posts to one channel are at least a
second apart, and a post that may have gone through is looked up by its marker in the channel's
history before it is posted again (`find_posted`). The notice sender (`bot.jobs.notifier`) decides
what to post and records the outcome; this module only talks to Slack.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from domain.clock import Clock

log = logging.getLogger("reseller_desk.notices")
METADATA_TYPE = "reseller_notice"
ATTEMPTS = 5
MIN_GAP = timedelta(seconds=1)
MAX_WAIT = 300.0
HISTORY_PAGES = 10
Sleep = Callable[[float], None]


class SendFailed(Exception):
    def __init__(self, error: str, *, maybe_posted: bool) -> None:
        super().__init__(error)
        self.error = error
        self.maybe_posted = maybe_posted


class Pacer:
    """At most one post per second per channel, across every sender of this process."""

    def __init__(self) -> None:
        self.last: dict[str, datetime] = {}
        self.lock = threading.Lock()

    def wait(self, channel: str, clock: Clock, sleep: Sleep) -> None:
        with self.lock:
            last, now = self.last.get(channel), clock.now()
            if last is not None and last <= now:  # a clock set back (tests, time travel) owes nothing
                gap = (MIN_GAP - (now - last)).total_seconds()
                if gap > 0:
                    sleep(gap)
            self.last[channel] = clock.now()


PACER = Pacer()


class SlackSender:
    def __init__(
        self, client: WebClient, clock: Clock, sleep: Sleep = time.sleep, pacer: Pacer = PACER
    ) -> None:
        self.client, self.clock, self.sleep, self.pacer = client, clock, sleep, pacer

    def post(self, channel: str, message: dict[str, Any], marker: str, ids: list[int]) -> str:
        """Post once and return the `ts`; raise SendFailed when Slack keeps refusing."""
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"marker": marker, "notices": ids}}
        since, maybe_posted, error = self.clock.now(), False, "not sent"
        for attempt in range(1, ATTEMPTS + 1):
            if maybe_posted and (ts := self.find_posted(channel, marker, since)) is not None:
                return ts
            self.pacer.wait(channel, self.clock, self.sleep)
            try:
                response = self.client.chat_postMessage(
                    channel=channel, metadata=metadata, unfurl_links=False, **message
                )
                return str(response["ts"])
            except SlackApiError as exc:
                status, error = exc.response.status_code, str(exc.response.get("error") or exc)
                if status == 429:
                    self.sleep(min(_retry_after(exc.response.headers), MAX_WAIT))
                elif status >= 500:  # Slack: "some aspect of the operation may have succeeded"
                    maybe_posted = True
                    self.sleep(_backoff(attempt))
                else:
                    raise SendFailed(error, maybe_posted=maybe_posted) from exc
            except (OSError, HTTPException) as exc:  # reset, timed out, garbled: it may have gone through
                refused = isinstance(getattr(exc, "reason", exc), ConnectionRefusedError)
                maybe_posted, error = maybe_posted or not refused, type(exc).__name__
                self.sleep(_backoff(attempt))
        raise SendFailed(f"{error} after {ATTEMPTS} attempts", maybe_posted=maybe_posted)

    def find_posted(self, channel: str, marker: str, since: datetime) -> str | None:
        """The `ts` of a message of ours carrying `marker`, posted after `since`, if Slack shows one."""
        oldest, cursor = f"{since.timestamp() - 60:.6f}", None
        for _ in range(HISTORY_PAGES):
            try:
                response = self.client.conversations_history(
                    channel=channel, oldest=oldest, limit=200, include_all_metadata=True, cursor=cursor
                )
            except (SlackApiError, OSError, HTTPException) as exc:
                log.warning("could not look for an earlier notice post: %s", type(exc).__name__)
                return None
            for message in response.get("messages") or []:
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == METADATA_TYPE and payload.get("marker") == marker:
                    return str(message.get("ts"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not (response.get("has_more") and cursor):
                return None
        return None


def _retry_after(headers: Any) -> float:
    for key in ("Retry-After", "retry-after"):
        value = (headers or {}).get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                return 1.0
    return 1.0


def _backoff(attempt: int) -> float:
    return float(min(2 ** (attempt - 1), 30))
