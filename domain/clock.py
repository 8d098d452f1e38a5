"""Time comes from an injected clock so billing and notices are tested by moving it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: tests and the shell's time travel use it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            msg = "FixedClock needs an aware datetime"
            raise ValueError(msg)
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def today(clock: Clock, tz: str = "UTC") -> date:
    """The calendar day in the agency's time zone, which is what renewal days are counted in."""
    return clock.now().astimezone(ZoneInfo(tz)).date()
