"""Deribit on real frames: cryptofeed's recorded websocket session (2021-07-22, 10 options) replayed
to the live adapter end to end, and imported as recorded and as a per-instrument ticker CSV. Every
expectation is read from the capture here, independently of the code under test."""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SHARED
from replay_exchange import ReplayExchange
from replay_run import drive

from workstation.cli import main
from workstation.core.events import OptionChain
from workstation.feeds import deribit
from workstation.feeds.live import FeedConfig
from workstation.metrics.black76 import forward_delta
from workstation.metrics.skew import chain_skew
from workstation.sessions.store import SessionReader

CAPTURE = SHARED / "datasets" / "cryptofeed-samples" / "DERIBIT.ws.1.0"
WS_PATH = "/ws/api/v2"
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def received() -> list[tuple[float, str]]:
    """The frames the recording received, ``<epoch s>: <json>``, in their order (not the ``<->``
    connection line nor the ``<-`` line of what was sent)."""
    out = []
    for line in CAPTURE.read_text().splitlines():
        head, sep, body = line.partition(": ")
        if sep and re.fullmatch(r"\d+(\.\d+)?", head):
            out.append((float(head), body))
    return out


def tickers() -> list[dict]:
    out = []
    for _, body in received():
        msg = json.loads(body)
        if str((msg.get("params") or {}).get("channel", "")).startswith("ticker."):
            out.append(msg["params"]["data"])
    return out


def latest() -> dict[str, dict]:
    """The newest ticker of every instrument."""
    out: dict[str, dict] = {}
    for d in tickers():
        if (
            d["instrument_name"] not in out
            or out[d["instrument_name"]]["timestamp"] <= d["timestamp"]
        ):
            out[d["instrument_name"]] = d
    return out


def expiry_ms(name: str) -> int:
    day = name.split("-")[1]
    d = datetime(2000 + int(day[-2:]), MONTHS.index(day[-5:-2]) + 1, int(day[:-5]), 8, tzinfo=UTC)
    return int(d.timestamp() * 1000)


def black76_delta(d: dict, now_ms: int) -> float:
    """Forward delta from the ticker's own mark IV and underlying, written out here."""
    _, _, strike, typ = d["instrument_name"].split("-")
    t = (expiry_ms(d["instrument_name"]) - now_ms) / (365 * 86_400_000)
    s = d["mark_iv"] / 100
    d1 = (math.log(d["underlying_price"] / float(strike)) + s * s * t / 2) / (s * math.sqrt(t))
    n = 0.5 * math.erfc(-d1 / math.sqrt(2))
    return n if typ == "C" else n - 1


def subscribed_names() -> list[str]:
    """The option names of the ticker channels the recording subscribed to."""
    line = next(x for x in CAPTURE.read_text().splitlines() if " <- " in x)
    channels = json.loads(line.split(": ", 1)[1])["params"]["channels"]
    return [c.split(".")[1] for c in channels if c.startswith("ticker.")]


def last_chains(events: list) -> dict[str, OptionChain]:
    return {e.symbol: e for e in events if isinstance(e, OptionChain)}


def as_recorded(chain: OptionChain) -> dict[str, tuple]:
    return {q.instrument: (q.mark_iv_pct, q.underlying_price_usd) for q in chain.quotes}


def expected_by_symbol() -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {}
    for name, d in latest().items():
        out.setdefault(name.split("-")[0] + "USDT", {})[name] = (
            d["mark_iv"],
            d["underlying_price"],
        )
    return out


