"""The scenario simulator: a seeded model of perp venues and an option venue following a script.

It is not a replay of anyone's data. Per symbol it draws one market path (log price pinned to the
scenario's anchors by a Brownian bridge with fat-tailed steps), then per venue: mark/index/funding
and open interest every tick, 1-minute bars, liquidation clusters (arrival rate excited by fast
moves, sizes Pareto-distributed, side set by the move's direction), dated-future prices, long/short
ratios and 24h volumes, and on Deribit an option chain every minute built from a smile with the
scripted 25Δ skew and ATM IV (Black-76, forward deltas).

Events come out in ``(ts_recv_ms, seq)`` order, one minute of session at a time, so memory stays
flat whatever the length. Same arguments and seed -> the same events. Any single thread may run it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from workstation.core.events import (
    Bar1m,
    Event,
    FuturePrice,
    Liquidation,
    LongShortRatio,
    MarkPrice,
    OpenInterest,
    OptionChain,
    OptionQuote,
    Volume24h,
)
from workstation.core.instruments import LIQUIDATIONS_NOT_PUBLIC, coin_of, deribit_option_name
from workstation.metrics.black76 import MS_PER_YEAR, norm_cdf
from workstation.sessions.scenarios import BASE_PRICE_USD, Scenario

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
TICK_SECONDS = (1, 2, 5, 10, 15, 30, 60)
PERP_VENUES = ("binance", "bybit", "okx", "hyperliquid")
VENUES = (*PERP_VENUES, "deribit")
FUTURE_VENUES = ("binance", "okx", "deribit")


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    oi_coin_total: float  # open interest across the perp venues at the start, coin
    beta: float  # sensitivity of this symbol's log path to the scenario's path
    strike_step_usd: float  # option strike grid (None-like 0: no options listed)
    liq_xm_usd: float  # Pareto scale of one liquidation's notional, USD
    perp_volume_usd_day: float  # perp volume across venues on a quiet day, USD


SYMBOLS: dict[str, SymbolSpec] = {
    "BTCUSDT": SymbolSpec(150_000, 1.0, 2_500, 10_000, 30e9),
    "ETHUSDT": SymbolSpec(2_000_000, 1.25, 100, 6_000, 15e9),
    "SOLUSDT": SymbolSpec(15_000_000, 1.5, 0, 3_000, 4e9),
}
OI_SHARE = {"binance": 0.5, "bybit": 0.3, "okx": 0.2, "hyperliquid": 0.15}
EVENT_OFFSET_MS = {"binance": 0, "bybit": 200, "okx": 400, "deribit": 600, "hyperliquid": 800}
FUNDING_INTERVAL_H = 8.0
HOURLY_FUNDING = ("hyperliquid",)  # settles every hour: the 8h rate / 8, due at the next hour


def parse_start(text: str) -> int:
    """ISO 8601 (``2026-01-30`` or ``2026-01-30T00:00:00Z``) -> ms since epoch, UTC."""
    d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return int(d.timestamp() * 1000)


def _bridge(rng: np.random.Generator, n: int, step_sigma: np.ndarray) -> np.ndarray:
    """A pinned random walk of n+1 points (0 at both ends) with Student-t(4) steps."""
    steps = rng.standard_t(4, size=n) / math.sqrt(2.0) * step_sigma[:n]
    walk = np.concatenate(([0.0], np.cumsum(steps)))
    return walk - np.linspace(0.0, 1.0, n + 1) * walk[-1]


def _ar1(rng: np.random.Generator, n: int, rho: float, sigma: float) -> np.ndarray:
    x = np.empty(n)
    e = rng.normal(0.0, sigma, size=n)
    acc = 0.0
    for i in range(n):
        acc = rho * acc + e[i]
        x[i] = acc
    return x


def _last_friday(year: int, month: int) -> datetime:
    d = datetime(year + month // 12, month % 12 + 1, 1, 8, tzinfo=UTC) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - 4) % 7)


def option_expiries(now_ms: int) -> tuple[int, int]:
    """Two Deribit expiries (08:00 UTC) around 30 days: the last Friday at or before 30 days out
    (at least one day away) and the first month-end Friday after 30 days."""
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    horizon = now + timedelta(days=30)
    d = horizon.replace(hour=8, minute=0, second=0, microsecond=0)
    d -= timedelta(days=(d.weekday() - 4) % 7)
    if d > horizon:
        d -= timedelta(days=7)
    year, month = horizon.year, horizon.month
    monthly = _last_friday(year, month)
    while monthly <= horizon:
        month += 1
        monthly = _last_friday(year + (month - 1) // 12, (month - 1) % 12 + 1)
    return int(d.timestamp() * 1000), int(monthly.timestamp() * 1000)


def quarterly_expiry(now_ms: int) -> int:
    """The nearest quarterly (last Friday of Mar/Jun/Sep/Dec, 08:00 UTC) at least 14 days out."""
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    year = now.year
    for k in range(12):
        month = 3 * ((now.month - 1) // 3 + 1 + k)
        d = _last_friday(year + (month - 1) // 12, (month - 1) % 12 + 1)
        if d - now >= timedelta(days=14):
            return int(d.timestamp() * 1000)
    raise AssertionError("no quarterly expiry found")


def smile_iv_pct(call_delta: float, atm_pct: float, skew_volpts: float, fly_volpts: float) -> float:
    """IV as a function of call-equivalent delta x = N(d1): ATM at x = 0.5, and
    IV(x=0.75, the 25Δ put) − IV(x=0.25, the 25Δ call) = ``skew_volpts``."""
    x = call_delta - 0.5
    return atm_pct + 2.0 * skew_volpts * x + fly_volpts * (4.0 * x) ** 2


def solve_smile_iv(
    forward: float, strike: float, t_years: float, atm: float, skew: float, fly: float
) -> float:
    """The IV (percent) at ``strike`` consistent with its own delta on the smile (fixed point)."""
    iv = atm
    for _ in range(30):
        s = iv / 100.0
        vst = s * math.sqrt(t_years)
        x = norm_cdf((math.log(forward / strike) + 0.5 * vst * vst) / vst)
        new = smile_iv_pct(x, atm, skew, fly)
        if abs(new - iv) < 1e-6:  # quotes are rounded to 0.01 vol pts
            return new
        iv = new
    return iv


class _Batch:
    """The events of one minute-window before sorting: (ts_recv_ms, order, class, fields).
    ``order`` breaks ties in generation order; events carried from the last window come first."""

    def __init__(self, carried: list[tuple[int, int, type, tuple]]) -> None:
        self.items = [(t, -1, c, f) for t, _, c, f in carried]
        self._order = 0

    def add(self, ts_event: int, latency: int, cls: type, venue: str, symbol: str, *fields) -> None:
        self.items.append((ts_event + latency, self._order, cls, (ts_event, venue, symbol, fields)))
        self._order += 1


class _SymbolPaths:
    """Every per-tick and per-minute series of one symbol, drawn once."""

    def __init__(
        self,
        scenario: Scenario,
        symbol: str,
        rng: np.random.Generator,
        common_noise: np.ndarray,
        n_ticks: int,
        tick_ms: int,
        n_min: int,
    ) -> None:
        spec = SYMBOLS[symbol]
        a = scenario.anchors
        fr = np.array([x.frac for x in a])
        frac_t = np.linspace(0.0, 1.0, n_ticks + 1)
        frac_m = np.linspace(0.0, 1.0, n_min + 1)

        def interp_m(name: str) -> np.ndarray:
            return np.interp(frac_m, fr, [getattr(x, name) for x in a])

        log_target = np.interp(frac_t, fr, [math.log(x.price_rel) for x in a])
        idio_sigma = (
            0.35 * np.interp(frac_t, fr, [x.vol_ann for x in a]) * math.sqrt(tick_ms / MS_PER_YEAR)
        )
        idio = _bridge(rng, n_ticks, idio_sigma) if spec.beta != 1.0 else 0.0
        self.index = BASE_PRICE_USD[symbol] * np.exp(spec.beta * (log_target + common_noise) + idio)
        self.oi_rel = interp_m("oi_rel") * (1 + _ar1(rng, n_min + 1, 0.97, 0.0008))
        self.funding = interp_m("funding_8h") + _ar1(rng, n_min + 1, 0.95, 0.000006)
        self.skew = interp_m("skew_volpts") + _ar1(rng, n_min + 1, 0.9, 0.12)
        self.atm = interp_m("atm_iv_pct") + _ar1(rng, n_min + 1, 0.9, 0.25)
        self.basis = interp_m("basis_apr") + _ar1(rng, n_min + 1, 0.9, 0.0012)
        # Liquidation waves die out fast after a low: the rate moves geometrically between anchors.
        self.liq_rate = np.exp(np.interp(frac_m, fr, [math.log(x.liq_clusters_per_h) for x in a]))
        # The script's trend, log change per hour, at each minute (sets which side gets liquidated).
        span_h = n_min / 60
        seg_trend = np.diff([math.log(x.price_rel) for x in a]) / (np.diff(fr) * span_h)
        self.trend_h = seg_trend[
            np.clip(np.searchsorted(fr, frac_m, side="right") - 1, 0, len(seg_trend) - 1)
        ]
        self.ls = interp_m("long_short_ratio") * (1 + _ar1(rng, n_min + 1, 0.95, 0.004))
        self.spot_perp = interp_m("spot_perp_ratio") * (1 + _ar1(rng, n_min + 1, 0.9, 0.01))
        self.vol_ann = interp_m("vol_ann")
        self.spec = spec


def simulate(
    scenario: Scenario,
    *,
    seed: int = 1,
    hours: float | None = None,
    venues: tuple[str, ...] = ("binance", "bybit", "deribit"),
    symbols: tuple[str, ...] = ("BTCUSDT",),
    start_ms: int | None = None,
    tick_s: int = 60,
) -> Iterator[Event]:
    """Yield the scenario's events in ``(ts_recv_ms, seq)`` order."""
    if tick_s not in TICK_SECONDS:
        raise ValueError(f"tick_s must be one of {TICK_SECONDS}")
    hours = scenario.default_hours if hours is None else hours
    start_ms = parse_start(scenario.start_utc) if start_ms is None else start_ms
    start_ms -= start_ms % MINUTE_MS
    tick_ms = tick_s * 1000
    n_min = max(1, round(hours * 60))
    n_ticks = n_min * (60 // tick_s)
    rng = np.random.default_rng(seed)
    fr = np.array([x.frac for x in scenario.anchors])
    vol_t = np.interp(np.linspace(0, 1, n_ticks + 1), fr, [x.vol_ann for x in scenario.anchors])
    step_sigma = vol_t * math.sqrt(tick_ms / MS_PER_YEAR)
    # One common path, pinned at every anchor (a bridge per phase).
    common = np.zeros(n_ticks + 1)
    cut = [round(f * n_ticks) for f in fr]
    for i0, i1 in itertools.pairwise(cut):
        if i1 > i0:
            common[i0 : i1 + 1] = _bridge(rng, i1 - i0, step_sigma[i0:i1])
    paths = {s: _SymbolPaths(scenario, s, rng, common, n_ticks, tick_ms, n_min) for s in symbols}
    perp_venues = [v for v in venues if v in PERP_VENUES]
    share_total = sum(OI_SHARE[v] for v in perp_venues) or 1.0
    ticks_per_min = 60 // tick_s
    seq = 0
    prev_close: dict[tuple[str, str], float] = {}
    carry: list[tuple[int, int, type, tuple]] = []
    for m in range(n_min + 1):
        t0 = start_ms + m * MINUTE_MS
        batch = _Batch(carry)
        add = batch.add

        for symbol in symbols:
            p = paths[symbol]
            for venue in venues:
                off = EVENT_OFFSET_MS[venue]
                if venue in PERP_VENUES:
                    share = OI_SHARE[venue] / share_total
                    k_first = m * ticks_per_min
                    k_last = n_ticks if m == n_min else (m + 1) * ticks_per_min - 1
                    nk = k_last - k_first + 1
                    z = rng.normal(0.0, 1.0, size=(nk, 4))
                    lat = rng.integers(15, 90, size=nk)
                    hours = 1.0 if venue in HOURLY_FUNDING else FUNDING_INTERVAL_H
                    fund_m = float(p.funding[m])
                    oi_m = p.spec.oi_coin_total * share * float(p.oi_rel[m])
                    for j in range(nk):
                        k = k_first + j
                        t_tick = start_ms + k * tick_ms
                        idx = float(p.index[k]) * (1 + 0.00004 * z[j, 0])
                        mark = idx * (1 + (fund_m - 0.0001) + 0.00006 * z[j, 1])
                        fund = fund_m * (1 + 0.05 * z[j, 2]) * hours / FUNDING_INTERVAL_H
                        step = int(hours * HOUR_MS)
                        nxt = (t_tick // step + 1) * step
                        lt = int(lat[j])
                        add(
                            t_tick + off,
                            lt,
                            MarkPrice,
                            venue,
                            symbol,
                            round(mark, 2),
                            round(idx, 2),
                            round(fund, 8),
                            hours,
                            nxt,
                        )
                        oi = oi_m * (1 + 0.0002 * z[j, 3])
                        add(
                            t_tick + off,
                            lt + 1,
                            OpenInterest,
                            venue,
                            symbol,
                            round(oi, 3),
                            round(oi * mark, 2),
                        )
                    if m >= 1:  # the bar of the minute that just closed
                        k0, k1 = (m - 1) * ticks_per_min, m * ticks_per_min
                        seg = p.index[k0 : k1 + 1]
                        o = prev_close.get((venue, symbol), float(seg[0]))
                        c = float(seg[-1])
                        sig_min = p.vol_ann[m] * math.sqrt(MINUTE_MS / MS_PER_YEAR)
                        wick = abs(rng.normal(0, sig_min * 0.6))
                        h = max(o, c, float(seg.max())) * (1 + wick)
                        lo = min(o, c, float(seg.min())) * (1 - abs(rng.normal(0, sig_min * 0.6)))
                        act = p.vol_ann[m] / 0.35
                        vol_usd = p.spec.perp_volume_usd_day / 1440 * share * act
                        vol_coin = vol_usd / c * math.exp(rng.normal(0, 0.3))
                        add(
                            t0 - MINUTE_MS + off,
                            MINUTE_MS + int(rng.integers(20, 120)),
                            Bar1m,
                            venue,
                            symbol,
                            round(o, 2),
                            round(h, 2),
                            round(lo, 2),
                            round(c, 2),
                            round(vol_coin, 3),
                        )
                        prev_close[(venue, symbol)] = round(c, 2)
                    if venue not in LIQUIDATIONS_NOT_PUBLIC:
                        _liquidations(
                            add,
                            rng,
                            p,
                            m,
                            t0,
                            off,
                            venue,
                            symbol,
                            share,
                            ticks_per_min,
                            tick_ms,
                            n_ticks,
                        )
                    if m % 5 == 0:
                        act = p.vol_ann[m] / 0.35
                        perp_usd = p.spec.perp_volume_usd_day * share * act
                        spot_usd = perp_usd * p.spot_perp[m]
                        px = float(p.index[min(n_ticks, m * ticks_per_min)])
                        lat = int(rng.integers(50, 300))
                        add(
                            t0 + off,
                            lat,
                            Volume24h,
                            venue,
                            symbol,
                            "perp",
                            round(perp_usd / px, 1),
                            round(perp_usd, 0),
                        )
                        add(
                            t0 + off,
                            lat + 1,
                            Volume24h,
                            venue,
                            symbol,
                            "spot",
                            round(spot_usd / px, 1),
                            round(spot_usd, 0),
                        )
                        if venue in ("binance", "bybit"):
                            r = p.ls[m] * (1 + rng.normal(0, 0.002))
                            add(
                                t0 + off,
                                lat + 2,
                                LongShortRatio,
                                venue,
                                symbol,
                                round(r, 4),
                                round(r / (1 + r), 4),
                            )
                px = float(p.index[min(n_ticks, m * ticks_per_min)])
                if venue in FUTURE_VENUES:
                    exp = quarterly_expiry(t0)
                    days = (exp - t0) / DAY_MS
                    fut = px * (1 + p.basis[m] * days / 365) * (1 + rng.normal(0, 0.00003))
                    add(
                        t0 + off + 1,
                        int(rng.integers(20, 150)),
                        FuturePrice,
                        venue,
                        symbol,
                        round(fut, 2),
                        round(px, 2),
                        exp,
                    )
                if venue == "deribit" and p.spec.strike_step_usd:
                    quotes = _chain(symbol, p, m, t0, px)
                    add(
                        t0 + off + 2,
                        int(rng.integers(100, 400)),
                        OptionChain,
                        venue,
                        symbol,
                        quotes,
                    )
        # Everything of later windows is received at or after the next minute starts, so what
        # this window holds from then on (liquidations near its end) waits for the next one.
        items = sorted(batch.items, key=lambda it: (it[0], it[1]))
        horizon = t0 + MINUTE_MS if m < n_min else 2**63
        carry = [it for it in items if it[0] >= horizon]
        for ts_recv, _, cls, (ts_event, venue, symbol, fields) in items:
            if ts_recv >= horizon:
                break
            seq += 1
            yield cls(ts_event, ts_recv, seq, venue, symbol, *fields)


def _liquidations(
    add,
    rng,
    p: _SymbolPaths,
    m: int,
    t0: int,
    off: int,
    venue: str,
    symbol: str,
    share: float,
    ticks_per_min: int,
    tick_ms: int,
    n_ticks: int,
) -> None:
    """Clusters of forced orders in minute m: arrivals excited by the last 15 minutes' move."""
    k_now = min(n_ticks, m * ticks_per_min)
    k_then = max(0, k_now - 15 * ticks_per_min)
    r15 = math.log(p.index[k_now] / p.index[k_then])
    excite = 1.0 + min(20.0, (abs(r15) / 0.005) ** 1.5)
    lam = p.liq_rate[m] / 60.0 * excite * (share / 0.4)
    n_clusters = int(rng.poisson(lam))
    # Falling markets liquidate longs: the side follows the last 15 minutes and the scripted trend.
    p_long = 0.5 + 0.47 * math.tanh(-(r15 / 0.006 + float(p.trend_h[m]) / 0.0015))
    for _ in range(n_clusters):
        side = "long" if rng.random() < p_long else "short"
        n = 1 + int(rng.geometric(1 / 6.0))
        t = t0 + int(rng.integers(0, 45_000))
        for _ in range(n):
            if t >= t0 + MINUTE_MS:
                break
            k = min(n_ticks, (t - (t0 - m * MINUTE_MS)) // tick_ms)
            slip = (-1 if side == "long" else 1) * abs(rng.normal(0, 0.0008))
            px = round(float(p.index[k]) * (1 + slip), 2)
            usd = min(p.spec.liq_xm_usd * (1 + rng.pareto(1.5)), 400 * p.spec.liq_xm_usd)
            qty = max(0.001, round(usd / px, 3))
            add(
                t + off,
                int(rng.integers(10, 60)),
                Liquidation,
                venue,
                symbol,
                side,
                qty,
                px,
                round(qty * px, 2),
            )
            t += 1 + int(rng.exponential(2500))


def _chain(symbol: str, p: _SymbolPaths, m: int, t0: int, spot: float) -> tuple[OptionQuote, ...]:
    """OTM puts (K < F) and calls (K >= F) from 0.78F to 1.28F on two expiries around 30 days."""
    coin = coin_of(symbol)
    step = p.spec.strike_step_usd
    quotes = []
    for exp in option_expiries(t0):
        t_years = (exp - t0) / MS_PER_YEAR
        fwd = round(spot * (1 + p.basis[m] * t_years), 2)
        k = math.ceil(0.78 * fwd / step) * step
        while k <= 1.28 * fwd:
            typ = "P" if k < fwd else "C"
            iv = solve_smile_iv(fwd, k, t_years, float(p.atm[m]), float(p.skew[m]), 1.0)
            quotes.append(
                OptionQuote(
                    deribit_option_name(coin, exp, k, typ), exp, float(k), typ, round(iv, 2), fwd
                )
            )
            k += step
    return tuple(quotes)
