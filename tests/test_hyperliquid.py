"""Hyperliquid, the fifth venue: its wire formats, symbols, rate limits, hourly funding, and its
liquidations absent (not public on this venue), never zero."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from replay_exchange import ReplayExchange
from replay_run import drive

from workstation.core.events import Bar1m, FundingRate, MarkPrice, OpenInterest, Volume24h
from workstation.core.instruments import venue_symbol
from workstation.feeds import hyperliquid as hl
from workstation.feeds.live import FeedConfig
from workstation.feeds.net import WeightBudget
from workstation.feeds.wire import PayloadError
from workstation.sessions.importers.hyperliquid import funding_row

TS = 1_700_000_123_456  # 2023-11-14 22:15:23.456 UTC
CTX = {
    "funding": "0.0000125",
    "openInterest": "100.5",
    "prevDayPx": "69000.0",
    "dayNtlVlm": "840000000.0",
    "premium": "0.00031",
    "oraclePx": "69990.0",
    "markPx": "70000.0",
    "midPx": None,
    "impactPxs": ["69999.0", "70001.0"],
    "dayBaseVlm": "12000.0",
}


def test_symbols_map_both_ways() -> None:
    assert hl.desk_symbol("BTC") == "BTCUSDT" and hl.coin("BTCUSDT") == "BTC"
    assert hl.desk_symbol("kPEPE") == "1000PEPEUSDT" and hl.coin("1000PEPEUSDT") == "kPEPE"
    assert venue_symbol("hyperliquid", "ETHUSDT") == "ETH"  # the venue's own name, shown
    assert venue_symbol("okx", "ETHUSDT") == "ETH-USDT-SWAP"
    assert venue_symbol("binance", "ETHUSDT") == "ETHUSDT"


def test_an_asset_context_gives_mark_oracle_as_index_hourly_funding_oi_and_volume() -> None:
    drafts = hl.ws_message(
        {"channel": "activeAssetCtx", "data": {"coin": "BTC", "ctx": CTX}}, hl.CandleCloser(), TS
    )
    by = {d.cls: d for d in drafts}
    assert set(by) == {MarkPrice, OpenInterest, Volume24h}
    m = by[MarkPrice]
    assert (m.venue, m.symbol, m.ts_event_ms) == ("hyperliquid", "BTCUSDT", TS)
    assert m.value("mark_price_usd") == 70_000.0 and m.value("index_price_usd") == 69_990.0
    assert m.value("funding_rate") == 0.0000125 and m.value("funding_interval_h") == 1.0
    # TS // 3,600,000 = 472,222 whole hours; the next top of the hour is 472,223 h
    assert m.value("next_funding_ts_ms") == 472_223 * 3_600_000 == 1_700_002_800_000
    assert by[OpenInterest].value("oi_coin") == 100.5
    assert by[OpenInterest].value("oi_usd") == 7_035_000.0  # 100.5 coin x 70,000 USD
    assert by[Volume24h].value("volume_coin_24h") == 12_000.0
    assert by[Volume24h].value("volume_usd_24h") == 840_000_000.0


def test_meta_and_asset_ctxs_pairs_contexts_with_the_universe_by_position() -> None:
    meta = {"universe": [{"name": "ETH", "maxLeverage": 25}, {"name": "BTC", "maxLeverage": 40}]}
    eth = {**CTX, "markPx": "3500.0"}
    drafts = hl.meta_and_asset_ctxs([meta, [eth, CTX]], {"BTC"}, TS)
    marks = [d for d in drafts if d.cls is MarkPrice]
    assert [(d.symbol, d.value("mark_price_usd")) for d in marks] == [("BTCUSDT", 70_000.0)]
    with pytest.raises(PayloadError, match="do not match"):
        hl.meta_and_asset_ctxs([meta, [CTX]], {"BTC"}, TS)
    with pytest.raises(PayloadError, match="markPx"):
        hl.meta_and_asset_ctxs([meta, [eth, {"funding": "0.0001"}]], {"BTC"}, TS)


def _candle(t: int, close: str) -> dict:
    return {"t": t, "T": t + 59_999, "s": "BTC", "i": "1m", "o": "1.0", "h": "3.0", "l": "0.5",
            "c": close, "v": "7.25", "n": 10}  # fmt: skip


def test_candles_history_leaves_the_open_bar_out_and_the_stream_sends_each_bar_once() -> None:
    t0 = 1_700_000_040_000  # a minute's start
    rows = [_candle(t0, "2.0"), _candle(t0 + 60_000, "2.5")]
    bars = hl.candle_snapshot(rows, now_ms=t0 + 90_000)  # the second minute is still open
    assert [(b.ts_event_ms, b.ts_final_ms, b.value("close_usd")) for b in bars] == [
        (t0, t0 + 60_000, 2.0)
    ]
    closer = hl.CandleCloser()
    closer.after_ms["BTCUSDT"] = t0  # the history sent the bar of t0
    assert closer.update(_candle(t0, "2.1")) == []  # t0 again (already sent by the history)
    assert closer.update(_candle(t0 + 60_000, "2.4")) == []  # t0 closes, but was sent already
    assert closer.update(_candle(t0 + 60_000, "2.6")) == []  # the open candle changes
    closed = closer.update(_candle(t0 + 120_000, "2.7"))  # a new minute: t0 + 1 min closed
    assert [
        (b.cls, b.ts_event_ms, b.value("close_usd"), b.value("volume_coin")) for b in closed
    ] == [(Bar1m, t0 + 60_000, 2.6, 7.25)]


def test_funding_history_rows_are_hourly_rates() -> None:
    rows = [{"coin": "ETH", "fundingRate": "-0.00022196", "premium": "-0.00052196",
             "time": 1_683_849_600_076}]  # fmt: skip
    (d,) = [funding_row(r, "test") for r in rows]
    assert (d.cls, d.symbol, d.ts_event_ms) == (FundingRate, "ETHUSDT", 1_683_849_600_076)
    assert d.value("funding_rate") == -0.00022196 and d.value("funding_interval_h") == 1.0


def test_websocket_acks_pongs_and_other_channels_are_ignored_errors_are_payload_errors() -> None:
    c = hl.CandleCloser()
    ack = {"channel": "subscriptionResponse", "data": {"method": "subscribe"}}
    assert hl.ws_message(ack, c, TS) == []
    assert hl.ws_message({"channel": "pong"}, c, TS) == []
    assert hl.ws_message({"channel": "trades", "data": []}, c, TS) == []
    with pytest.raises(PayloadError, match="Invalid subscription"):
        hl.ws_message({"channel": "error", "data": "Invalid subscription"}, c, TS)


def test_request_weights_and_subscriptions_follow_the_documented_limits() -> None:
    assert hl.weight("metaAndAssetCtxs") == 20 and hl.weight("clearinghouseState") == 2
    assert hl.weight("candleSnapshot", 120) == 22  # 20 + 1 per 60 candles
    assert hl.weight("fundingHistory", 500) == 45  # 20 + 1 per 20 rows
    subs = hl.subscriptions(["BTC", "ETH"])
    assert len(subs) == 4 and subs[0] == {
        "method": "subscribe",
        "subscription": {"type": "activeAssetCtx", "coin": "BTC"},
    }
    with pytest.raises(ValueError, match="at most 1000"):
        hl.subscriptions([f"C{i}" for i in range(501)])


def test_the_weight_budget_waits_for_the_minute_to_roll_over() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    budget = WeightBudget(1200, 0.8, clock_s=lambda: now[0], sleep=sleep)  # 960 a minute

    async def spend() -> None:
        for _ in range(48):  # 48 x 20 = 960: within the budget, no wait
            await budget.take(20)
            now[0] += 0.5
        assert slept == [] and budget.used() == 960
        await budget.take(20)  # the 49th waits until the first (at 0 s) is 60 s old

    asyncio.run(spend())
    assert slept == [pytest.approx(60.0 - 24.0)]  # 48 requests x 0.5 s = 24 s elapsed


def test_replayed_frames_of_the_documented_shapes_reach_the_engine(tmp_path: Path) -> None:
    """The replaying exchange serves /ws (ack, a context, an error, odd frames, two candles) and
    POST /info (a malformed answer, then a good one): the feed records the context and the bar
    that closed, drops what it cannot read, and goes on."""
    t0 = 1_700_000_040_000
    meta = {"universe": [{"name": "BTC", "maxLeverage": 40}]}
    frames = [
        {"channel": "subscriptionResponse", "data": {"method": "subscribe"}},
        {"channel": "activeAssetCtx", "data": {"coin": "BTC", "ctx": CTX}},
        {"channel": "error", "data": "Invalid subscription"},
        {"channel": "l2Book", "data": {"coin": "BTC", "levels": [[], []]}},
        {"channel": "candle", "data": _candle(t0, "2.0")},
        {"channel": "candle", "data": _candle(t0 + 60_000, "2.5")},
    ]
    ws = {"/ws": [(100.0 + i * 0.05, json.dumps(f)) for i, f in enumerate(frames)]}
    ws["/ws"].insert(3, (100.12, '{"channel": "activeAssetCtx", "data": {"coin": "BT'))
    rest = {
        "/info:metaAndAssetCtxs": [(100.0, [meta]), (104.0, [meta, [CTX]])],
        "/info:candleSnapshot": [(100.0, [])],
    }

    def until(run) -> bool:
        return (
            any(isinstance(e, Bar1m) for e in run.events)
            and sum(isinstance(e, MarkPrice) for e in run.events) >= 2
        )

    polls = FeedConfig().poll_s | {"hyperliquid_ctx": 0.3, "hyperliquid_ping": 0.2}
    with ReplayExchange(ws=ws, rest=rest, speed=2.0) as fx:
        run = drive(
            fx, tmp_path / "hl.session", ("hyperliquid",), ("BTCUSDT",), until, poll_s=polls
        )
        sent = [json.loads(m) for m in fx.received["/ws"]]
    subscribed = [m["subscription"] for m in sent if m["method"] == "subscribe"]
    assert run.met
    assert subscribed == [
        {"type": "activeAssetCtx", "coin": "BTC"},
        {"type": "candle", "coin": "BTC", "interval": "1m"},
    ]
    assert {"method": "ping"} in sent  # the keep-alive (the venue closes a silent socket at 60 s)
    (bar,) = [e for e in run.events if isinstance(e, Bar1m)]
    assert (bar.symbol, bar.ts_event_ms, bar.close_usd) == ("BTCUSDT", t0, 2.0)
    marks = [e for e in run.events if isinstance(e, MarkPrice)]
    assert {(m.mark_price_usd, m.index_price_usd, m.funding_interval_h) for m in marks} == {
        (70_000.0, 69_990.0, 1.0)
    }
    # the error frame, the truncated frame and the [meta]-only answer: dropped, counted
    assert run.feeds.health.snapshot()["hyperliquid"].dropped_payloads >= 3


FUNDING_HISTORY = [  # Hyperliquid's docs example shape; hourly settlements of ETH
    {"coin": "ETH", "fundingRate": "-0.00022196", "premium": "-0.00052196", "time": 1683849600076},
    {"coin": "ETH", "fundingRate": "0.0000125", "premium": "-0.0001", "time": 1683853200031},
    {"coin": "ETH", "fundingRate": "oops", "premium": "0", "time": 1683856800000},
]


def test_import_hyperliquid_reads_funding_history_and_candles_and_exports_them(
    tmp_path: Path,
) -> None:
    from workstation.cli import main
    from workstation.sessions.store import SessionReader

    funding = tmp_path / "fundingHistory_ETH.json"
    funding.write_text(json.dumps(FUNDING_HISTORY))
    t0 = 1_683_849_600_000
    candles = tmp_path / "candleSnapshot_BTC.json"
    candles.write_text(json.dumps([_candle(t0, "2.0"), _candle(t0 + 60_000, "2.5")]))
    out = tmp_path / "hl.session"
    assert main(["import", "hyperliquid", str(funding), str(candles), "--out", str(out)]) == 0
    with SessionReader(out) as r:
        evs = list(r.events())
    rates = [e for e in evs if isinstance(e, FundingRate)]
    assert [(e.symbol, e.ts_event_ms, e.funding_rate, e.funding_interval_h) for e in rates] == [
        ("ETHUSDT", 1683849600076, -0.00022196, 1.0),
        ("ETHUSDT", 1683853200031, 0.0000125, 1.0),
    ]  # the third row's rate is not a number: reported, not imported
    bars = [e for e in evs if isinstance(e, Bar1m)]
    assert [(e.venue, e.symbol, e.ts_event_ms, e.ts_recv_ms, e.close_usd) for e in bars] == [
        ("hyperliquid", "BTCUSDT", t0, t0 + 60_000, 2.0),
        ("hyperliquid", "BTCUSDT", t0 + 60_000, t0 + 120_000, 2.5),
    ]
    assert main(["export", str(out), "--format", "csv", "--out", str(tmp_path / "x")]) == 0
    exported = (tmp_path / "x" / "funding_rate.csv").read_text().splitlines()
    assert len(exported) == 3 and "hyperliquid,ETHUSDT" in exported[1]


def test_the_official_liquidations_csv_is_refused_it_names_no_coin_side_or_price(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from conftest import SHARED

    from workstation.cli import main

    csv = SHARED / "datasets" / "hyperliquid-historical" / "liquidations.csv"
    code = main(["import", "hyperliquid", str(csv), "--out", str(tmp_path / "l.session")])
    assert code != 0
    assert "has no coin, side or price" in capsys.readouterr().err
    assert not (tmp_path / "l.session").exists()


def test_the_simulator_can_include_hyperliquid_hourly_funding_and_no_liquidations() -> None:
    from workstation.core.events import Liquidation
    from workstation.sessions.scenarios import SCENARIOS
    from workstation.sessions.simulator import simulate

    evs = list(
        simulate(SCENARIOS["feb-2026-selloff"], seed=3, hours=6, venues=("binance", "hyperliquid"))
    )
    hl_marks = [e for e in evs if isinstance(e, MarkPrice) and e.venue == "hyperliquid"]
    bn_marks = [e for e in evs if isinstance(e, MarkPrice) and e.venue == "binance"]
    assert hl_marks and all(e.funding_interval_h == 1.0 for e in hl_marks)
    assert all(e.next_funding_ts_ms % 3_600_000 == 0 for e in hl_marks)
    assert all(0 < e.next_funding_ts_ms - e.ts_event_ms <= 3_600_000 for e in hl_marks)
    # the same market's rate per hour: an eighth of the 8-hour rate (on average, noise apart)
    ratio = sum(e.funding_rate for e in hl_marks) / sum(e.funding_rate for e in bn_marks)
    assert ratio == pytest.approx(1 / 8, rel=0.02)
    liqs = {e.venue for e in evs if isinstance(e, Liquidation)}
    assert "hyperliquid" not in liqs and "binance" in liqs


def test_margin_tiers_from_meta_follow_the_documented_deduction_rule() -> None:
    from workstation.risk import hyperliquid_margin as hm

    t = hm.load_table("BTCUSDT")  # shipped: the docs' mainnet BTC tiers, 0-150M 40x, >150M 20x
    low, high = t.brackets
    assert (low.mmr, low.maint_amount_usd, low.max_leverage) == (0.0125, 0.0, 40.0)  # 1/(2x40)
    # deduction_1 = 0 + 150M x (0.025 - 0.0125) = 1,875,000; continuous at 150M: 1.875M both sides
    assert (high.floor, high.mmr, high.maint_amount_usd) == (150e6, 0.025, 1_875_000.0)
    assert low.maintenance_margin(150e6) == pytest.approx(high.maintenance_margin(150e6))
    assert t.for_size(200e6).maintenance_margin(200e6) == pytest.approx(3_125_000.0)
    # a table id below 50 is a single tier at that leverage
    single = hm.table_from_meta({"universe": [{"name": "DOGE", "maxLeverage": 10,
                                               "marginTableId": 10}]}, "DOGEUSDT")  # fmt: skip
    assert [(b.mmr, b.max_leverage) for b in single.brackets] == [(0.05, 10.0)]


def test_hyperliquid_liquidation_price_worked_examples_isolated_and_cross() -> None:
    from workstation.risk.margin import liquidation
    from workstation.risk.positions import Position

    # Isolated long 1 BTC at 70,000, 10x: margin 7,000; mmr 1/80 = 0.0125, MM = 875;
    # available 6,125; LP = 70,000 - 6,125 / 1 / (1 - 0.0125) = 70,000 - 6,202.53 = 63,797.47.
    # Check: at 63,797.47 equity 7,000 - 6,202.53 = 797.47 = 63,797.47 x 0.0125 (the MM).
    long = Position("hyperliquid", "BTCUSDT", "long", 1.0, 70_000.0, 10.0)
    r = liquidation(long)
    assert r.liquidation_price == pytest.approx(63_797.468, abs=0.01)
    assert r.formula == "hyperliquid isolated" and r.mmr == 0.0125
    # at a mark of 66,000 the equity is 3,000 and the MM 825: the same price (one tier)
    at_mark = liquidation(long, {"BTCUSDT": 66_000.0}).liquidation_price
    assert at_mark == pytest.approx(66_000 - (3_000 - 825) / 0.9875) == pytest.approx(63_797.468)
    # Isolated short 2 ETH at 3,500, 10x: margin 700; mmr 1/50 = 0.02, MM = 140; available 560;
    # LP = 3,500 + 560 / 2 / (1 + 0.02) = 3,500 + 274.51 = 3,774.51.
    short = Position("hyperliquid", "ETHUSDT", "short", 2.0, 3_500.0, 10.0)
    assert liquidation(short).liquidation_price == pytest.approx(3_774.5098, abs=0.01)
    # Cross: wallet 10,000 with that long at mark 70,000 and the ETH short (cross) at 3,500:
    # available = 10,000 - 875 - 140 = 8,985; LP = 70,000 - 8,985 / 0.9875 = 60,901.27.
    cl = Position("hyperliquid", "BTCUSDT", "long", 1.0, 70_000.0, 10.0, "cross", wallet_usd=10e3)
    cs = Position("hyperliquid", "ETHUSDT", "short", 2.0, 3_500.0, 10.0, "cross", wallet_usd=10e3)
    marks = {"BTCUSDT": 70_000.0, "ETHUSDT": 3_500.0}
    rc = liquidation(cl, marks, [cl, cs])
    assert rc.liquidation_price == pytest.approx(60_901.266, abs=0.01)
    assert rc.formula == "hyperliquid cross"
    # the ETH short's loss of 2 x 100 at 3,600 is the account's: 8,985 - 200 - 4 (MM +4) = 8,781
    marks["ETHUSDT"] = 3_600.0
    lp = liquidation(cl, marks, [cl, cs]).liquidation_price
    assert lp == pytest.approx(70_000 - 8_781 / 0.9875, abs=0.01)


ADDRESS = "0x" + "ab" * 20
DOCS_ETH = {  # the isolated ETH long of Hyperliquid's clearinghouseState docs example
    "type": "oneWay",
    "position": {"coin": "ETH", "cumFunding": {"allTime": "514.085417", "sinceChange": "0.0",
                 "sinceOpen": "0.0"}, "entryPx": "2986.3",
                 "leverage": {"rawUsd": "-95.059824", "type": "isolated", "value": 20},
                 "liquidationPx": "2866.26936529", "marginUsed": "4.967826", "maxLeverage": 50,
                 "positionValue": "100.02765", "returnOnEquity": "-0.0026789", "szi": "0.0335",
                 "unrealizedPnl": "-0.0134"},
}  # fmt: skip
# A cross BTC long, 1 at 70,000 marked at 70,000, in a cross account worth 10,000: by the docs'
# formula its liquidation is 70,000 - (10,000 - 875) / (1 - 0.0125) = 60,759.49 (40x: mmr 1/80).
CROSS_BTC = {
    "type": "oneWay",
    "position": {"coin": "BTC", "entryPx": "70000.0", "szi": "1.0", "positionValue": "70000.0",
                 "unrealizedPnl": "0.0", "marginUsed": "7000.0", "liquidationPx": "60759.49",
                 "leverage": {"type": "cross", "value": 10}, "maxLeverage": 40},
}  # fmt: skip


def _account() -> dict:
    summary = {"accountValue": "10000.0", "totalMarginUsed": "7000.0", "totalNtlPos": "70000.0",
               "totalRawUsd": "-60000.0"}  # fmt: skip
    return {"assetPositions": [DOCS_ETH, CROSS_BTC], "crossMarginSummary": summary,
            "marginSummary": summary, "crossMaintenanceMarginUsed": "875.0",
            "withdrawable": "3000.0", "time": 1708622398623}  # fmt: skip


def _sync(fake, capsys, *extra: str) -> tuple[int, str, str]:
    from workstation.cli import main

    code = main(["account", "sync", "--venue", "hyperliquid", "--address", ADDRESS.upper()[0]
                 + "x" + ADDRESS[2:].upper(), "--hyperliquid-url", fake.http_url, *extra])  # fmt: skip
    out = capsys.readouterr()
    return code, out.out, out.err


def test_account_sync_by_address_puts_the_venues_liquidation_price_beside_ours(
    fake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake.hl_clearinghouse[ADDRESS] = _account()  # the address is sent lower-cased
    # the docs example's era: ETH at 50x (one tier, mmr 1%). Ours for the ETH long, by hand:
    # mark 100.02765 / 0.0335 = 2,985.9; equity 4.967826; MM 1.0002765; available 3.9675495;
    # LP = 2,985.9 - 3.9675495 / 0.0335 / 0.99 = 2,985.9 - 119.63062 = 2,866.26938, the venue's
    # 2,866.26937 to 0.00002 USD. (At 25x, mmr 2 %: 2,985.9 - 2.967273 / 0.0335 / 0.98 = 2,895.52)
    fake.hl_meta_answer = {"universe": [{"name": "ETH", "maxLeverage": 50},
                                        {"name": "BTC", "maxLeverage": 40}]}  # fmt: skip
    code, out, _ = _sync(fake, capsys, "--json")
    assert code == 0
    rows = {r["symbol"]: r for r in json.loads(out)["positions"]}
    eth, btc = rows["ETHUSDT"], rows["BTCUSDT"]
    assert (eth["side"], eth["qty"], eth["margin_mode"]) == ("long", 0.0335, "isolated")
    assert eth["isolated_margin_usd"] == pytest.approx(4.981226)  # 4.967826 + 0.0134 of loss
    assert eth["our_liquidation_price"] == pytest.approx(2866.26938, abs=1e-4)
    assert eth["liquidation_price"] == 2866.26936529 and eth["differs"] is False
    assert btc["our_liquidation_price"] == pytest.approx(60_759.494, abs=0.01)
    assert btc["differs"] is False
    # today's meta puts ETH at 25x (mmr 2 %): ours moves away from the venue's figure: flagged
    fake.hl_meta_answer = None
    book = tmp_path / "book.sqlite"
    code, out, _ = _sync(fake, capsys, "--import", "--book", str(book))
    assert code == 0
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln.endswith(")")}
    assert "DIFFERS" in lines["ETHUSDT"] and "DIFFERS" not in lines["BTCUSDT"]
    assert "liq 2,866.27 (venue) / 2,895.52 (workstation)" in lines["ETHUSDT"]
    assert "imported 2 positions" in out
    assert {k: v for k, v in fake.hits.items() if k.startswith("/info:")}.keys() >= {
        "/info:clearinghouseState",
        "/info:meta",
    }  # read-only: nothing but /info was asked


def test_account_sync_refuses_a_bad_address(capsys: pytest.CaptureFixture[str]) -> None:
    from workstation.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["account", "sync", "--venue", "hyperliquid", "--address", "0x1234"])
    assert exit_.value.code == 2  # a usage error: nothing was asked of the venue
    assert "0x and 40 hex digits" in capsys.readouterr().err


def test_hyperliquid_urls_come_from_settings_then_the_command_line() -> None:
    from workstation.app.feed_config import feed_config, settings_path
    from workstation.cli.main import build_parser
    from workstation.cli.record_cmd import url_overrides

    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[urls]\nhyperliquid = "https://api.hyperliquid-testnet.xyz"\n')
    args = build_parser().parse_args(
        ["record", "--out", "x.session", "--venues", "hyperliquid",
         "--hyperliquid-ws-url", "ws://127.0.0.1:9/ws"]
    )  # fmt: skip
    cfg = feed_config(args.venues, args.symbols, url_overrides(args))
    assert cfg.venues == ("hyperliquid",)
    assert cfg.urls["hyperliquid"] == "https://api.hyperliquid-testnet.xyz"  # settings.toml
    assert cfg.urls["hyperliquid_ws"] == "ws://127.0.0.1:9/ws"  # the command line
    assert (
        feed_config(("hyperliquid",), ("BTCUSDT",), {})
        .urls["hyperliquid"]
        .startswith("https://api.hyperliquid-testnet")
    )
    path.unlink()
    assert feed_config(("hyperliquid",), ("BTCUSDT",), {}).urls["hyperliquid_ws"] == (
        "wss://api.hyperliquid.xyz/ws"
    )  # the venue's public default


def test_liq_price_command_and_brackets_refresh_for_hyperliquid(
    fake, capsys: pytest.CaptureFixture[str]
) -> None:
    from workstation.cli import main

    # the worked example above: 1 BTC long at 70,000, 10x -> 63,797.47 (40x tier, mmr 1.25 %)
    args = ["liq-price", "--venue", "hyperliquid", "--side", "long", "--qty", "1",
            "--entry", "70000", "--leverage", "10", "--json"]  # fmt: skip
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["liquidation_price"] == 63_797.47
    # refreshed from the (fake) venue's meta: its BTC table (40x, then 20x from 150M)
    assert main(["brackets", "refresh", "--venue", "hyperliquid", "--url", fake.http_url]) == 0
    assert "2 brackets written" in capsys.readouterr().out
    assert main(["brackets", "show", "--venue", "hyperliquid"]) == 0
    shown = capsys.readouterr().out
    assert "MMR  1.250%" in shown and "amount   1,875,000.00  max 20x" in shown


def test_poll_periods_given_in_part_keep_the_others_defaults() -> None:
    """A FeedConfig with only some poll periods (as the tests and a settings file give them)
    keeps the rest: Hyperliquid's keep-alive ping once crashed its task with a KeyError."""
    cfg = FeedConfig(poll_s={"oi": 1.0})
    assert cfg.poll_s["oi"] == 1.0 and cfg.poll_s["hyperliquid_ping"] == 50.0
    assert cfg.poll_s["hyperliquid_ctx"] == 10.0
