"""Incremental windows over session time. Each costs O(1) amortised per update; none reads a clock.
Engine thread only."""

from __future__ import annotations

import bisect
import math
from collections import deque

MINUTE_MS = 60_000
HOUR_MS = 3_600_000


class MinuteHistory:
    """The last value seen in each minute, kept for ``keep_ms``; :meth:`at` looks one up."""

    def __init__(self, keep_ms: int) -> None:
        self._keep_ms = keep_ms
        self._minutes: list[int] = []
        self._values: list[float] = []
        self._start = 0  # index of the oldest kept entry (trimmed lazily)

    def update(self, ts_ms: int, value: float) -> None:
        minute = ts_ms // MINUTE_MS
        if self._minutes and self._minutes[-1] == minute:
            self._values[-1] = value
            return
        if self._minutes and minute < self._minutes[-1]:
            return  # out of order: keep history monotone
        self._minutes.append(minute)
        self._values.append(value)
        oldest = minute - self._keep_ms // MINUTE_MS - 1
        while self._start < len(self._minutes) and self._minutes[self._start] < oldest:
            self._start += 1
        if self._start > 4096 and self._start > len(self._minutes) // 2:
            del self._minutes[: self._start]
            del self._values[: self._start]
            self._start = 0

    def at(self, ts_ms: int) -> float | None:
        """The value of the latest minute at or before ``ts_ms``; None if history starts later."""
        minute = ts_ms // MINUTE_MS
        i = bisect.bisect_right(self._minutes, minute, lo=self._start) - 1
        return self._values[i] if i >= self._start else None

    def latest(self) -> float | None:
        return self._values[-1] if len(self._minutes) > self._start else None


class WindowSum:
    """Sum of values with timestamps in ``(now - window_ms, now]``."""

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self._items: deque[tuple[int, float]] = deque()
        self.total = 0.0

    def add(self, ts_ms: int, value: float) -> None:
        self._items.append((ts_ms, value))
        self.total += value

    def expire(self, now_ms: int) -> float:
        """Drop what has left the window; return the sum over it."""
        cutoff = now_ms - self.window_ms
        items = self._items
        while items and items[0][0] <= cutoff:
            self.total -= items.popleft()[1]
        if not items:
            self.total = 0.0  # no float residue when the window is empty
        return self.total


class RollingStdev:
    """Sample standard deviation (n − 1) of the values of the last ``n`` minutes, each value
    keyed by the minute it became known, and the share of those minutes that hold one."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._items: deque[tuple[int, float]] = deque()
        self._sum = 0.0
        self._sum_sq = 0.0
        self._updates = 0

    def add(self, minute: int, x: float) -> None:
        """``x`` known at ``minute``; values of minutes at or before ``minute − n`` leave."""
        items = self._items
        items.append((minute, x))
        self._sum += x
        self._sum_sq += x * x
        while items[0][0] <= minute - self.n:
            old = items.popleft()[1]
            self._sum -= old
            self._sum_sq -= old * old
        self._updates += 1
        if self._updates % 10_000 == 0:  # re-sum now and then: no drift from subtraction
            self._sum = math.fsum(v for _, v in items)
            self._sum_sq = math.fsum(v * v for _, v in items)

    @property
    def count(self) -> int:
        return len(self._items)

    @property
    def coverage(self) -> float:
        """Values held ÷ minutes in the window (1.0: a value for every minute)."""
        return len(self._items) / self.n

    def stdev(self) -> float | None:
        k = len(self._items)
        if k < 2:
            return None
        var = (self._sum_sq - self._sum * self._sum / k) / (k - 1)
        return math.sqrt(var) if var > 0 else 0.0


class HourlyBuckets:
    """Totals per clock hour for the last ``hours`` completed hours, and their median."""

    def __init__(self, hours: int) -> None:
        self.hours = hours
        self._current_hour: int | None = None
        self._current = 0.0
        self._done: deque[float] = deque(maxlen=hours)

    def _roll(self, hour: int) -> None:
        if self._current_hour is None:
            self._current_hour = hour
            return
        while self._current_hour < hour:
            self._done.append(self._current)
            self._current = 0.0
            self._current_hour += 1
            if len(self._done) == self.hours and self._current_hour < hour - self.hours:
                self._current_hour = hour - self.hours  # skip a long gap quickly

    def add(self, ts_ms: int, value: float) -> None:
        self._roll(ts_ms // HOUR_MS)
        self._current += value

    def advance(self, now_ms: int) -> None:
        self._roll(now_ms // HOUR_MS)

    @property
    def completed_hours(self) -> int:
        return len(self._done)

    def median(self) -> float | None:
        if not self._done:
            return None
        vals = sorted(self._done)
        mid = len(vals) // 2
        return vals[mid] if len(vals) % 2 else 0.5 * (vals[mid - 1] + vals[mid])
