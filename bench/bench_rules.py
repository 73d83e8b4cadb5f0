"""Rules benchmark (issue: metrics, rules, checklist, ladder).

Replays a 7-day session with 1-second mark/OI updates on 2 venues (plus 1-minute bars, futures,
liquidations) through the full default pipeline headless: metrics, every default rule, the
checklist and the ladder. Prints end-to-end events per second, metric/rule evaluations
("snapshots") per second, and the per-event latency of Engine.process (p50, p99, p99.9, max) in
steady state (after the first simulated day, when every window is warm).

Usage: python bench/bench_rules.py [--days 7] [--session FILE] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def make_session(path: Path, days: float) -> None:
    from workstation.sessions.scenarios import SCENARIOS
    from workstation.sessions.simulator import simulate
    from workstation.sessions.store import SessionWriter

    with SessionWriter(
        path, source="simulated", venues=["binance", "bybit"], symbols=["BTCUSDT"], overwrite=True
    ) as w:
        for ev in simulate(
            SCENARIOS["feb-2026-selloff"],
            seed=1,
            hours=days * 24,
            venues=("binance", "bybit"),
            symbols=("BTCUSDT",),
            tick_s=1,
        ):
            w.append(ev)


def run_once(path: Path, eval_interval_s: float) -> dict:
    from workstation.app.pipeline import build_pipeline
    from workstation.core.clock import ReplayClock
    from workstation.rules.config import load_rules
    from workstation.sessions.store import SessionReader

    override = Path(tempfile.mkdtemp()) / "eval.toml"
    override.write_text(f"[engine]\neval_interval_s = {eval_interval_s}\n")
    rules = load_rules([override], include_user_dir=False)

    reader = SessionReader(path)
    events = list(reader.events())  # decode first: this measures the engine, not sqlite
    reader.close()
    pipe = build_pipeline(ReplayClock(), rules=rules)
    process, clock = pipe.engine.process, time.perf_counter_ns
    warm_after = events[0].ts_recv_ms + 86_400_000
    lat: list[int] = []
    evals = [0]
    tick = pipe.metrics.tick

    def counted_tick(ts: int) -> bool:
        evaluated = tick(ts)
        evals[0] += evaluated
        return evaluated

    pipe.metrics.tick = counted_tick
    outputs = 0
    t0 = time.perf_counter()
    for i, ev in enumerate(events):
        a = clock()
        process(ev)
        b = clock()
        if ev.ts_recv_ms >= warm_after:
            lat.append(b - a)
        if i % 100_000 == 0:
            outputs += len(pipe.engine.drain())
    dt = time.perf_counter() - t0
    outputs += len(pipe.engine.drain())
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] / 1000.0

    return {
        "n": len(events),
        "s": dt,
        "evals": evals[0],
        "outputs": outputs,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "p999": pct(0.999),
        "max": lat[-1] / 1000.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--session", type=Path, default=None, help="reuse this session file")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--eval-interval",
        type=float,
        default=1.0,
        help="seconds of session time between evaluations (the rules file's default: 1)",
    )
    args = ap.parse_args()
    path = args.session
    if path is None or not path.exists():
        path = path or Path(tempfile.mkdtemp(prefix="ws-bench-")) / "rules-7d-1s.session"
        print(f"generating {args.days:g} days at 1-second updates ...", flush=True)
        make_session(path, args.days)
    runs = []
    for i in range(args.runs):
        r = run_once(path, args.eval_interval)
        runs.append(r)
        rate, evals = r["n"] / r["s"], r["evals"] / r["s"]
        print(
            f"  run {i + 1}: {rate:,.0f} events/s, {evals:,.0f} evaluations/s, "
            f"p99 {r['p99']:.0f} us",
            flush=True,
        )

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    n, first = runs[0]["n"], runs[0]
    rate = statistics.median(r["n"] / r["s"] for r in runs)
    evals = statistics.median(r["evals"] / r["s"] for r in runs)
    print()
    print(f"evaluation interval            {args.eval_interval:g} s of session time")
    print(
        f"events                         {n:,} ({first['evals']:,} evaluations, "
        f"{first['outputs']:,} output records)"
    )
    print(f"end to end (median)            {rate:,.0f} events/s")
    print(f"evaluations (median)           {evals:,.0f} per s   (target: 100,000 snapshots/s)")
    print(
        f"latency per event, steady      p50 {med('p50'):.1f} us  p99 {med('p99'):.1f} us  "
        f"p99.9 {med('p999'):.1f} us  max {med('max'):.0f} us   (target p99 < 1,000 us)"
    )


if __name__ == "__main__":
    main()
