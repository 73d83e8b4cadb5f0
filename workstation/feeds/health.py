"""Feed health per venue: connection, age of the last message, reconnects, errors.

Written by the feed thread, read (as snapshots) by the engine thread: every field is replaced
whole under a lock. Times are wall ms (the feed's own clock).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class VenueHealth:
    venue: str
    connected: bool = False
    last_message_ms: int | None = None
    reconnects: int = 0
    errors: int = 0
    dropped_payloads: int = 0
    last_error: str = ""
    rest_backoff_s: float = 0.0  # current extra delay of the REST poller (429/418, weight)


@dataclass
class HealthBoard:
    venues: dict[str, VenueHealth] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, venue: str, **changes: object) -> None:
        with self._lock:
            cur = self.venues.get(venue) or VenueHealth(venue)
            self.venues[venue] = replace(cur, **changes)

    def bump(self, venue: str, name: str, by: int = 1) -> None:
        with self._lock:
            cur = self.venues.get(venue) or VenueHealth(venue)
            self.venues[venue] = replace(cur, **{name: getattr(cur, name) + by})

    def snapshot(self) -> dict[str, VenueHealth]:
        with self._lock:
            return dict(self.venues)
