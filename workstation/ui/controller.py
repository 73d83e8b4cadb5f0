"""What the replay and the live windows share: the engine host (the engine runs on its own
thread), the 20 Hz timer that reads the host's latest snapshot and new records into the panels,
settings, and closing. GUI thread only: it never touches engine state, it only reads snapshots
and sends commands (``self.host.submit``)."""

from __future__ import annotations

import sys
import time
from abc import ABC, abstractmethod
from collections import deque
from concurrent.futures import Future

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from workstation.app.engine_host import EngineHost, Published
from workstation.app.notify import AlertDelivery
from workstation.app.snapshot import Snapshot
from workstation.core.events import PositionCommand
from workstation.core.records import AlertRecord, Record
from workstation.risk.book_state import commands_for_book
from workstation.risk.positions import PositionBook
from workstation.rules.config import RulesConfig, load_rules
from workstation.ui.about import show_about
from workstation.ui.diagnostics import DiagnosticsDialog
from workstation.ui.models import MetricStates
from workstation.ui.positions_panel import Market
from workstation.ui.settings_dialog import SettingsDialog, load_preferences
from workstation.ui.theme import apply_theme
from workstation.ui.window import MainWindow

TICK_MS = 50  # 20 Hz
CHART_EVERY = 4  # every 4th tick (5 Hz) refills the charts instead of the panels
BOOK_EVERY = 20  # ticks between looks at the book file for changes made elsewhere (1 s)
SWITCH_INTERVAL_S = 0.001  # the interpreter lock changes hands at most this late (default 5 ms)
KEEP_RECORDS = 20_000  # the newest engine records kept for lookups (memory stays bounded)


