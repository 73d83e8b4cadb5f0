"""Market metrics against values worked out independently (numpy, the shared reference vectors)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import SHARED

from workstation.app.pipeline import build_pipeline
from workstation.core.clock import ReplayClock
from workstation.core.events import (
    FeedAlive,
    FuturePrice,
    Liquidation,
    MarkPrice,
    OpenInterest,
    Volume24h,
)

T0 = 1_769_731_200_000  # 2026-01-30 00:00 UTC
MIN = 60_000
HOUR = 3_600_000


class Feed:
    """Drives a pipeline with hand-made events and reads metrics back."""

    def __init__(self) -> None:
        self.clock = ReplayClock(T0)
        self.pipe = build_pipeline(self.clock)
        self.seq = 0

    def send(self, cls, ts: int, venue: str, *fields, symbol: str = "BTCUSDT") -> None:
        self.seq += 1
        self.pipe.engine.process(cls(ts, ts, self.seq, venue, symbol, *fields))

    def mark(
        self, ts: int, venue: str, price: float, rate: float = 1e-4, hours: float = 8.0
    ) -> None:
        self.send(MarkPrice, ts, venue, price, price, rate, hours, ts + HOUR)

    def at(self, ts: int) -> None:
        self.clock.advance_to(ts)
        self.pipe.engine.advance()

    def fresh(self, venue: str = "binance", symbol: str = "BTCUSDT") -> dict[str, float]:
        return self.pipe.metrics.fresh_values.get((venue, symbol), {})


def test_funding_apr_per_interval_matches_the_reference_vectors() -> None:
    vectors = {
        v["name"]: v
        for v in json.loads((SHARED / "reference" / "funding_basis_vectors.json").read_text())[
            "vectors"
        ]
    }
    okx = vectors["okx_interval_from_timestamps"]
    rate = float(okx["input"]["fundingRate"])
    hours = (okx["input"]["nextFundingTime"] - okx["input"]["fundingTime"]) / HOUR
    f = Feed()
    f.mark(T0, "okx", 80_000.0, rate, hours)
    f.mark(T0, "bybit", 80_000.0, 0.0001, 4.0)
    f.at(T0 + 1_001)
    assert hours == okx["derived_interval_hours"]
    # the reference rounds the APR to 10 decimals (5e-9 in percent)
    assert f.fresh("okx")["funding_apr_pct"] == pytest.approx(okx["derived_apr"] * 100, abs=1e-8)
    binance = vectors["binance_interest_component_apr"]
    assert pytest.approx(binance["derived_apr"]) == 0.0001 * (24 / 8) * 365  # 10.95% at 8h
    assert f.fresh("bybit")["funding_apr_pct"] == pytest.approx(21.9)  # 0.01% per 4h
    assert f.fresh("bybit")["funding_rate_8h_pct"] == pytest.approx(0.02)
    assert f.fresh("bybit")["funding_rate_pct"] == pytest.approx(0.01)


def test_basis_and_premium() -> None:
    f = Feed()
    expiry = T0 + 30 * 86_400_000
    f.send(FuturePrice, T0, "binance", 71_000.0, 70_000.0, expiry)
    f.send(MarkPrice, T0, "binance", 70_035.0, 70_000.0, 1e-4, 8.0, T0 + HOUR)
    f.at(T0 + 1_001)
    assert f.fresh()["basis_apr_pct"] == pytest.approx(
        (71_000 / 70_000 - 1) * 365 / 30 * 100
    )  # 17.38%
    assert f.fresh()["premium_bp"] == pytest.approx(5.0)


def test_oi_change_windows_and_aggregate_sum() -> None:
    f = Feed()
    for k in range(0, 25 * 60 + 1):  # a point a minute for 25 hours: 100,000 + 10 per minute
        ts = T0 + k * MIN
        f.send(OpenInterest, ts, "binance", 100_000.0 + 10 * k, 0.0)
        f.send(OpenInterest, ts, "bybit", 50_000.0, 0.0)
        f.mark(ts, "binance", 70_000.0)
        f.mark(ts, "bybit", 70_000.0)
    now = T0 + 25 * HOUR
    f.at(now + 1)
    oi_now = 100_000.0 + 10 * 1500
    got = f.fresh()
    assert got["oi_change_1h_pct"] == pytest.approx((oi_now / (oi_now - 600) - 1) * 100)
    assert got["oi_change_4h_pct"] == pytest.approx((oi_now / (oi_now - 2400) - 1) * 100)
    assert got["oi_change_24h_pct"] == pytest.approx((oi_now / (oi_now - 14_400) - 1) * 100)
    agg = f.fresh("all")
    assert agg["oi_coin"] == pytest.approx(oi_now + 50_000)
    assert agg["oi_change_1h_pct"] == pytest.approx(
        ((oi_now + 50_000) / (oi_now - 600 + 50_000) - 1) * 100
    )


def test_realized_vol_matches_numpy() -> None:
    rng = np.random.default_rng(4)
    prices = 70_000 * np.exp(np.cumsum(rng.normal(0, 0.002, 200)))
    f = Feed()
    for k, p in enumerate(prices):
        f.mark(T0 + k * MIN + 500, "binance", float(p))
    f.at(T0 + len(prices) * MIN)
    # the last price closes its minute only when the next minute starts: 199 returns are known
    returns = np.diff(np.log(prices[:-1]))
    expected_1h = np.std(returns[-60:], ddof=1) * math.sqrt(365 * 1440) * 100
    assert f.fresh()["rv_1h_pct"] == pytest.approx(expected_1h, rel=1e-9)
    # 198 returns of the 1,440 minutes of 24h: 13.75% covered, so no "24h" vol yet
    assert "rv_24h_pct" not in f.fresh()
    assert f.pipe.metrics.warming[("binance", "BTCUSDT")]["rv_24h_pct"] == pytest.approx(0.1375)
    assert f.pipe.metrics.warming[("all", "BTCUSDT")]["rv_24h_pct"] == pytest.approx(0.1375)


def test_realized_vol_24h_waits_for_90pct_of_its_window() -> None:
    # 90% of 1,440 minutes = 1,296 returns; a return is known when the minute after its close
    # starts, so prices at minutes 0..1297 give 1,296 returns (known at minutes 2..1297).
    rng = np.random.default_rng(5)
    prices = 70_000 * np.exp(np.cumsum(rng.normal(0, 0.001, 1299)))
    f = Feed()
    for k, p in enumerate(prices[:1297]):
        f.mark(T0 + k * MIN + 500, "binance", float(p))
    f.at(T0 + 1297 * MIN)
    assert "rv_24h_pct" not in f.fresh()  # 1,295 returns: 89.93% covered
    assert f.pipe.metrics.warming[("binance", "BTCUSDT")]["rv_24h_pct"] == pytest.approx(
        1295 / 1440
    )
    f.mark(T0 + 1297 * MIN + 500, "binance", float(prices[1297]))
    f.mark(T0 + 1298 * MIN + 500, "binance", float(prices[1298]))
    f.at(T0 + 1298 * MIN + 1001)
    returns = np.diff(np.log(prices[:1298]))  # 1,297 returns now, the 1,298th closes later
    assert len(returns) == 1297 and len(returns) / 1440 >= 0.9
    expected = np.std(returns, ddof=1) * math.sqrt(365 * 1440) * 100
    assert f.fresh()["rv_24h_pct"] == pytest.approx(expected, rel=1e-9)
    assert "rv_24h_pct" not in f.pipe.metrics.warming.get(("binance", "BTCUSDT"), {})
    assert "rv_7d_pct" in f.pipe.metrics.warming[("all", "BTCUSDT")]  # 1,297 / 10,080


def test_liquidation_windows_and_intensity() -> None:
    f = Feed()
    # Seven hours with 300k USD of long liquidations each, at half past the hour.
    for h in range(7):
        f.mark(T0 + h * HOUR, "binance", 70_000.0)
        f.send(Liquidation, T0 + h * HOUR + 30 * MIN, "binance", "long", 3.0, 70_000.0, 300_000.0)
    now = T0 + 7 * HOUR + 20 * MIN
    f.mark(now - 10_000, "binance", 70_000.0)
    f.send(Liquidation, now - 50_000, "binance", "long", 10.0, 70_000.0, 700_000.0)
    f.send(Liquidation, now - 40_000, "binance", "long", 10.0, 70_000.0, 500_000.0)
    f.send(Liquidation, now - 30_000, "binance", "short", 1.0, 70_000.0, 70_000.0)
    f.at(now)
    got = f.fresh()
    assert got["liq_long_usd_1m"] == pytest.approx(1_200_000.0)
    assert got["liq_short_usd_1m"] == pytest.approx(70_000.0)
    # last hour: the 06:30 liquidation (inside (06:20, 07:20]) plus the two just now
    assert got["liq_long_usd_1h"] == pytest.approx(300_000.0 + 1_200_000.0)
    # baseline: median of the seven completed hours = 300k (above the 250k floor)
    assert got["liq_intensity_x"] == pytest.approx(1_500_000.0 / 300_000.0)
    assert got["liq_median_usd_1h"] == got["liq_baseline_usd_1h"] == 300_000.0
    f.at(now + 61_000)
    assert f.fresh()["liq_long_usd_1m"] == 0.0  # the minute window has moved on


def test_intensity_divides_by_the_floor_when_the_median_is_smaller() -> None:
    f = Feed()
    for h in range(6):  # six hours of 100k each: the median 100k is under the 250k floor
        f.mark(T0 + h * HOUR, "binance", 70_000.0)
        f.send(Liquidation, T0 + h * HOUR + 30 * MIN, "binance", "long", 1.0, 70_000.0, 100_000.0)
    now = T0 + 6 * HOUR + 40 * MIN
    f.mark(now - 10_000, "binance", 70_000.0)
    f.at(now)
    got = f.fresh()
    assert got["liq_median_usd_1h"] == 100_000.0 and got["liq_baseline_usd_1h"] == 250_000.0
    # the last hour, (05:40, 06:40], holds none of them (the last was at 05:30)
    assert got["liq_intensity_x"] == 0.0
    assert "liq_intensity_x" not in f.pipe.metrics.warming.get(("binance", "BTCUSDT"), {})


def test_the_aggregate_line_names_the_venues_it_leaves_out() -> None:
    clock = ReplayClock(T0)
    pipe = build_pipeline(clock, report_every_ms=60_000)
    seq = 0
    for k in range(12):  # binance and bybit marks and OI; binance's OI stops after the first
        ts = T0 + k * 30_000
        for venue in ("binance", "bybit") if k == 0 else ("bybit",):
            seq += 1
            pipe.engine.process(OpenInterest(ts, ts, seq, venue, "BTCUSDT", 100.0, 7e6))
        for venue in ("binance", "bybit"):
            seq += 1
            pipe.engine.process(
                MarkPrice(ts, ts, seq, venue, "BTCUSDT", 70_000.0, 70_000.0, 1e-4, 8.0, ts + HOUR)
            )
    limit_ms = pipe.metrics.cfg.limit_ms("oi_coin")  # 300 s
    clock.advance_to(T0 + int(limit_ms) + 120_000)
    pipe.engine.advance()
    lines = [r.to_json() for r in pipe.engine.drain() if r.TYPE == "metrics"]
    first = next(d for d in lines if d["venue"] == "all")
    assert first["partial"] is False and first["missing_venues"] == []
    last = [d for d in lines if d["venue"] == "all"][-1]
    assert last["partial"] is True and last["missing_venues"] == ["binance"]
    assert last["oi_coin"] == 100.0  # bybit's alone
    assert [d["missing_venues"] for d in lines if d["venue"] == "binance"][-1] == []


def test_a_polled_liquidation_feed_that_stops_reads_stale_while_marks_flow() -> None:
    f = Feed()
    limit_ms = f.pipe.metrics.cfg.limit_ms("liq_long_usd_1h")  # 120 s
    f.send(Liquidation, T0, "binance", "long", 1.0, 70_000.0, 70_000.0)  # a websocket feed
    for k in range(31):  # marks every 10 s for 300 s on both; OKX's poll answers until 60 s
        ts = T0 + k * 10_000
        f.mark(ts, "okx", 70_000.0)
        f.mark(ts, "binance", 70_000.0)
        if ts <= T0 + 60_000:
            f.send(FeedAlive, ts, "okx", "liquidations")
        f.at(ts + 1)
        if ts == T0 + 60_000:  # the poll answered: quiet is zero liquidations, and fresh
            assert f.fresh("okx")["liq_long_usd_1h"] == 0.0
    now = T0 + 300_001  # OKX's last answer was 240 s ago, past the 120 s limit
    assert now - (T0 + 60_000) > limit_ms
    assert f.fresh("okx")["mark_price"] == 70_000.0  # marks still flow
    assert "liq_long_usd_1h" not in f.fresh("okx")  # stale, not a fresh zero
    assert "liq_long_usd_1h" in f.pipe.metrics.stale_names("okx", "BTCUSDT", now)
    # binance's websocket liquidations keep the venue's freshness (its marks)
    assert f.fresh("binance")["liq_long_usd_1h"] == 70_000.0
    # the aggregate holds OKX's too: it cannot say the hour was quiet
    assert "liq_long_usd_1h" not in f.fresh("all")
    f.send(FeedAlive, now, "okx", "liquidations")  # the poll answers again
    f.at(now + 1_001)
    assert f.fresh("okx")["liq_long_usd_1h"] == 0.0
    assert f.fresh("all")["liq_long_usd_1h"] == 70_000.0


def test_intensity_is_unknown_until_enough_history() -> None:
    f = Feed()
    f.mark(T0, "binance", 70_000.0)
    f.send(Liquidation, T0 + 1000, "binance", "long", 3.0, 70_000.0, 9e6)
    f.at(T0 + 2 * HOUR)
    f.mark(T0 + 2 * HOUR, "binance", 70_000.0)
    f.at(T0 + 2 * HOUR + 1000)
    assert "liq_intensity_x" not in f.fresh()  # warming up: unknown, not zero
    # two of the six hours it needs
    assert f.pipe.metrics.warming[("binance", "BTCUSDT")]["liq_intensity_x"] == pytest.approx(2 / 6)


def test_spot_perp_volume_ratio() -> None:
    f = Feed()
    f.send(Volume24h, T0, "binance", "perp", 1.0, 10e9)
    f.send(Volume24h, T0, "binance", "spot", 1.0, 1.5e9)
    f.mark(T0, "binance", 70_000.0)
    f.at(T0 + 1001)
    assert f.fresh()["spot_perp_volume_ratio"] == pytest.approx(0.15)


def test_metrics_go_stale_after_their_limit_and_fresh_again() -> None:
    f = Feed()
    f.mark(T0, "binance", 70_000.0)
    f.send(OpenInterest, T0, "binance", 100.0, 7e6)
    f.mark(T0, "bybit", 70_000.0)
    f.send(OpenInterest, T0, "bybit", 50.0, 3.5e6)
    f.at(T0 + 1001)
    assert f.fresh()["mark_price"] == 70_000.0
    assert f.pipe.metrics.partial["BTCUSDT"] == []
    limit_s = f.pipe.metrics.cfg.limit_ms("mark_price") / 1000
    # bybit keeps ticking; binance stops.
    t = T0
    while t < T0 + (limit_s + 20) * 1000:
        t += 10_000
        f.mark(t, "bybit", 70_000.0)
        f.send(OpenInterest, t, "bybit", 50.0, 3.5e6)
        f.at(t + 1)
    assert "mark_price" not in f.fresh()
    assert "mark_price" in f.pipe.metrics.stale_names("binance", "BTCUSDT", t + 1)
    oi_limit_s = f.pipe.metrics.cfg.limit_ms("oi_coin") / 1000
    f.at(T0 + (oi_limit_s + 30) * 1000)
    assert f.pipe.metrics.partial["BTCUSDT"] == ["binance"]  # the aggregate says it is partial
    assert f.fresh("all")["oi_coin"] == 50.0
    f.mark(T0 + (oi_limit_s + 31) * 1000, "binance", 70_100.0)
    f.at(T0 + (oi_limit_s + 32) * 1000)
    assert f.fresh()["mark_price"] == 70_100.0  # fresh again after recovery


def test_price_structure_lower_lows_then_higher_lows() -> None:
    f = Feed()
    # Hourly closes (one mark a minute within each hour at that level): two swing lows, the
    # second lower; then the price sits under the last swing low.
    path = [100, 98, 95, 97, 99, 97, 93, 96, 98, 99, 92]
    for h, level in enumerate(path):
        for m in range(60):
            f.mark(T0 + h * HOUR + m * MIN, "binance", float(level * 700))
    f.at(T0 + len(path) * HOUR)
    got = f.fresh()
    assert got["swing_low_usd"] == 93 * 700
    assert got["price_structure_score"] == -1.0
    g = Feed()
    path = [100, 95, 99, 101, 97, 100, 103, 99, 102, 104, 103]  # higher lows, higher highs
    for h, level in enumerate(path):
        for m in range(60):
            g.mark(T0 + h * HOUR + m * MIN, "binance", float(level * 700))
    g.at(T0 + len(path) * HOUR)
    assert g.fresh()["price_structure_score"] == 1.0
