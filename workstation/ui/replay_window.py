"""The interactive replay window: a QTimer (20 Hz) drives the replay driver with at most 15 ms of
work per tick (in slices of 5 s of session time), so the window stays responsive at any speed; the
toolbar plays, pauses, changes speed, seeks and jumps to the next alert. GUI thread only (the
engine runs on it, in slices).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QPushButton, QToolBar

from workstation.core.timefmt import fmt_utc
from workstation.engine.replay import SPEEDS, ReplayDriver
from workstation.risk.positions import PositionBook
from workstation.rules.config import RulesConfig
from workstation.sessions.store import SessionError, SessionReader
from workstation.ui.alert_slider import AlertSlider
from workstation.ui.controller import EngineController
from workstation.ui.window import session_badge

MAX_EVENTS_PER_TICK = 20_000  # stepping to an alert: one slice
EVENTS_PER_SLICE = 1_000
IDLE_BUDGET_S = 0.008  # engine work per idle call at max speed: short, so input gets in between
SLICE_MS = 5_000  # session time per slice: the 1 s rule timers cost more than the events


class ReplayController(EngineController):
    """Owns the session reader, the driver and the window. ``book``: the position book (the
    user's own by default)."""

    def __init__(
        self,
        path: str,
        book: PositionBook | None = None,
        rules: RulesConfig | None = None,
        settings: QSettings | None = None,
    ) -> None:
        self.reader = SessionReader(path)
        span = self.reader.time_range()
        if span is None:
            self.reader.close()
            raise ValueError(f"{path} holds no events")
        meta = self.reader.meta
        super().__init__(
            (meta.symbols or ("BTCUSDT",))[0], session_badge(meta), book, rules, settings=settings
        )
        self.driver = ReplayDriver(self.reader.events, self._build_engine, *span, speed=60.0)
        self._t0 = time.monotonic()
        # At max speed the engine also works whenever the event loop is idle (each call bounded
        # like a tick), so a replay runs at what the machine can do; the 20 Hz timer still drains
        # the outputs into the panels.
        self.work_timer = QTimer()
        self.work_timer.setInterval(0)
        self.work_timer.timeout.connect(self._work_while_idle)
        self._toolbar()
        self.timer.start()

    def _wall_ms(self) -> int:
        return int((time.monotonic() - self._t0) * 1000)

    def now_ms(self) -> int:
        return self.driver.position_ms

    def _rebuild(self) -> None:
        self.driver.rebuild(self._wall_ms())

    def _toolbar(self) -> None:
        bar = QToolBar("Replay")
        bar.setObjectName("replay")
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle)
        self.speed_box = QComboBox()
        self.speed_box.addItems([f"x{k}" if k != "max" else "max" for k in SPEEDS])
        self.speed_box.setCurrentText("x60")
        self.speed_box.currentTextChanged.connect(self.set_speed)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a recorded or imported session (Ctrl+O)")
        self.open_button.clicked.connect(self._open_dialog)
        self.slider = AlertSlider()
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
            self.open_button,
            self.play_button,
            self.speed_box,
            self.previous_alert,
            self.next_alert,
            self.slider,
            self.position,
        ):
            bar.addWidget(w)
        self.window.addToolBar(bar)
        # One key each: Space plays and pauses, N and P jump to the next and previous alert.
        for key, slot in (
            ("Space", self.toggle),
            ("N", self.jump_to_next_alert),
            ("P", self.jump_to_previous_alert),
            ("Ctrl+O", self._open_dialog),
        ):
            shortcut = QShortcut(QKeySequence(key), self.window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)  # not in dialogs
            shortcut.activated.connect(slot)
        self.play_button.setToolTip("Play or pause (Space)")
        self.next_alert.setToolTip("Replay to the next alert and pause there (N)")
        self.previous_alert.setToolTip("Back to the previous alert (P)")

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open a session", "", "Sessions (*.session);;All files (*)"
        )
        if path:
            self.open_session(path)

    def open_session(self, path: str) -> bool:
        """Replay another session in this window; a file that cannot be opened leaves the
        current one as it was and says why in the status bar."""
        try:
            reader = SessionReader(path)
            span = reader.time_range()
            if span is None:
                reader.close()
                raise ValueError(f"{path} holds no events")
        except (SessionError, ValueError) as exc:
            self.window.statusBar().showMessage(f"not opened: {exc}", 10_000)
            return False
        self.driver.pause()
        self.work_timer.stop()
        self.play_button.setText("Play")
        self.reader.close()
        self.reader = reader
        meta = reader.meta
        self.symbol = (meta.symbols or ("BTCUSDT",))[0]
        self.window.badge.setText(f"{session_badge(meta)}   |   {self.symbol}")
        speed = self.driver.speed
        self.driver = ReplayDriver(reader.events, self._build_engine, *span, speed=speed)
        self.slider.setRange(0, max(1, (span[1] - span[0]) // 60_000))
        self.window.charts.plots["price"].enableAutoRange()
        self._refresh()
        self.window.statusBar().showMessage(f"opened {path}", 5_000)
        return True

    # --- actions -------------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.driver.playing:
            self.driver.pause()
        else:
            self.driver.play(self._wall_ms())
        self.play_button.setText("Pause" if self.driver.playing else "Play")
        self._sync_work_timer()

    def set_speed(self, text: str) -> None:
        self.driver.set_speed(SPEEDS[text.removeprefix("x")], self._wall_ms())
        self._sync_work_timer()

    def _sync_work_timer(self) -> None:
        if self.driver.playing and self.driver.speed is None:
            self.work_timer.start()
        else:
            self.work_timer.stop()

    def _work_while_idle(self) -> None:
        if self.driver.playing:
            self._advance(time.perf_counter() + IDLE_BUDGET_S)
        self._sync_work_timer()

    def seek(self, ts_ms: int) -> None:
        self.driver.seek(ts_ms, self._wall_ms())
        self._refresh()

    def jump_to_next_alert(self) -> None:
        """Play at max speed until the next alert (or the end), then pause there."""
        was = self.alerts_fired
        while not self.driver.finished and self.alerts_fired == was:
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
    def tick(self) -> None:
        if self.driver.playing:
            super().tick()

    def _work(self, deadline: float) -> None:
        """The timer's share; at max speed the idle worker does the engine's work instead, so a
        tick is only the panels and never adds to a work slice."""
        if not self.work_timer.isActive():
            self._advance(deadline)

    def _advance(self, deadline: float) -> None:
        target = self.driver.target_ms(self._wall_ms())
        while self.driver.position_ms < target and time.perf_counter() < deadline:
            self.driver.run_until(min(target, self.driver.position_ms + SLICE_MS), EVENTS_PER_SLICE)
        if self.driver.finished:  # the end: pause there with everything drawn
            self.driver.pause()
            self._sync_work_timer()
            self.play_button.setText("Play")
            self.window.charts.refill(self.series)

    def _show_position(self) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue((self.driver.position_ms - self.driver.start_ms) // 60_000)
        self.slider.blockSignals(False)
        start = self.driver.start_ms
        self.slider.set_marks([((ts - start) // 60_000, sev) for ts, sev in self.alert_marks])
        self.position.setText(f"  {fmt_utc(self.driver.position_ms)} UTC")

    def _status(self) -> tuple[str, ...]:
        return (f"replay {self.speed_box.currentText()}",)

    def close(self) -> None:
        self.work_timer.stop()
        super().close()
        self.reader.close()
