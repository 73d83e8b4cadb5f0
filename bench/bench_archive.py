"""Archive benchmark (issue 17, item 3).

Simulates ``--days`` (30 by default: a month) of 1-second data on binance BTCUSDT with
``workstation simulate`` (mark price and open interest each second, 1-minute bars, liquidations),
then prints:

- the archive rate (``workstation.sessions.archive.archive_session``, events/s): median of
  ``--runs`` runs over the first day, each into a fresh folder, and the one run that archives the
  whole month;
- DuckDB query times over the month's archive (``workstation.sessions.archive.query``, which opens
  the views and runs the SQL): medians of ``--runs``;
- the archive's size on disk against the session file's.

Usage: python bench/bench_archive.py [--days 30] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workstation.sessions.archive import archive_session, query

QUERIES = {
    "hourly OHLC from 1-s marks": (
        "SELECT date_trunc('hour', ts_event) AS h, first(mark_price_usd ORDER BY ts_event_ms), "
        "max(mark_price_usd), min(mark_price_usd), last(mark_price_usd ORDER BY ts_event_ms) "
        "FROM mark_price GROUP BY 1 ORDER BY 1"
    ),
    "largest liquidation hours": (
        "SELECT date_trunc('hour', ts_event) AS h, sum(notional_usd) AS usd FROM liquidation "
        "GROUP BY 1 ORDER BY usd DESC LIMIT 10"
    ),
    "OI change per day": (
        "SELECT date, last(oi_usd ORDER BY ts_event_ms) - first(oi_usd ORDER BY ts_event_ms) "
        "FROM open_interest GROUP BY date ORDER BY date"
    ),
}


def simulate(out: Path, hours: float) -> None:
    cmd = [sys.executable, "-m", "workstation", "simulate", "--scenario", "feb-2026-selloff"]
    cmd += ["--hours", str(hours), "--tick-seconds", "1", "--venues", "binance", "--force"]
    subprocess.run([*cmd, "--out", str(out)], check=True)


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=30.0, help="days of 1-s data (default 30)")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    ap.add_argument(
        "--keep", default=None, help="work in this folder and keep it (default: a temp)"
    )
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench_archive_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        day, month = work / "day.session", work / "month.session"
        simulate(day, 24)
        simulate(month, 24 * args.days)
        rates = []
        for i in range(args.runs):
            dest = work / f"day-archive-{i}"
            shutil.rmtree(dest, ignore_errors=True)
            t0 = time.perf_counter()
            n = archive_session(day, dest).events
            rates.append(n / (time.perf_counter() - t0))
        print(
            f"archive rate, 1 day of 1-s data ({n:,} events): {statistics.median(rates):,.0f} events/s"
        )
        dest = work / "month-archive"
        shutil.rmtree(dest, ignore_errors=True)
        t0 = time.perf_counter()
        n = archive_session(month, dest).events
        dt = time.perf_counter() - t0
        print(f"archive rate, {args.days:g} days ({n:,} events, 1 run): {n / dt:,.0f} events/s")
        print(f"size: session {size_mb(month):.0f} MB, archive {size_mb(dest):.0f} MB")
        rows = query(dest, "SELECT count(*) FROM mark_price").rows[0][0]
        print(f"DuckDB over {args.days:g} days ({rows:,} mark-price rows), median of {args.runs}:")
        for name, sql in QUERIES.items():
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                query(dest, sql)
                times.append(time.perf_counter() - t0)
            print(f"  {name:<28}{statistics.median(times) * 1000:>8.0f} ms")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
