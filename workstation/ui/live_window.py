"""The live window: the venues' feeds on their own thread, the engine pumped by the window's
20 Hz timer (bounded work a tick), the same panels as a replay, per-venue feed health, data age
and engine lag in the status bar, and recording to a session file with one click. GUI thread
only (the feeds run on theirs and only fill a queue)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QPushButton, QToolBar

from workstation.app.pump import LivePump
from workstation.core.clock import LiveClock
from workstation.core.timefmt import fmt_utc
from workstation.feeds.live import FeedConfig, LiveFeeds
from workstation.risk.positions import PositionBook
from workstation.rules.config import RulesConfig
from workstation.sessions.store import SessionWriter
from workstation.ui.controller import EngineController

EVENTS_PER_SLICE = 1_000
LIVE_SAMPLE_MS = 5_000  # the charts' sampling in live mode ...
LIVE_MAX_SAMPLES = 7 * 86_400_000 // LIVE_SAMPLE_MS  # ... over the last 7 days at most
STALE_S = {"binance": 5.0, "bybit": 5.0, "okx": 15.0, "deribit": 15.0}  # amber past this age
DOWN_S = 60.0  # red past this age (or disconnected)
COLOURS = {"ok": "#1e8449", "late": "#d68910", "down": "#c0392b"}


def default_sessions_dir() -> Path:
    from workstation.core.userdirs import user_paths

    return user_paths()["recordings"]


def venue_state(venue: str, health: dict | None) -> tuple[str, str]:
    """("ok" | "late" | "down", text) for a venue's latest health record (None: none yet)."""
    if health is None or health.get("age_ms") is None:
        return "down", f"{venue} no data yet"
    age_s = health["age_ms"] / 1000
    if not health["connected"] or age_s > DOWN_S:
        why = "down" if not health["connected"] else "stale"
        return "down", f"{venue} {why} {age_s:.0f} s"
    if age_s > STALE_S.get(venue, 15.0):
        return "late", f"{venue} {age_s:.1f} s"
    return "ok", f"{venue} {age_s:.1f} s"


class LiveController(EngineController):
    """``cfg``: venues, symbols and URLs; ``sessions_dir``: where recordings go."""

    def __init__(
        self,
        cfg: FeedConfig,
        book: PositionBook | None = None,
        rules: RulesConfig | None = None,
        sessions_dir: Path | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(
            cfg.symbols[0],
            "LIVE - " + ", ".join(cfg.venues),
            book,
            rules,
            sample_every_ms=LIVE_SAMPLE_MS,
            max_samples=LIVE_MAX_SAMPLES,
            settings=settings,
        )
        self.cfg = cfg
        self.sessions_dir = sessions_dir or default_sessions_dir()
        self.window.badge.setStyleSheet(
            "font-weight:bold;padding:4px;background:#1e8449;color:white;"
        )
        self.clock = LiveClock()
        self._build_engine(self.clock)
        self.feeds = LiveFeeds(cfg)
        self.pump = LivePump(
            self.pipe.engine, self.clock, self.feeds.queue, self.feeds.health, note=self._note
        )
        self.writer: SessionWriter | None = None
        self._toolbar()
        self.feeds.start()
        self.timer.start()

    def _toolbar(self) -> None:
        bar = QToolBar("Live")
        bar.setObjectName("live")
        self.record_button = QPushButton("● Record")
        self.record_button.clicked.connect(self.toggle_recording)
        self.recording = QLabel("not recording")
        self.clock_label = QLabel()
        for w in (self.record_button, self.recording, self.clock_label):
            bar.addWidget(w)
        self.window.addToolBar(bar)

    # --- recording -----------------------------------------------------------------------------
    def toggle_recording(self) -> Path | None:
        """Start recording to a new file in ``sessions_dir`` (returns its path), or stop."""
        if self.writer is not None:
            self.stop_recording()
            return None
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self.sessions_dir / f"live-{stamp}.session"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = SessionWriter(
            path,
            source="live",
            venues=self.cfg.venues,
            symbols=self.cfg.symbols,
            extra={"urls": dict(self.cfg.urls)},
        )
        self.pipe.engine.add_tap(self.writer.append)
        self.record_button.setText("■ Stop recording")
        self.window.badge.setText(
            f"LIVE - {', '.join(self.cfg.venues)} - RECORDING to {path.name}   |   {self.symbol}"
        )
        return path

    def stop_recording(self) -> None:
        if self.writer is None:
            return
        self.pipe.engine.remove_tap(self.writer.append)
        self.writer.close()
        path, count = self.writer.path, self.writer.count
        self.writer = None
        self.record_button.setText("● Record")
        self.recording.setText(f"recorded {count:,} events to {path}")
        self.window.badge.setText(f"LIVE - {', '.join(self.cfg.venues)}   |   {self.symbol}")

    def _note(self, ts_ms: int, text: str) -> None:
        if self.writer is not None:
            self.writer.add_note(ts_ms, text)

    # --- the timer -----------------------------------------------------------------------------
    def _work(self, deadline: float) -> None:
        while self.pump.pump(max_events=EVENTS_PER_SLICE) == EVENTS_PER_SLICE:
            if time.perf_counter() >= deadline:
                break
        if self.writer is not None:
            self.writer.flush_if_due()
            self.recording.setText(f"recording: {self.writer.count:,} events")

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def _rebuild(self) -> None:
        """New rules live: a new pipeline fed from the same queue (its metric windows start
        empty, so the signals read unknown until they fill again; the recording goes on)."""
        old = self.pump
        self._build_engine(self.clock)
        self.pump = LivePump(
            self.pipe.engine, self.clock, self.feeds.queue, self.feeds.health, note=self._note
        )
        self.pump.continue_from(old)  # seq and time go on: the recording stays one sequence
        if self.writer is not None:
            self.pipe.engine.add_tap(self.writer.append)

    def _show_position(self) -> None:
        self.clock_label.setText(f"  {fmt_utc(self.now_ms())} UTC")

    def _status(self) -> tuple[str, ...]:
        venues = []
        for venue in self.cfg.venues:
            state, text = venue_state(venue, self.health.get(venue))
            venues.append(f"<span style='color:{COLOURS[state]}'>● {text}</span>")
        lag = "—" if self.pump.lag_ms is None else f"{self.pump.lag_ms:,} ms"
        return (
            "LIVE",
            "  ".join(venues),
            f"engine lag {lag}, backlog {self.feeds.queue.qsize():,}",
        )

    def close(self) -> None:
        self.timer.stop()
        self.feeds.stop()
        self.stop_recording()
        super().close()
