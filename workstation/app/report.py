"""Periodic ``metrics`` output records: every ``every_ms`` of session time, one record per
(venue, symbol) in sorted order with the latest value of each metric (names in
:mod:`workstation.metrics.latest`). Engine thread only."""

from __future__ import annotations

from typing import Protocol

from workstation.core.records import MetricsRecord
from workstation.engine.engine import Engine
from workstation.metrics.latest import LatestValues
from workstation.metrics.market import AGG


class _Staleness(Protocol):
    warming: dict[tuple[str, str], dict[str, float]]
    partial: dict[str, list[str]]

    def stale_names(self, venue: str, symbol: str, now_ms: int) -> list[str]: ...

    def liq_lacking(self, venue: str, symbol: str) -> tuple[str, ...]: ...


class MetricsReporter:
    """Emits a :class:`MetricsRecord` per stream (its ``stale`` lists metrics past their
    staleness limit, values kept; ``liq_lacking`` the venues whose liquidations it lacks)."""

    def __init__(
        self, engine: Engine, latest: LatestValues, every_ms: int, staleness: _Staleness
    ) -> None:
        self._engine = engine
        self._latest = latest
        self._staleness = staleness
        engine.add_timer(every_ms, self._on_boundary)

    def _on_boundary(self, ts_ms: int) -> None:
        values = self._latest.values
        for venue, symbol in sorted(values):
            self._engine.emit(
                MetricsRecord(
                    ts_ms=ts_ms,
                    venue=venue,
                    symbol=symbol,
                    values=values[(venue, symbol)],
                    stale=tuple(self._staleness.stale_names(venue, symbol, ts_ms)),
                    warming=self._staleness.warming.get((venue, symbol), {}),
                    missing=tuple(self._staleness.partial.get(symbol, ())) if venue == AGG else (),
                    liq_lacking=self._staleness.liq_lacking(venue, symbol),
                )
            )
