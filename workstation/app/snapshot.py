"""What the engine thread publishes for readers on other threads: one immutable :class:`Snapshot`
of the engine's state after its latest work, and a :class:`SeriesView` onto the chart series.

Both are safe to read from any thread: a snapshot holds copies (or read-only proxies of copies),
and a series view names an array prefix the engine thread never writes again (its buffers grow
and trim by allocating new arrays, see :class:`workstation.app.series.SeriesRecorder`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from workstation.core.records import ChecklistRecord, HealthRecord
from workstation.risk.book_state import BookRisk

EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class SeriesView:
    """The first ``n`` samples of the chart series (ts in ms, one value column per name)."""

    names: tuple[str, ...]
    ts_ms: np.ndarray
    values: np.ndarray
    n: int

    def column(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(times in seconds since the epoch, values) of one metric, fresh arrays."""
        j = self.names.index(name)
        return self.ts_ms[: self.n] / 1000.0, self.values[: self.n, j].copy()


@dataclass(frozen=True)
class LadderView:
    """The leverage ladder for the watched symbol and one side: the allowed maximum and why."""

    max_leverage: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    """The engine's state after its latest work, for the watched ``symbol``.

    ``ts_ms`` is engine time (session time in a replay, the live clock live); ``generation``
    counts engine rebuilds (a backward seek, another session, new rules in a replay): records of
    an older generation belong to a log that was replaced. ``fresh`` holds the aggregate (all
    venues) metrics within their staleness limit and ``ages_ms`` their age at ``ts_ms``.
    """

    generation: int
    symbol: str
    ts_ms: int
    events_processed: int
    fresh: Mapping[str, float] = field(default_factory=lambda: EMPTY)
    ages_ms: Mapping[str, int] = field(default_factory=lambda: EMPTY)
    # the latest checklist record and ladder of the symbol, by side ("long", "short")
    verdicts: Mapping[str, ChecklistRecord] = field(default_factory=lambda: EMPTY)
    ladders: Mapping[str, LadderView] = field(default_factory=lambda: EMPTY)
    active_inputs: frozenset[str] = frozenset()
    active_alerts: frozenset[tuple[str, str, str]] = frozenset()  # (rule id, venue, symbol)
    warming: Mapping[str, float] = field(default_factory=lambda: EMPTY)  # name -> share covered
    stale: frozenset[str] = frozenset()  # aggregate metrics seen, now past their staleness limit
    missing_venues: tuple[str, ...] = ()  # venues the aggregate leaves out (their data is stale)
    rv_annual_pct: float | None = None  # the ladder's realized-vol metric, None when stale
    alerts_fired: int = 0  # active alerts since the engine was built
    health: Mapping[str, HealthRecord] = field(default_factory=lambda: EMPTY)  # per venue
    series: SeriesView | None = None
    positions: BookRisk | None = None  # every open position's risk and the stress, None: no book
    positions_ts_ms: int | None = None  # the engine time that risk was computed at
    # replay
    start_ms: int | None = None
    end_ms: int | None = None
    playing: bool = False
    finished: bool = False
    speed: float | None = None
    # live
    lag_ms: int | None = None
    backlog: int = 0
    recording: Mapping[str, Any] | None = None  # {"path", "count"} while recording
