"""Latest raw values per (venue, symbol), with the time each was last updated.

The names it writes (``derived=False`` there), their units and definitions:
:mod:`workstation.metrics.catalogue`.

Engine thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workstation.core.events import (
    Bar1m,
    FundingRate,
    FuturePrice,
    Liquidation,
    LongShortRatio,
    MarkPrice,
    OpenInterest,
    OptionChain,
    PremiumIndex,
    VolIndex,
    Volume24h,
)

Key = tuple[str, str]


class LatestValues:
    """The newest value of each raw series, and ``updated_ms[key][name]`` (ts_recv_ms)."""

    def __init__(self) -> None:
        self.values: dict[Key, dict[str, float]] = {}
        self.updated_ms: dict[Key, dict[str, int]] = {}

    def handlers(self) -> dict[type, Callable[[Any], None]]:
        return {
            MarkPrice: self._mark,
            OpenInterest: self._oi,
            Bar1m: self._bar,
            Liquidation: self._liq,
            OptionChain: self._chain,
            FuturePrice: self._future,
            LongShortRatio: self._ls,
            Volume24h: self._volume,
            FundingRate: self._funding,
            PremiumIndex: self._premium,
            VolIndex: self._vol_index,
        }

    def slot(self, key: Key) -> tuple[dict[str, float], dict[str, int]]:
        """The (values, updated_ms) dicts of ``key``, created on first use."""
        vals = self.values.get(key)
        if vals is None:
            vals = self.values[key] = {}
            self.updated_ms[key] = {}
        return vals, self.updated_ms[key]

    # One handler per kind, plain assignments: this runs for every event.
    def _mark(self, ev: MarkPrice) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        ts = ev.ts_recv_ms
        vals["mark_price"] = ev.mark_price_usd
        upd["mark_price"] = ts
        if ev.index_price_usd is not None:
            vals["index_price"] = ev.index_price_usd
            upd["index_price"] = ts
        if ev.funding_rate is not None and ev.funding_interval_h is not None:
            vals["funding_rate"] = ev.funding_rate
            vals["funding_interval_h"] = ev.funding_interval_h
            upd["funding_rate"] = upd["funding_interval_h"] = ts
        if ev.next_funding_ts_ms is not None:
            vals["next_funding_ts_ms"] = ev.next_funding_ts_ms
            upd["next_funding_ts_ms"] = ts

    def _oi(self, ev: OpenInterest) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        vals["oi_coin"] = ev.oi_coin
        vals["oi_usd"] = ev.oi_usd
        upd["oi_coin"] = upd["oi_usd"] = ev.ts_recv_ms

    def _bar(self, ev: Bar1m) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        vals["close"] = ev.close_usd
        vals["bar_volume_coin"] = ev.volume_coin
        upd["close"] = upd["bar_volume_coin"] = ev.ts_recv_ms

    def _liq(self, ev: Liquidation) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        name = "liq_long_usd_total" if ev.side == "long" else "liq_short_usd_total"
        vals[name] = vals.get(name, 0.0) + ev.notional_usd
        upd[name] = ev.ts_recv_ms

    def _chain(self, ev: OptionChain) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        vals["option_quotes"] = len(ev.quotes)
        upd["option_quotes"] = ev.ts_recv_ms

    def _future(self, ev: FuturePrice) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        vals["future_price"] = ev.future_price_usd
        vals["future_expiry_ts_ms"] = ev.expiry_ts_ms
        upd["future_price"] = upd["future_expiry_ts_ms"] = ev.ts_recv_ms

    def _ls(self, ev: LongShortRatio) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        vals["long_short_ratio"] = ev.long_short_ratio
        upd["long_short_ratio"] = ev.ts_recv_ms

    def _volume(self, ev: Volume24h) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        name = "spot_volume_usd_24h" if ev.market == "spot" else "perp_volume_usd_24h"
        vals[name] = ev.volume_usd_24h
        upd[name] = ev.ts_recv_ms

    def _funding(self, ev: FundingRate) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        vals["funding_rate"] = ev.funding_rate
        upd["funding_rate"] = ev.ts_recv_ms
        if ev.funding_interval_h is not None:
            vals["funding_interval_h"] = ev.funding_interval_h
            upd["funding_interval_h"] = ev.ts_recv_ms

    def _premium(self, ev: PremiumIndex) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        vals["premium_index"] = ev.premium_index
        upd["premium_index"] = ev.ts_recv_ms

    def _vol_index(self, ev: VolIndex) -> None:
        vals, upd = self.slot((ev.venue, ev.symbol))
        vals["dvol_pct"] = ev.close_pct
        upd["dvol_pct"] = ev.ts_recv_ms
