"""The live window: the venues' feeds on their own thread fill a queue, the engine thread pumps
it (:class:`workstation.app.engine_host.LiveRunner`), and the window shows the engine's latest
snapshot: the same panels as a replay, per-venue feed health, data age and engine lag in the
status bar, and recording to a session file with one click. GUI thread only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QPushButton, QToolBar

from workstation.app.engine_host import EngineHost, LiveRunner
from workstation.app.feed_config import SettingsError
from workstation.app.notify import start_delivery
from workstation.app.snapshot import Snapshot
from workstation.core.records import HealthRecord
from workstation.core.timefmt import fmt_utc
from workstation.feeds.live import FeedConfig, LiveFeeds
from workstation.risk.positions import PositionBook
from workstation.rules.config import RulesConfig
from workstation.ui.charts import SERIES_METRICS
from workstation.ui.controller import EngineController

LIVE_SAMPLE_MS = 5_000  # the charts' sampling in live mode ...
LIVE_MAX_SAMPLES = 7 * 86_400_000 // LIVE_SAMPLE_MS  # ... over the last 7 days at most
STALE_S = {"binance": 5.0, "bybit": 5.0, "okx": 15.0, "deribit": 15.0}  # amber past this age
DOWN_S = 60.0  # red past this age (or disconnected)
COLOURS = {"ok": "#1e8449", "late": "#d68910", "down": "#c0392b"}


def default_sessions_dir() -> Path:
    from workstation.core.userdirs import user_paths

    return user_paths()["recordings"]


def venue_state(venue: str, health: HealthRecord | None) -> tuple[str, str]:
    """("ok" | "late" | "down", text) for a venue's latest health record (None: none yet)."""
    if health is None or health.age_ms is None:
        return "down", f"{venue} no data yet"
    age_s = health.age_ms / 1000
    if not health.connected or age_s > DOWN_S:
        why = "down" if not health.connected else "stale"
        return "down", f"{venue} {why} {age_s:.0f} s"
    if age_s > STALE_S.get(venue, 15.0):
        return "late", f"{venue} {age_s:.1f} s"
    return "ok", f"{venue} {age_s:.1f} s"


def live_badge(venues: tuple[str, ...], health: Mapping[str, HealthRecord]) -> tuple[str, str]:
    """(text, state) of the live badge: LIVE names only the venues whose data is arriving;
    CONNECTING until one sends any; NO DATA names the others ("late" state: amber)."""
    silent = [v for v in venues if venue_state(v, health.get(v))[0] == "down"]
    if len(silent) == len(venues):
        return f"CONNECTING - no data yet from {', '.join(venues)}", "late"
    text = "LIVE - " + ", ".join(v for v in venues if v not in silent)
    return (f"{text} - NO DATA from {', '.join(silent)}", "late") if silent else (text, "ok")


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
            cfg.symbols[0], live_badge(cfg.venues, {})[0], book, rules, settings=settings
        )
        self.cfg = cfg
        self.sessions_dir = sessions_dir or default_sessions_dir()
        self.recording_path: Path | None = None
        self._badge_shown: tuple[str, str] | None = None
        self._badge({})
        self.window.charts.set_live(True)  # an empty pane is waiting for data
        self.feeds = LiveFeeds(cfg)
        runner = LiveRunner(
            self.feeds,
            self.symbol,
            cfg.venues,
            cfg.symbols,
            dict(cfg.urls),
            self.rules,
            SERIES_METRICS,
            sample_every_ms=LIVE_SAMPLE_MS,
            max_samples=LIVE_MAX_SAMPLES,
            initial_commands=self.book_commands(),
        )
        self._toolbar()
        try:
            self.delivery = start_delivery(session="live: " + ", ".join(cfg.venues))
        except SettingsError as exc:  # a bad [notify] table: said, and the window still runs
            self.window.statusBar().showMessage(f"alerts are not delivered: {exc}", 30_000)
        self.feeds.start()
        self._start(EngineHost(runner))

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

    # --- recording (commands: the session file is the engine thread's) ------------------------
    def toggle_recording(self) -> Path | None:
        """Start recording to a new file in ``sessions_dir`` (returns its path), or stop."""
        if self.recording_path is not None:
            self.stop_recording()
            return None
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self.sessions_dir / f"live-{stamp}.session"
        self.recording_path = path
        self.command("starting the recording", lambda r: r.start_recording(path))
        self.record_button.setText("■ Stop recording")
        self._badge(self.snapshot.health)
        return path

    def stop_recording(self) -> None:
        """Close the recording (waits for the engine thread to close the file: a few ms)."""
        if self.recording_path is None:
            return
        self.recording_path = None
        done = self.wait(self.command("closing the recording", lambda r: r.stop_recording()), 30)
        self.record_button.setText("● Record")
        if done is not None:
            path, count = done
            self.recording.setText(f"recorded {count:,} events to {path}")
        self._badge(self.snapshot.health)

    def _badge(self, health: Mapping[str, HealthRecord]) -> None:
        text, state = live_badge(self.cfg.venues, health)
        if self.recording_path is not None:
            text += f" - RECORDING to {self.recording_path.name}"
        if (text, state) != self._badge_shown:  # a restyle costs a repaint: only on a change
            self._badge_shown = (text, state)
            self.window.badge.setText(f"{text}   |   {self.symbol}")
            self.window.badge.setStyleSheet(
                f"font-weight:bold;padding:4px;background:{COLOURS[state]};color:white;"
            )

    def _show_position(self, snap: Snapshot) -> None:
        self.clock_label.setText(f"  {fmt_utc(snap.ts_ms)} UTC")
        if snap.recording is not None:
            self.recording.setText(f"recording: {snap.recording['count']:,} events")

    def _status(self, snap: Snapshot) -> tuple[str, ...]:
        self._badge(snap.health)
        venues = []
        for venue in self.cfg.venues:
            state, text = venue_state(venue, snap.health.get(venue))
            venues.append(f"<span style='color:{COLOURS[state]}'>● {text}</span>")
        return ("LIVE", "  ".join(venues))

    def _diagnostics(self, snap: Snapshot) -> dict[str, str]:
        lag = "—" if snap.lag_ms is None else f"{snap.lag_ms:,} ms"
        return {**super()._diagnostics(snap), "Engine lag": lag, "Backlog": f"{snap.backlog:,}"}

    def close(self) -> None:
        self.timer.stop()
        self.feeds.stop()
        if self.host is not None and self.host.alive:
            self.stop_recording()
        super().close()
