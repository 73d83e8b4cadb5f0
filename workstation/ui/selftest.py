"""``workstation --self-test [--self-test-out OUT.png]``: proves an installed build works. It opens
the window offscreen, replays the bundled demo through the real engine (on its thread) to a fixed
session moment, 2026-02-02 06:00 UTC in the cascade, however long that takes on this machine
(under a generous limit), saves a screenshot and checks what the panels show there: the first
alerts in the log, the checklist's WAIT, the ladder, the signal table and the charts, and that
the shipped files the demo leaves unread load (the window icon, the bracket tables).
Prints one line per finding; exit 0 when everything holds, 1 with the reasons otherwise. Uses a
temporary folder for settings and the position book: the user's own are never touched."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

AT_MS = 1_770_012_000_000  # 2026-02-02 06:00 UTC: the demo's cascade (WAIT)
LIMIT_S = 600.0  # the replay to AT_MS must finish within this, on any machine


def seconds_since_process_start() -> float | None:
    """From the kernel's process start time (Linux); None elsewhere."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(stat[19])  # field 22: starttime, in clock ticks since boot
        uptime_s = float(Path("/proc/uptime").read_text().split()[0])
        return uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_self_test(session: str, out: str | None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from workstation import __version__
    from workstation.risk.positions import PositionBook
    from workstation.rules.config import load_rules
    from workstation.ui.qapp import application
    from workstation.ui.replay_window import ReplayController

    tmp = Path(tempfile.mkdtemp(prefix="workstation-self-test-"))
    app = application(sys.argv[:1])
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    c = ReplayController(
        session, PositionBook(tmp / "book.db"), load_rules(include_user_dir=False), settings
    )
    c.window.resize(1600, 1000)
    c.window.show()
    app.processEvents()
    first_paint = seconds_since_process_start()
    print(f"self-test: workstation {__version__} ({sys.platform}, Qt {_qt_version()})")
    if first_paint is not None:
        print(f"self-test: first paint {first_paint * 1000:.0f} ms after the process started")
    t0 = time.monotonic()
    c.seek(AT_MS)
    c.sync(LIMIT_S)
    replay_s = time.monotonic() - t0
    app.processEvents()
    shot = Path(out) if out else tmp / "self-test.png"
    saved = c.window.grab().save(str(shot))
    snap = c.snapshot
    x, _ = snap.series.column("mark_price") if snap.series is not None else ((), ())
    verdicts = {side: r.verdict for side, r in snap.verdicts.items()}
    checks = {
        "the replay reached 2026-02-02 06:00 UTC": snap.ts_ms == AT_MS,
        "alerts in the log": c.window.alerts.rowCount() > 0,
        "WAIT in the long side's banner (the cascade)": verdicts.get("long") == "WAIT",
        "the ladder's leverage, both sides": c.window.ladder.text().startswith("Max leverage now")
        and all(side in c.window.ladder.text() for side in ("long", "short")),
        "a signal table": c.window.signals.rowCount() == 8,
        "chart data": len(x) > 100,
        "a screenshot": saved and shot.stat().st_size > 20_000,
        "the window icon": not c.window.windowIcon().pixmap(32, 32).isNull(),
        "the bracket tables": _shipped_brackets_load(),
    }
    from workstation.core.timefmt import fmt_utc

    print(
        f"self-test: replayed {snap.events_processed:,} events to "
        f"{fmt_utc(snap.ts_ms)} UTC in {replay_s:.1f} s; {c.window.alerts.rowCount()} "
        f"alerts; verdict: {verdicts.get('long')} (long), {verdicts.get('short')} (short); "
        f"screenshot {shot}"
    )
    c.close()
    failed = [name for name, ok in checks.items() if not ok]
    for name in failed:
        print(f"self-test: FAILED: {name}", file=sys.stderr)
    print("self-test: OK" if not failed else f"self-test: {len(failed)} check(s) failed")
    return 0 if not failed else 1


def _shipped_brackets_load() -> bool:
    """Every venue's shipped bracket table reads and has BTCUSDT."""
    from workstation.core.resources import shipped_brackets
    from workstation.risk.brackets import VENUES, BracketError, load_table

    try:
        return all(load_table(v, "BTCUSDT", shipped_brackets(v).parent).brackets for v in VENUES)
    except BracketError:
        return False


def _qt_version() -> str:
    from PySide6.QtCore import qVersion

    return qVersion()
