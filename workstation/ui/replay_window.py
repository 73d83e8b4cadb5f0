"""The interactive replay window: a QTimer (20 Hz) drives the replay driver with at most 15 ms of
work per tick (in slices of 5 s of session time), so the window stays responsive at any speed; the
toolbar plays, pauses, changes speed, seeks and jumps to the next alert. GUI thread only (the
engine runs on it, in slices).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSlider, QToolBar

from workstation.core.timefmt import fmt_utc
from workstation.engine.pipeline import build_pipeline
from workstation.engine.replay import SPEEDS, ReplayDriver
from workstation.engine.series import SeriesRecorder
from workstation.risk.positions import PositionBook
from workstation.sessions.store import SessionReader
from workstation.ui.charts import SERIES_METRICS
from workstation.ui.positions_panel import Market, rv_from
from workstation.ui.window import MainWindow, session_badge

TICK_MS = 50  # 20 Hz
MAX_EVENTS_PER_TICK = 20_000  # stepping to an alert: one slice
EVENTS_PER_SLICE = 1_000
CHART_EVERY = 4  # every 4th tick (5 Hz) refills the charts and does no replay work: their
# repaint (all axes move as data grows) would otherwise add to the replay slice in one long gap
SLICE_MS = 5_000  # session time per slice: the 1 s rule timers cost more than the events
WORK_BUDGET_S = 0.015  # replay work per tick: with the refresh and the paint, under 50 ms


class ReplayController:
    """Owns the session reader, the driver and the window. ``book``: the position book (the
    user's own by default)."""

    def __init__(self, path: str, book: PositionBook | None = None) -> None:
        self.reader = SessionReader(path)
        span = self.reader.time_range()
        if span is None:
            raise ValueError(f"{path} holds no events")
        meta = self.reader.meta
        self.symbol = (meta.symbols or ("BTCUSDT",))[0]
        badge = session_badge(meta)
        self.book = book if book is not None else PositionBook()
        self.window = MainWindow(f"{badge}   |   {self.symbol}", self.book)
        self.records: list[dict] = []
        self.alert_times: list[int] = []
        self.frame_ms = 0.0
        self._ticks = 0
        self.driver = ReplayDriver(self.reader.events, self._engine, *span, speed=60.0)
        self._t0 = time.monotonic()
        self._toolbar()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def _engine(self, clock):  # the driver's factory: -> Engine
        self.pipe = build_pipeline(clock)
        self.series = SeriesRecorder(
            self.pipe.engine, self.pipe.metrics, ("all", self.symbol), SERIES_METRICS
        )
        self.records, self.alert_times = [], []
        self.window.clear_alerts()  # rebuilt from the start: the log replays with it
        self.window.charts.set_thresholds(self.pipe.rules.config.rules)
        return self.pipe.engine

    def _wall_ms(self) -> int:
        return int((time.monotonic() - self._t0) * 1000)

    def _toolbar(self) -> None:
        bar = QToolBar("Replay")
        bar.setObjectName("replay")
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle)
        self.speed_box = QComboBox()
        self.speed_box.addItems([f"x{k}" if k != "max" else "max" for k in SPEEDS])
        self.speed_box.setCurrentText("x60")
        self.speed_box.currentTextChanged.connect(self.set_speed)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, max(1, (self.driver.end_ms - self.driver.start_ms) // 60_000))
        self.slider.sliderReleased.connect(
            lambda: self.seek(self.driver.start_ms + self.slider.value() * 60_000)
        )
        self.previous_alert = QPushButton("Previous alert")
        self.previous_alert.clicked.connect(self.jump_to_previous_alert)
        self.next_alert = QPushButton("Next alert")
        self.next_alert.clicked.connect(self.jump_to_next_alert)
        self.position = QLabel()
        for w in (
            self.play_button,
            self.speed_box,
            self.previous_alert,
            self.next_alert,
            self.slider,
            self.position,
        ):
            bar.addWidget(w)
        self.window.addToolBar(bar)

    # --- actions -------------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.driver.playing:
            self.driver.pause()
        else:
            self.driver.play(self._wall_ms())
        self.play_button.setText("Pause" if self.driver.playing else "Play")

    def set_speed(self, text: str) -> None:
        self.driver.set_speed(SPEEDS[text.removeprefix("x")], self._wall_ms())

    def seek(self, ts_ms: int) -> None:
        self.driver.seek(ts_ms, self._wall_ms())
        self._refresh()

    def jump_to_next_alert(self) -> None:
        """Play at max speed until the next alert (or the end), then pause there."""
        was = len(self.alert_times)
        while not self.driver.finished and len(self.alert_times) == was:
            self.driver.run_until(self.driver.position_ms + 60_000, MAX_EVENTS_PER_TICK)
            self._collect()
        self.driver.pause()
        self.play_button.setText("Play")
        self._refresh()

    def jump_to_previous_alert(self) -> None:
        """Seek back to the latest alert that fired more than a minute before now (the replay
        is rebuilt up to it, so the log and the panels show that moment); paused there."""
        earlier = [t for t in self.alert_times if t < self.driver.position_ms - 60_000]
        if earlier:
            self.driver.pause()
            self.play_button.setText("Play")
            self.seek(earlier[-1])

    # --- the timer -----------------------------------------------------------------------------
    def _collect(self) -> None:
        new = self.pipe.engine.drain()
        self.records += [r for r in new if r["type"] != "metrics"]
        self.alert_times += [
            r["ts_ms"] for r in new if r["type"] == "alert" and r["state"] == "active"
        ]
        self.window.add_records(new)

    def tick(self) -> None:
        """One timer tick: bounded replay work, then the panels (work grows with what changed)."""
        if self.driver.playing:
            self._ticks += 1
            if self._ticks % CHART_EVERY == 0:
                self.window.charts.refill(self.series)
                return
            deadline = time.perf_counter() + WORK_BUDGET_S
            target = self.driver.target_ms(self._wall_ms())
            while self.driver.position_ms < target and time.perf_counter() < deadline:
                self.driver.run_until(
                    min(target, self.driver.position_ms + SLICE_MS), EVENTS_PER_SLICE
                )
            if self.driver.finished:
                self.driver.pause()
            self._refresh(charts=not self.driver.playing)
            if not self.driver.playing:
                self.play_button.setText("Play")

    def _refresh(self, charts: bool = True) -> None:
        started = time.perf_counter()
        self._collect()
        if charts:
            self.window.charts.refill(self.series)
        verdict = next((r for r in reversed(self.records) if r["type"] == "checklist"), None)
        now = self.pipe.rules.ladders.get(self.symbol)
        ladder = (
            None
            if now is None
            else {"max_leverage": now.max_leverage, "reasons": list(now.reasons)}
        )
        active = self.pipe.rules.active_inputs(self.symbol)
        fresh = self.pipe.metrics.fresh_values.get(("all", self.symbol), {})
        self.window.show_state(fresh, verdict, ladder, active)
        self.window.positions.set_market(
            Market(
                self.symbol,
                fresh.get("mark_price"),
                rv_from(fresh, self.pipe.rules.config.ladder.rv_metric),
                None if now is None else now.max_leverage,
                None if verdict is None else verdict["verdict"],
                () if verdict is None else tuple(verdict["cautions"]),
                self.driver.position_ms,
            )
        )
        self.slider.blockSignals(True)
        self.slider.setValue((self.driver.position_ms - self.driver.start_ms) // 60_000)
        self.slider.blockSignals(False)
        self.position.setText(f"  {fmt_utc(self.driver.position_ms)} UTC")
        self.frame_ms = (time.perf_counter() - started) * 1000
        self.window.status.setText(
            f"replay x{self.speed_box.currentText().removeprefix('x')}  |  "
            f"{self.window.alerts.unacknowledged()} active alerts unacknowledged  |  "
            f"panel refresh {self.frame_ms:.1f} ms"
        )

    def close(self) -> None:
        self.timer.stop()
        self.window.close()
        self.reader.close()
        self.book.close()
