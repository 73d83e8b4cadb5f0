"""Session store and replay benchmark (issue: foundation).

Generates a 7-day session with 1-second mark-price/OI updates on 2 venues (binance, bybit) and
prints: recording throughput (SessionWriter.append + close, events/s), replay throughput at max
speed through the standard engine (events/s), the raw floor (plain sqlite3 in Python reading the
same rows in the same order, rows/s), their ratio, peak RSS of the replay, and file size per
million events. Replay and floor run in fresh child processes (clean RSS), several times; medians
are printed. Memory flatness: the same replay over the first day only, for comparison.

Usage: python bench/bench_sessions.py [--days 7] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sqlite3, sys, time
mode, path, end = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
if mode == "floor":
    con = sqlite3.connect(path)
    n = 0
    for row in con.execute(
        "SELECT kind, ts_event_ms, ts_recv_ms, seq, stream, x1, x2, x3, x4, x5, txt FROM events "
        "WHERE ts_recv_ms < ? ORDER BY ts_recv_ms, seq", (end,)):
        n += 1
else:
    from workstation.app.pipeline import build_pipeline
    from workstation.engine.replay import ReplayDriver
    from workstation.sessions.store import SessionReader
    reader = SessionReader(path)
    lo, hi = reader.time_range()
    hi = min(hi, end)
    d = ReplayDriver(lambda: reader.events(end_ts_ms=hi + 1),
                     lambda c: build_pipeline(c, report_every_ms=60_000).engine, lo, hi, None)
    d.play(0)
    out = 0
    while not d.finished:
        d.step(0, max_events=50_000)
        out += len(d.engine.drain())
    n = d.engine.events_processed
dt = time.perf_counter() - t0
# VmHWM is this process image's peak; ru_maxrss would include the forking parent's peak.
rss_mb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"n": n, "s": dt, "rss_mb": rss_mb}))
"""


def child(mode: str, path: Path, end_ms: int) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(end_ms)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(res.stdout)


def one_second_events(hours: float):  # -> Iterator[Event]
    """The benchmarks' load: the feb-2026-selloff scenario, 1-second updates, binance and bybit,
    BTCUSDT, seed 1."""
    from workstation.sessions.scenarios import SCENARIOS
    from workstation.sessions.simulator import simulate

    return simulate(
        SCENARIOS["feb-2026-selloff"],
        seed=1,
        hours=hours,
        venues=("binance", "bybit"),
        symbols=("BTCUSDT",),
        tick_s=1,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="keep the session file in this folder")
    args = ap.parse_args()

    from workstation.sessions.store import SessionReader, SessionWriter

    folder = args.keep or Path(tempfile.mkdtemp(prefix="ws-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench-7d-1s.session"
    hours = args.days * 24
    print(
        f"generating {args.days:g} days, 1-second updates, binance+bybit, BTCUSDT ...", flush=True
    )
    t0 = time.perf_counter()
    events = list(one_second_events(hours))
    print(f"  simulated {len(events):,} events in {time.perf_counter() - t0:.1f} s")

    writes = []
    for i in range(args.runs):
        path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        with SessionWriter(
            path,
            source="simulated",
            venues=["binance", "bybit"],
            symbols=["BTCUSDT"],
            overwrite=True,
        ) as w:
            for ev in events:
                w.append(ev)
        writes.append(len(events) / (time.perf_counter() - t0))
        print(f"  write run {i + 1}: {writes[-1]:,.0f} events/s", flush=True)
    n_events = len(events)
    del events
    size = path.stat().st_size
    with SessionReader(path) as r:
        lo, hi = r.time_range()
    day_end = lo + 86_400_000

    replays, floors = [], []
    for i in range(args.runs):
        rep = child("replay", path, hi + 1)
        flo = child("floor", path, hi + 1)
        replays.append(rep)
        floors.append(flo)
        print(
            f"  run {i + 1}: replay {rep['n'] / rep['s']:,.0f} ev/s (peak RSS "
            f"{rep['rss_mb']:.0f} MB), floor {flo['n'] / flo['s']:,.0f} rows/s",
            flush=True,
        )
    day = child("replay", path, day_end)

    rep_rate = statistics.median(r["n"] / r["s"] for r in replays)
    floor_rate = statistics.median(f["n"] / f["s"] for f in floors)
    print()
    print(f"events                       {n_events:,}")
    print(
        f"file size                    {size / 1e6:.1f} MB "
        f"({size / n_events:.1f} MB per million events)"
    )
    print(
        f"recording (median)           {statistics.median(writes):,.0f} events/s   target >= 50,000"
    )
    print(f"replay, max speed (median)   {rep_rate:,.0f} events/s   target >= 200,000")
    print(f"raw sqlite3 floor (median)   {floor_rate:,.0f} rows/s")
    print(f"replay / floor               {rep_rate / floor_rate:.2f}   target >= 0.50")
    print(f"peak RSS, replay of 7 days   {statistics.median(r['rss_mb'] for r in replays):.0f} MB")
    print(f"peak RSS, replay of day 1    {day['rss_mb']:.0f} MB ({day['n']:,} events)")
    if args.keep is None:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
