"""Replay control: feeds a recorded session into an engine at x1, x10, x60, x600 or max speed,
with pause and seek. It never reads the wall clock: callers pass ``wall_ms`` (a monotonic time in
ms) to :meth:`ReplayDriver.step`, so a GUI timer or a CLI loop can drive it, and tests can too.

A backward seek rebuilds the engine from ``engine_factory`` and replays from the start up to the
target at max speed, so every metric window is exactly what a straight replay would have.
Owned by one thread (the one that calls ``step``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from workstation.core.clock import ReplayClock
from workstation.core.events import Event
from workstation.engine.engine import Engine

SEEK_CHUNK = 20_000  # events a seek processes between two looks at its stop test
SPEEDS: dict[str, float | None] = {"1": 1.0, "10": 10.0, "60": 60.0, "600": 600.0, "max": None}


def parse_speed(text: str) -> float | None:
    """``"x60"``, ``"60"`` or ``"max"`` -> 60.0 / None (max). Raises ValueError otherwise."""
    key = text.strip().lower().removeprefix("x")
    if key not in SPEEDS:
        raise ValueError(f"speed must be one of x1, x10, x60, x600, max (got {text!r})")
    return SPEEDS[key]


class ReplayDriver:
    """Plays ``open_events()`` (a fresh iterator from the session's start) into ``self.engine``.
    ``speed`` None means max."""

    def __init__(
        self,
        open_events: Callable[[], Iterator[Event]],
        engine_factory: Callable[[ReplayClock], Engine],
        start_ms: int,
        end_ms: int,
        speed: float | None = None,
    ) -> None:
        self._open_events = open_events
        self._engine_factory = engine_factory
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.speed = speed
        self.playing = False
        self._anchor_wall_ms = 0
        self._anchor_session_ms = start_ms
        self._build()

    def _build(self) -> None:
        self.clock = ReplayClock(self.start_ms)
        self.engine = self._engine_factory(self.clock)
        self._events = self._open_events()
        self._pending: Event | None = next(self._events, None)
        self.position_ms = self.start_ms

    @property
    def finished(self) -> bool:
        return self._pending is None and self.position_ms >= self.end_ms

    def play(self, wall_ms: int) -> None:
        self._anchor_wall_ms, self._anchor_session_ms = wall_ms, self.position_ms
        self.playing = True

    def pause(self) -> None:
        self.playing = False

    def set_speed(self, speed: float | None, wall_ms: int) -> None:
        self.speed = speed
        self._anchor_wall_ms, self._anchor_session_ms = wall_ms, self.position_ms

    def target_ms(self, wall_ms: int) -> int:
        """The session time the replay should have reached at ``wall_ms``."""
        if not self.playing:
            return self.position_ms
        if self.speed is None:
            return self.end_ms
        elapsed = max(0, wall_ms - self._anchor_wall_ms)
        return min(self.end_ms, self._anchor_session_ms + int(elapsed * self.speed))

    def _run_to(self, target_ms: int, max_events: int | None) -> int:
        """Process events with ``ts_recv_ms <= target_ms`` (at most ``max_events``)."""
        engine, n = self.engine, 0
        pending = self._pending
        while pending is not None and pending.ts_recv_ms <= target_ms:
            engine.process(pending)
            n += 1
            pending = next(self._events, None)
            if max_events is not None and n >= max_events:
                break
        self._pending = pending
        reached = target_ms if (pending is None or pending.ts_recv_ms > target_ms) else None
        if reached is None:  # stopped by max_events: time is where the last event was
            reached = engine.now_ms if engine.now_ms is not None else self.position_ms
        self.position_ms = max(self.position_ms, min(reached, self.end_ms))
        self.clock.advance_to(self.position_ms)
        engine.advance()
        return n

    def step(self, wall_ms: int, max_events: int | None = None) -> int:
        """Advance the replay to where it should be at ``wall_ms``; returns events processed.
        ``max_events`` bounds the work of one call (a GUI timer passes it to stay responsive)."""
        if not self.playing:
            return 0
        n = self._run_to(self.target_ms(wall_ms), max_events)
        if self.finished:
            self.playing = False
        return n

    def run_until(self, ts_ms: int, max_events: int | None = None) -> int:
        """Process events up to ``ts_ms`` at once, whatever the speed (stepping through a session);
        returns how many were processed."""
        return self._run_to(min(ts_ms, self.end_ms), max_events)

    def next_event_wall_ms(self) -> int | None:
        """When (in wall ms) the next event is due at the current speed; None if none or max."""
        if self._pending is None or self.speed is None or not self.playing:
            return None
        ahead = max(0, self._pending.ts_recv_ms - self._anchor_session_ms)
        return self._anchor_wall_ms + int(ahead / self.speed)

    def rebuild(self, wall_ms: int = 0, stop: Callable[[], bool] | None = None) -> None:
        """A fresh engine from the factory (new rules, say), replayed back to where this one was."""
        ts_ms = self.position_ms
        self._build()
        self.seek(ts_ms, wall_ms, stop)

    def seek(self, ts_ms: int, wall_ms: int = 0, stop: Callable[[], bool] | None = None) -> None:
        """Jump to session time ``ts_ms`` (clamped); going backwards rebuilds the engine. The
        replay runs in chunks of SEEK_CHUNK events; ``stop()`` true between two ends it early
        (the owner is shutting down), where it got to."""
        ts_ms = max(self.start_ms, min(self.end_ms, ts_ms))
        if ts_ms < self.position_ms:
            self._build()
        while self._run_to(ts_ms, SEEK_CHUNK) == SEEK_CHUNK and not (stop and stop()):
            pass
        self._anchor_wall_ms, self._anchor_session_ms = wall_ms, self.position_ms
