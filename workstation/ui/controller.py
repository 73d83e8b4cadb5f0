"""What the replay and the live windows share: the engine pipeline for one symbol, the chart
series, draining the engine's records into the panels, and the panels' refresh. GUI thread only
(the engine runs on it, in bounded slices driven by the subclass's timer)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import deque

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from workstation.app.pipeline import build_pipeline
from workstation.app.series import SeriesRecorder
from workstation.core.clock import Clock
from workstation.engine.engine import Engine
from workstation.risk.positions import PositionBook
from workstation.rules.config import RulesConfig
from workstation.ui.about import show_about
from workstation.ui.charts import SERIES_METRICS
from workstation.ui.positions_panel import Market, rv_from
from workstation.ui.settings_dialog import SettingsDialog, load_preferences
from workstation.ui.theme import apply_theme
from workstation.ui.window import MainWindow

TICK_MS = 50  # 20 Hz
CHART_EVERY = 4  # every 4th tick (5 Hz) refills the charts and does no engine work: their
# repaint (every axis moves as data grows) would otherwise add to the engine slice in one long gap
WORK_BUDGET_S = 0.015  # engine work per tick: with the refresh and the paint, under 50 ms
KEEP_RECORDS = 20_000  # the newest engine records kept for lookups (memory stays bounded)


class EngineController(ABC):
    """Subclasses build ``self.window`` and call :meth:`_start_timer`; the engine comes from
    :meth:`_build_engine` (a fresh pipeline on ``clock``)."""

    def __init__(
        self,
        symbol: str,
        badge: str,
        book: PositionBook | None,
        rules: RulesConfig | None = None,
        sample_every_ms: int = 60_000,
        max_samples: int | None = None,
        settings: QSettings | None = None,
    ) -> None:
        self.symbol = symbol
        self.rules = rules
        self.sample_every_ms = sample_every_ms
        self.max_samples = max_samples
        self.book = book if book is not None else PositionBook()
        self.window = MainWindow(f"{badge}   |   {symbol}", self.book)
        self.records: deque[dict] = deque(maxlen=KEEP_RECORDS)
        self.alert_marks: deque[tuple[int, str]] = deque(maxlen=KEEP_RECORDS)  # (ts, severity)
        self.alerts_fired = 0  # since the engine was built (the marks keep the newest)
        self.verdict: dict | None = None
        self.health: dict[str, dict] = {}  # the latest feed health record per venue (live)
        self.frame_ms = 0.0
        self._ticks = 0
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        # ~/.config/workstation/workstation.conf on Linux
        self.settings = (
            settings if settings is not None else QSettings("workstation", "workstation")
        )
        prefs = load_preferences(self.settings, self.window.notifier)
        self.apply_display(bool(prefs["dark"]), bool(prefs["local_time"]))
        self.window.menuBar().addAction("&Settings…", self.open_settings)
        self.window.menuBar().addMenu("&Help").addAction(
            "&About workstation", lambda: show_about(self.window)
        )

    @property
    def alert_times(self) -> list[int]:
        """When each alert we know of fired (session ms), oldest first."""
        return [ts for ts, _ in self.alert_marks]

    def _build_engine(self, clock: Clock) -> Engine:
        self.pipe = build_pipeline(clock, rules=self.rules)
        self.series = SeriesRecorder(
            self.pipe.engine,
            self.pipe.metrics,
            ("all", self.symbol),
            SERIES_METRICS,
            every_ms=self.sample_every_ms,
            max_rows=self.max_samples,
        )
        self.records.clear()
        self.alert_marks.clear()
        self.alerts_fired = 0
        self.verdict = None
        self.window.clear_alerts()  # a rebuilt engine starts its log again
        self.window.charts.set_thresholds(self.pipe.rules.config.rules)
        return self.pipe.engine

    # --- settings ------------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(
            self.window,
            self.settings,
            self.pipe.rules.config,
            self.window.notifier,
            self.apply_rules,
            self.apply_display,
        )
        dialog.open()
        return dialog

    def apply_rules(self, rules: RulesConfig) -> None:
        """Put new rules to work now: the engine is rebuilt with them."""
        self.rules = rules
        self._rebuild()
        self._refresh()

    @abstractmethod
    def _rebuild(self) -> None:
        """A new pipeline with ``self.rules`` (the replay replays back to where it was)."""

    def apply_display(self, dark: bool, local_time: bool) -> None:
        app = QApplication.instance()
        if app is not None:
            apply_theme(app, dark)
        self.window.charts.set_theme(dark)
        self.window.charts.set_local_time(local_time)

    def tick(self) -> None:
        """One timer tick: a chart refill every CHART_EVERY-th tick, else bounded engine work
        (``_work`` until the deadline) and the panels."""
        self._ticks += 1
        if self._ticks % CHART_EVERY == 0:
            self.window.charts.refill(self.series)
            return
        self._work(time.perf_counter() + WORK_BUDGET_S)
        self._refresh(charts=False, notify=True)
        self.window.notifier.flush()

    @abstractmethod
    def _work(self, deadline: float) -> None:
        """Engine work until ``deadline`` (perf_counter s): step the replay, or pump the feeds."""

    def _collect(self, notify: bool = False) -> None:
        """Drain the engine; ``notify``: new alerts also notify (playing or live, not a seek)."""
        new = self.pipe.engine.drain()
        for r in new:
            kind = r["type"]
            if kind == "metrics":
                continue
            self.records.append(r)
            if kind == "checklist" and r.get("symbol") == self.symbol:
                self.verdict = r
            elif kind == "alert" and r["state"] == "active":
                self.alert_marks.append((r["ts_ms"], r["severity"]))
                self.alerts_fired += 1
            elif kind == "health":
                self.health[r["venue"]] = r
        self.window.add_records(new)
        if notify:
            self.window.notifier.on_records(new)

    def _refresh(self, charts: bool = True, notify: bool = False) -> None:
        """Drain the engine and fill the panels (and the charts)."""
        started = time.perf_counter()
        self._collect(notify)
        if charts:
            self.window.charts.refill(self.series)
        verdict = self.verdict
        now = self.pipe.rules.ladders.get(self.symbol)
        ladder = (
            None
            if now is None
            else {"max_leverage": now.max_leverage, "reasons": list(now.reasons)}
        )
        fresh = self.pipe.metrics.fresh_values.get(("all", self.symbol), {})
        self.window.show_state(fresh, verdict, ladder, self.pipe.rules.active_inputs(self.symbol))
        self.window.positions.set_market(
            Market(
                self.symbol,
                fresh.get("mark_price"),
                rv_from(fresh, self.pipe.rules.config.ladder.rv_metric),
                None if now is None else now.max_leverage,
                None if verdict is None else verdict["verdict"],
                () if verdict is None else tuple(verdict["cautions"]),
                self.now_ms(),
            )
        )
        self._show_position()
        self.frame_ms = (time.perf_counter() - started) * 1000
        self.window.status.setText(
            "  |  ".join(
                (
                    *self._status(),
                    f"{self.window.alerts.unacknowledged()} active alerts unacknowledged",
                    f"panel refresh {self.frame_ms:.1f} ms"
                    + (
                        f", charts frame {self.window.charts.paint_ms:.1f} ms"
                        if self.window.charts.paint_ms
                        else ""
                    ),
                )
            )
        )

    @abstractmethod
    def now_ms(self) -> int:
        """Session time (replay) or the live clock, ms."""

    @abstractmethod
    def _show_position(self) -> None:
        """Show where the engine is (the replay's slider, the live clock)."""

    @abstractmethod
    def _status(self) -> tuple[str, ...]:
        """The status bar's leading parts (speed; feed health, data age, engine lag)."""

    def close(self) -> None:
        self.timer.stop()
        self.window.banner.dismiss()
        self.window.close()
        self.book.close()
