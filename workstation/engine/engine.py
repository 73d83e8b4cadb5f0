"""The engine: single-threaded, deterministic, one entry point for every source.

Sources (session reader, simulator, live feeds, user commands) hand events to :meth:`Engine.process`
in ``(ts_recv_ms, seq)`` order. Taps (the recorder) see each event before anything else, so a
recording is exactly what the engine consumed. Components update state per event type; timers fire
at fixed multiples of their period in *session* time, so the outputs depend only on the events and
on the times the clock was advanced to, never on how fast they were fed.

Time rule: a timer boundary ``T`` fires once engine time is strictly past ``T`` — before the first
event with ``ts_recv_ms > T``, or on :meth:`advance` to a time ``> T``. An event at exactly ``T`` is
therefore always seen by the boundary at ``T``, however the replay was paced.

Only the engine's thread may call any method here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from workstation.core.clock import Clock
from workstation.core.events import EVENT_TYPES, Event
from workstation.core.records import Record

Output = Record  # typed output records (workstation.core.records)


class Component(Protocol):
    """A piece of engine state. ``handlers`` maps event types to methods taking the event."""

    def handlers(self) -> dict[type, Callable[[Any], None]]: ...


class _Timer:
    __slots__ = ("callback", "due_ms", "order", "period_ms")

    def __init__(self, period_ms: int, callback: Callable[[int], None], order: int) -> None:
        self.period_ms = period_ms
        self.callback = callback
        self.order = order
        self.due_ms: int | None = None  # first boundary is set when time is first known


class Engine:
    """Deterministic event processor. ``clock`` is read only in :meth:`advance`."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.now_ms: int | None = None
        self.events_processed = 0
        self._taps: list[Callable[[Event], None]] = []
        self._dispatch: dict[type, list[Callable[[Any], None]]] = {t: [] for t in EVENT_TYPES}
        self._timers: list[_Timer] = []
        self._next_due = 2**63 - 1
        self._outputs: list[Output] = []
        self.components: list[Any] = []

    # --- wiring -------------------------------------------------------------------------------
    def add_component(self, component: Component) -> None:
        """Register a component; its handlers run in registration order."""
        self.components.append(component)
        for etype, fn in component.handlers().items():
            self._dispatch[etype].append(fn)

    def add_tap(self, tap: Callable[[Event], None]) -> None:
        """``tap(event)`` runs for every event before any component (the recorder uses this)."""
        self._taps.append(tap)

    def remove_tap(self, tap: Callable[[Event], None]) -> None:
        """Stop calling ``tap`` (a recording stopped); the next event no longer reaches it."""
        self._taps.remove(tap)

    def add_timer(self, period_ms: int, callback: Callable[[int], None]) -> None:
        """``callback(boundary_ts_ms)`` at every multiple of ``period_ms`` that time passes."""
        if period_ms <= 0:
            raise ValueError("period_ms must be positive")
        timer = _Timer(period_ms, callback, len(self._timers))
        if self.now_ms is not None:
            timer.due_ms = (self.now_ms // period_ms + 1) * period_ms
        self._timers.append(timer)
        self._recompute_next_due()

    def emit(self, record: Output) -> None:
        """Components call this to publish an output record."""
        self._outputs.append(record)

    def drain(self) -> list[Output]:
        """Take the outputs published since the last drain, in the order they were emitted."""
        out, self._outputs = self._outputs, []
        return out

    # --- time -------------------------------------------------------------------------------
    def _recompute_next_due(self) -> None:
        dues = [t.due_ms for t in self._timers if t.due_ms is not None]
        self._next_due = min(dues) if dues else 2**63 - 1

    def _start_time(self, ts_ms: int) -> None:
        self.now_ms = ts_ms
        for t in self._timers:
            t.due_ms = (ts_ms // t.period_ms + 1) * t.period_ms
        self._recompute_next_due()

    def _fire_until(self, ts_ms: int) -> None:
        """Fire every boundary strictly before ``ts_ms``, in (boundary, registration) order."""
        while self._next_due < ts_ms:
            due = self._next_due
            for t in self._timers:  # registration order breaks ties
                if t.due_ms == due:
                    t.due_ms = due + t.period_ms
                    self.now_ms = due
                    t.callback(due)
            self._recompute_next_due()

    def advance(self) -> None:
        """Move engine time to the clock's now (never backwards), firing due timers."""
        now = self.clock.now_ms()
        if self.now_ms is None:
            self._start_time(now)
            return
        if now > self.now_ms:
            self._fire_until(now)
            self.now_ms = now

    # --- the one entry point -----------------------------------------------------------------
    def process(self, ev: Event) -> None:
        """Consume one event. Events must come in ``(ts_recv_ms, seq)`` order; one that is
        older than engine time is processed at engine time (its timestamps are kept)."""
        ts = ev.ts_recv_ms
        if self.now_ms is None:
            self._start_time(ts)
        elif ts > self._next_due:
            self._fire_until(ts)
        if ts > self.now_ms:
            self.now_ms = ts
        for tap in self._taps:
            tap(ev)
        for fn in self._dispatch[type(ev)]:
            fn(ev)
        self.events_processed += 1