def test_the_replaying_fake_drives_the_live_adapter_with_the_recorded_session(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frames = received()
    want = expected_by_symbol()
    newest = {
        s: max(d["timestamp"] for n, d in latest().items() if n in qs) for s, qs in want.items()
    }

    def until(run) -> bool:
        got = last_chains(run.events)
        return fx.done(WS_PATH) and all(
            s in got and as_recorded(got[s]) == qs for s, qs in want.items()
        )

    polls = FeedConfig().poll_s | {"deribit_chain": 3600.0, "deribit_tickers": 0.2}
    with ReplayExchange(ws={WS_PATH: frames}, speed=10.0) as fx:
        run = drive(
            fx,
            tmp_path / "deribit.session",
            ("deribit",),
            ("BTCUSDT", "ETHUSDT"),
            until,
            deribit_tickers=tuple(subscribed_names()),
            poll_s=polls,
        )
        sent = [json.loads(m) for m in fx.received[WS_PATH]]
    assert run.met, "the chains never held the newest quote of every recorded instrument"
    assert sent[0]["method"] == "public/subscribe"
    assert {c for c in sent[0]["params"]["channels"] if c.startswith("ticker.")} == {
        f"ticker.{n}.100ms" for n in subscribed_names()
    }
    # every frame went out: the acknowledgement, 46 book messages and 89 tickers, none dropped
    assert len(frames) == 1 + 46 + len(tickers())
    assert not [r for r in caplog.records if "deribit websocket" in r.getMessage()]
    with SessionReader(tmp_path / "deribit.session") as r:
        recorded = [e for e in r.events() if isinstance(e, OptionChain)]
    assert recorded == [e for e in run.events if isinstance(e, OptionChain)]
    final = last_chains(recorded)
    assert {s: c.ts_event_ms for s, c in final.items()} == newest
    assert len(final["BTCUSDT"].quotes) == 7 and len(final["ETHUSDT"].quotes) == 3
    # the chain grows instrument by instrument: never a chain of one timestamp's one or two quotes
    sizes = [len(e.quotes) for e in recorded if e.symbol == "BTCUSDT"]
    assert sizes == sorted(sizes) and sizes[-1] == 7
    for chain in final.values():  # deltas of the live chain against the greeks recorded beside
        for q in chain.quotes:
            t = (q.expiry_ts_ms - chain.ts_event_ms) / (365 * 86_400_000)
            ours = forward_delta(
                q.underlying_price_usd, q.strike_usd, t, q.mark_iv_pct / 100, q.option_type
            )
            assert ours == pytest.approx(latest()[q.instrument]["greeks"]["delta"], abs=1e-3)
    # the engine's metric of the chain: its quote count, and no 30-day skew from 7 scattered options
    vals = run.pipe.latest.values[("deribit", "BTCUSDT")]
    assert vals["option_quotes"] == 7
    assert (
        run.pipe.metrics.fresh_values.get(("deribit", "BTCUSDT"), {}).get("skew_25d_30d_volpts")
        is None
    )


def test_forward_deltas_from_mark_iv_equal_the_recorded_greeks() -> None:
    frames = tickers()
    assert len(frames) == 89
    for d in frames:
        _, q = deribit.quote_of(d)
        t = (q.expiry_ts_ms - d["timestamp"]) / (365 * 86_400_000)
        ours = forward_delta(
            q.underlying_price_usd, q.strike_usd, t, q.mark_iv_pct / 100, q.option_type
        )
        assert ours == pytest.approx(d["greeks"]["delta"], abs=1e-3), d["instrument_name"]
        assert ours == pytest.approx(black76_delta(d, d["timestamp"]), abs=1e-12)


def _imported(capsys, src: Path, out: Path) -> list[OptionChain]:
    assert main(["import", "deribit-chain", str(src), "--out", str(out), "--json", "--force"]) == 0
    capsys.readouterr()
    with SessionReader(out) as r:
        return [e for e in r.events() if isinstance(e, OptionChain)]


def _second_changes(rows: list[dict], symbol: str) -> int:
    """Chains the importer should take: one each time the second of the symbol's data changes,
    plus the last."""
    secs = [d["timestamp"] // 1000 for d in rows if d["instrument_name"].startswith(symbol[:3])]
    return 1 + sum(a != b for a, b in itertools.pairwise(secs))


CSV_COLUMNS = (
    *("instrument_name", "timestamp", "mark_iv", "bid_iv", "ask_iv", "underlying_price"),
    *("index_price", "open_interest", "greeks.delta", "greeks.vega"),
)


def flattened_csv(path: Path) -> list[dict]:
    """A per-instrument ticker dump, as a poller of public/ticker writes it: one row per ticker,
    grouped by instrument, each with its own timestamp and the venue's greeks beside it."""
    rows = sorted(tickers(), key=lambda d: (d["instrument_name"], d["timestamp"]))
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for d in rows:
            w.writerow(
                [d[k] for k in ("instrument_name", "timestamp", "mark_iv", "bid_iv", "ask_iv")]
                + [d[k] for k in ("underlying_price", "index_price", "open_interest")]
                + [d["greeks"]["delta"], d["greeks"]["vega"]]
            )
    return rows


def test_the_importer_assembles_the_recorded_session_and_a_flattened_ticker_csv(
    tmp_path: Path, capsys
) -> None:
    want = expected_by_symbol()
    from_ws = _imported(capsys, CAPTURE, tmp_path / "ws.session")
    for symbol in want:
        assert sum(c.symbol == symbol for c in from_ws) == _second_changes(tickers(), symbol)
    assert {s: as_recorded(c) for s, c in last_chains(from_ws).items()} == want

    rows = flattened_csv(tmp_path / "tickers.csv")
    from_csv = _imported(capsys, tmp_path / "tickers.csv", tmp_path / "csv.session")
    per_timestamp = {(d["timestamp"], d["instrument_name"][:3]) for d in rows}  # the old chains
    assert len(from_csv) < len(per_timestamp)
    by_time = sorted(rows, key=lambda d: d["timestamp"])
    for symbol in want:
        assert sum(c.symbol == symbol for c in from_csv) == _second_changes(by_time, symbol)
    final = last_chains(from_csv)
    assert {s: as_recorded(c) for s, c in final.items()} == want
    # the delta of every quote of the assembled chain, at the chain's time, against the greeks
    # recorded beside it (the newest row of its instrument)
    with (tmp_path / "tickers.csv").open() as fh:
        newest = {r["instrument_name"]: r for r in csv.DictReader(fh)}  # rows sorted by time
    for chain in final.values():
        for q in chain.quotes:
            t = (q.expiry_ts_ms - chain.ts_event_ms) / (365 * 86_400_000)
            ours = forward_delta(
                q.underlying_price_usd, q.strike_usd, t, q.mark_iv_pct / 100, q.option_type
            )
            assert ours == pytest.approx(float(newest[q.instrument]["greeks.delta"]), abs=1e-3)
        res = chain_skew(chain.quotes, chain.ts_event_ms)
        for name, d in res.deltas.items():  # the skew recipe's own deltas, out of the money
            assert d == pytest.approx(float(newest[name]["greeks.delta"]), abs=1e-3)
    # the 30-day figures: none, honestly, from 7 BTC options (one OTM put 8 days out, one 64 days
    # out; no expiry has quotes on both sides of 25 delta or of the forward)
    assert main(["skew", str(tmp_path / "tickers.csv"), "--json"]) == 0
    report = next(r for r in json.loads(capsys.readouterr().out) if r["symbol"] == "BTCUSDT")
    assert report["skew_25d_30d_volpts"] is None and report["atm_iv_30d_pct"] is None
    otm = {
        n
        for n, d in latest().items()
        if n.startswith("BTC-")
        and (float(n.split("-")[2]) < d["underlying_price"]) == n.endswith("-P")
    }
    shown = {q["instrument"] for q in report["instruments"] if q["forward_delta"] is not None}
    assert len(report["instruments"]) == 7 and shown == otm and len(otm) == 3


def test_stale_quotes_age_out_and_expired_instruments_drop() -> None:
    from workstation.sessions.importers.running_chain import MAX_AGE_MS, RunningChain

    eth = {n: d for n, d in latest().items() if n.startswith("ETH-")}
    quotes = {n: deribit.quote_of(d)[1] for n, d in eth.items()}
    now = max(d["timestamp"] for d in eth.values())

    chain = RunningChain()
    for n, d in eth.items():
        chain.update("ETHUSDT", quotes[n], d["timestamp"])
    assert {q.instrument for q in chain.snapshot("ETHUSDT")} == set(eth)
    chain.update("ETHUSDT", quotes["ETH-30JUL21-2800-C"], now - 60_000)  # older: ignored
    assert chain.now_ms("ETHUSDT") == now and len(chain.snapshot("ETHUSDT")) == 3
    later = now + MAX_AGE_MS + 1  # one instrument refreshed 15 minutes later: the others are stale
    chain.update("ETHUSDT", quotes["ETH-30JUL21-2800-C"], later)
    assert [q.instrument for q in chain.snapshot("ETHUSDT")] == ["ETH-30JUL21-2800-C"]

    chain = RunningChain(max_age_ms=86_400_000)
    for n, d in eth.items():
        chain.update("ETHUSDT", quotes[n], d["timestamp"])
    chain.update("ETHUSDT", quotes["ETH-30JUL21-2800-C"], expiry_ms("ETH-23JUL21-2300-C"))
    assert "ETH-23JUL21-2300-C" not in {q.instrument for q in chain.snapshot("ETHUSDT")}
    assert len(chain.snapshot("ETHUSDT")) == 2


def test_ticker_answers_as_json_lines_assemble_like_the_session(tmp_path: Path, capsys) -> None:
    """``public/ticker`` answers saved one per line (the result of each recorded ticker frame)."""
    path = tmp_path / "tickers.jsonl"
    path.write_text("".join(json.dumps({"jsonrpc": "2.0", "result": d}) + "\n" for d in tickers()))
    chains = _imported(capsys, path, tmp_path / "j.session")
    assert {s: as_recorded(c) for s, c in last_chains(chains).items()} == expected_by_symbol()
