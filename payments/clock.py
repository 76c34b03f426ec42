"""Time for the payments package: always injected, so simulations are reproducible.

Nothing else in ``payments/`` reads the wall clock; code takes a ``Clock`` and calls ``now()``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real wall clock (the app and the CLI)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests, simulations, benchmarks)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self._now += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("clock times are timezone-aware")
        self._now = moment.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime from a database value.

    SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC.
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
