"""Window responsiveness benchmark (issue: the desktop window). Offscreen, on this machine.

1. Event loop under a max-speed replay: a session with 1-second updates on binance and bybit is
   replayed at max speed in the real window (ReplayController: the engine on its thread, rules,
   every panel). A probe QTimer at 10 ms and the controller's own 20 Hz timer record the gaps
   between their ticks; printed per run and as the median of 3: the longest gap (target under
   50 ms) and the window's replay rate against the headless rate of the same session in the same
   run (target at least 80%). Then the same with Settings > Apply a third of the way in.
2. Frame time with 7 days of 1-second data (604,800 points) in every pane: the window's
   ChartStack (clip-to-view, peak downsampling, candles, liquidation bars and markers) refilled
   and painted, against the floor: the same arrays in bare pyqtgraph PlotDataItems (default
   options), one per pane, in the same run. Medians of several frames and their ratio.

Usage: python bench/bench_gui.py [--hours 24] [--frames 7]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_session(path: Path, hours: float) -> int:
    from bench_sessions import one_second_events

    from workstation.sessions.store import SessionWriter

    n = 0
    with SessionWriter(
        path,
        source="simulated",
        venues=["binance", "bybit"],
        symbols=["BTCUSDT"],
        extra={"scenario": "feb-2026-selloff"},
        overwrite=True,
    ) as w:
        for ev in one_second_events(hours):
            w.append(ev)
            n += 1
    return n


def gaps_summary(stamps: list[float]) -> tuple[float, float, float]:
    gaps = sorted((b - a) * 1000 for a, b in itertools.pairwise(stamps))
    return statistics.median(gaps), gaps[int(0.99 * (len(gaps) - 1))], gaps[-1]


def headless_rate(path: Path) -> float:
    """Events/s of the same session through the same pipeline, headless (run_session)."""
    from workstation.app.run import run_session
    from workstation.sessions.store import SessionReader

    t0 = time.perf_counter()
    with SessionReader(path) as reader:
        n = run_session(reader).events
    return n / (time.perf_counter() - t0)


def event_loop_under_replay(app, path: Path, n_events: int, apply_rules: bool) -> dict:
    """One max-speed replay in the window; with ``apply_rules``, Settings > Apply (new rules,
    the replay rebuilt on the engine thread) a third of the way in."""
    from dataclasses import replace

    from PySide6.QtCore import QTimer

    from workstation.risk.positions import PositionBook
    from workstation.ui.replay_window import ReplayController

    book = PositionBook(path.with_suffix(".book.db"))
    c = ReplayController(str(path), book)
    c.window.resize(1600, 1000)
    c.window.show()
    probe_ticks: list[float] = []
    controller_ticks: list[float] = []
    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(lambda: probe_ticks.append(time.perf_counter()))
    original_tick = c.tick

    def tick() -> None:
        controller_ticks.append(time.perf_counter())
        original_tick()

    c.timer.timeout.disconnect()
    c.timer.timeout.connect(tick)
    c.speed_box.setCurrentText("max")
    app.processEvents()
    applied: list[int] = []
    third = c.span[0] + (c.span[1] - c.span[0]) // 3

    def watch() -> None:  # the window's own event loop runs; this only looks, 10 times a second
        snap = c.snapshot
        if snap.finished:
            app.quit()
        elif apply_rules and not applied and snap.ts_ms >= third:
            applied.append(len(probe_ticks))
            c.apply_rules(replace(c.rules, eval_interval_ms=c.rules.eval_interval_ms))

    watcher = QTimer()
    watcher.setInterval(100)
    watcher.timeout.connect(watch)
    probe.start()
    watcher.start()
    t0 = time.perf_counter()
    c.toggle()
    app.exec()
    elapsed = time.perf_counter() - t0
    watcher.stop()
    probe.stop()
    applied_at = applied[0] if applied else None
    refresh_ms = c.frame_ms
    c.close()
    book.close()
    med, p99, worst = gaps_summary(probe_ticks)
    out = {"rate": n_events / elapsed, "median": med, "p99": p99, "worst": worst}
    if applied_at is not None:  # the gaps from the click to 2 s later
        window = probe_ticks[applied_at : applied_at + 200]
        out["apply_worst"] = gaps_summary(window)[2] if len(window) > 2 else float("nan")
    cmed, _, cworst = gaps_summary(controller_ticks)
    print(
        f"  replayed {n_events:,} events at max speed in {elapsed:.1f} s "
        f"({out['rate']:,.0f} events/s); probe (10 ms) median {med:.1f} ms, p99 {p99:.1f} ms, "
        f"longest {worst:.1f} ms; window timer (50 ms) median {cmed:.1f} ms, longest "
        f"{cworst:.1f} ms; last panel refresh {refresh_ms:.1f} ms"
        + (f"; longest gap after Apply {out['apply_worst']:.1f} ms" if "apply_worst" in out else "")
    )
    return out


class SyntheticSeries:
    """7 days of 1-second samples for every charted metric (a random walk each)."""

    def __init__(self, n: int) -> None:
        import numpy as np

        from workstation.ui.charts import SERIES_METRICS

        rng = np.random.default_rng(1)
        self.x = 1_769_731_200 + np.arange(n, dtype=float)
        self.cols = {}
        for i, name in enumerate(SERIES_METRICS):
            walk = np.cumsum(rng.normal(0, 1, n))
            if name.startswith("liq_"):
                self.cols[name] = np.where(rng.random(n) < 0.001, rng.pareto(1.5, n) * 2e5, 0.0)
            else:
                self.cols[name] = 100.0 * (i + 1) + walk

    def column(self, name: str):
        return self.x, self.cols[name]


def frame_times(app, n: int, frames: int) -> None:
    import pyqtgraph as pg

    from workstation.ui.charts import PANES, SERIES_METRICS, ChartStack

    series = SyntheticSeries(n)
    charts = ChartStack()
    for pane in PANES:
        charts.show_pane(pane.key, True)
    charts.resize(1200, 900)
    charts.show()
    app.processEvents()

    def time_frame(refill, widget) -> float:
        t0 = time.perf_counter()
        refill()
        widget.repaint()  # paint now (offscreen raster), not when the loop gets to it
        app.processEvents()
        return (time.perf_counter() - t0) * 1000

    ours = [time_frame(lambda: charts.refill(series), charts) for _ in range(frames)]
    floor_widget = pg.GraphicsLayoutWidget()
    floor_curves = []
    for row, pane in enumerate(PANES):
        plot = floor_widget.addPlot(row=row, col=0)
        for line in pane.lines:
            floor_curves.append((line.metric, plot.plot()))
    floor_widget.resize(1200, 900)
    floor_widget.show()
    app.processEvents()

    def floor_refill() -> None:
        for metric, curve in floor_curves:
            curve.setData(*series.column(metric))

    floor = [time_frame(floor_refill, floor_widget) for _ in range(frames)]
    ours_med, floor_med = statistics.median(ours), statistics.median(floor)
    print(f"  {len(SERIES_METRICS)} series x {n:,} points ({len(PANES)} panes)")
    print(
        f"  ChartStack refill + paint: median {ours_med:.0f} ms (runs: {', '.join(f'{t:.0f}' for t in ours)})"
    )
    print(
        f"  bare PlotDataItem floor:   median {floor_med:.0f} ms (runs: {', '.join(f'{t:.0f}' for t in floor)})"
    )
    print(f"  ratio ours / floor: {ours_med / floor_med:.2f}")
    charts.close()
    floor_widget.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0, help="replayed session length")
    ap.add_argument("--frames", type=int, default=7)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="ws-bench-gui-"))
    os.environ["XDG_CONFIG_HOME"] = str(folder / "config")  # never the user's own settings
    os.environ["XDG_DATA_HOME"] = str(folder / "data")
    path = folder / "bench-1s.session"
    print(f"generating {args.hours:g} h of 1-second updates (binance, bybit) ...", flush=True)
    n_events = make_session(path, args.hours)
    print("1. event loop under a max-speed replay in the window (3 runs)", flush=True)
    runs = [event_loop_under_replay(app, path, n_events, apply_rules=False) for _ in range(3)]
    headless = statistics.median(headless_rate(path) for _ in range(3))
    worst = statistics.median(r["worst"] for r in runs)
    rate = statistics.median(r["rate"] for r in runs)
    print(
        f"  median of 3: longest probe gap {worst:.1f} ms (target < 50 ms); window replay rate "
        f"{rate:,.0f} events/s against headless {headless:,.0f} events/s in this run: "
        f"{rate / headless:.0%} (target >= 80%)"
    )
    print("   Settings > Apply during a max-speed replay (3 runs)", flush=True)
    applied = [event_loop_under_replay(app, path, n_events, apply_rules=True) for _ in range(3)]
    print(
        "  median of 3: longest probe gap in the 2 s after Apply "
        f"{statistics.median(r['apply_worst'] for r in applied):.1f} ms, over the whole run "
        f"{statistics.median(r['worst'] for r in applied):.1f} ms (target < 50 ms)"
    )
    print("2. frame time, 7 days of 1-second data in every pane", flush=True)
    frame_times(app, 7 * 86_400, args.frames)


if __name__ == "__main__":
    main()
