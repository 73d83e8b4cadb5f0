"""The venues' wire formats (../shared/payloads) parse into the right events, numbers checked."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED

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
from workstation.feeds import binance, bybit, deribit, okx
from workstation.feeds.wire import PayloadError

P = SHARED / "payloads"


def load(name: str):
    return json.loads((P / name).read_text())


def test_binance_mark_price_rest_and_ws() -> None:
    rest = binance.mark_price(load("binance_premiumIndex.json"), {})
    assert rest.cls is MarkPrice and rest.ts_event_ms == 1597370495002
    assert rest.fields == (11793.63104562, 11781.8049597, 0.00038246, 8.0, 1597392000000)
    ws = binance.mark_price(load("binance_ws_markPrice.json"), {"BTCUSDT": 4.0})
    assert ws.fields == (
        11794.15,
        11784.62659091,
        0.00038167,
        4.0,
        1562306400000,
    )  # fundingInfo's interval
    arr = [binance.mark_price(m, {}) for m in load("binance_ws_markPrice_arr.json")]
    assert arr[0].value("mark_price_usd") == 11185.87786614
    nautilus = binance.mark_price(load("binance_ws_markPrice_nautilus.json"), {})
    assert nautilus.symbol and nautilus.value("mark_price_usd") > 0


def test_binance_funding_info_intervals() -> None:
    assert binance.funding_intervals(load("binance_fundingInfo.json")) == {"BLZUSDT": 8.0}


def test_binance_force_order_is_a_long_liquidation() -> None:
    d = binance.force_order(load("binance_ws_forceOrder_nautilus.json"))
    assert d.cls is Liquidation and d.ts_event_ms == 1568014460893
    side, qty, price, usd = d.fields
    assert (side, qty, price) == (
        "long",
        0.014,
        9910.12345678,
    )  # SELL liquidates a long; average price
    assert usd == pytest.approx(0.014 * 9910.12345678)
    plain = binance.force_order(load("binance_ws_forceOrder.json"))
    assert (plain.value("side"), plain.value("qty_coin"), plain.value("price_usd")) == (
        "long",
        0.014,
        9910.0,
    )


def test_binance_klines_only_closed_minutes() -> None:
    assert binance.kline(load("binance_ws_kline.json")) is None  # "x": false, still open
    msg = load("binance_ws_kline.json")
    msg["k"]["x"] = True
    bar = binance.kline(msg)
    assert bar.cls is Bar1m and bar.fields == (0.001, 0.0025, 0.0015, 0.002, 1000.0)
    assert (bar.ts_event_ms, bar.ts_final_ms) == (1638747660000, 1638747720000)
    with pytest.raises(PayloadError, match="not 1-minute"):
        binance.klines(load("binance_klines.json"), "BTCUSDT")  # the docs' row spans a week


def test_binance_open_interest_long_short_and_quarterly() -> None:
    oi = binance.open_interest(load("binance_openInterest.json"), mark_usd=30_000.0)
    assert oi.cls is OpenInterest and oi.fields == (10659.509, 10659.509 * 30_000.0)
    (ls,) = binance.long_short(load("binance_globalLongShortAccountRatio.json"))
    assert ls.cls is LongShortRatio and ls.fields == (0.196, 0.6622)
    q = binance.quarterly(
        {"symbol": "BTCUSDT_260327", "markPrice": "71000.5", "indexPrice": "70000", "time": 1},
        "BTCUSDT",
    )
    assert q.cls is FuturePrice and q.fields == (
        71000.5,
        70000.0,
        1774598400000,
    )  # 2026-03-27 08:00 UTC
    v = binance.volume_24h(
        {"volume": "12.5", "quoteVolume": "875000.0", "closeTime": 5}, "spot", "BTCUSDT", 9
    )
    assert v.cls is Volume24h and v.fields == ("spot", 12.5, 875000.0)


def test_binance_malformed_payloads_raise_payload_errors() -> None:
    for bad in (
        {},
        {"o": {"S": "HOLD", "s": "X"}},
        {"o": {"S": "SELL", "s": "X", "q": "abc", "p": "1", "T": 1}},
    ):
        with pytest.raises(PayloadError):
            binance.force_order(bad)
    with pytest.raises(PayloadError):
        binance.mark_price({"s": "BTCUSDT", "E": 1, "p": "x"}, {})


def test_bybit_ws_ticker_snapshot_then_delta() -> None:
    snap = load("bybit_ws_tickers_LinearPerpetual.json")
    cache = bybit.TickerCache()
    drafts = {d.cls: d for d in cache.update(snap)}
    data = snap["data"]
    assert (
        drafts[MarkPrice].value("mark_price_usd"),
        drafts[MarkPrice].value("index_price_usd"),
    ) == (
        float(data["markPrice"]),
        float(data["indexPrice"]),
    )
    assert drafts[MarkPrice].value("funding_rate") == float(data["fundingRate"])
    assert drafts[OpenInterest].fields == (
        float(data["openInterest"]),
        float(data["openInterestValue"]),
    )
    delta = {
        "topic": "tickers.BTCUSDT",
        "type": "delta",
        "ts": snap["ts"] + 100,
        "data": {"symbol": "BTCUSDT", "markPrice": "66000.10"},
    }
    after = {d.cls: d for d in cache.update(delta)}
    assert after[MarkPrice].value("mark_price_usd") == 66000.1 and after[MarkPrice].value(
        "index_price_usd"
    ) == float(data["indexPrice"])
    assert after[MarkPrice].ts_event_ms == snap["ts"] + 100


def test_bybit_rest_ticker_liquidations_and_oi() -> None:
    inverse = bybit.rest_tickers(load("bybit_v5_market_tickers_inverse.json"))
    mark = next(d for d in inverse if d.cls is MarkPrice)
    assert (mark.value("mark_price_usd"), mark.value("index_price_usd")) == (114898.43, 114890.92)
    (liq,) = bybit.all_liquidation(load("bybit_ws_allLiquidation.json"))
    assert liq.fields == ("short", 20000.0, 0.04499, 20000 * 0.04499)  # "Sell": a short liquidated
    assert (liq.symbol, liq.ts_event_ms) == ("ROSEUSDT", 1739502302929)
    oi = bybit.open_interest(load("bybit_v5_market_open_interest.json"), "BTCUSD", 100.0)
    assert oi[0].fields == (63910691.0, 63910691.0 * 100.0)


def test_okx_funding_open_interest() -> None:
    (f,) = okx.funding_rate(load("okx_public_funding_rate.json"), ts_ms=7)
    assert f.cls is FundingRate and f.symbol == "BTCUSDT"
    assert f.fields == (0.0000182221218054, 8.0)  # nextFundingTime - fundingTime = 8 h
    (oi,) = okx.open_interest(load("okx_public_open_interest.json"))
    assert oi.fields == (555.55, 50000.0) and oi.ts_event_ms == 1597026383085
    with pytest.raises(PayloadError, match="code '51001'"):
        okx.open_interest({"code": "51001", "msg": "Instrument ID does not exist", "data": []})


def test_deribit_book_summary_and_dvol() -> None:
    chains = deribit.TickerChains()
    chains.summary(load("deribit_get_book_summary_by_currency_option_nautilus.json"), poll_ms=1)
    (chain,) = chains.drafts()
    assert chains.drafts() == []  # nothing changed since
    assert chain.cls is OptionChain and chain.symbol == "BTCUSDT"
    first = load("deribit_get_book_summary_by_currency_option_nautilus.json")["result"][0]
    q = next(q for q in chain.value("quotes") if q.instrument == first["instrument_name"])
    assert (q.mark_iv_pct, q.underlying_price_usd, q.strike_usd, q.option_type) == (
        55.2,
        95000.5,
        90000.0,
        "C",
    )
    v = deribit.volatility_index(load("deribit_ws_volatility_index.json"))
    assert (
        v.cls is VolIndex and v.fields == (129.36, 129.36, 129.36, 129.36) and v.symbol == "BTCUSDT"
    )
