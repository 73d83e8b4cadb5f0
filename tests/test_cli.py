"""The command line: simulate, info, replay; argument validation; one-line errors for bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEMO, REPO

from workstation.sessions.store import SessionReader


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workstation", *args], capture_output=True, text=True, timeout=300
    )


def test_version() -> None:
    from workstation import __version__

    res = run("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"workstation {__version__}"


def test_replay_jsonl_is_byte_identical_twice(selloff_session: Path) -> None:
    a = run("replay", str(selloff_session), "--every", "300")
    b = run("replay", str(selloff_session), "--every", "300")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout
    lines = [x for x in a.stdout.splitlines() if x.startswith('{"type":"metrics"')]
    # Every 5 min from +5 min to +48 h (the last tick, at +48 h, is received a few ms later,
    # so time passes that boundary too): binance, bybit, deribit and the "all" aggregate.
    assert len(lines) == 4 * 48 * 12
    kinds = {json.loads(x)["type"] for x in a.stdout.splitlines()}
    assert kinds == {"metrics", "alert", "checklist", "ladder"}
    first = json.loads(lines[0])
    assert list(first)[:4] == ["type", "ts_ms", "venue", "symbol"]
    assert first["type"] == "metrics"
    binance = [json.loads(x) for x in lines if '"venue":"binance"' in x]
    for key in (
        "mark_price",
        "index_price",
        "oi_coin",
        "oi_usd",
        "funding_rate",
        "funding_interval_h",
    ):
        assert key in binance[-1], key
    assert binance[-1]["funding_interval_h"] == 8.0
    ts = [json.loads(x)["ts_ms"] for x in a.stdout.splitlines()]
    assert ts == sorted(ts)  # one time line for every kind of record
    assert all(json.loads(x)["ts_ms"] % 300_000 == 0 for x in lines)


def test_replay_metrics_match_the_session_independently(selloff_session: Path) -> None:
    """The last metrics line before a boundary carries the last mark price received before it."""
    res = run("replay", str(selloff_session), "--every", "3600")
    recs = [json.loads(x) for x in res.stdout.splitlines() if x.startswith('{"type":"metrics"')]
    target = next(r for r in recs if r["venue"] == "bybit" and r["ts_ms"] == recs[60]["ts_ms"])
    with SessionReader(selloff_session) as reader:
        last = None
        for ev in reader.events(end_ts_ms=target["ts_ms"] + 1):
            if type(ev).__name__ == "MarkPrice" and ev.venue == "bybit":
                last = ev
    assert last is not None
    assert target["mark_price"] == last.mark_price_usd
    assert target["funding_rate"] == last.funding_rate


def test_replay_table_says_simulated(selloff_session: Path) -> None:
    res = run("replay", str(selloff_session), "--format", "table", "--every", "21600")
    assert res.returncode == 0
    assert res.stdout.startswith(
        "REPLAY - simulated (scenario feb-2026-selloff, seed 3), not market data"
    )
    assert "mark USD" in res.stdout and "replayed" in res.stdout


def test_table_columns_are_the_catalogue_columns_with_units_in_the_header() -> None:
    import io

    from workstation.cli.output import TablePrinter

    out = io.StringIO()
    printer = TablePrinter(out)
    from workstation.core.records import MetricsRecord

    ts = 1_769_731_200_000
    printer.write(  # no mark: not a row
        MetricsRecord(ts, "deribit", "BTCUSDT", {"skew_25d_30d_volpts": 3.0})
    )
    values = {
        "mark_price": 74_534.789,
        "funding_rate_8h_pct": -0.0037,
        "oi_coin": 93_941.4,
        "oi_usd": 7_001_000_000.0,
        "oi_change_4h_pct": -0.5,
        "liq_long_usd_1h": 1_804_321.0,
        "liq_short_usd_1h": 0.0,
        "rv_24h_pct": 71.4,
    }
    printer.write(MetricsRecord(ts, "binance", "BTCUSDT", values, ("skew_25d_30d_volpts",)))
    head, row = out.getvalue().splitlines()
    assert head.split() == [
        "time", "(UTC)", "venue", "symbol", "mark", "USD", "funding", "%/8h", "OI", "coin", "OI",
        "USD", "OI", "4h", "%", "liq", "long", "1h", "USD", "liq", "short", "1h", "USD", "skew",
        "vol", "pts", "rv", "24h", "%",
    ]  # fmt: skip
    assert row.split() == [
        "2026-01-30", "00:00", "binance", "BTCUSDT", "74,534.79", "-0.0037", "93,941", "7.00B",
        "-0.50", "1.80M", "0", "-", "71", "STALE:", "skew_25d_30d_volpts",
    ]  # fmt: skip
    assert len(head) == row.index("  STALE")  # the columns line up under their headers


def test_info_text_and_json(selloff_session: Path) -> None:
    res = run("info", str(selloff_session))
    assert res.returncode == 0
    assert "simulated (scenario feb-2026-selloff, seed 3)" in res.stdout
    assert "not market data" in res.stdout
    info = json.loads(run("info", str(selloff_session), "--json").stdout)
    assert info["source"] == "simulated"
    assert info["venues"] == ["binance", "bybit", "deribit"]
    assert info["duration_h"] == pytest.approx(48.0, abs=0.01)
    by = {(c["kind"], c["venue"]): c["events"] for c in info["counts"]}
    assert by[("option_chain", "deribit")] == 48 * 60 + 1
    assert by[("mark_price", "binance")] == 48 * 60 + 1
    assert info["events"] == sum(by.values())
    assert [p["phase"] for p in info["extra"]["phases"]] == [
        "quiet",
        "crowding",
        "breakdown",
        "cascade",
        "rebound",
    ]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["simulate", "--scenario", "nope", "--out", "x.session"], "--scenario"),
        (
            ["simulate", "--scenario", "calm", "--out", "x.session", "--hours", "-3"],
            "--hours must be greater than 0",
        ),
        (
            ["simulate", "--scenario", "calm", "--out", "x.session", "--hours", "abc"],
            "--hours must be a number",
        ),
        (
            ["simulate", "--scenario", "calm", "--out", "x.session", "--venues", "binance,ftx"],
            "unknown ftx",
        ),
        (
            ["simulate", "--scenario", "calm", "--out", "x.session", "--symbols", "DOGEUSDT"],
            "unknown DOGEUSDT",
        ),
        (
            ["simulate", "--scenario", "calm", "--out", "x.session", "--seed", "-1"],
            "--seed must be 0 or more",
        ),
        (
            ["simulate", "--scenario", "calm", "--out", "x.session", "--start", "yesterday"],
            "--start must be an ISO 8601",
        ),
        (["simulate", "--scenario", "calm"], "--out"),
        (["replay", "x.session", "--speed", "x7"], "x1, x10, x60, x600, max"),
        (["replay", "x.session", "--every", "0"], "--every must be greater than 0"),
        (["replay", "x.session", "--format", "xml"], "--format"),
        (["info"], "file"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(args: list[str], needle: str) -> None:
    res = run(*args)
    assert res.returncode == 2
    assert needle in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("command", ["info", "replay"])
def test_bad_session_files_exit_1_with_one_line(tmp_path: Path, command: str) -> None:
    cases = {
        tmp_path / "missing.session": "no such file",
        tmp_path / "text.session": "not a session file",
    }
    (tmp_path / "text.session").write_text("hello\n" * 100)
    for path, needle in cases.items():
        res = run(command, str(path))
        assert res.returncode == 1, res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1
        assert str(path) in lines[0] and needle in lines[0]


def test_simulate_refuses_existing_file_and_missing_folder(tmp_path: Path) -> None:
    out = tmp_path / "a.session"
    assert run("simulate", "--scenario", "calm", "--hours", "1", "--out", str(out)).returncode == 0
    res = run("simulate", "--scenario", "calm", "--hours", "1", "--out", str(out))
    assert res.returncode == 1 and "already exists" in res.stderr
    res = run(
        "simulate",
        "--scenario",
        "calm",
        "--hours",
        "1",
        "--out",
        str(tmp_path / "no" / "b.session"),
    )
    assert res.returncode == 1 and "does not exist" in res.stderr


def test_demo_session_is_what_make_demo_makes(tmp_path: Path) -> None:
    """The bundled demo is the simulator's output for the Makefile's arguments (not a copy of
    anyone's data), labelled simulated, and small enough for the repository."""
    makefile = (REPO / "Makefile").read_text()
    line = next(x for x in makefile.splitlines() if "--scenario feb-2026-selloff" in x)
    assert "--seed 7 --hours 120" in line
    out = tmp_path / "demo.session"
    res = run(
        "simulate",
        "--scenario",
        "feb-2026-selloff",
        "--seed",
        "7",
        "--hours",
        "120",
        "--venues",
        "binance,bybit,deribit",
        "--symbols",
        "BTCUSDT",
        "--out",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    with SessionReader(DEMO) as bundled, SessionReader(out) as fresh:
        assert bundled.meta.source == "simulated"
        assert bundled.meta.extra == fresh.meta.extra
        for a, b in zip(bundled.events(), fresh.events(), strict=True):
            assert a == b
    assert DEMO.stat().st_size < 10_000_000


def test_backtest_rules_text_and_json(selloff_session: Path, tmp_path: Path) -> None:
    res = run("backtest-rules", str(selloff_session))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"backtest of {selloff_session}")
    assert "largest drawdown BTCUSDT (binance)" in res.stdout
    report = json.loads(run("backtest-rules", str(selloff_session), "--json").stdout)
    ids = {r["rule"] for r in report["rules"]}
    assert {"skew_fear", "liquidation_cluster", "lower_lows"} <= ids
    # a stricter skew threshold fires no more often than the default one
    strict = tmp_path / "strict.toml"
    strict.write_text(
        '[[rule]]\nid = "skew_fear"\nmetric = "skew_25d_30d_volpts"\nop = ">"\n'
        'enter = 30.0\nexit = 25.0\nchecklist = "skew"\n'
    )
    tuned = json.loads(
        run("backtest-rules", str(selloff_session), "--rules", str(strict), "--json").stdout
    )
    fired = {r["rule"]: r["fired"] for r in tuned["rules"] if r["venue"] == "all"}
    assert fired["skew_fear"] == 0
    assert str(strict) in tuned["rules_files"]
