"""No green on no data (issue 16, item 3): a venue is connected only after its first valid
message, and a recording notes "reconnected" only for a venue that had a connection before."""

from __future__ import annotations

import queue
import time

from fake_exchange import FakeExchange

from workstation.app.pipeline import build_pipeline
from workstation.app.pump import LivePump
from workstation.core.clock import ReplayClock
from workstation.feeds.health import HealthBoard, VenueHealth
from workstation.feeds.live import FeedConfig, LiveFeeds


def test_a_venue_never_connected_is_not_noted_as_reconnected() -> None:
    clock = ReplayClock(1_000_000)
    health = HealthBoard()
    notes: list[str] = []
    pump = LivePump(
        build_pipeline(clock).engine,
        clock,
        queue.SimpleQueue(),
        health,
        lambda _, t: notes.append(t),
    )

    def second(**changes: object) -> None:
        health.update("binance", **changes)
        clock.advance_to(clock.now_ms() + 1_000)
        pump.pump()

    second(connected=False, last_error="ConnectError")  # no network from the start
    second(connected=False)
    assert notes == []
    second(connected=True)  # the first valid message: a connection, not a reconnection
    assert notes == []
    second(connected=False, last_error="websocket: ConnectionClosedError")
    second(connected=True)
    assert notes == [
        "binance disconnected: websocket: ConnectionClosedError",
        "binance reconnected",
    ]


def test_an_open_socket_that_sends_only_garbage_is_not_connected(fake: FakeExchange) -> None:
    """bybit's socket opens and takes the subscription, then sends only half frames; its REST
    address answers nothing (a closed port)."""
    fake.faults["bybit"] = "truncated"
    urls = {**fake.urls(), "bybit": "http://127.0.0.1:9"}
    feeds = LiveFeeds(FeedConfig(venues=("bybit",), symbols=("BTCUSDT",), urls=urls, timeout_s=1.0))
    feeds.start()
    try:
        deadline = time.monotonic() + 90.0  # generous: a busy machine only takes longer
        while feeds.health.snapshot().get("bybit", VenueHealth("bybit")).dropped_payloads < 5:
            assert time.monotonic() < deadline, "the feed read no frame"
            time.sleep(0.05)
        assert feeds.health.snapshot()["bybit"].connected is False
    finally:
        feeds.stop()
