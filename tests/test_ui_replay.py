"""The interactive replay window: play, pause, speed, seek, next alert, and no timer left behind."""

from __future__ import annotations

import pytest
from conftest import DEMO

from workstation.core.records import AlertRecord

pytest.importorskip("PySide6")


@pytest.fixture
def controller(qtbot):
    from workstation.ui.replay_window import ReplayController

    c = ReplayController(str(DEMO))
    qtbot.addWidget(c.window)
    yield c
    c.close()
    assert not c.timer.isActive()  # nothing keeps ticking after the window closes


def test_badge_says_simulated(controller) -> None:
    assert controller.window.badge.text().startswith(
        "REPLAY - simulated (feb-2026-selloff) - not market data"
    )


def test_badge_of_an_imported_session_names_its_data_not_the_import_time(qtbot, tmp_path) -> None:
    """January-2022 FTX 1-minute bars (../shared/datasets/nautilus-test-data), imported today:
    the badge reads the data's venue, symbol, kind and dates (first bar 2021-12-31 23:01 UTC,
    last 2022-02-01 05:31 UTC, per the file), never the day of the import."""
    from workstation.cli.main import main
    from workstation.risk.positions import PositionBook
    from workstation.ui.replay_window import ReplayController

    out = tmp_path / "jan22.session"
    bars = "../shared/datasets/nautilus-test-data/btc-perp-20211231-20220201_1m.csv"
    mapping = "ts=timestamp,open=open,high=high,low=low,close=close,volume_usd=volume"
    args = ["import", "csv", bars, "--venue", "ftx", "--symbol", "BTC-PERP", "--map", mapping]
    assert main([*args, "--out", str(out)]) == 0
    c = ReplayController(str(out), PositionBook(tmp_path / "book.db"))
    qtbot.addWidget(c.window)
    assert c.window.badge.text() == (
        "REPLAY - imported: FTX BTC-PERP 1-min bars, 2021-12-31 … 2022-02-01   |   BTC-PERP"
    )
    # another session opened in the same window gets its own badge
    assert c.open_session(str(DEMO))
    assert c.window.badge.text().startswith("REPLAY - simulated (feb-2026-selloff)")
    c.close()


def test_badge_of_a_live_recording_within_a_day(tmp_path) -> None:
    from workstation.core.events import MarkPrice
    from workstation.sessions.store import SessionReader, SessionWriter
    from workstation.ui.window import session_badge

    path = tmp_path / "live.session"
    t0 = 1_796_047_200_000  # 2026-11-30 14:00:00 UTC
    with SessionWriter(path, source="live", venues=["binance", "okx"], symbols=["BTCUSDT"]) as w:
        w.append(MarkPrice(t0, t0, 1, "binance", "BTCUSDT", 91_000.0, None, None, None, None))
        t1 = t0 + 7_500_000
        w.append(MarkPrice(t1, t1, 2, "okx", "BTCUSDT", 91_500.0, None, None, None, None))
    with SessionReader(path) as r:  # 14:00 + 2 h 5 min = 16:05
        assert session_badge(r.meta, r.counts()) == (
            "REPLAY - recorded live: Binance, OKX BTCUSDT marks, 2026-11-30 14:00 … 16:05 UTC"
        )


def test_play_at_max_fills_the_panels_and_pause_holds(controller, qtbot) -> None:
    controller.window.show()  # painted, so the status bar has a frame time
    controller.speed_box.setCurrentText("max")
    controller.toggle()
    controller.sync()
    assert controller.play_button.text() == "Pause"
    qtbot.waitUntil(
        # past the first alert of the demo (lower lows, 35.7 h in)
        lambda: controller.snapshot.ts_ms > controller.span[0] + 40 * 3_600_000,
        timeout=300_000,  # about 50 s on 2 busy cores: the condition, not the clock, ends it
    )
    controller.toggle()
    controller.sync()
    held = controller.snapshot.ts_ms
    qtbot.wait(300)
    assert controller.snapshot.ts_ms == held  # paused: time does not move
    assert controller.window.alerts.rowCount() > 0
    assert all(
        label.text() != f"{side.upper()}  —" for side, label in controller.window.verdicts.items()
    )
    status = controller.window.status.text()
    assert status.startswith("replay max, paused  |  ") and "ms" not in status
    controller.diagnostics.show()  # the window's timings are there, not in the status bar
    controller._refresh()
    assert controller.diagnostics.values["Charts frame"].text().endswith(" ms")
    assert controller.diagnostics.values["Panel refresh"].text().endswith(" ms")
    controller.diagnostics.close()
    x, _ = controller.snapshot.series.column("mark_price")
    assert len(x) > 1_000 and controller.window.curves["mark_price"].xData is not None


