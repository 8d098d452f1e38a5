"""Time comes from an injected clock so billing and notices are tested by moving it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


class DayClock:
    """A clock pinned to one calendar day at one hour, wherever the reader is: a job run for a given
    day (`jobs … --date`) stamps invoices, ledger, audit and notices with that day, not the real one.

    Agencies keep their own time zones, so each job asks `in_zone` for the instant that is `at` o'clock
    on `day` in the agency's zone; `now()` alone is that hour in UTC.
    """

    def __init__(self, day: date, at: time) -> None:
        self.day, self.at = day, at

    def now(self) -> datetime:
        return datetime.combine(self.day, self.at, UTC)

    def in_zone(self, tz: str) -> FixedClock:
        return FixedClock(datetime.combine(self.day, self.at, ZoneInfo(tz or "UTC")).astimezone(UTC))


def agency_clock(clock: Clock, tz: str) -> Clock:
    """The clock one agency's job runs on: a day clock placed in the agency's zone, any other as is."""
    return clock.in_zone(tz) if isinstance(clock, DayClock) else clock
