"""The Parquet archive (issue 17, item 3): session -> archive -> extract -> replay gives the same
alerts; archiving twice adds nothing; plain DuckDB reads it; the README's three desk queries
give the numbers a second method (pandas or plain Python over the session reader) gives."""

from __future__ import annotations

import bisect
import io
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import DEMO, REPO

from workstation.app.run import run_session
from workstation.cli.main import main
from workstation.cli.output import JsonlPrinter
from workstation.core.events import Liquidation, MarkPrice
from workstation.sessions.archive import archive_session, extract, query
from workstation.sessions.store import SessionReader

FEB2 = 1769990400000  # 2026-02-02T00:00:00Z: 20486 days × 86,400,000 ms
FEB3 = FEB2 + 86_400_000


def replay_lines(path: Path) -> list[dict]:
    """Every output record of a max-speed replay with the default rules, as the CLI's JSON."""
    buf = io.StringIO()
    with SessionReader(path) as reader:
        run_session(reader, JsonlPrinter(buf).write, report_every_ms=60_000)
    return [json.loads(line) for line in buf.getvalue().splitlines()]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("arch") / "archive"
    done = archive_session(DEMO, root)
    assert not done.skipped and done.events == 85_177
    return root


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The demo's replay output, as a JSONL file (for the skew query) and as records."""
    lines = replay_lines(DEMO)
    path = tmp_path_factory.mktemp("out") / "selloff.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path, lines


@pytest.fixture(scope="module")
def demo_events() -> list:
    with SessionReader(DEMO) as r:
        return list(r.events())


def test_round_trip_replays_the_same_alerts_and_every_other_record(
    archive: Path, demo_out, tmp_path: Path
) -> None:
    out = tmp_path / "whole.session"
    assert extract(archive, out) == 85_177
    again = replay_lines(out)
    original = demo_out[1]
    alerts = [r for r in original if r["type"] == "alert"]
    assert len(alerts) == 69  # counted in `workstation replay demo | grep -c '"type": "alert"'`
    assert [r for r in again if r["type"] == "alert"] == alerts
    assert again == original  # metrics, checklist and ladder too


def test_the_extract_holds_the_events_themselves(
    archive: Path, demo_events, tmp_path: Path
) -> None:
    out = tmp_path / "whole.session"
    extract(archive, out)
    with SessionReader(out) as r:
        assert list(r.events()) == demo_events  # seq 1.. in the demo already
        assert r.meta.venues == ("binance", "bybit", "deribit")
        assert r.meta.symbols == ("BTCUSDT",)


def test_a_range_extract_is_the_sessions_events_in_that_range(
    archive: Path, demo_events, tmp_path: Path
) -> None:
    out = tmp_path / "feb2.session"
    n = extract(archive, out, FEB2, FEB3, ["BTCUSDT"])
    want = [e for e in demo_events if FEB2 <= e.ts_recv_ms < FEB3]
    with SessionReader(out) as r:
        got = list(r.events())
    assert n == len(want) > 10_000
    assert [e.seq for e in got] == list(range(1, n + 1))
    strip = [(type(e), e.ts_recv_ms, e.ts_event_ms, e.venue) for e in want]
    assert [(type(e), e.ts_recv_ms, e.ts_event_ms, e.venue) for e in got] == strip
    assert extract(archive, tmp_path / "none.session", symbols=["ETHUSDT"]) == 0


def test_archiving_again_adds_nothing(archive: Path, demo_events) -> None:
    files = {p: p.stat().st_mtime_ns for p in archive.rglob("*.parquet")}
    again = archive_session(DEMO, archive)
    assert again.skipped and again.events == 0
    assert {p: p.stat().st_mtime_ns for p in archive.rglob("*.parquet")} == files
    manifest = json.loads((archive / "_archive.json").read_text())
    assert list(manifest["sessions"]) == [again.session_id]
    kinds = ["bar_1m", "future_price", "liquidation", "long_short_ratio", "mark_price"]
    kinds += ["open_interest", "option_chain", "volume_24h"]
    total = sum(query(archive, f"SELECT count(*) FROM {k}").rows[0][0] for k in kinds)
    assert total == len(demo_events) == 85_177