class EngineController(ABC):
    """Subclasses build their runner and call :meth:`_start` with it."""

    def __init__(
        self,
        symbol: str,
        badge: str,
        book: PositionBook | None,
        rules: RulesConfig | None = None,
        settings: QSettings | None = None,
    ) -> None:
        self.symbol = symbol
        self.rules = rules if rules is not None else load_rules(include_user_dir=False)
        self.book = book if book is not None else PositionBook()
        self.window = MainWindow(f"{badge}   |   {symbol}", self.book)
        self.records: deque[Record] = deque(maxlen=KEEP_RECORDS)
        self.alert_marks: deque[tuple[int, str]] = deque(maxlen=KEEP_RECORDS)  # (ts, severity)
        self.frame_ms = 0.0
        self.host: EngineHost | None = None
        self._generation = 0
        self._shown: Snapshot | None = None
        self._pending: list[tuple[str, Future]] = []  # commands still running, for the status
        self._ticks = 0
        # where alerts go beyond the window (settings.toml [notify]; live only: a replay's
        # alerts are history, not news)
        self.delivery: AlertDelivery | None = None
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        # ~/.config/workstation/workstation.conf on Linux
        self.settings = (
            settings if settings is not None else QSettings("workstation", "workstation")
        )
        self.window.positions.send = self.send_position_command
        prefs = load_preferences(self.settings, self.window.notifier)
        self.apply_display(bool(prefs["dark"]), bool(prefs["local_time"]))
        self.window.menuBar().addAction("&Settings…", self.open_settings)
        self.diagnostics = DiagnosticsDialog(self.window)
        help_menu = self.window.menuBar().addMenu("&Help")
        help_menu.addAction("&Diagnostics…", self.diagnostics.show)
        help_menu.addAction("&About workstation", lambda: show_about(self.window))

    # --- the engine host -----------------------------------------------------------------------
    def _start(self, host: EngineHost) -> None:
        """Take ``host`` (stopping the previous one), start its thread and the timer."""
        self._stop_host()
        self.host = host
        # The engine pauses (after its current slice, about a millisecond) from the start of a
        # tick to the end of the repaint it causes, and around every other repaint: both threads
        # need the interpreter lock, and pyqtgraph's painting gives it up and takes it back
        # hundreds of times a frame, each time waiting out the engine's switch interval. The
        # engine never waits more than engine_host.YIELD_MAX_S for it. A short switch interval
        # makes the hand-over quick where both do run.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.window.painting = (host.hold, host.release)
        self._generation = -1  # the first snapshot starts a new log
        self._shown = None
        self.window.charts.set_thresholds(self.rules.rules)
        host.start()
        self.timer.start()

    @property
    def snapshot(self) -> Snapshot:
        """The engine's latest published state (any time; it may be a few ms old)."""
        assert self.host is not None
        return self.host.snapshot

    def command(self, label: str, fn) -> Future:
        """Send ``fn(runner)`` to the engine thread; ``label`` shows in the status bar until done."""
        assert self.host is not None
        fut = self.host.submit(fn)
        self._pending.append((label, fut))
        return fut

    def wait(self, fut: Future, timeout: float | None = 120.0):
        """The result of a command, waiting for it (the engine works meanwhile)."""
        assert self.host is not None
        self.host.release()  # this thread is not busy while it waits
        return fut.result(timeout)

    def sync(self, timeout: float | None = 120.0) -> Snapshot:
        """Wait for the engine to finish every command sent so far, then show its state (tests
        and the self-test; the window itself never waits)."""
        assert self.host is not None
        self.wait(self.host.submit(lambda _r: None), timeout)
        snap = self.host.snapshot
        self._refresh()
        return snap

    def send_position_command(self, cmd: PositionCommand) -> Future:
        """A change the trader made to the book (already saved in the book file) goes to the
        engine, which applies it (live: into the recording too) and computes the new risk."""
        return self.command("", lambda r: r.position_command(cmd))

    def book_commands(self) -> tuple[PositionCommand, ...]:
        """The book file's open positions as the commands that load them into an engine."""
        return tuple(commands_for_book(self.book, 0, 0))

    @property
    def alert_times(self) -> list[int]:
        """When each alert we know of fired (session ms), oldest first."""
        return [ts for ts, _ in self.alert_marks]

    @property
    def alerts_fired(self) -> int:
        return self.snapshot.alerts_fired

    # --- settings ------------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(
            self.window,
            self.settings,
            self.rules,
            self.window.notifier,
            self.apply_rules,
            self.apply_display,
        )
        dialog.open()
        return dialog

    def apply_rules(self, rules: RulesConfig) -> Future:
        """Send new rules to the engine (a command: the window does not wait for it)."""
        self.rules = rules
        self.window.charts.set_thresholds(rules.rules)
        return self.command("applying rules", lambda r: r.set_rules(rules, self._wall_ms()))

    def apply_display(self, dark: bool, local_time: bool) -> None:
        app = QApplication.instance()
        if app is not None:
            apply_theme(app, dark)
        self.window.set_theme(dark)
        self.window.charts.set_local_time(local_time)

    @staticmethod
    def _wall_ms() -> int:
        return time.monotonic_ns() // 1_000_000

    # --- the timer -----------------------------------------------------------------------------
    def tick(self) -> None:
        """One timer tick: every CHART_EVERY-th the charts, else the panels, from the latest
        snapshot (nothing when the engine published nothing new)."""
        assert self.host is not None
        self.host.hold()  # released when the repaint this tick causes is done
        self._ticks += 1
        if self._ticks % BOOK_EVERY == 0:
            self.window.positions.check_book()  # the command line may have changed the book
        if self._ticks % CHART_EVERY == 0:
            snap = self.snapshot
            if snap.series is not None:
                self.window.charts.refill(snap.series)
            return
        self._refresh(charts=False, notify=True)
        self.window.notifier.flush()

    def _take(self, snap: Snapshot, notify: bool) -> list[Record]:
        """New records of the current generation into the log (a new generation clears it)."""
        assert self.host is not None
        if snap.generation != self._generation:
            self._generation = snap.generation
            self.records.clear()
            self.alert_marks.clear()
            self.window.clear_alerts()  # a rebuilt engine starts its log again
        new: list[Record] = []
        loud: list[Record] = []
        for p in self.host.take_records():
            if p.generation != self._generation:
                if p.generation < self._generation:
                    continue  # from an engine that has been replaced
                self._generation = p.generation
                self.records.clear()
                self.alert_marks.clear()
                self.window.clear_alerts()
                new, loud = [], []
            self._add(p, new, loud)
        self.window.add_records(new)
        if self.delivery is not None:  # queued off this thread: returns at once
            self.delivery.on_records(new)
        if notify and loud:
            self.window.notifier.on_records(loud)
        return new

    def _add(self, p: Published, new: list[Record], loud: list[Record]) -> None:
        r = p.record
        self.records.append(r)
        if isinstance(r, AlertRecord) and r.state == "active":
            self.alert_marks.append((r.ts_ms, r.severity))
        new.append(r)
        if p.notify:
            loud.append(r)

    def _refresh(self, charts: bool = True, notify: bool = False) -> None:
        """The latest snapshot and new records into the panels (and the charts)."""
        started = time.perf_counter()
        snap = self.snapshot
        new = self._take(snap, notify)
        if charts and snap.series is not None:
            self.window.charts.refill(snap.series)
        self._pending = [(label, f) for label, f in self._pending if not f.done()]
        if snap is not self._shown or new:
            self._shown = snap
            self._show(snap)
        self.frame_ms = (time.perf_counter() - started) * 1000
        busy = [label for label, _ in self._pending]
        self.window.alerts.set_active(snap.active_alerts)
        unacked = self.window.alerts.unacknowledged()
        self.window.status.setText(
            "  |  ".join(
                (
                    *self._status(snap),
                    *((f"{', '.join(busy)}…",) if busy else ()),
                    f"{unacked} active alert{'' if unacked == 1 else 's'} unacknowledged",
                )
            )
        )
        if self.diagnostics.isVisible():
            self.diagnostics.show_figures(self._diagnostics(snap))

    def _diagnostics(self, snap: Snapshot) -> dict[str, str]:
        """Help > Diagnostics' figures (a live window adds the engine's lag and backlog)."""
        paint = self.window.charts.paint_ms
        return {
            "Panel refresh": f"{self.frame_ms:.1f} ms",
            "Charts frame": "—" if not paint else f"{paint:.1f} ms",
            "Events processed": f"{snap.events_processed:,}",
            "Engine generation": str(snap.generation),
        }

    def _show(self, snap: Snapshot) -> None:
        # the long side's verdict and ladder are the panel's defaults; the sizing dialog takes
        # each side's ladder (the side chosen there picks it)
        verdict, ladder = snap.verdicts.get("long"), snap.ladders.get("long")
        fresh = dict(snap.fresh)
        funding_pct = fresh.get("funding_rate_8h_pct")
        self.window.show_state(
            fresh,
            snap.verdicts,
            snap.ladders,
            snap.active_inputs,
            MetricStates(snap.warming, snap.stale, snap.missing_venues),
        )
        self.window.charts.set_missing_venues(snap.missing_venues)
        self.window.positions.set_book_risk(snap.positions)
        self.window.positions.set_market(
            Market(
                snap.symbol,
                fresh.get("mark_price"),
                snap.rv_annual_pct,
                None if ladder is None else ladder.max_leverage,
                None if verdict is None else verdict.verdict,
                () if verdict is None else verdict.cautions,
                snap.ts_ms,
                {side: lad.max_leverage for side, lad in snap.ladders.items()},
                None if funding_pct is None else funding_pct / 100.0,
            )
        )
        self._show_position(snap)

    @abstractmethod
    def _show_position(self, snap: Snapshot) -> None:
        """Show where the engine is (the replay's slider, the live clock)."""

    @abstractmethod
    def _status(self, snap: Snapshot) -> tuple[str, ...]:
        """The status bar's leading parts (speed; feed health, data age, engine lag)."""

    def _stop_host(self) -> None:
        host = self.host
        if host is None:
            return
        self.window.painting = None
        host.release()
        host.stop()

    def close(self) -> None:
        self.timer.stop()
        self._stop_host()
        if self.delivery is not None:
            self.delivery.close()
            self.delivery = None
        self.window.banner.dismiss()
        self.window.close()
        self.book.close()
