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
from workstation.ui.live_window import LiveController, live_badge, venue_state

VENUES = ("binance", "bybit", "okx", "deribit", "hyperliquid")


def _cfg(fake: FakeExchange, venues: tuple[str, ...]) -> FeedConfig:
    """The feeds of ``venues`` on the fake exchange, polled fast."""
    return FeedConfig(
        venues=venues,
        symbols=("BTCUSDT",),
        urls=fake.urls(),
        timeout_s=1.0,
        history_minutes=6,
        poll_s=dict(FAST_POLLS),
    )


@pytest.fixture
def live(qtbot, tmp_path: Path, fake: FakeExchange):
    c = LiveController(
        _cfg(fake, VENUES),
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
    # no green before data: CONNECTING until a venue sends, LIVE once all four have
    assert c.window.badge.text().startswith("CONNECTING - no data yet from binance, bybit, okx")
    assert c.window.charts._empty["basis"].text() == "waiting for data"  # never "in this session"
    # marks flow into the panels and every venue reports fresh data
    qtbot.waitUntil(
        lambda: (
            c.window.positions.market is not None and c.window.positions.market.mark_usd is not None
        ),
        timeout=60_000,
    )
    qtbot.waitUntil(
        lambda: all(venue_state(v, c.snapshot.health.get(v))[0] == "ok" for v in VENUES),
        timeout=60_000,
    )
    c._refresh()
    assert c.window.badge.text().startswith(
        "LIVE - binance, bybit, okx, deribit, hyperliquid   |   BTCUSDT"
    )
    status = c.window.status.text()
    for v in VENUES:
        assert f"● {v} " in status
    assert c.snapshot.lag_ms is not None and c.snapshot.lag_ms < 5_000
    # the engine's lag and backlog are developer figures: in Help > Diagnostics, not the status
    assert "lag" not in status and "ms" not in status.replace(" s<", "")
    c.diagnostics.show()
    qtbot.waitUntil(lambda: "Engine lag" in c.diagnostics.values, timeout=5_000)
    assert c.diagnostics.values["Engine lag"].text().endswith(" ms")
    assert c.diagnostics.values["Backlog"].text().replace(",", "").isdigit()
    c.diagnostics.close()
    # one click records; a second stops; the file opens as a live recording of what flowed
    path = c.toggle_recording()
    assert "RECORDING to" in c.window.badge.text()
    qtbot.waitUntil(
        lambda: c.snapshot.recording is not None and c.snapshot.recording["count"] > 50,
        timeout=60_000,
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
        lambda: venue_state("bybit", c.snapshot.health.get("bybit"))[0] == "down", timeout=60_000
    )
    assert venue_state("binance", c.snapshot.health.get("binance"))[0] == "ok"
    c._refresh()
    assert "color:#c0392b'>● bybit" in c.window.status.text()
    assert "LIVE - binance, okx, deribit, hyperliquid - NO DATA from bybit" in c.window.badge.text()


def test_the_badge_is_green_only_for_venues_with_data() -> None:
    def rec(venue: str, connected: bool = True, age_ms: int | None = 1_000) -> HealthRecord:
        return HealthRecord(0, venue, connected, age_ms)

    venues = ("binance", "okx")
    assert live_badge(venues, {}) == ("CONNECTING - no data yet from binance, okx", "late")
    never = {"binance": rec("binance", False, None), "okx": rec("okx", False, None)}
    assert live_badge(venues, never)[0].startswith("CONNECTING")  # errors only, no message
    some = {"binance": rec("binance"), "okx": rec("okx", False, None)}
    assert live_badge(venues, some) == ("LIVE - binance - NO DATA from okx", "late")
    assert live_badge(venues, {**some, "okx": rec("okx")}) == ("LIVE - binance, okx", "ok")


def test_venue_state_thresholds() -> None:
    assert venue_state("binance", None) == ("down", "binance no data yet")

    def rec(venue: str, age_ms: int = 1_200, connected: bool = True) -> HealthRecord:
        return HealthRecord(0, venue, connected, age_ms)

    assert venue_state("binance", rec("binance")) == ("ok", "binance 1.2 s")
    assert venue_state("binance", rec("binance", 7_000))[0] == "late"
    assert venue_state("okx", rec("okx", 7_000))[0] == "ok"  # polled every 5 s
    assert venue_state("okx", rec("okx", 61_000)) == ("down", "okx stale 61 s")
    assert venue_state("bybit", rec("bybit", connected=False)) == ("down", "bybit down 1 s")


def test_the_live_window_delivers_its_alerts_to_the_webhook(
    qtbot, tmp_path: Path, fake: FakeExchange, memory_keyring
) -> None:
    """settings.toml names a webhook (secret in the keyring): an alert the live engine raises
    reaches it, signed (checked by the tests' own HMAC), while the window goes on."""
    import json

    from local_http import LocalHTTPServer
    from test_notify import SECRET, _settings, receiver, verify

    memory_keyring.set_password("workstation", "notify:webhook_secret", SECRET)
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nid = "mark_seen"\nmetric = "mark_price"\nscope = "venue"\nop = ">"\n'
        'enter = 1\nexit = 0.5\nseverity = "warning"\nmessage = "mark {mark_price:,.2f}"\n'
    )
    r = receiver()
    with LocalHTTPServer(r) as srv:
        _settings(f'[notify]\ncoalesce_s = 0\n[notify.webhook]\nurl = "{srv.url}"\n')
        c = LiveController(
            _cfg(fake, ("binance",)),
            PositionBook(tmp_path / "book.db"),
            load_rules([rules], include_user_dir=False),
            sessions_dir=tmp_path / "sessions",
        )
        qtbot.addWidget(c.window)
        try:
            assert c.delivery is not None
            qtbot.waitUntil(lambda: bool(r.got), timeout=60_000)
        finally:
            c.close()
    headers, body = r.got[0]
    assert verify(headers, body, SECRET)
    sent = json.loads(body)
    assert (sent["type"], sent["rule"], sent["venue"], sent["state"]) == (
        "alert",
        "mark_seen",
        "binance",
        "active",
    )
    assert sent["session"] == "live: binance"
    assert c.delivery is None  # closed with the window