def test_plain_duckdb_reads_the_partitions_typed_and_zstd(archive: Path) -> None:
    glob = f"{archive}/kind=bar_1m/**/*.parquet"
    con = duckdb.connect()
    n, ts_type, first, venues, days = con.execute(
        "SELECT count(*), any_value(typeof(ts_event)), min(ts_event_ms), "
        "count(DISTINCT venue), count(DISTINCT date) "
        f"FROM read_parquet('{glob}', hive_partitioning=true)"
    ).fetchone()
    assert n == 14_400  # 7,200 bars (120 h × 60) on each of binance and bybit
    assert ts_type == "TIMESTAMP WITH TIME ZONE"
    assert first == 1769731200000  # 2026-01-30T00:00Z, the scenario's start
    assert venues == 2 and days == 6  # Jan 30 .. Feb 4 (the last bar opens Feb 3 23:59)
    part = next(archive.glob("kind=bar_1m/venue=binance/symbol=BTCUSDT/date=2026-02-01/*.parquet"))
    meta = pq.ParquetFile(part).metadata
    assert meta.num_rows == 1440 and meta.row_group(0).column(0).compression == "ZSTD"
    liq = pd.read_parquet(archive / "kind=liquidation")  # pandas (pyarrow), no code of ours
    assert len(liq) == 11_724 and set(liq["venue"]) == {"binance", "bybit"}  # 7,256 + 4,468