def test_seek_and_next_alert(controller) -> None:
    target = controller.span[0] + 50 * 3_600_000
    controller.seek(target)
    controller.sync()
    assert controller.snapshot.ts_ms == target
    assert controller.slider.value() == 50 * 60
    before = len(controller.alert_times)
    controller.jump_to_next_alert()
    controller.sync()
    assert len(controller.alert_times) == before + 1
    assert not controller.snapshot.playing and controller.play_button.text() == "Play"
    first = controller.alert_times[-1]
    controller.jump_to_next_alert()
    controller.sync()
    second = controller.alert_times[-1]
    assert second > first
    controller.jump_to_previous_alert()  # back to the first of the two
    controller.sync()
    assert controller.snapshot.ts_ms == first
    assert controller.alert_times[-1] <= first and second not in controller.alert_times
    back = controller.span[0] + 10 * 3_600_000
    controller.seek(back)  # backwards: the engine is rebuilt
    controller.sync()
    assert controller.snapshot.ts_ms == back


def test_alert_log_acknowledge_filter_export_and_go_to(controller, tmp_path, qtbot) -> None:
    import csv

    from PySide6.QtWidgets import QPushButton

    controller.seek(controller.span[0] + 40 * 3_600_000)
    controller.sync()
    controller.jump_to_next_alert()
    controller.sync()
    controller.jump_to_next_alert()
    controller.sync()
    window = controller.window
    # by hand from the log: the rule instances whose latest alert is an activation (a rule
    # active now whose alert was held back by its cooldown has an earlier activation)
    latest: dict[tuple[str, str, str], str] = {}
    for r in controller.records:
        if isinstance(r, AlertRecord):
            latest[(r.rule, r.venue, r.symbol)] = r.state
    active_now = controller.snapshot.active_alerts
    assert {k for k, state in latest.items() if state == "active"} <= active_now
    n = len(active_now)
    activations = sum(
        1 for r in controller.records if isinstance(r, AlertRecord) and r.state == "active"
    )
    assert n >= 2 and activations > n  # past activations are not counted
    controller.sync()
    controller._refresh()
    assert window.alerts.unacknowledged() == n
    assert window.status.text().endswith(f"  |  {n} active alerts unacknowledged")
    window.alerts_view.selectRow(0)
    window.acknowledge_selected()
    assert window.alerts.unacknowledged() == n - 1
    # paused, Acknowledge all: the status bar follows on the window's own timer
    (ack_all,) = [b for b in window.findChildren(QPushButton) if b.text() == "Acknowledge all"]
    ack_all.click()
    qtbot.waitUntil(
        lambda: window.status.text().endswith("  |  0 active alerts unacknowledged"),
        timeout=5_000,
    )
    newest = window.alerts.row(0)
    window.filter_text.setText(newest["rule"])
    shown = window.alerts_view_model.rowCount()
    assert 1 <= shown < window.alerts.rowCount() or shown == window.alerts.rowCount() == 1
    out = tmp_path / "alerts.csv"
    assert window.export_alerts(str(out)) == shown
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert {r["rule"] for r in rows} == {newest["rule"]} and rows[0]["acknowledged"] == "yes"
    window.go_to_alert(0)
    lo, hi = window.plots[0].viewRange()[0]
    assert (lo + hi) / 2 == pytest.approx(newest["ts_ms"] / 1000)
    assert hi - lo == pytest.approx(12 * 3600)
    lo3, hi3 = window.plots[3].viewRange()[0]  # linked panes follow
    assert (lo3, hi3) == pytest.approx((lo, hi))
    controller.seek(controller.span[0] + 3_600_000)  # back before every alert
    controller.sync()
    assert window.alerts.rowCount() == 0


