"""Market-structure metrics, incremental, per (venue, symbol) and aggregated per symbol.

Definitions are those of ../shared/DOMAIN.md section 1. Values are written into the engine's
snapshot store (:class:`workstation.metrics.latest.LatestValues`) with the receive time of the input
they came from, so every metric carries its age; past its staleness limit it is STALE. The
aggregate stream of a symbol has ``venue = "all"``: OI and liquidations summed in USD over the
venues whose data is fresh (``partial`` lists the ones left out), funding OI-weighted, basis and
premium averaged, skew from the options venue. Liquidation metrics are as fresh as the
liquidation feed: a polled one says so with :class:`FeedAlive` events (an OKX poll that fails
while marks flow goes stale, not fresh zeros); a websocket one is judged by the venue's marks.
Realized vol and liquidation intensity are "warming up" (:attr:`MarketMetrics.warming`, no
value) until their window is covered.

Names, units, definitions and staleness limits: :mod:`workstation.metrics.catalogue` (the
``all`` stream carries the same names where they make sense).

Engine thread only.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workstation.core.events import (
    Bar1m,
    FeedAlive,
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
from workstation.metrics.catalogue import CATALOGUE, staleness_ms
from workstation.metrics.latest import LatestValues
from workstation.metrics.skew import chain_skew
from workstation.metrics.windows import (
    HOUR_MS,
    MINUTE_MS,
    HourlyBuckets,
    MinuteHistory,
    RollingStdev,
    WindowSum,
)

AGG = "all"
DAY_MS = 86_400_000
ANNUALISE_MINUTE = math.sqrt(365 * 1440)
RV_MIN_COVERAGE = 0.9  # realized vol is published once 90% of its window's minutes hold a return
PERP_PRIORITY = ("binance", "bybit", "okx")


@dataclass
class MetricsConfig:
    """Tunables of the metrics (the ``[metrics]`` and ``[staleness_s]`` tables of a rules file)."""

    liq_baseline_hours: int = 168
    liq_baseline_min_hours: int = 6
    liq_baseline_floor_usd: float = 250_000.0
    swing_bars: int = 2
    # [staleness_s]: metric name or name prefix -> seconds, over the catalogue's limits
    staleness_s: dict[str, float] = field(default_factory=dict)

    def limit_ms(self, name: str) -> float:
        """The staleness limit of metric ``name`` in ms (:func:`catalogue.staleness_ms`), cached."""
        cache = self.__dict__.setdefault("_limit_cache", {})
        hit = cache.get(name)
        if hit is None:
            hit = cache[name] = staleness_ms(name, self.staleness_s)
        return hit


class _Structure:
    """Hourly bars of the mark and their confirmed swing points (fractals, n bars each side)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.hour: int | None = None
        self.high = self.low = 0.0
        self.bars: deque[tuple[int, float, float]] = deque(maxlen=2 * n + 1)
        self.swing_lows: deque[float] = deque(maxlen=2)
        self.swing_highs: deque[float] = deque(maxlen=2)

    def update(self, ts_ms: int, price: float) -> None:
        hour = ts_ms // HOUR_MS
        if hour != self.hour:
            if self.hour is not None:
                self.bars.append((self.hour, self.high, self.low))
                self._pivots()
            self.hour, self.high, self.low = hour, price, price
        else:
            self.high = max(self.high, price)
            self.low = min(self.low, price)

    def _pivots(self) -> None:
        if len(self.bars) < 2 * self.n + 1:
            return
        mid = self.bars[self.n]
        others = [b for i, b in enumerate(self.bars) if i != self.n]
        if all(mid[2] < b[2] for b in others):
            self.swing_lows.append(mid[2])
        if all(mid[1] > b[1] for b in others):
            self.swing_highs.append(mid[1])


