"""The live window against the local fake exchange: the badge says LIVE, marks flow into the
panels, the status bar shows every venue's health and the engine lag, one click records a
session that opens as a live recording, a venue going down turns red, and closing stops all."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_exchange import FAST_POLLS, FakeExchange

from workstation.core.records import HealthRecord
from workstation.feeds.live import FeedConfig
from workstation.risk.positions import PositionBook
from workstation.rules.config import load_rules
from workstation.sessions.store import SessionReader
from workstation.ui.live_window import LiveController, venue_state

VENUES = ("binance", "bybit", "okx", "deribit", "hyperliquid")


@pytest.fixture
def live(qtbot, tmp_path: Path, fake: FakeExchange):
    cfg = FeedConfig(
        venues=VENUES,
        symbols=("BTCUSDT",),
        urls=fake.urls(),
        timeout_s=1.0,
        history_minutes=6,
        poll_s=dict(FAST_POLLS),
    )
    c = LiveController(
        cfg,
        PositionBook(tmp_path / "book.db"),
        load_rules(include_user_dir=False),
        sessions_dir=tmp_path / "sessions",
    )
    qtbot.addWidget(c.window)
    yield c, fake
    c.close()
    assert c.feeds._thread is not None and not c.feeds._thread.is_alive()


def test_live_window_shows_health_records_and_goes_red(live, qtbot) -> None:
    c, fake = live
    assert c.window.badge.text().startswith("LIVE - binance, bybit, okx, deribit")
    assert c.window.charts._empty["basis"].text() == "waiting for data"  # never "in this session"
    # marks flow into the panels and every venue reports fresh data
    qtbot.waitUntil(
        lambda: (
            c.window.positions.market is not None and c.window.positions.market.mark_usd is not None
        ),
        timeout=15_000,
    )
    qtbot.waitUntil(
        lambda: all(venue_state(v, c.snapshot.health.get(v))[0] == "ok" for v in VENUES),
        timeout=15_000,
    )
    status = c.window.status.text()
    for v in VENUES:
        assert f"● {v} " in status
    assert "engine lag" in status and c.snapshot.lag_ms is not None and c.snapshot.lag_ms < 5_000
    # one click records; a second stops; the file opens as a live recording of what flowed
    path = c.toggle_recording()
    assert "RECORDING to" in c.window.badge.text()
    qtbot.waitUntil(
        lambda: c.snapshot.recording is not None and c.snapshot.recording["count"] > 50,
        timeout=15_000,
    )
    c.toggle_recording()
    assert c.recording_path is None and "RECORDING" not in c.window.badge.text()
    assert c.recording.text().startswith("recorded ")
    with SessionReader(path) as r:
        assert r.meta.source == "live" and r.meta.venues == VENUES
        assert sum(1 for _ in r.events()) > 50
    # bybit's websocket drops and refuses reconnects: bybit turns red, the others stay green
    fake.faults["bybit"] = "refuse"
    qtbot.waitUntil(
        lambda: venue_state("bybit", c.snapshot.health.get("bybit"))[0] == "down", timeout=30_000
    )
    assert venue_state("binance", c.snapshot.health.get("binance"))[0] == "ok"
    c._refresh()
    assert "color:#c0392b'>● bybit" in c.window.status.text()


def test_venue_state_thresholds() -> None:
    assert venue_state("binance", None) == ("down", "binance no data yet")

    def rec(venue: str, age_ms: int = 1_200, connected: bool = True) -> HealthRecord:
        return HealthRecord(0, venue, connected, age_ms)

    assert venue_state("binance", rec("binance")) == ("ok", "binance 1.2 s")
    assert venue_state("binance", rec("binance", 7_000))[0] == "late"
    assert venue_state("okx", rec("okx", 7_000))[0] == "ok"  # polled every 5 s
    assert venue_state("okx", rec("okx", 61_000)) == ("down", "okx stale 61 s")
    assert venue_state("bybit", rec("bybit", connected=False)) == ("down", "bybit down 1 s")
