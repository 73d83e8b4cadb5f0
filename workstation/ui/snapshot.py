"""``workstation gui --session FILE --at TIME --screenshot OUT.png``: replay a session to a moment
through the real engine, fill the window, save a PNG of it, exit. Works offscreen."""

from __future__ import annotations

import argparse


def run_screenshot(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from workstation.engine.pipeline import build_pipeline
    from workstation.engine.replay import ReplayDriver
    from workstation.engine.series import SeriesRecorder
    from workstation.sessions.importers.common import epoch_ms
    from workstation.sessions.store import SessionReader
    from workstation.ui.window import PANES, MainWindow, session_badge

    reader = SessionReader(args.session)
    span = reader.time_range()
    if span is None:
        print(f"workstation gui: {args.session} holds no events")
        return 1
    symbol = (reader.meta.symbols or ("BTCUSDT",))[0]
    holder: dict = {}

    def factory(clock):
        pipe = build_pipeline(clock)
        holder["pipe"] = pipe
        holder["series"] = SeriesRecorder(
            pipe.engine, pipe.metrics, ("all", symbol), tuple(n for n, _, _ in PANES)
        )
        return pipe.engine

    driver = ReplayDriver(reader.events, factory, *span)
    at = span[1] if args.at is None else epoch_ms(args.at)
    driver.seek(at)
    pipe = holder["pipe"]
    records = pipe.engine.drain()
    meta = reader.meta
    badge = session_badge(meta)
    app = QApplication.instance() or QApplication([])
    w, h = (int(x) for x in args.size.lower().split("x"))
    win = MainWindow(f"{badge}   |   {symbol}   |   at {args.at or 'the end'}")
    win.resize(w, h)
    verdict = next(
        (r for r in reversed(records) if r["type"] == "checklist" and r["symbol"] == symbol), None
    )
    now = pipe.rules.ladders.get(symbol)  # the current result, numbers included
    ladder = (
        None if now is None else {"max_leverage": now.max_leverage, "reasons": list(now.reasons)}
    )
    active = pipe.rules.active_inputs(symbol)
    win.show_state(
        holder["series"],
        pipe.metrics.fresh_values.get(("all", symbol), {}),
        verdict,
        ladder,
        records,
        active,
    )
    win.show()
    app.processEvents()
    ok = win.grab().save(args.screenshot)
    win.close()
    reader.close()
    if not ok:
        print(f"workstation gui: could not write {args.screenshot}")
        return 1
    print(f"saved {args.screenshot} ({w}x{h})")
    return 0
