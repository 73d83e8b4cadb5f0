"""Clocks behind one interface. The engine asks its injected clock; it never reads the wall clock.

``LiveClock`` reads the system time (for live feeds). ``ReplayClock`` is set by whoever drives a
replay and never moves by itself. Both return ms since the Unix epoch (UTC).
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Current time in ms since the Unix epoch (UTC)."""
        ...


class LiveClock:
    """The system's real-time clock. Any thread may call it."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ReplayClock:
    """A clock that shows the session time the replay has reached. Only the replay's thread sets it;
    it never goes backwards (a backward seek builds a new engine on a new clock)."""

    def __init__(self, start_ms: int = 0) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        return self._now_ms

    def advance_to(self, ts_ms: int) -> None:
        if ts_ms > self._now_ms:
            self._now_ms = ts_ms