class _Stream:
    """Everything kept for one (venue, symbol)."""

    def __init__(self, cfg: MetricsConfig) -> None:
        self.oi = MinuteHistory(25 * HOUR_MS)
        self.px = MinuteHistory(25 * HOUR_MS)
        self.liq_long_1m = WindowSum(MINUTE_MS)
        self.liq_short_1m = WindowSum(MINUTE_MS)
        self.liq_long_1h = WindowSum(HOUR_MS)
        self.liq_short_1h = WindowSum(HOUR_MS)
        self.liq_long_hourly = HourlyBuckets(cfg.liq_baseline_hours)
        self.rv = {"1h": RollingStdev(60), "24h": RollingStdev(1440), "7d": RollingStdev(10080)}
        self.minute: int | None = None
        self.minute_last: float | None = None
        self.prev_minute_close: float | None = None
        self.structure = _Structure(cfg.swing_bars)
        self.mark_ts = -(2**62)
        self.has_mark = False  # without a mark feed, 1-minute bar closes are the price
        # The last time a polled liquidation feed answered (FeedAlive, or a liquidation after
        # one): its liquidation metrics are as fresh as that. None: a feed that says nothing
        # when quiet (a websocket), judged by the venue's marks.
        self.liq_alive_ts: int | None = None


class MarketMetrics:
    """Computes the metrics; writes them into ``store``. Per event it updates its windows; the
    pipeline calls :meth:`tick` at every ``eval_ms`` boundary of engine time, which evaluates when
    an event arrived since the last evaluation, or when idle for ``idle_eval_ms``. Pure of the
    engine: it never schedules anything itself. Engine thread only."""

    def __init__(
        self,
        store: LatestValues,
        cfg: MetricsConfig | None = None,
        eval_ms: int = 1000,
        idle_eval_ms: int = 15_000,
    ) -> None:
        self.cfg = cfg or MetricsConfig()
        self._limits: dict[str, float] = {}
        self._dirty = False
        # Without events, evaluate often enough that a feed stopping is noticed within half of the
        # smallest staleness limit (at most every idle_eval_ms, at least every eval_ms).
        half_limit_ms = int(min(self.cfg.limit_ms(name) for name in CATALOGUE) / 2)
        self._idle_eval_ms = max(eval_ms, min(idle_eval_ms, half_limit_ms))
        self._last_eval = -(2**62)
        self.store = store
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._symbols: set[str] = set()
        # Venues with a liquidation feed (one seen): elsewhere "no liquidations" is unknown, not 0.
        self._liq_venues: set[str] = set()
        self.partial: dict[str, list[str]] = {}  # symbol -> venues left out of the aggregate
        self._liq_lacking: dict[str, tuple[str, ...]] = {}  # symbol -> perp venues without liqs
        # After each evaluation: per stream, the metrics within their staleness limit, and the
        # metrics still warming up (their window not yet covered: a state, not a number) with
        # the share of it covered so far (0..1).
        self.fresh_values: dict[tuple[str, str], dict[str, float]] = {}
        self.warming: dict[tuple[str, str], dict[str, float]] = {}

    def handlers(self) -> dict[type, Callable[[Any], None]]:
        return {
            MarkPrice: self._mark,
            OpenInterest: self._oi,
            Liquidation: self._liq,
            OptionChain: self._chain,
            FuturePrice: self._future,
            Volume24h: self._volume,
            Bar1m: self._bar,
            LongShortRatio: self._noop,
            FundingRate: self._funding,
            PremiumIndex: self._premium,
            VolIndex: self._noop,
            FeedAlive: self._alive,
        }

    # --- per event ------------------------------------------------------------------------------
    def _stream(self, venue: str, symbol: str) -> _Stream:
        self._dirty = True
        key = (venue, symbol)
        st = self._streams.get(key)
        if st is None:
            st = self._streams[key] = _Stream(self.cfg)
            if venue != AGG:
                self._symbols.add(symbol)
                self._stream(AGG, symbol)
        return st

    def _noop(self, ev: Any) -> None:
        self._stream(ev.venue, ev.symbol)

    def _put(self, venue: str, symbol: str, ts: int, name: str, value: float | None) -> None:
        vals, upd = self.store.slot((venue, symbol))
        if value is None:
            vals.pop(name, None)
            upd.pop(name, None)
        else:
            vals[name] = value
            upd[name] = ts

    def _price(self, st: _Stream, ts_event: int, ts_recv: int, price: float) -> None:
        """A price of the stream: history, hourly structure, and 1-minute returns."""
        st.mark_ts = ts_recv
        st.px.update(ts_recv, price)
        st.structure.update(ts_event, price)
        minute = ts_event // MINUTE_MS
        if st.minute is None:
            st.minute = minute
        elif minute != st.minute:  # the last price of each minute closes it
            if st.prev_minute_close is not None and st.minute_last:
                r = math.log(st.minute_last / st.prev_minute_close)
                for w in st.rv.values():
                    w.add(minute, r)
            st.prev_minute_close = st.minute_last
            st.minute = minute
        st.minute_last = price

    def _funding_metrics(self, key: tuple[str, str], ts: int, rate: float, hours: float) -> None:
        vals, upd = self.store.slot(key)
        vals["funding_rate_pct"] = rate * 100.0
        vals["funding_rate_8h_pct"] = rate * (8.0 / hours) * 100.0
        vals["funding_apr_pct"] = rate * (24.0 / hours) * 365.0 * 100.0
        upd["funding_rate_pct"] = upd["funding_rate_8h_pct"] = upd["funding_apr_pct"] = ts

    def _mark(self, ev: MarkPrice) -> None:
        st = self._stream(ev.venue, ev.symbol)
        st.has_mark = True
        self._price(st, ev.ts_event_ms, ev.ts_recv_ms, ev.mark_price_usd)
        if ev.funding_rate is not None and ev.funding_interval_h:
            self._funding_metrics(
                (ev.venue, ev.symbol), ev.ts_recv_ms, ev.funding_rate, ev.funding_interval_h
            )
        if ev.index_price_usd:
            vals, upd = self.store.slot((ev.venue, ev.symbol))
            vals["premium_bp"] = (ev.mark_price_usd / ev.index_price_usd - 1.0) * 1e4
            upd["premium_bp"] = ev.ts_recv_ms

    def _bar(self, ev: Bar1m) -> None:
        """Bars are the price of a stream that has no mark feed (imported klines): the close,
        at the bar's end, stands as the stream's price."""
        st = self._stream(ev.venue, ev.symbol)
        if st.has_mark:
            return
        self._price(st, ev.ts_event_ms + MINUTE_MS - 1, ev.ts_recv_ms, ev.close_usd)
        vals, upd = self.store.slot((ev.venue, ev.symbol))
        vals["mark_price"] = ev.close_usd
        upd["mark_price"] = ev.ts_recv_ms

    def _funding(self, ev: FundingRate) -> None:
        self._stream(ev.venue, ev.symbol)
        if ev.funding_interval_h:
            self._funding_metrics(
                (ev.venue, ev.symbol), ev.ts_recv_ms, ev.funding_rate, ev.funding_interval_h
            )

    def _premium(self, ev: PremiumIndex) -> None:
        self._stream(ev.venue, ev.symbol)
        vals, upd = self.store.slot((ev.venue, ev.symbol))
        vals["premium_bp"] = ev.premium_index * 1e4
        upd["premium_bp"] = ev.ts_recv_ms

    def _oi(self, ev: OpenInterest) -> None:
        self._stream(ev.venue, ev.symbol).oi.update(ev.ts_recv_ms, ev.oi_coin)

    def _alive(self, ev: FeedAlive) -> None:
        st = self._stream(ev.venue, ev.symbol)
        if ev.channel == "liquidations":
            self._liq_venues.add(ev.venue)
            st.liq_alive_ts = ev.ts_recv_ms

    def _liq(self, ev: Liquidation) -> None:
        self._liq_venues.add(ev.venue)
        st = self._stream(ev.venue, ev.symbol)
        if st.liq_alive_ts is not None:
            st.liq_alive_ts = max(st.liq_alive_ts, ev.ts_recv_ms)
        for venue in (ev.venue, AGG):
            st = self._stream(venue, ev.symbol)
            ts = ev.ts_event_ms
            if ev.side == "long":
                st.liq_long_1m.add(ts, ev.notional_usd)
                st.liq_long_1h.add(ts, ev.notional_usd)
                st.liq_long_hourly.add(ts, ev.notional_usd)
            else:
                st.liq_short_1m.add(ts, ev.notional_usd)
                st.liq_short_1h.add(ts, ev.notional_usd)

    def _chain(self, ev: OptionChain) -> None:
        self._stream(ev.venue, ev.symbol)
        res = chain_skew(ev.quotes, ev.ts_event_ms)
        ts = ev.ts_recv_ms
        self._put(ev.venue, ev.symbol, ts, "skew_25d_30d_volpts", res.skew_25d_30d_volpts)
        self._put(ev.venue, ev.symbol, ts, "atm_iv_30d_pct", res.atm_iv_30d_pct)

    def _future(self, ev: FuturePrice) -> None:
        self._stream(ev.venue, ev.symbol)
        days = (ev.expiry_ts_ms - ev.ts_event_ms) / DAY_MS
        if days < 1.0 or ev.index_price_usd <= 0:
            return  # annualising the last day's basis only amplifies noise
        basis = (ev.future_price_usd / ev.index_price_usd - 1.0) * 365.0 / days * 100.0
        self._put(ev.venue, ev.symbol, ev.ts_recv_ms, "basis_apr_pct", basis)

    def _volume(self, ev: Volume24h) -> None:
        self._stream(ev.venue, ev.symbol)
        vals = self.store.values.get((ev.venue, ev.symbol), {})
        spot, perp = vals.get("spot_volume_usd_24h"), vals.get("perp_volume_usd_24h")
        if spot is not None and perp:
            self._put(ev.venue, ev.symbol, ev.ts_recv_ms, "spot_perp_volume_ratio", spot / perp)

    # --- per evaluation tick ----------------------------------------------------------------------
    def fresh(self, venue: str, symbol: str, name: str, now_ms: int) -> bool:
        """True when the metric exists and is within its staleness limit."""
        ts = self.store.updated_ms.get((venue, symbol), {}).get(name)
        return ts is not None and now_ms - ts <= self.cfg.limit_ms(name)

    def liq_lacking(self, venue: str, symbol: str) -> tuple[str, ...]:
        """The perp venues whose liquidations a stream lacks (absent, not zero): for ``all``, its
        venues with no liquidation feed (Hyperliquid publishes none); for a venue, itself."""
        if venue == AGG:
            return self._liq_lacking.get(symbol, ())
        st = self._streams.get((venue, symbol))
        return (venue,) if st is not None and st.has_mark and venue not in self._liq_venues else ()

    def stale_names(self, venue: str, symbol: str, now_ms: int) -> list[str]:
        upd = self.store.updated_ms.get((venue, symbol), {})
        return sorted(n for n, ts in upd.items() if now_ms - ts > self.cfg.limit_ms(n))

    def _fresh_dict(self, key: tuple[str, str], now: int) -> dict[str, float]:
        vals = self.store.values.get(key, {})
        upd = self.store.updated_ms.get(key, {})
        limits = self._limits
        for n in upd.keys() - limits.keys():
            limits[n] = self.cfg.limit_ms(n)
        return {n: vals[n] for n, ts in upd.items() if now - ts <= limits[n]}

    def tick(self, now_ms: int) -> bool:
        """At an evaluation boundary: evaluate if an event arrived since the last evaluation;
        when idle, every ``idle_eval_ms`` (windows decay and data goes stale without events too).
        Returns whether it evaluated (then :attr:`fresh_values` is new)."""
        if self._dirty or now_ms - self._last_eval >= self._idle_eval_ms:
            self._dirty = False
            self._last_eval = now_ms
            self._evaluate(now_ms)
            return True
        return False

    def _evaluate(self, now_ms: int) -> None:
        """Windows per stream, then the fresh view of each stream, then the aggregates."""
        fresh: dict[tuple[str, str], dict[str, float]] = {}
        self.warming = {}
        for key, st in sorted(self._streams.items()):
            if key[0] != AGG:
                self._evaluate_stream(key, st, now_ms)
                fresh[key] = self._fresh_dict(key, now_ms)
        for symbol in sorted(self._symbols):
            self._aggregate(symbol, now_ms, fresh)
            fresh[(AGG, symbol)] = self._fresh_dict((AGG, symbol), now_ms)
        self.fresh_values = fresh

    @staticmethod
    def _set(vals: dict, upd: dict, name: str, value: float | None, ts: int) -> None:
        if value is None:
            vals.pop(name, None)
            upd.pop(name, None)
        else:
            vals[name] = value
            upd[name] = ts

    def _changes(
        self,
        vals: dict,
        upd: dict,
        prefix: str,
        hist: MinuteHistory,
        latest: float,
        now: int,
        ts: int,
    ) -> None:
        """``<prefix>_{1h,4h,24h}_pct``: % change of ``latest`` against the history's value a window ago."""
        for label, w in _WINDOWS:
            past = hist.at(now - w)
            self._set(
                vals,
                upd,
                f"{prefix}_{label}_pct",
                (latest / past - 1.0) * 100.0 if past else None,
                ts,
            )

    def _evaluate_stream(self, key: tuple[str, str], st: _Stream, now: int) -> None:
        vals, upd = self.store.slot(key)
        put = self._set
        oi_now = st.oi.latest()
        if oi_now is not None:
            self._changes(vals, upd, "oi_change", st.oi, oi_now, now, upd.get("oi_coin", now))
        px_now = st.px.latest()
        if px_now is None:
            return
        ts = st.mark_ts
        self._changes(vals, upd, "price_change", st.px, px_now, now, ts)
        warming = self.warming.setdefault(key, {})
        for label, roll in st.rv.items():
            covered = roll.coverage >= RV_MIN_COVERAGE
            sd = roll.stdev() if covered else None
            if not covered:
                warming[f"rv_{label}_pct"] = roll.coverage
            put(
                vals,
                upd,
                f"rv_{label}_pct",
                None if sd is None else sd * ANNUALISE_MINUTE * 100.0,
                ts,
            )
        put(vals, upd, "price_structure_score", self._structure_score(st, px_now), ts)
        lows, highs = st.structure.swing_lows, st.structure.swing_highs
        put(vals, upd, "swing_low_usd", lows[-1] if lows else None, ts)
        put(vals, upd, "swing_high_usd", highs[-1] if highs else None, ts)
        if key[0] in self._liq_venues:  # as fresh as the liquidation feed (or the venue's)
            self._put_liqs(vals, upd, st, now, _liq_ts(st), warming)

    def _put_liqs(
        self, vals: dict, upd: dict, st: _Stream, now: int, ts: int, warming: dict[str, float]
    ) -> None:
        put = self._set
        put(vals, upd, "liq_long_usd_1m", st.liq_long_1m.expire(now), ts)
        put(vals, upd, "liq_short_usd_1m", st.liq_short_1m.expire(now), ts)
        long_1h = st.liq_long_1h.expire(now)
        put(vals, upd, "liq_long_usd_1h", long_1h, ts)
        put(vals, upd, "liq_short_usd_1h", st.liq_short_1h.expire(now), ts)
        st.liq_long_hourly.advance(now)
        median = st.liq_long_hourly.median()
        hours = st.liq_long_hourly.completed_hours
        base = None
        if median is not None and hours >= self.cfg.liq_baseline_min_hours:
            base = max(median, self.cfg.liq_baseline_floor_usd)
        else:
            warming["liq_intensity_x"] = (
                hours / self.cfg.liq_baseline_min_hours
            )  # share of the hours it needs
        put(vals, upd, "liq_median_usd_1h", None if base is None else median, ts)
        put(vals, upd, "liq_baseline_usd_1h", base, ts)
        put(vals, upd, "liq_intensity_x", None if base is None else long_1h / base, ts)

    @staticmethod
    def _structure_score(st: _Stream, price: float) -> float:
        """−1: lower lows (price under the last swing low, a lower low in the making, or the last
        two swing lows descending); +1: higher lows and higher highs with price holding above the
        last swing low; 0 otherwise (a range, or not enough swings yet)."""
        lows, highs = st.structure.swing_lows, st.structure.swing_highs
        if (lows and price < lows[-1]) or (len(lows) == 2 and lows[1] < lows[0]):
            return -1.0
        if len(lows) == 2 and len(highs) == 2 and lows[1] > lows[0] and highs[1] > highs[0]:
            return 1.0
        return 0.0

    def _aggregate(
        self, symbol: str, now: int, fresh: dict[tuple[str, str], dict[str, float]]
    ) -> None:
        """The ``all`` stream: sums and weighted means over venues with fresh data, stamped with
        the oldest input they use (so that they go stale with it)."""
        venues = [v for (v, s) in fresh if s == symbol]
        f = {v: fresh[(v, symbol)] for v in venues}
        src_upd = {v: self.store.updated_ms[(v, symbol)] for v in venues}
        vals, upd = self.store.slot((AGG, symbol))
        put = self._set
        perp = [
            v
            for v in venues
            if "oi_coin" in self.store.values[(v, symbol)]
            or "mark_price" in self.store.values[(v, symbol)]
        ]
        with_oi = [v for v in perp if "oi_coin" in f[v]]
        self.partial[symbol] = [v for v in perp if v not in with_oi]
        if with_oi:
            ts = min(src_upd[v]["oi_coin"] for v in with_oi)
            put(vals, upd, "oi_coin", sum(f[v]["oi_coin"] for v in with_oi), ts)
            put(vals, upd, "oi_usd", sum(f[v]["oi_usd"] for v in with_oi), ts)
            streams = [self._streams[(v, symbol)].oi for v in with_oi]
            for label, w in _WINDOWS:
                pairs = [(h.latest(), h.at(now - w)) for h in streams]
                pairs = [(a, b) for a, b in pairs if a is not None and b]
                value = (
                    (sum(a for a, _ in pairs) / sum(b for _, b in pairs) - 1) * 100
                    if pairs
                    else None
                )
                put(vals, upd, f"oi_change_{label}_pct", value, ts)
        # Mark-driven metrics: from the first fresh perp venue by priority (the median for prices).
        ordered = [v for v in PERP_PRIORITY if v in perp and "mark_price" in f[v]]
        ordered += [v for v in perp if v not in PERP_PRIORITY and "mark_price" in f[v]]
        if ordered:
            lead = ordered[0]
            ts = src_upd[lead]["mark_price"]
            for name in ("mark_price", "index_price"):
                prices = [f[v][name] for v in ordered if name in f[v]]
                put(vals, upd, name, _median(prices) if prices else None, ts)
            for name in _LEAD_NAMES:
                put(vals, upd, name, f[lead].get(name), ts)
            warming = self.warming.setdefault((AGG, symbol), {})
            for name in ("rv_1h_pct", "rv_24h_pct", "rv_7d_pct"):
                rvs = [f[v][name] for v in ordered if name in f[v]]
                put(vals, upd, name, _median(rvs) if rvs else None, ts)
                shares = [self.warming.get((v, symbol), {}).get(name) for v in ordered]
                shares = [x for x in shares if x is not None]
                if not rvs and shares:
                    warming[name] = max(shares)
            weights = [(f[v].get("oi_usd", 0.0), v) for v in ordered]
            for name in ("funding_rate_8h_pct", "funding_apr_pct", "premium_bp"):
                have = [(w, v) for w, v in weights if name in f[v]]
                if not have:
                    continue
                tw = sum(w for w, _ in have)
                value = (
                    sum(w * f[v][name] for w, v in have) / tw
                    if tw > 0
                    else sum(f[v][name] for _, v in have) / len(have)
                )
                put(vals, upd, name, value, ts)
            self._liq_lacking[symbol] = tuple(v for v in ordered if v not in self._liq_venues)
            liq = [v for v in ordered if v in self._liq_venues]
            if liq:  # as old as the oldest liquidation feed in it
                ts_liq = min(_liq_ts(self._streams[(v, symbol)]) for v in liq)
                self._put_liqs(vals, upd, self._streams[(AGG, symbol)], now, ts_liq, warming)
        for name in (
            "basis_apr_pct",
            "skew_25d_30d_volpts",
            "atm_iv_30d_pct",
            "dvol_pct",
            "long_short_ratio",
        ):
            src = [v for v in venues if name in f[v]]
            if src:
                ts = min(src_upd[v][name] for v in src)
                put(vals, upd, name, sum(f[v][name] for v in src) / len(src), ts)
        spot_src = [v for v in venues if "spot_volume_usd_24h" in f[v]]
        perp_src = [v for v in venues if "perp_volume_usd_24h" in f[v]]
        perp_vol = sum(f[v]["perp_volume_usd_24h"] for v in perp_src)
        if spot_src and perp_vol > 0:
            ts = min(
                [src_upd[v]["spot_volume_usd_24h"] for v in spot_src]
                + [src_upd[v]["perp_volume_usd_24h"] for v in perp_src]
            )
            spot = sum(f[v]["spot_volume_usd_24h"] for v in spot_src)
            put(vals, upd, "spot_perp_volume_ratio", spot / perp_vol, ts)


def _liq_ts(st: _Stream) -> int:
    """When a stream's liquidation data was last known current."""
    return st.mark_ts if st.liq_alive_ts is None else st.liq_alive_ts


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else 0.5 * (xs[mid - 1] + xs[mid])


_WINDOWS = (("1h", HOUR_MS), ("4h", 4 * HOUR_MS), ("24h", DAY_MS))
_LEAD_NAMES = ("price_change_1h_pct", "price_change_4h_pct", "price_change_24h_pct",
               "price_structure_score", "swing_low_usd", "swing_high_usd")  # fmt: skip