def test_dock_layout_is_saved_and_restored(controller, qtbot, tmp_path) -> None:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QDockWidget

    from workstation.ui.replay_window import ReplayController

    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    fresh = ReplayController(str(DEMO))
    qtbot.addWidget(fresh.window)
    assert not fresh.window.restore_layout(settings)  # nothing saved yet: the default layout
    fresh.close()
    window = controller.window
    signals = window.findChild(QDockWidget, "Signals")
    alerts = window.findChild(QDockWidget, "Alerts")
    assert window.dockWidgetArea(signals) == Qt.DockWidgetArea.RightDockWidgetArea
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, signals)  # the trader moves it
    alerts.hide()  # and closes the alert log
    window.save_layout(settings)
    again = ReplayController(str(DEMO))
    qtbot.addWidget(again.window)
    try:
        assert again.window.restore_layout(settings)
        moved = again.window.findChild(QDockWidget, "Signals")
        assert again.window.dockWidgetArea(moved) == Qt.DockWidgetArea.LeftDockWidgetArea
        assert again.window.findChild(QDockWidget, "Alerts").isHidden()
    finally:
        again.close()


def test_slider_ticks_keys_and_opening_another_session(
    controller, qtbot, tmp_path, selloff_session
):
    from PySide6.QtCore import Qt

    c = controller
    c.seek(c.span[0] + 60 * 3_600_000)
    c.sync()
    active = [r for r in c.records if isinstance(r, AlertRecord) and r.state == "active"]
    assert active and len(c.slider.marks) == len(active)
    first_value, first_severity = c.slider.marks[0]
    assert first_value == (active[0].ts_ms - c.span[0]) // 60_000
    assert first_severity == active[0].severity
    xs = [c.slider.mark_x(v) for v, _ in c.slider.marks]
    assert xs == sorted(xs) and xs[0] < xs[-1]  # ticks run left to right with time
    # one key: N replays to the next alert, P goes back to the one before
    c.window.show()
    c.window.activateWindow()
    qtbot.waitUntil(lambda: c.window.isActiveWindow(), timeout=30_000)
    before = len(c.alert_times)
    qtbot.keyClick(c.window, Qt.Key.Key_N)
    c.sync()
    assert len(c.alert_times) == before + 1 and not c.snapshot.playing
    qtbot.keyClick(c.window, Qt.Key.Key_Space)
    c.sync()
    assert c.snapshot.playing
    qtbot.keyClick(c.window, Qt.Key.Key_Space)
    c.sync()
    assert not c.snapshot.playing
    # typing in the alert filter types: the keys are text there, not commands
    jumped = len(c.alert_times)
    c.window.filter_text.setFocus()
    qtbot.keyClicks(c.window.filter_text, "np n")
    assert c.window.filter_text.text() == "np n" and len(c.alert_times) == jumped
    assert not c.snapshot.playing
    c.window.filter_text.clear()
    # a file that is not a session: said in the status bar, the current session stays
    bad = tmp_path / "bad.session"
    bad.write_bytes(b"not a session at all" * 100)
    position = c.snapshot.ts_ms
    assert not c.open_session(str(bad))
    assert "not opened" in c.window.statusBar().currentMessage()
    assert c.snapshot.ts_ms == position
    # another session: badge, slider and engine follow it
    assert c.open_session(str(selloff_session))
    assert c.window.badge.text().startswith("REPLAY - simulated (feb-2026-selloff)")
    assert c.slider.maximum() == 48 * 60 and c.slider.marks == []
    assert c.snapshot.ts_ms == c.span[0] and c.window.alerts.rowCount() == 0
