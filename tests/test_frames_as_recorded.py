"""Frames that differ from the docs, as the captures show them: extra fields, numbers as strings or
as numbers, missing optional fields, the venues' error objects. Each is read as the adapter's
docstring says, or dropped and counted without stopping the feed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED
from replay_exchange import ReplayExchange
from replay_run import drive

from workstation.core.events import OpenInterest
from workstation.feeds import binance, bybit, deribit, okx
from workstation.feeds.live import FeedConfig
from workstation.feeds.wire import PayloadError

P = SHARED / "payloads"
CCXT = SHARED / "datasets" / "ccxt-fixtures"


def load(path: Path):
    return json.loads(path.read_text())


def test_numbers_as_strings_or_as_numbers_read_the_same() -> None:
    order = load(P / "binance_ws_forceOrder.json")
    as_numbers = json.loads(json.dumps(order))
    for k in ("q", "p", "ap", "l", "z"):
        as_numbers["o"][k] = float(order["o"][k])
    assert binance.force_order(as_numbers).fields == binance.force_order(order).fields
    case = load(CCXT / "bybit.subset.json")["methods"]["fetchTicker"][0]["httpResponse"]
    assert case["retCode"] == "0" and isinstance(case["time"], str)  # strings where docs say int
    (mark, *_) = bybit.rest_tickers(case)
    assert mark.ts_event_ms == int(case["time"])
    assert mark.value("mark_price_usd") == float(case["result"]["list"][0]["markPrice"])
    oi = load(P / "okx_public_open_interest.json")
    oi["data"][0]["oiCcy"] = float(oi["data"][0]["oiCcy"])
    assert okx.open_interest(oi)[0].value("oi_coin") == float(oi["data"][0]["oiCcy"])


def test_extra_and_missing_optional_fields() -> None:
    # binance markPrice with ap and st (newer than the classic docs example)
    msg = load(P / "binance_ws_markPrice.json")
    assert {"ap", "st"} <= set(msg) and binance.mark_price(msg, {}).value(
        "mark_price_usd"
    ) == float(msg["p"])
    # bybit's recorded answer has no fundingIntervalHour: the rate is kept, the interval unknown
    t = load(CCXT / "bybit.subset.json")["methods"]["fetchFundingRate"][0]["httpResponse"]
    (mark, *_) = bybit.rest_tickers(t)
    assert mark.value("funding_rate") == float(t["result"]["list"][0]["fundingRate"])
    assert mark.value("funding_interval_h") is None
    # a Deribit ticker of a perpetual, and an option ticker whose mark_iv is null: not quotes
    chains = deribit.TickerChains()
    chains.ticker(load(P / "deribit_ws_ticker_btc_perpetual_nautilus.json"))
    option = {"instrument_name": "BTC-27MAR26-60000-P", "timestamp": 1, "mark_iv": None}
    chains.ticker({"params": {"channel": "ticker.BTC-27MAR26-60000-P.100ms", "data": option}})
    assert chains.drafts() == []
    with pytest.raises(PayloadError, match="timestamp"):
        chains.ticker({"params": {"channel": "ticker.x", "data": {"mark_iv": 50}}})


def test_the_venues_error_objects_are_payload_errors_naming_the_venues_words() -> None:
    with pytest.raises(PayloadError, match="retCode 10001: params error"):
        bybit.rest_tickers(
            {"retCode": 10001, "retMsg": "params error", "result": {}, "time": 1700000000000}
        )
    with pytest.raises(PayloadError, match="Deribit error 10009: not_enough_funds"):
        deribit.TickerChains().summary(
            {"jsonrpc": "2.0", "error": {"code": 10009, "message": "not_enough_funds"}}, 1
        )
    with pytest.raises(PayloadError, match="not an object"):
        deribit.TickerChains().summary({"result": [1, 2]}, 1)
    with pytest.raises(PayloadError, match="code '50011'"):
        okx.mark_price({"code": "50011", "msg": "Too Many Requests", "data": []})


def test_an_answer_of_another_shape_is_dropped_and_the_poller_goes_on(tmp_path: Path) -> None:
    """OKX open interest without ``ts`` (a KeyError in the parser), then a good one: the first is
    counted as dropped, the feed keeps polling and records the second."""
    good = load(P / "okx_public_open_interest.json")
    bad = json.loads(json.dumps(good))
    del bad["data"][0]["ts"]
    rest = {"/api/v5/public/open-interest": [(0.0, bad), (2.0, good)]}

    def until(run) -> bool:
        return any(isinstance(e, OpenInterest) for e in run.events)

    once = {k: 3600.0 for k in ("okx_mark", "okx_funding", "okx_liq")}  # each fails once: 404
    polls = FeedConfig().poll_s | once | {"okx_oi": 0.3}
    with ReplayExchange(rest=rest) as fx:
        run = drive(fx, tmp_path / "okx.session", ("okx",), ("BTCUSDT",), until, poll_s=polls)
    assert run.met, "the poller stopped at the answer it could not read"
    (oi,) = [e for e in run.events if isinstance(e, OpenInterest)][:1]
    assert oi.ts_event_ms == int(good["data"][0]["ts"])
    assert run.feeds.health.snapshot()["okx"].dropped_payloads >= 3 + 1
