"""Importing public history (real data from ../shared, read there) and exporting sessions."""

from __future__ import annotations

import csv
import io
import json
import statistics
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED

from workstation.cli import main
from workstation.core.events import (
    Bar1m,
    FundingRate,
    Liquidation,
    OpenInterest,
    OptionChain,
    PositionCommand,
    VolIndex,
)
from workstation.sessions.info import format_info, session_info
from workstation.sessions.store import SessionReader, SessionWriter

DATA = SHARED / "datasets"
PAYLOADS = SHARED / "payloads"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def imp(capsys, *args: str) -> tuple[int, dict]:
    try:
        code = main(["import", *args, "--json", "--force"])
    except SystemExit as exc:
        return exc.code, {}
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip().startswith("{") else {})


def events(path: Path) -> list:
    with SessionReader(path) as r:
        return list(r.events())


# --- 1-minute perp bars, January 2022 (csv with a mapping) ---------------------------------------
@pytest.fixture(scope="module")
def jan22(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("i") / "jan22.session"
    assert (
        main(
            [
                "import",
                "csv",
                str(DATA / "nautilus-test-data/btc-perp-20211231-20220201_1m.csv"),
                "--out",
                str(out),
                "--venue",
                "ftx",
                "--symbol",
                "BTCUSDT",
                "--map",
                "ts=timestamp,open=open,high=high,low=low,close=close,volume_usd=volume",
            ]
        )
        == 0
    )
    return out


def test_jan_2022_bars_match_the_file(jan22: Path) -> None:
    with (DATA / "nautilus-test-data/btc-perp-20211231-20220201_1m.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    bars = events(jan22)
    assert len(bars) == len(rows) == 45_031
    assert all(isinstance(b, Bar1m) for b in bars)
    first, last = bars[0], bars[-1]
    assert (first.ts_event_ms, first.open_usd, first.close_usd) == (
        ms("2021-12-31 23:01:00"),
        float(rows[0]["open"]),
        float(rows[0]["close"]),
    )
    assert (last.ts_event_ms, last.low_usd) == (
        ms(rows[-1]["timestamp"][:19]),
        float(rows[-1]["low"]),
    )
    low = min(bars, key=lambda b: b.low_usd)
    assert (low.low_usd, low.ts_event_ms) == (
        32_837.0,
        ms("2022-01-24 13:01:00"),
    )  # the January low
    assert first.volume_coin == pytest.approx(
        float(rows[0]["volume"]) / float(rows[0]["close"])
    )  # USD -> coin
    assert first.ts_recv_ms == first.ts_event_ms + 60_000  # a bar is final at its close


def test_an_imported_session_replays_through_the_default_rules(jan22: Path, capsys) -> None:
    assert main(["replay", str(jan22), "--every", "86400"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    metrics = [r for r in recs if r["type"] == "metrics" and r["venue"] == "all"]
    assert len(metrics) == 32  # daily boundaries from 2022-01-01 to 2022-02-01
    jan24 = next(r for r in metrics if r["ts_ms"] == ms("2022-01-25 00:00:00"))
    assert jan24["rv_24h_pct"] > 60  # the sell-off's volatility, from the bars themselves
    verdicts = [r for r in recs if r["type"] == "checklist"]
    assert verdicts and all(
        "liquidations" in r["unknown"] for r in verdicts
    )  # no feed: unknown, not fine
    assert any(r["type"] == "ladder" and "realized vol" in " ".join(r["reasons"]) for r in recs)


# --- Binance metrics (data.binance.vision layout) -------------------------------------------------
def test_metrics_csv_with_its_gaps_and_empty_cells(tmp_path: Path, capsys) -> None:
    src = DATA / "binance-metrics-daily/BTCUSDT_metrics.csv"
    with src.open() as fh:
        rows = list(csv.DictReader(fh))
    full = [r for r in rows if r["sum_open_interest"] and r["count_long_short_ratio"]]
    code, rep = imp(capsys, "binance-vision", str(src), "--out", str(tmp_path / "m.session"))
    assert code == 0
    assert rep["rows_read"] == len(rows) and rep["bad_rows"] == len(rows) - len(full)
    assert rep["problems"][0].endswith(
        ":6: sum_open_interest: empty or not a number; count_long_short_ratio: empty or not a number"
    )
    assert rep["counts"] == {"open_interest": len(full), "long_short_ratio": len(full)}
    assert rep["gaps"]  # reported, not hidden
    oi = [e for e in events(tmp_path / "m.session") if isinstance(e, OpenInterest)]
    assert (oi[0].ts_event_ms, oi[0].oi_coin, oi[0].oi_usd) == (
        ms(full[0]["create_time"]),
        float(full[0]["sum_open_interest"]),
        float(full[0]["sum_open_interest_value"]),
    )


def vision_lines(n: int, *, header: bool, micro: bool) -> str:
    """A data.binance.vision 1m klines CSV built from the real January 2022 bars."""
    with (DATA / "nautilus-test-data/btc-perp-20211231-20220201_1m.csv").open() as fh:
        src = list(csv.DictReader(fh))[:n]
    out = io.StringIO()
    if header:
        out.write(
            "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n"
        )
    for r in src:
        t = ms(r["timestamp"][:19])
        k = 1000 if micro else 1
        out.write(
            f"{t * k},{r['open']},{r['high']},{r['low']},{r['close']},1.5,{(t + 59_999) * k},0,10,0,0,0\n"
        )
    return out.getvalue()


def test_binance_vision_klines_zipped_with_or_without_header_in_ms_or_us(
    tmp_path: Path, capsys
) -> None:
    z = tmp_path / "BTCUSDT-1m-2022-01-01.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("BTCUSDT-1m-2022-01-01.csv", vision_lines(100, header=True, micro=False))
    plain = tmp_path / "klines" / "BTCUSDT-1m-2022-01-02.csv"
    plain.parent.mkdir()
    text = vision_lines(160, header=False, micro=True)
    plain.write_text("\n".join(text.splitlines()[100:]) + "\n")  # the next 60 minutes, in µs
    code, rep = imp(
        capsys, "binance-vision", str(z), str(plain), "--out", str(tmp_path / "k.session")
    )
    assert (
        code == 0
        and rep["counts"] == {"bar_1m": 160}
        and rep["gaps"] == []
        and rep["bad_rows"] == 0
    )
    bars = events(tmp_path / "k.session")
    assert (
        bars[0].ts_event_ms == ms("2021-12-31 23:01:00")
        and bars[-1].ts_event_ms == bars[0].ts_event_ms + 159 * 60_000
    )
    assert [b.symbol for b in bars[:1]] == ["BTCUSDT"]


def test_non_minute_klines_are_refused_with_the_reason(tmp_path: Path, capsys) -> None:
    f = tmp_path / "BTCUSDT-5m-2024-01-01.csv"
    f.write_text("1704067200000,1,2,0.5,1.5,3,1704067499999,0,1,0,0,0\n")
    code = main(["import", "binance-vision", str(f), "--out", str(tmp_path / "x.session")])
    assert code == 1 and "only 1-minute klines are imported" in capsys.readouterr().err


# --- funding: raw 8h (JSON pairs in percent), REST responses, and the daily means ----------------
def test_funding_8h_pairs_need_their_unit(tmp_path: Path, capsys) -> None:
    src = DATA / "binance-funding-8h/funding_rate_btc.json"
    assert (
        main(
            [
                "import",
                "binance-rest",
                str(src),
                "--symbol",
                "BTCUSDT",
                "--out",
                str(tmp_path / "f.session"),
            ]
        )
        == 1
    )
    assert "--rate-unit" in capsys.readouterr().err
    code, rep = imp(
        capsys,
        "binance-rest",
        str(src),
        "--symbol",
        "BTCUSDT",
        "--rate-unit",
        "percent",
        "--out",
        str(tmp_path / "f.session"),
    )
    raw = json.loads(src.read_text())
    assert code == 0 and rep["counts"] == {"funding_rate": len(raw)} == {"funding_rate": 3316}
    fr = {e.ts_event_ms // 1000: e for e in events(tmp_path / "f.session")}
    ftx = next(
        e for t, e in fr.items() if t * 1000 // 60_000 == ms("2022-11-10 00:00:00") // 60_000
    )
    assert ftx.funding_rate == pytest.approx(-0.119172 / 100)  # the FTX collapse
    assert ftx.funding_interval_h == 8.0  # from the settlements' spacing


def test_daily_funding_means_agree_with_the_raw_8h_rates(tmp_path: Path, capsys) -> None:
    code, rep = imp(
        capsys,
        "csv",
        str(DATA / "binance-funding-daily/funding_rates.csv"),
        "--map",
        "ts=date,funding_rate=funding_mean",
        "--funding-interval-h",
        "8",
        "--venue",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--out",
        str(tmp_path / "d.session"),
    )
    assert code == 0 and rep["counts"] == {"funding_rate": 2348}
    daily = {e.ts_event_ms: e.funding_rate for e in events(tmp_path / "d.session")}
    raw = json.loads((DATA / "binance-funding-8h/funding_rate_btc.json").read_text())
    for day in ("2022-11-09", "2022-11-10"):
        lo = ms(f"{day} 00:00:00")
        rates = [r / 100 for t, r in raw if lo <= t < lo + 86_400_000]
        assert len(rates) == 3
        assert daily[lo] == pytest.approx(statistics.fmean(rates), abs=1e-10)


def test_rest_klines_of_another_interval_are_refused(tmp_path: Path, capsys) -> None:
    # the documentation's kline spans a week (open 1499040000000, close 1499644799999)
    code = main(
        [
            "import",
            "binance-rest",
            str(PAYLOADS / "binance_klines.json"),
            "--symbol",
            "BTCUSDT",
            "--out",
            str(tmp_path / "r.session"),
        ]
    )
    assert code == 1
    assert "klines of 604800 s; only 1-minute klines are imported" in capsys.readouterr().err
    assert not (tmp_path / "r.session").exists()  # nothing half-written


def test_rest_funding_and_oi_payloads(tmp_path: Path, capsys) -> None:
    code, _ = imp(
        capsys,
        "binance-rest",
        str(PAYLOADS / "binance_fundingRate.json"),
        str(PAYLOADS / "binance_openInterestHist.json"),
        "--out",
        str(tmp_path / "r.session"),
    )
    assert code == 0
    evs = events(tmp_path / "r.session")
    fr = next(e for e in evs if isinstance(e, FundingRate))
    src = json.loads((PAYLOADS / "binance_fundingRate.json").read_text())[0]
    assert (fr.ts_event_ms, fr.funding_rate, fr.symbol) == (
        src["fundingTime"],
        float(src["fundingRate"]),
        "BTCUSDT",
    )
    oi = next(e for e in evs if isinstance(e, OpenInterest))
    assert oi.oi_coin == 20403.12345678 and oi.oi_usd == 176196512.12345678


# --- Deribit: DVOL, chains ----------------------------------------------------------------------------
def test_dvol_csv_newest_first_is_sorted(tmp_path: Path, capsys) -> None:
    code, rep = imp(
        capsys,
        "deribit-dvol",
        str(DATA / "deribit-dvol/btc_dvol.csv"),
        "--out",
        str(tmp_path / "v.session"),
    )
    assert code == 0 and rep["counts"] == {"vol_index": 1840}
    evs = events(tmp_path / "v.session")
    assert [e.ts_event_ms for e in evs] == sorted(e.ts_event_ms for e in evs)
    feb5 = next(e for e in evs if e.ts_event_ms == ms("2026-02-05 00:00:00"))
    assert (feb5.high_pct, feb5.close_pct) == (90.33, 82.62)
    assert feb5.ts_recv_ms == feb5.ts_event_ms + 86_400_000  # a daily candle is final at its close
    assert all(isinstance(e, VolIndex) and e.symbol == "BTCUSDT" for e in evs)


def test_dvol_fractions_are_converted_and_said(tmp_path: Path, capsys) -> None:
    code, rep = imp(
        capsys,
        "deribit-dvol",
        str(PAYLOADS / "deribit_get_volatility_index_data.json"),
        "--out",
        str(tmp_path / "v.session"),
    )
    assert code == 0 and any("fractions; converted to percent" in n for n in rep["notes"])
    assert events(tmp_path / "v.session")[0].close_pct == pytest.approx(21.2860821)


def test_recorded_deribit_websocket_session(tmp_path: Path, capsys) -> None:
    src = DATA / "cryptofeed-samples/DERIBIT.ws.1.0"
    code, _ = imp(capsys, "deribit-chain", str(src), "--out", str(tmp_path / "c.session"))
    assert code == 0
    chains = [e for e in events(tmp_path / "c.session") if isinstance(e, OptionChain)]
    # the last quote of each instrument in the file, read independently
    last: dict[str, dict] = {}
    for line in src.read_text().splitlines():
        head, _, body = line.partition(": ")
        if head.replace(".", "").isdigit() and '"channel":"ticker.' in body:
            d = json.loads(body)["params"]["data"]
            last[d["instrument_name"]] = d
    btc = [c for c in chains if c.symbol == "BTCUSDT"][-1]
    assert {q.instrument for q in btc.quotes} == {n for n in last if n.startswith("BTC-")}
    q = next(q for q in btc.quotes if q.instrument == "BTC-24SEP21-8000-P")
    assert (q.mark_iv_pct, q.underlying_price_usd) == (
        last[q.instrument]["mark_iv"],
        last[q.instrument]["underlying_price"],
    )
    assert (
        q.expiry_ts_ms == ms("2021-09-24 08:00:00")
        and q.strike_usd == 8000
        and q.option_type == "P"
    )


def test_book_summary_json_and_flattened_csv(tmp_path: Path, capsys) -> None:
    src = PAYLOADS / "deribit_get_book_summary_by_currency_option_nautilus.json"
    code, _ = imp(capsys, "deribit-chain", str(src), "--out", str(tmp_path / "b.session"))
    assert code == 0
    (chain,) = events(tmp_path / "b.session")
    result = json.loads(src.read_text())["result"]
    assert len(chain.quotes) == len(result)
    flat = tmp_path / "chain.csv"
    with flat.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["instrument_name", "mark_iv", "underlying_price", "creation_timestamp", "greeks.delta"]
        )
        for r in result:
            w.writerow(
                [
                    r["instrument_name"],
                    r["mark_iv"],
                    r["underlying_price"],
                    r["creation_timestamp"],
                    0.5,
                ]
            )
    code, _ = imp(capsys, "deribit-chain", str(flat), "--out", str(tmp_path / "f.session"))
    assert code == 0 and events(tmp_path / "f.session")[0].quotes == chain.quotes


def test_skew_command_on_a_raw_file_and_a_session(tmp_path: Path, capsys) -> None:
    src = DATA / "cryptofeed-samples/DERIBIT.ws.1.0"
    assert main(["skew", str(src), "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    btc = next(r for r in reports if r["symbol"] == "BTCUSDT")
    assert btc["skew_25d_30d_volpts"] is None  # ten scattered options: no extrapolation
    deltas = {q["instrument"]: q["forward_delta"] for q in btc["instruments"]}
    assert deltas["BTC-30JUL21-24000-P"] < 0 and deltas["BTC-31DEC21-300000-C"] > 0
    from conftest import DEMO

    assert main(["skew", str(DEMO), "--at", "2026-02-02T06:00:00Z", "--json"]) == 0
    demo = json.loads(capsys.readouterr().out)
    assert 10 < demo["skew_25d_30d_volpts"] < 20 and len(demo["expiries"]) == 2


# --- the liquidation captures and a csv with bad rows ----------------------------------------------
def test_liquidation_captures_by_mapping(tmp_path: Path, capsys) -> None:
    src = DATA / "liquidation-captures/liqmap.liquidation_events.csv"
    code, rep = imp(
        capsys,
        "csv",
        str(src),
        "--map",
        "ts=event_ts,venue=exchange,symbol=symbol,liq_side=side,liq_qty=qty,liq_price=price,liq_usd=notional_usd",
        "--out",
        str(tmp_path / "l.session"),
    )
    with src.open() as fh:
        rows = list(csv.DictReader(fh))
    assert code == 0 and rep["counts"] == {"liquidation": len(rows)}
    liqs = events(tmp_path / "l.session")
    assert sum(e.notional_usd for e in liqs) == pytest.approx(
        sum(float(r["notional_usd"]) for r in rows)
    )
    assert {e.venue for e in liqs} == {r["exchange"] for r in rows}
    assert all(isinstance(e, Liquidation) for e in liqs)


def test_bad_rows_are_counted_with_line_numbers_and_the_import_goes_on(
    tmp_path: Path, capsys
) -> None:
    f = tmp_path / "prices.csv"
    f.write_text(
        "time,px\n2024-01-01T00:00:00Z,100\nnot-a-time,101\n2024-01-01T00:02:00Z,abc\n"
        "2024-01-01T00:03:00Z,103\n2024-01-01T00:03:00Z,103\n"
    )
    code, rep = imp(
        capsys,
        "csv",
        str(f),
        "--map",
        "ts=time,price=px",
        "--venue",
        "okx",
        "--symbol",
        "BTCUSDT",
        "--out",
        str(tmp_path / "p.session"),
    )
    assert code == 0 and rep["events"] == 2 and rep["bad_rows"] == 2 and rep["duplicates"] == 1
    assert rep["problems"][0].startswith(f"{f}:3: time: not a time")
    assert rep["problems"][1] == f"{f}:4: px: could not convert string to float: 'abc'"


@pytest.mark.parametrize(
    "mapping,needle",
    [
        ("price=px", "map the time column"),
        ("ts=time,colour=px", "unknown target 'colour'"),
        ("ts=time,price", "TARGET=COLUMN"),
    ],
)
def test_bad_mappings_exit_2(tmp_path: Path, capsys, mapping: str, needle: str) -> None:
    f = tmp_path / "p.csv"
    f.write_text("time,px\n1,2\n")
    with pytest.raises(SystemExit) as info:
        main(
            [
                "import",
                "csv",
                str(f),
                "--map",
                mapping,
                "--venue",
                "okx",
                "--symbol",
                "X",
                "--out",
                str(tmp_path / "o.session"),
            ]
        )
    assert info.value.code == 2 and needle in capsys.readouterr().err


# --- export ------------------------------------------------------------------------------------------
def test_export_parquet_and_csv_read_back_with_pandas(tmp_path: Path, capsys) -> None:
    from conftest import DEMO

    assert main(["export", str(DEMO), "--format", "parquet", "--out", str(tmp_path / "pq")]) == 0
    with SessionReader(DEMO) as r:
        counts = {k: n for k, _, _, n, _, _ in r.counts()}
        by_kind: dict[str, int] = {}
        for kind, _v, _s, n, _a, _b in r.counts():
            by_kind[kind] = by_kind.get(kind, 0) + n
        quotes = sum(len(e.quotes) for e in r.events() if isinstance(e, OptionChain))
    marks = pd.read_parquet(tmp_path / "pq" / "mark_price.parquet")
    assert len(marks) == by_kind["mark_price"]
    assert str(marks["ts_event"].dtype) in (
        "datetime64[ms, UTC]",
        "datetime64[us, UTC]",
        "datetime64[ns, UTC]",
    )
    assert marks["mark_price_usd"].dtype == "float64" and marks["venue"].dtype == "string"
    chain = pd.read_parquet(tmp_path / "pq" / "option_chain.parquet")
    assert len(chain) == quotes and set(chain["option_type"]) == {"P", "C"}
    liq = pd.read_parquet(tmp_path / "pq" / "liquidation.parquet")
    assert set(liq["side"]) == {"long", "short"}
    assert main(["export", str(DEMO), "--format", "csv", "--out", str(tmp_path / "csv")]) == 0
    oi = pd.read_csv(tmp_path / "csv" / "open_interest.csv", parse_dates=["ts_event"])
    assert len(oi) == by_kind["open_interest"] and str(oi["ts_event"].dt.tz) == "UTC"
    assert counts


def test_position_commands_are_counted_and_exported(tmp_path: Path) -> None:
    fields = (("venue", "binance"), ("qty", 1.0), ("margin_usd", None), ("thesis", "多头 → ✓"))
    cmds = [
        PositionCommand(1_000, 1_001, 1, "binance", "BTCUSDT", "open", 3, fields, None),
        PositionCommand(2_000, 2_001, 2, "binance", "BTCUSDT", "close", 3, (), 69_000.0),
    ]
    path = tmp_path / "c.session"
    with SessionWriter(path, source="live") as w:
        for c in cmds:
            w.append(c)
    info = session_info(path)
    assert info["events"] == 2
    assert info["counts"][0]["kind"] == "position_command" and info["counts"][0]["events"] == 2
    line = format_info(info).splitlines()[-1]
    assert line.split()[:4] == ["position_command", "binance", "BTCUSDT", "2"]
    for fmt in ("csv", "parquet"):
        assert main(["export", str(path), "--format", fmt, "--out", str(tmp_path / fmt)]) == 0
        f = tmp_path / fmt / f"position_command.{fmt}"
        df = pd.read_csv(f) if fmt == "csv" else pd.read_parquet(f)
        assert list(df["action"]) == ["open", "close"] and list(df["position_id"]) == [3, 3]
        assert pd.isna(df["price_usd"][0]) and df["price_usd"][1] == 69_000.0
        assert json.loads(df["fields_json"][0]) == dict(fields)
        assert pd.isna(df["fields_json"][1]) or json.loads(df["fields_json"][1]) == {}
