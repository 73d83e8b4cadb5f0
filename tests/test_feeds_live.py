"""Live feeds against a local fake exchange: a recording, every fault kind, live equals replay."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fake_exchange import FAST_POLLS, HL_OI_COIN, FakeExchange, price_at

from workstation.app.pipeline import build_pipeline
from workstation.app.pump import LivePump
from workstation.core.clock import LiveClock
from workstation.core.events import (
    Bar1m,
    FundingRate,
    FuturePrice,
    Liquidation,
    LongShortRatio,
    MarkPrice,
    OpenInterest,
    OptionChain,
    VolIndex,
    Volume24h,
)
from workstation.engine.replay import ReplayDriver
from workstation.feeds.live import FeedConfig, LiveFeeds
from workstation.rules.config import load_rules
from workstation.sessions.store import SessionReader, SessionWriter

FAST_RULES = """
[engine]
eval_interval_s = 0.5
[staleness_s]
mark_price = 1.5
"price_" = 1.5
"premium_" = 1.5
"oi_" = 4
"""


@dataclass
class Live:
    """What a recording from the fake exchange has seen so far (the test thread's)."""

    pipe: Any
    feeds: LiveFeeds
    counts: Counter = field(default_factory=Counter)  # (event class, venue) -> events recorded
    outputs: list[dict] = field(default_factory=list)

    def fresh(self, venue: str, metric: str = "mark_price") -> bool:
        return metric in self.pipe.metrics.fresh_values.get((venue, "BTCUSDT"), {})


# (what is awaited, its condition, what to do once it holds): a recording's script
Step = tuple[str, Callable[[Live], bool], Callable[[], object] | None]
STEP_DEADLINE_S = 90.0  # per step: generous, so that a slow or busy machine only takes longer


def run_live(
    fake: FakeExchange,
    out: Path,
    venues: tuple[str, ...],
    rules_text: str,
    steps: list[Step],
    polls: dict[str, float] | None = None,
) -> Live:
    """Record the fake exchange until each step's condition holds in turn (its action then runs);
    a step that does not hold within STEP_DEADLINE_S fails the test, naming it. Conditions, not
    wall-clock windows: the test waits for what the client has seen, however slow the machine.
    ``polls`` overrides poll periods; metrics lines are reported every second."""
    rules_file = out.with_suffix(".toml")
    rules_file.write_text(rules_text)
    rules = load_rules([rules_file], include_user_dir=False)
    clock = LiveClock()
    pipe = build_pipeline(clock, rules=rules, report_every_ms=1_000)
    writer = SessionWriter(out, source="live", venues=venues, symbols=("BTCUSDT",), overwrite=True)
    pipe.engine.add_tap(writer.append)
    feeds = LiveFeeds(
        FeedConfig(
            venues=venues,
            symbols=("BTCUSDT",),
            urls=fake.urls(),
            timeout_s=1.0,
            history_minutes=6,
            poll_s={**FAST_POLLS, **(polls or {})},
        )
    )
    live = Live(pipe, feeds)
    pipe.engine.add_tap(lambda ev: live.counts.update([(type(ev), ev.venue)]))
    pump = LivePump(pipe.engine, clock, feeds.queue, feeds.health, note=writer.add_note)
    feeds.start()
    try:
        for what, done, then in steps:
            deadline = time.monotonic() + STEP_DEADLINE_S
            while not done(live):
                if time.monotonic() > deadline:
                    pytest.fail(f"not within {STEP_DEADLINE_S:g} s: {what}")
                pump.pump(wait_s=0.02)
                writer.flush_if_due()
                live.outputs += [r.to_json() for r in pipe.engine.drain()]
            if then is not None:
                then()
    finally:
        feeds.stop()
        writer.close()
    return live


def test_a_recording_holds_the_expected_events(fake: FakeExchange, tmp_path: Path) -> None:
    out = tmp_path / "live.session"
    kinds = [
        (OpenInterest, "binance"),
        (OpenInterest, "bybit"),
        (OpenInterest, "okx"),
        (FundingRate, "okx"),
        (LongShortRatio, "binance"),
        (FuturePrice, "binance"),
        (Volume24h, "binance"),
        (OptionChain, "deribit"),
        (VolIndex, "deribit"),
        (OpenInterest, "hyperliquid"),
        (Volume24h, "hyperliquid"),
    ]
    wanted = {
        (MarkPrice, "binance"): 100,  # 5 a second: about 20 s of the stream
        (MarkPrice, "bybit"): 100,
        (MarkPrice, "okx"): 30,
        (Bar1m, "binance"): 5,  # the history, without the bar still open
        (Liquidation, "binance"): 10,
        (Liquidation, "okx"): 20,
        (MarkPrice, "hyperliquid"): 100,  # its websocket's 5 a second
        (Bar1m, "hyperliquid"): 5,
        **dict.fromkeys(kinds, 1),
    }

    def enough(live: Live) -> bool:
        return all(live.counts[k] >= n for k, n in wanted.items()) and bool(_hl_rows(live.outputs))

    live = run_live(
        fake,
        out,
        ("binance", "bybit", "okx", "deribit", "hyperliquid"),
        FAST_RULES,
        [
            ("every stream's events", enough, None),
            ("a health record of binance", lambda live: _health(live, "binance"), None),
        ],
    )
    with SessionReader(out) as r:
        evs = list(r.events())
        assert r.meta.source == "live"
    by = {}
    for e in evs:
        by.setdefault((type(e), e.venue), []).append(e)
    binance_marks = by[(MarkPrice, "binance")]
    assert len(binance_marks) >= 100
    assert all(e.mark_price_usd == price_at(e.ts_event_ms) for e in binance_marks)
    assert all(e.funding_interval_h == 8.0 for e in binance_marks)
    assert len(by[(MarkPrice, "bybit")]) >= 100 and len(by[(MarkPrice, "okx")]) >= 30
    assert len(by[(Bar1m, "binance")]) == 5  # the history, without the bar still open
    assert len(by[(Liquidation, "binance")]) >= 10
    assert all(e.side == "long" and e.qty_coin == 0.5 for e in by[(Liquidation, "binance")])
    okx_liqs = by[(Liquidation, "okx")]
    assert len(okx_liqs) >= 20 and len({e.ts_event_ms for e in okx_liqs}) == len(
        okx_liqs
    )  # each once
    assert all(
        e.side == "long" and e.qty_coin == pytest.approx(0.2) for e in okx_liqs
    )  # 20 contracts x 0.01
    for kind, venue in kinds:
        assert by.get((kind, venue)), (kind.KIND, venue)
    assert len(by[(OptionChain, "deribit")][0].quotes) == 22
    keys = [(e.ts_recv_ms, e.seq) for e in evs]
    assert keys == sorted(keys) and [e.seq for e in evs] == list(range(1, len(evs) + 1))
    health = _health(live, "binance")
    assert health and health[-1]["connected"] is True and health[-1]["age_ms"] < 2_000
    # Hyperliquid beside the four: mark with the oracle as index, funding each hour, OI in coin
    # and USD, the history's 5 closed bars, and no liquidation events at all
    hl_marks = by[(MarkPrice, "hyperliquid")]
    assert len(hl_marks) >= 100
    assert all(e.funding_interval_h == 1.0 and e.funding_rate == 0.0000125 for e in hl_marks)
    assert all(e.index_price_usd == round(e.mark_price_usd - 3, 2) for e in hl_marks)
    hl_oi = by[(OpenInterest, "hyperliquid")]
    assert all(e.oi_coin == HL_OI_COIN for e in hl_oi)
    assert all(
        e.oi_usd == pytest.approx(HL_OI_COIN * price_at(e.ts_event_ms), rel=1e-3) for e in hl_oi
    )
    hl_bars = [e.ts_event_ms for e in by[(Bar1m, "hyperliquid")]]
    assert len(hl_bars) >= 5  # the history, and the websocket's bars as minutes close
    assert all(b - a == 60_000 for a, b in pairwise(hl_bars))  # each once
    assert (Liquidation, "hyperliquid") not in by and by[(Volume24h, "hyperliquid")]
    hl_rows = _hl_rows(live.outputs)
    # hourly 0.0000125 x 8,760 hours = 0.1095 = 10.95 % a year; x 8 = 0.0001 = 0.01 % per 8 h
    assert hl_rows and all(o["funding_apr_pct"] == pytest.approx(10.95) for o in hl_rows)
    assert all(o["funding_rate_8h_pct"] == pytest.approx(0.01) for o in hl_rows)
    # its liquidation metrics are absent (not zero) and the aggregate says it lacks them
    liq_names = ("liq_long_usd_1m", "liq_short_usd_1m", "liq_long_usd_1h", "liq_short_usd_1h")
    assert not any(n in o for o in hl_rows for n in liq_names)
    assert all(o["liq_lacking"] == ["hyperliquid"] for o in hl_rows)
    metrics = [o for o in live.outputs if o["type"] == "metrics" and o["symbol"] == "BTCUSDT"]
    agg = [o for o in metrics if o["venue"] == "all" and "liq_long_usd_1m" in o]
    assert agg and "hyperliquid" in agg[-1]["liq_lacking"]
    assert "binance" not in agg[-1]["liq_lacking"]


def _hl_rows(outputs: list[dict]) -> list[dict]:
    """Hyperliquid's metrics lines that carry its funding."""
    return [
        o
        for o in outputs
        if o["type"] == "metrics" and o["venue"] == "hyperliquid" and "funding_apr_pct" in o
    ]


def _health(live: Live, venue: str) -> list[dict]:
    return [o for o in live.outputs if o["type"] == "health" and o["venue"] == venue]


@pytest.mark.parametrize(
    "venue,fault",
    [
        ("binance", "drop"),
        ("binance", "truncated"),
        ("binance", "refuse"),
        ("okx", "timeout"),
        ("okx", "429"),
        ("okx", "500"),
        ("okx", "malformed"),
        ("hyperliquid", "drop"),
        ("hyperliquid", "truncated"),
        ("hyperliquid", "refuse"),
    ],
)
def test_every_fault_is_survived_stale_during_fresh_after(
    fake: FakeExchange, tmp_path: Path, venue: str, fault: str
) -> None:
    """The fault is set once the metric is fresh and lifted once the client has met it (twice) and
    the metric has gone STALE; then it must come back FRESH."""

    def set_fault(kind: str | None) -> None:
        fake.faults[venue] = kind

    def counted(live: Live) -> bool:
        last = _health(live, venue)[-1:]
        return any(h["errors"] + h["reconnects"] + h["dropped_payloads"] > 0 for h in last)

    live = run_live(
        fake,
        tmp_path / "f.session",
        (venue,),
        FAST_RULES,
        [
            ("fresh before the fault", lambda live: live.fresh(venue), lambda: set_fault(fault)),
            (
                "the fault met and the metric STALE during the outage",
                lambda live: fake.faults_served.get(venue, 0) >= 2 and not live.fresh(venue),
                lambda: set_fault(None),
            ),
            ("the feed recovered: fresh after the fault", lambda live: live.fresh(venue), None),
            ("a health record that counts the fault", counted, None),
        ],
        polls={"hyperliquid_ctx": 60.0},  # its marks from the websocket only (REST: below)
    )
    health = _health(live, venue)[-1]
    assert health["errors"] + health["reconnects"] + health["dropped_payloads"] > 0


@pytest.mark.parametrize("fault", ["timeout", "429", "500", "malformed"])
def test_hyperliquid_rest_faults_are_counted_and_its_polls_resume(
    fake: FakeExchange, tmp_path: Path, fault: str
) -> None:
    """A fault on POST /info once its marks are fresh; lifted once the client has met it twice;
    then the context poll answers again, and the websocket kept the marks fresh meanwhile."""
    seen: dict[str, int] = {}
    ctx = "/info:metaAndAssetCtxs"

    def set_fault(kind: str | None) -> None:
        fake.faults["hyperliquid"] = kind
        seen["polls"] = fake.hits.get(ctx, 0)

    def met_twice(live: Live) -> bool:
        if fake.faults_served.get("hyperliquid", 0) < 2:
            return False
        seen["fresh"] = live.fresh("hyperliquid")  # marks from the websocket meanwhile
        return True

    def counted(live: Live) -> bool:
        last = _health(live, "hyperliquid")[-1:]
        return any(h["errors"] + h["dropped_payloads"] > 0 for h in last)

    live = run_live(
        fake,
        tmp_path / "r.session",
        ("hyperliquid",),
        FAST_RULES,
        [
            (
                "fresh before the fault",
                lambda live: live.fresh("hyperliquid"),
                lambda: set_fault(fault),
            ),
            ("the fault met twice", met_twice, lambda: set_fault(None)),
            (
                "polled again after the fault",
                lambda live: fake.hits.get(ctx, 0) > seen["polls"],
                None,
            ),
            ("a health record that counts the fault", counted, None),
        ],
    )
    assert seen["fresh"]  # the websocket kept the marks fresh while REST failed
    assert live.fresh("hyperliquid")


def test_live_equals_replay(fake: FakeExchange, tmp_path: Path) -> None:
    rules = (
        FAST_RULES
        + """
[[rule]]
id = "above_70k"
metric = "mark_price"
scope = "venue"
op = ">"
enter = 70000
exit = 69990
severity = "info"
message = "mark {mark_price:,.2f}"
"""
    )
    out = tmp_path / "eq.session"
    # a faster path so that the price crosses 70,000 while recording
    import fake_exchange

    fake_exchange_period = fake_exchange.price_at
    fake_exchange.price_at = lambda ms: round(
        70_000.0 * (1 + 0.002 * __import__("math").sin(ms / 1_000)), 2
    )
    try:
        rec = run_live(
            fake,
            out,
            ("binance", "okx", "hyperliquid"),
            rules,
            [
                (
                    "an above_70k alert and about 12 s of both venues' marks",
                    lambda live: (
                        any(o.get("rule") == "above_70k" for o in live.outputs)
                        and live.counts[(MarkPrice, "binance")] >= 60  # 5 a second
                        and live.counts[(MarkPrice, "okx")] >= 24  # 2 a second
                        and any(
                            o.get("rule") == "above_70k" and o.get("venue") == "hyperliquid"
                            for o in live.outputs
                        )
                    ),
                    None,
                )
            ],
        )
        live = rec.outputs
    finally:
        fake_exchange.price_at = fake_exchange_period
    with SessionReader(out) as r:
        last_ts = r.time_range()[1]
        rules_obj = load_rules([out.with_suffix(".toml")], include_user_dir=False)
        d = ReplayDriver(
            r.events, lambda c: build_pipeline(c, rules=rules_obj).engine, *r.time_range()
        )
        d.play(0)
        d.step(0)
        replayed = [r.to_json() for r in d.engine.drain()]

    def judged(records: list[dict]) -> list[dict]:
        return [
            x
            for x in records
            if x["type"] in ("alert", "checklist", "ladder") and x["ts_ms"] < last_ts
        ]

    live_j, replay_j = judged(live), judged(replayed)
    assert {x["venue"] for x in live_j if x["type"] == "alert"} >= {"binance", "hyperliquid"}
    assert [x for x in live_j if x["type"] == "alert" and x["rule"] == "above_70k"], (
        "the test path never crossed"
    )
    assert live_j == replay_j


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_record_command_closes_the_file_cleanly_on_a_signal(
    fake: FakeExchange, tmp_path: Path, sig: str
) -> None:
    import signal
    import subprocess
    import sys

    out = tmp_path / "rec.session"
    urls = fake.urls()
    cmd = [
        sys.executable,
        "-m",
        "workstation",
        "record",
        "--out",
        str(out),
        "--venues",
        "binance",
        "--quiet",
        "--binance-url",
        urls["binance"],
        "--binance-ws-url",
        urls["binance_ws"],
        "--binance-spot-url",
        urls["binance_spot"],
    ]
    sent0 = fake.ws_sent.get("binance", 0)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        deadline = time.monotonic() + STEP_DEADLINE_S
        while fake.ws_sent.get("binance", 0) - sent0 < 20:  # marks sent to the recorder
            assert time.monotonic() < deadline and child.poll() is None, "the recorder got nothing"
            time.sleep(0.05)
        child.send_signal(getattr(signal, sig))
        _, err = child.communicate(timeout=20)
    assert child.returncode == 0, err
    assert "recorded" in err
    assert not Path(str(out) + "-wal").exists()  # closed and checkpointed, not killed
    with SessionReader(out) as r:
        marks = [e for e in r.events() if isinstance(e, MarkPrice)]
        assert r.meta.source == "live" and r.meta.extra["urls"]["binance_ws"] == urls["binance_ws"]
    assert len(marks) >= 10


def test_urls_come_from_settings_then_the_command_line(tmp_path: Path) -> None:
    from workstation.app.feed_config import SettingsError, feed_config, settings_path

    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[urls]\nbybit = "https://api-testnet.bybit.com"\nbinance_ws = "wss://stream.binancefuture.com"\n'
    )
    args = (("binance", "bybit"), ("BTCUSDT",), {"binance_ws_url": "ws://127.0.0.1:9"})
    cfg = feed_config(*args)
    assert cfg.urls["bybit"] == "https://api-testnet.bybit.com"  # from the settings file
    assert cfg.urls["binance_ws"] == "ws://127.0.0.1:9"  # the command line wins
    assert cfg.urls["okx"] == "https://www.okx.com"  # the default
    path.write_text('[urls]\nkraken = "https://x"\n')
    with pytest.raises(SettingsError, match=r"\[urls\] kraken: unknown"):
        feed_config(*args)
    path.unlink()
    with pytest.raises(SettingsError, match="--okx-url must be an http"):
        feed_config(("okx",), ("BTCUSDT",), {"okx_url": "ftp://x"})
