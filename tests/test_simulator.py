"""The scenario simulator: deterministic, ordered, and faithful to its script."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict

import pytest

from workstation.core.events import (
    FuturePrice,
    Liquidation,
    MarkPrice,
    OpenInterest,
    OptionChain,
)
from workstation.metrics.black76 import MS_PER_YEAR, forward_delta
from workstation.sessions.scenarios import BASE_PRICE_USD, SCENARIOS
from workstation.sessions.simulator import option_expiries, parse_start, quarterly_expiry, simulate

HOURS = 48
SELL = SCENARIOS["feb-2026-selloff"]


@pytest.fixture(scope="module")
def selloff_events() -> list:
    return list(simulate(SELL, seed=11, hours=HOURS, venues=("binance", "bybit", "deribit")))


def phase_end(name: str) -> int:
    return next(
        p["end_ms"] for p in SELL.phases(parse_start(SELL.start_utc), HOURS) if p["phase"] == name
    )


def anchor(name: str):
    return next(a for a in SELL.anchors if a.phase == name)


def test_same_seed_same_events_other_seed_other_events() -> None:
    a = list(itertools.islice(simulate(SELL, seed=5, hours=2), 3000))
    b = list(itertools.islice(simulate(SELL, seed=5, hours=2), 3000))
    c = list(itertools.islice(simulate(SELL, seed=6, hours=2), 3000))
    assert a == b
    assert a != c


def test_order_is_recv_then_seq_and_seq_is_contiguous(selloff_events: list) -> None:
    keys = [(e.ts_recv_ms, e.seq) for e in selloff_events]
    assert keys == sorted(keys)
    assert [e.seq for e in selloff_events] == list(range(1, len(selloff_events) + 1))


def index_at(events: list, ts: int, venue: str = "binance") -> float:
    return min(
        (e for e in events if isinstance(e, MarkPrice) and e.venue == venue),
        key=lambda e: abs(e.ts_event_ms - ts),
    ).index_price_usd


def test_price_path_holds_the_script(selloff_events: list) -> None:
    base = BASE_PRICE_USD["BTCUSDT"]
    for name in ("quiet", "crowding", "breakdown", "cascade", "rebound"):
        got = index_at(selloff_events, phase_end(name))
        assert got == pytest.approx(base * anchor(name).price_rel, rel=5e-4), name
    top = index_at(selloff_events, phase_end("crowding"))
    low = index_at(selloff_events, phase_end("cascade"))
    end = index_at(selloff_events, phase_end("rebound"))
    assert low == pytest.approx(60_150, rel=5e-4)
    assert low / top - 1 <= -0.20  # the cascade: down 20% or more
    assert end / low - 1 == pytest.approx(0.17, abs=0.005)  # the rebound: +17%


def mean_of(events: list, cls: type, attr: str, lo: int, hi: int, venue: str = "binance") -> float:
    vals = [
        getattr(e, attr)
        for e in events
        if isinstance(e, cls) and e.venue == venue and lo <= e.ts_event_ms < hi
    ]
    assert vals
    return statistics.fmean(vals)


def test_crowding_then_flush_in_oi_and_funding(selloff_events: list) -> None:
    hour = 3_600_000
    oi_start = mean_of(
        selloff_events, OpenInterest, "oi_coin", 0, parse_start(SELL.start_utc) + hour
    )
    oi_top = mean_of(
        selloff_events,
        OpenInterest,
        "oi_coin",
        phase_end("breakdown") - hour,
        phase_end("breakdown"),
    )
    oi_low = mean_of(
        selloff_events, OpenInterest, "oi_coin", phase_end("cascade") - hour, phase_end("cascade")
    )
    oi_end = mean_of(
        selloff_events,
        OpenInterest,
        "oi_coin",
        phase_end("rebound") - hour,
        phase_end("rebound") + 1,
    )
    assert oi_top / oi_start > 1.08  # crowding: OI up
    assert oi_low / oi_top < 0.85  # cascade: OI flushed
    assert oi_end <= oi_low * 1.01  # rebound on falling OI
    f_crowd = mean_of(
        selloff_events,
        MarkPrice,
        "funding_rate",
        phase_end("crowding") - hour,
        phase_end("crowding"),
    )
    f_low = mean_of(
        selloff_events, MarkPrice, "funding_rate", phase_end("cascade") - hour, phase_end("cascade")
    )
    assert f_crowd > 0.0003  # 0.03%/8h and more while crowded
    assert f_low < 0  # negative at the low


def test_basis_falls_to_about_two_percent(selloff_events: list) -> None:
    hour = 3_600_000
    lo, hi = phase_end("cascade") - hour, phase_end("cascade")
    basis = [
        (e.future_price_usd / e.index_price_usd - 1)
        * 365
        / ((e.expiry_ts_ms - e.ts_event_ms) / 86_400_000)
        for e in selloff_events
        if isinstance(e, FuturePrice) and e.venue == "binance" and lo <= e.ts_event_ms < hi
    ]
    assert statistics.fmean(basis) == pytest.approx(0.02, abs=0.004)


def skew_25d_front(chain: OptionChain) -> float:
    """IV of the put nearest −25Δ minus the call nearest +25Δ on the front expiry (coarse check)."""
    front = min(q.expiry_ts_ms for q in chain.quotes)
    t = (front - chain.ts_event_ms) / MS_PER_YEAR
    qs = [q for q in chain.quotes if q.expiry_ts_ms == front]

    def delta(q) -> float:
        return forward_delta(
            q.underlying_price_usd, q.strike_usd, t, q.mark_iv_pct / 100, q.option_type
        )

    put = min((q for q in qs if q.option_type == "P"), key=lambda q: abs(delta(q) + 0.25))
    call = min((q for q in qs if q.option_type == "C"), key=lambda q: abs(delta(q) - 0.25))
    return put.mark_iv_pct - call.mark_iv_pct


def test_skew_climbs_past_six_to_about_twenty(selloff_events: list) -> None:
    chains = [e for e in selloff_events if isinstance(e, OptionChain)]
    assert len(chains) == HOURS * 60 + 1  # one a minute
    at = {c.ts_event_ms // 60_000: c for c in chains}

    def chain_near(ts: int) -> OptionChain:
        return at[ts // 60_000]

    quiet = skew_25d_front(chain_near(phase_end("quiet")))
    peak = skew_25d_front(chain_near(phase_end("cascade") - 60_000))
    assert quiet < 6
    assert 16 < peak < 24  # coarse: nearest listed strikes, not interpolated


def test_liquidations_cluster_on_longs_with_heavy_tails(selloff_events: list) -> None:
    liqs = [e for e in selloff_events if isinstance(e, Liquidation)]
    start = parse_start(SELL.start_utc)
    quiet = [e for e in liqs if start <= e.ts_event_ms < phase_end("crowding")]
    cascade = [e for e in liqs if phase_end("crowding") <= e.ts_event_ms < phase_end("cascade")]
    hours_quiet = (phase_end("crowding") - start) / 3.6e6
    hours_casc = (phase_end("cascade") - phase_end("crowding")) / 3.6e6
    long_casc = sum(e.notional_usd for e in cascade if e.side == "long")
    short_casc = sum(e.notional_usd for e in cascade if e.side == "short")
    long_quiet = sum(e.notional_usd for e in quiet if e.side == "long")
    assert long_casc > 5 * short_casc  # a sell-off liquidates longs
    assert long_casc / hours_casc > 20 * long_quiet / hours_quiet
    sizes = sorted(e.notional_usd for e in liqs)
    assert sizes[-1] / statistics.median(sizes) > 20  # heavy-tailed, not noise
    per_minute: dict[int, int] = defaultdict(int)
    for e in cascade:
        per_minute[e.ts_event_ms // 60_000] += 1
    counts = [
        per_minute.get(m, 0)
        for m in range(phase_end("crowding") // 60_000, phase_end("cascade") // 60_000)
    ]
    assert (
        statistics.pvariance(counts) / statistics.fmean(counts) > 3
    )  # clustered (Poisson gives 1)
    for e in liqs:
        assert e.notional_usd == pytest.approx(e.qty_coin * e.price_usd, abs=0.01)


def test_short_squeeze_liquidates_shorts_and_turns_skew_negative() -> None:
    sc = SCENARIOS["short-squeeze"]
    evs = list(simulate(sc, seed=2, hours=24, venues=("binance", "deribit")))
    ph = {p["phase"]: p for p in sc.phases(parse_start(sc.start_utc), 24)}
    sq = ph["squeeze"]
    liqs = [
        e
        for e in evs
        if isinstance(e, Liquidation) and sq["start_ms"] <= e.ts_event_ms < sq["end_ms"]
    ]
    shorts = sum(e.notional_usd for e in liqs if e.side == "short")
    longs = sum(e.notional_usd for e in liqs if e.side == "long")
    assert shorts > 5 * longs
    p0 = index_at(evs, sq["start_ms"])
    p1 = index_at(evs, sq["end_ms"])
    assert p1 / p0 - 1 == pytest.approx(1.087 / 0.970 - 1, abs=0.002)
    chain = min(
        (e for e in evs if isinstance(e, OptionChain)),
        key=lambda e: abs(e.ts_event_ms - sq["end_ms"]),
    )
    assert skew_25d_front(chain) < -5  # FOMO: calls richer than puts


def test_calm_stays_calm() -> None:
    evs = list(simulate(SCENARIOS["calm"], seed=4, hours=24, venues=("binance",)))
    px = [e.index_price_usd for e in evs if isinstance(e, MarkPrice)]
    assert max(px) / min(px) - 1 < 0.06
    liq_usd = sum(e.notional_usd for e in evs if isinstance(e, Liquidation))
    assert liq_usd < 50e6


def test_expiry_calendar() -> None:
    now = parse_start("2026-02-03T12:00:00Z")
    weekly, monthly = option_expiries(now)
    day = 86_400_000
    assert 23 * day <= weekly - now <= 30 * day  # the last Friday at or before 30 days
    assert monthly - now > 30 * day
    assert weekly == parse_start("2026-02-27T08:00:00Z")  # a Friday, 23.8 days out
    assert monthly == parse_start("2026-03-27T08:00:00Z")  # first month-end Friday past 30 days
    assert quarterly_expiry(now) == parse_start("2026-03-27T08:00:00Z")
    assert quarterly_expiry(parse_start("2026-03-20T00:00:00Z")) == parse_start(
        "2026-06-26T08:00:00Z"
    )


def test_tick_seconds_sets_the_update_rate() -> None:
    evs = list(simulate(SELL, seed=1, hours=0.5, venues=("binance",), tick_s=1))
    marks = [e for e in evs if isinstance(e, MarkPrice)]
    assert len(marks) == 30 * 60 + 1
    gaps = {b.ts_event_ms - a.ts_event_ms for a, b in itertools.pairwise(marks)}
    assert gaps == {1000}
    assert math.isfinite(sum(m.mark_price_usd for m in marks))
