"""The interactive replay window: the engine replays on its own thread (see
:mod:`workstation.app.engine_host`); the toolbar sends it commands (play, pause, speed, seek,
next and previous alert) and the 20 Hz timer shows its latest snapshot, so the window stays
responsive at any speed and during a long seek. GUI thread only.
"""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QPushButton, QToolBar

from workstation.app.engine_host import EngineHost, ReplayRunner
from workstation.app.snapshot import Snapshot
from workstation.core.timefmt import fmt_utc
from workstation.engine.replay import SPEEDS
from workstation.risk.positions import PositionBook
from workstation.rules.config import RulesConfig
from workstation.sessions.store import SessionError, SessionReader
from workstation.ui.alert_slider import AlertSlider
from workstation.ui.charts import SERIES_METRICS
from workstation.ui.controller import EngineController
from workstation.ui.window import session_badge

START_SPEED = 60.0


def _open(path: str) -> tuple[SessionReader, tuple[int, int]]:
    """The session's reader and span; SessionError or ValueError (no events) otherwise."""
    reader = SessionReader(path)
    span = reader.time_range()
    if span is None:
        reader.close()
        raise ValueError(f"{path} holds no events")
    return reader, span


class ReplayController(EngineController):
    """Owns the session reader, the engine host and the window. ``book``: the position book
    (the user's own by default)."""

    def __init__(
        self,
        path: str,
        book: PositionBook | None = None,
        rules: RulesConfig | None = None,
        settings: QSettings | None = None,
    ) -> None:
        self.reader, span = _open(path)
        meta = self.reader.meta
        super().__init__(
            (meta.symbols or ("BTCUSDT",))[0],
            session_badge(meta, self.reader.counts()),
            book,
            rules,
            settings=settings,
        )
        self.span = span
        self._toolbar()
        self._start_replay(START_SPEED)

    def _start_replay(self, speed: float | None) -> None:
        """A session that records a book of its own replays it (the positions the trader had
        then); any other replays with the trader's book."""
        recorded_book = any(row[0] == "position_command" for row in self.reader.counts())
        runner = ReplayRunner(
            self.reader.events,
            self.span,
            self.symbol,
            self.rules,
            SERIES_METRICS,
            speed=speed,
            initial_commands=() if recorded_book else self.book_commands(),
        )
        self._start(EngineHost(runner))

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
        self.slider.setRange(0, max(1, (self.span[1] - self.span[0]) // 60_000))
        self.slider.sliderReleased.connect(
            lambda: self.seek(self.span[0] + self.slider.value() * 60_000)
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
            reader, span = _open(path)
        except (SessionError, ValueError) as exc:
            self.window.statusBar().showMessage(f"not opened: {exc}", 10_000)
            return False
        speed = self.snapshot.speed
        self._stop_host()  # its thread reads the old file: stop it before closing that
        self.reader.close()
        self.reader, self.span = reader, span
        meta = reader.meta
        self.symbol = (meta.symbols or ("BTCUSDT",))[0]
        self.window.badge.setText(f"{session_badge(meta, reader.counts())}   |   {self.symbol}")
        self.play_button.setText("Play")
        self.slider.setRange(0, max(1, (span[1] - span[0]) // 60_000))
        self.window.charts.plots["price"].enableAutoRange()
        self._start_replay(speed)
        self._refresh()
        self.window.statusBar().showMessage(f"opened {path}", 5_000)
        return True

    # --- actions (commands to the engine thread) -----------------------------------------------
    def toggle(self) -> Future:
        """Play, or pause."""
        playing = self._playing()
        self.play_button.setText("Play" if playing else "Pause")
        if playing:
            return self.command("pausing", lambda r: r.pause())
        return self.command("", lambda r: r.play(self._wall_ms()))

    def _playing(self) -> bool:
        """Whether the last play/pause sent means playing (the snapshot may lag a few ms)."""
        return self.play_button.text() == "Pause"

    def set_speed(self, text: str) -> Future:
        speed = SPEEDS[text.removeprefix("x")]
        return self.command("", lambda r: r.set_speed(speed, self._wall_ms()))

    def seek(self, ts_ms: int) -> Future:
        """Jump to session time ``ts_ms`` (the engine replays to it on its thread)."""
        return self.command(
            f"seeking to {fmt_utc(ts_ms)}", lambda r: r.seek(ts_ms, self._wall_ms())
        )

    def jump_to_next_alert(self) -> Future:
        """Replay at max speed until the next alert (or the end), then pause there."""
        self.play_button.setText("Play")
        return self.command("to the next alert", lambda r: r.next_alert(self._wall_ms()))

    def jump_to_previous_alert(self) -> Future | None:
        """Seek back to the latest alert that fired more than a minute before now (the replay
        is rebuilt up to it, so the log and the panels show that moment); paused there."""
        position = self.snapshot.ts_ms
        earlier = [t for t in self.alert_times if t < position - 60_000]
        if not earlier:
            return None
        self.play_button.setText("Play")
        self.command("", lambda r: r.pause())
        return self.seek(earlier[-1])

    # --- the timer -----------------------------------------------------------------------------
    def _show_position(self, snap: Snapshot) -> None:
        if snap.finished or (not snap.playing and not self._pending):
            self.play_button.setText("Play")  # the end, or paused by the engine (an alert)
        start = self.span[0]
        self.slider.blockSignals(True)
        self.slider.setValue((snap.ts_ms - start) // 60_000)
        self.slider.blockSignals(False)
        self.slider.set_marks([((ts - start) // 60_000, sev) for ts, sev in self.alert_marks])
        self.position.setText(f"  {fmt_utc(snap.ts_ms)} UTC")

    def _status(self, snap: Snapshot) -> tuple[str, ...]:
        speed = self.speed_box.currentText()
        if snap.finished:
            return (f"replay {speed}, at the session's end",)
        return (f"replay {speed}" + ("" if self._playing() else ", paused"),)

    def close(self) -> None:
        super().close()
        self.reader.close()
