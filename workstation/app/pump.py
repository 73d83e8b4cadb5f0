"""The engine's side of the live feeds: takes drafts off the feed queue, stamps them, processes
them, and keeps time moving. Engine thread only.

Each draft gets ``ts_recv_ms`` = the live clock when the engine consumes it (never earlier than the
previous one, and never before the draft was final) and the next ``seq``: the recorder taps the
engine's input, so a recording is exactly what the engine saw, and replaying it walks the same
timer boundaries. Feed health becomes ``health`` output records, and a venue's connection going
down or coming back is noted in the recording (a venue that never had a connection, i.e. never
sent a valid message, is not "reconnected").
"""

from __future__ import annotations

import queue
from collections.abc import Callable

from workstation.core.clock import Clock
from workstation.core.records import HealthRecord
from workstation.engine.engine import Engine
from workstation.feeds.health import HealthBoard, VenueHealth


class LivePump:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        drafts: queue.SimpleQueue,
        health: HealthBoard,
        note: Callable[[int, str], None] | None = None,
        health_every_ms: int = 1000,
    ) -> None:
        self.engine, self.clock, self.drafts, self.health = engine, clock, drafts, health
        self._note = note
        self._seq = 0
        self._last_ts = 0
        self._health_every_ms = health_every_ms
        self._last_health_ms = 0
        self._connected: dict[str, bool] = {}
        self._had_data: set[str] = set()  # venues connected once: only they can reconnect
        # our clock minus the venue's event time, the freshest event of the last pump that had
        # any (bars are stamped with their open, so the minimum, not the last, is the lag)
        self.lag_ms: int | None = None

    def continue_from(self, other: LivePump) -> None:
        """Take over another pump's sequence and time (a new engine on the same feeds)."""
        self._seq, self._last_ts = other._seq, other._last_ts

    def _now(self) -> int:
        now = self.clock.now_ms()
        if now < self._last_ts:
            now = self._last_ts  # the wall clock stepped back: time still only moves forward
        return now

    def stamp(self) -> tuple[int, int]:
        """The next (ts_recv_ms, seq) of this pump's sequence, for an event it did not queue
        (a user command, the book written at a recording's start)."""
        ts = self._now()
        self._last_ts = ts
        self._seq += 1
        return ts, self._seq

    def pump(self, max_events: int = 10_000, wait_s: float = 0.0) -> int:
        """Process the drafts waiting (at most ``max_events``), then advance engine time."""
        n, freshest = 0, 0
        while n < max_events:
            try:
                draft = (
                    self.drafts.get(timeout=wait_s)
                    if (n == 0 and wait_s)
                    else self.drafts.get_nowait()
                )
            except queue.Empty:
                break
            ts = max(
                self._now(), draft.ts_final_ms if draft.ts_final_ms <= self._now() else self._now()
            )
            self._last_ts = ts
            self._seq += 1
            self.engine.process(draft.build(ts, self._seq))
            lag = ts - draft.ts_event_ms
            freshest = lag if n == 0 else min(freshest, lag)
            n += 1
        if n:
            self.lag_ms = freshest
        self._last_ts = max(self._last_ts, self._now())
        self.engine.advance()
        self._report_health()
        return n

    def _report_health(self) -> None:
        now = self._last_ts
        if now - self._last_health_ms < self._health_every_ms:
            return
        self._last_health_ms = now
        for venue, h in sorted(self.health.snapshot().items()):
            self.engine.emit(self._record(now, h))
            was = self._connected.get(venue)
            if was is not None and was != h.connected and venue in self._had_data and self._note:
                self._note(
                    now,
                    f"{venue} {'reconnected' if h.connected else 'disconnected'}"
                    + (f": {h.last_error}" if h.last_error and not h.connected else ""),
                )
            self._connected[venue] = h.connected
            if h.connected:
                self._had_data.add(venue)

    @staticmethod
    def _record(now: int, h: VenueHealth) -> HealthRecord:
        return HealthRecord(
            ts_ms=now,
            venue=h.venue,
            connected=h.connected,
            age_ms=None if h.last_message_ms is None else max(0, now - h.last_message_ms),
            reconnects=h.reconnects,
            errors=h.errors,
            dropped_payloads=h.dropped_payloads,
            rest_backoff_s=h.rest_backoff_s,
            last_error=h.last_error,
        )
