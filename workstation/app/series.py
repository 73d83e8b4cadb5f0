"""Time series for charts: every ``every_ms`` of session time, the fresh value (or NaN) of chosen
metrics of one stream, in growing numpy buffers. Engine thread only; other threads read a
:class:`~workstation.app.snapshot.SeriesView`: rows below its ``n`` are never written again,
because the buffers grow and trim into new arrays, never in place."""

from __future__ import annotations

import numpy as np

from workstation.app.snapshot import SeriesView
from workstation.engine.engine import Engine
from workstation.metrics.market import MarketMetrics


class SeriesRecorder:
    def __init__(
        self,
        engine: Engine,
        metrics: MarketMetrics,
        stream: tuple[str, str],
        names: tuple[str, ...],
        every_ms: int = 60_000,
        max_rows: int | None = None,
    ) -> None:
        """``max_rows``: keep at most this many samples (the oldest tenth goes when full), so a
        live run's memory stays bounded; None keeps everything (a replay is finite)."""
        self._metrics, self._stream, self.names = metrics, stream, names
        self.max_rows = max_rows
        self._n = 0
        self.ts_ms = np.empty(1024, dtype=np.int64)
        self.values = np.full((1024, len(names)), np.nan)
        engine.add_timer(every_ms, self._sample)

    def _sample(self, ts_ms: int) -> None:
        if self.max_rows is not None and self._n >= self.max_rows:
            drop = max(1, self.max_rows // 10)
            keep = self._n - drop
            ts, values = np.empty_like(self.ts_ms), np.full_like(self.values, np.nan)
            ts[:keep] = self.ts_ms[drop : self._n]
            values[:keep] = self.values[drop : self._n]
            self.ts_ms, self.values, self._n = ts, values, keep
        if self._n == len(self.ts_ms):
            self.ts_ms = np.resize(self.ts_ms, 2 * self._n)
            grown = np.full((2 * self._n, len(self.names)), np.nan)
            grown[: self._n] = self.values[: self._n]
            self.values = grown
        fresh = self._metrics.fresh_values.get(self._stream, {})
        self.ts_ms[self._n] = ts_ms
        self.values[self._n] = [fresh.get(n, np.nan) for n in self.names]
        self._n += 1

    def view(self) -> SeriesView:
        """The samples so far, for another thread (see the module docstring)."""
        return SeriesView(self.names, self.ts_ms, self.values, self._n)

    def column(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(times in seconds since the epoch, values) of one metric, copies."""
        j = self.names.index(name)
        return self.ts_ms[: self._n] / 1000.0, self.values[: self._n, j].copy()