# --- the README's queries --------------------------------------------------------------------
def readme_queries() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("### `workstation archive`", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def test_readme_largest_liquidation_hours(archive: Path, demo_events) -> None:
    got = query(archive, readme_queries()[0])
    assert got.columns[:3] == ["hour_utc", "symbol", "liq_usd"]
    liq = pd.DataFrame(
        [
            (e.ts_event_ms // 3_600_000, e.notional_usd)
            for e in demo_events
            if isinstance(e, Liquidation)
        ],
        columns=["hour", "usd"],
    )
    top = liq.groupby("hour")["usd"].agg(["sum", "count"]).sort_values("sum", ascending=False)
    want = [(h * 3_600_000, s, c) for h, (s, c) in top.head(10).iterrows()]
    rows = [(int(r[0].timestamp() * 1000), r[2], r[3]) for r in got.rows]
    assert [r[0] for r in rows] == [w[0] for w in want]
    assert [r[1] for r in rows] == pytest.approx([w[1] for w in want], rel=1e-12)
    assert [r[2] for r in rows] == [w[2] for w in want]
    assert rows[0][0] == 1770044400000  # 2026-02-02 15:00 UTC: the cascade


def test_readme_funding_apr_by_venue_per_month(archive: Path, demo_events) -> None:
    got = query(archive, readme_queries()[1])
    by_key = {(r[0], r[1]): r[2] for r in got.rows}
    marks = pd.DataFrame(
        [
            (
                e.venue,
                pd.Timestamp(e.ts_event_ms, unit="ms").strftime("%Y-%m"),
                e.funding_rate,
                e.funding_interval_h,
            )
            for e in demo_events
            if isinstance(e, MarkPrice) and e.funding_rate is not None
        ],
        columns=["venue", "month", "rate", "interval_h"],
    )
    marks["apr_pct"] = marks["rate"] * (24 / marks["interval_h"]) * 365 * 100  # 8h: × 1095
    want = marks.groupby(["venue", "month"])["apr_pct"].mean().to_dict()
    assert set(by_key) == {(v, m) for v in ("binance", "bybit") for m in ("2026-01", "2026-02")}
    assert by_key == pytest.approx(want, rel=1e-9)


def test_readme_skew_at_each_alert(archive: Path, demo_out, demo_events) -> None:
    path, lines = demo_out
    sql = readme_queries()[2].replace("selloff.jsonl", str(path))
    got = query(archive, sql)
    assert got.columns == ["alert_utc", "rule", "severity", "skew_25d_volpts", "mark_price_usd"]
    metrics = [r for r in lines if r["type"] == "metrics" and r["venue"] == "all"]
    m_ts = [r["ts_ms"] for r in metrics]
    marks = [e for e in demo_events if isinstance(e, MarkPrice) and e.venue == "binance"]
    k_ts = [e.ts_recv_ms for e in marks]
    want = []
    for a in (r for r in lines if r["type"] == "alert" and r["state"] == "active"):
        skew = metrics[bisect.bisect_right(m_ts, a["ts_ms"]) - 1]["skew_25d_30d_volpts"]
        mark = marks[bisect.bisect_right(k_ts, a["ts_ms"]) - 1].mark_price_usd
        want.append((a["rule"], round(skew, 2), mark))
    assert len(want) > 20
    assert [(r[1], r[3], r[4]) for r in got.rows] == want


# --- the command line --------------------------------------------------------------------------
def test_cli_archive_twice_query_json_and_extract(tmp_path: Path, capsys) -> None:
    root = tmp_path / "a"
    assert main(["archive", str(DEMO), "--to", str(root)]) == 0
    assert "85,177 events archived" in capsys.readouterr().out
    assert main(["archive", str(DEMO), "--to", str(root)]) == 0
    assert "already in the archive" in capsys.readouterr().out
    sql = "SELECT venue, count(*) AS n FROM liquidation GROUP BY 1 ORDER BY 1"
    assert main(["query", str(root), sql, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"venue": "binance", "n": 7256},  # `workstation info` of the demo
        {"venue": "bybit", "n": 4468},
    ]
    out = tmp_path / "x.session"
    argv = ["archive", "extract", str(root), "--from", "2026-02-02", "--to", "2026-02-02T01:00Z"]
    assert main([*argv, "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("wrote ")


def test_cli_errors_are_one_line(archive: Path, tmp_path: Path, capsys) -> None:
    assert main(["query", str(archive), "SELECT nope FROM bar_1m"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("workstation query: Binder Error")
    garbage = tmp_path / "g.session"
    garbage.write_text("not a session\n")
    assert main(["archive", str(garbage), "--to", str(tmp_path / "new")]) == 1
    assert "not a session file" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    extract_argv = ["archive", "extract", str(archive), "--out", str(tmp_path / "o.session")]
    with pytest.raises(SystemExit) as exc:
        main([*extract_argv, "--from", "2026-02-03", "--to", "2026-02-02"])
    assert exc.value.code == 2
    assert "--to 2026-02-02 00:00:00 UTC must be after --from" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    extract_argv[2] = str(tmp_path / "empty")
    assert main(extract_argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an archive (no _archive.json" in err


def test_two_sessions_merge_in_receive_order_with_unique_seq(tmp_path: Path, capsys) -> None:
    eth = tmp_path / "eth.session"
    argv = ["simulate", "--scenario", "feb-2026-selloff", "--hours", "2", "--symbols", "ETHUSDT"]
    assert main([*argv, "--venues", "binance", "--out", str(eth)]) == 0
    root = tmp_path / "a"
    assert archive_session(DEMO, root).events == 85_177
    with SessionReader(eth) as r:
        eth_events = list(r.events())
    assert archive_session(eth, root).events == len(eth_events) > 100
    both = tmp_path / "both.session"
    assert extract(root, both) == 85_177 + len(eth_events)
    with SessionReader(both) as r:
        merged = list(r.events())
        assert r.meta.symbols == ("BTCUSDT", "ETHUSDT")
    assert [e.seq for e in merged] == list(range(1, len(merged) + 1))
    recv = [e.ts_recv_ms for e in merged]
    assert recv == sorted(recv)
    only_eth = tmp_path / "eth2.session"
    extract(root, only_eth, symbols=["ETHUSDT"])
    with SessionReader(only_eth) as r:
        assert list(r.events()) == eth_events  # its seq were 1.. already


def test_without_duckdb_the_command_says_so_in_one_line(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "duckdb" else real(name, *a)
    )
    with pytest.raises(SystemExit) as exc:
        main(["query", str(tmp_path), "SELECT 1"])
    assert exc.value.code == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if not ln.startswith("(see")]
    assert err == [
        "workstation query: error: the archive needs duckdb, which the desktop bundle leaves out "
        "to stay small: use the Python install (pip install .)"
    ]


def test_a_run_interrupted_before_the_manifest_is_redone_without_doubles(tmp_path: Path) -> None:
    root = tmp_path / "a"
    sid = archive_session(DEMO, root).session_id
    stray = next(root.glob("kind=bar_1m/venue=binance/symbol=BTCUSDT/date=2026-02-01/*.parquet"))
    stray.rename(stray.with_name(f"part-{sid}-7.parquet"))  # as another chunking would name it
    (root / "_archive.json").unlink()  # the run "died" before writing its manifest
    assert archive_session(DEMO, root).events == 85_177
    assert query(root, "SELECT count(*) FROM bar_1m").rows[0][0] == 14_400  # 2 × 7,200 bars
