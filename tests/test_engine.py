"""The engine's time rule, taps, and the replay driver's pacing, pause and seek."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workstation.app.pipeline import build_pipeline
from workstation.core.clock import ReplayClock
from workstation.core.events import MarkPrice, OpenInterest
from workstation.engine.engine import Engine
from workstation.engine.replay import ReplayDriver, parse_speed
from workstation.sessions.store import SessionReader


def oi(ts: int, seq: int) -> OpenInterest:
    return OpenInterest(ts, ts, seq, "binance", "BTCUSDT", float(seq), float(seq))


class Counter:
    def __init__(self) -> None:
        self.seen: list[int] = []

    def handlers(self):
        return {OpenInterest: lambda ev: self.seen.append(ev.ts_recv_ms)}


def test_timer_boundary_sees_events_at_its_own_time() -> None:
    clock = ReplayClock()
    engine = Engine(clock)
    counter = Counter()
    engine.add_component(counter)
    fired: list[tuple[int, int]] = []
    engine.add_timer(1000, lambda ts: fired.append((ts, len(counter.seen))))
    for seq, ts in enumerate([999, 1000, 1001, 2500], start=1):
        engine.process(oi(ts, seq))
    # Boundary 1000 fired after the event at exactly 1000 and before the one at 1001.
    assert fired == [(1000, 2), (2000, 3)]
    clock.advance_to(3000)
    engine.advance()
    assert fired[-1] == (2000, 3)  # 3000 is not passed yet
    clock.advance_to(3001)
    engine.advance()
    assert fired[-1] == (3000, 4)


def test_several_timers_fire_in_time_then_registration_order() -> None:
    engine = Engine(ReplayClock())
    log: list[str] = []
    engine.add_timer(2000, lambda ts: log.append(f"b{ts}"))
    engine.add_timer(1000, lambda ts: log.append(f"a{ts}"))
    engine.process(oi(500, 1))
    engine.process(oi(4500, 2))
    assert log == ["a1000", "b2000", "a2000", "a3000", "b4000", "a4000"]


def test_taps_see_each_event_before_components() -> None:
    engine = Engine(ReplayClock())
    order: list[str] = []
    engine.add_tap(lambda ev: order.append(f"tap{ev.seq}"))
    engine.add_component(
        type(
            "C",
            (),
            {"handlers": lambda self: {OpenInterest: lambda ev: order.append(f"c{ev.seq}")}},
        )()
    )
    engine.process(oi(1, 1))
    engine.process(oi(2, 2))
    assert order == ["tap1", "c1", "tap2", "c2"]


def test_latest_values_follow_the_newest_event() -> None:
    pipe = build_pipeline(ReplayClock())
    pipe.engine.process(MarkPrice(1, 10, 1, "bybit", "ETHUSDT", 2600.5, 2600.0, 1e-4, 8.0, 99))
    pipe.engine.process(MarkPrice(2, 20, 2, "bybit", "ETHUSDT", 2590.0, 2591.0, -2e-5, 4.0, 77))
    vals = pipe.latest.values[("bybit", "ETHUSDT")]
    assert vals["mark_price"] == 2590.0
    assert vals["funding_rate"] == -2e-5
    assert vals["funding_interval_h"] == 4.0
    assert pipe.latest.updated_ms[("bybit", "ETHUSDT")]["mark_price"] == 20


@pytest.mark.parametrize(
    "text,value", [("x1", 1.0), ("10", 10.0), ("x60", 60.0), ("600", 600.0), ("max", None)]
)
def test_speeds(text: str, value: float | None) -> None:
    assert parse_speed(text) == value


def test_unknown_speed_is_refused() -> None:
    with pytest.raises(ValueError, match="x1, x10, x60, x600, max"):
        parse_speed("x7")


# --- the driver over a real simulated session --------------------------------------------------
EVERY_MS = 600_000


def make_driver(path: Path, speed: float | None) -> ReplayDriver:
    reader = SessionReader(path)
    span = reader.time_range()
    assert span is not None
    return ReplayDriver(
        reader.events,
        lambda clock: build_pipeline(clock, report_every_ms=EVERY_MS).engine,
        span[0],
        span[1],
        speed,
    )


def straight(path: Path) -> list[dict]:
    d = make_driver(path, None)
    d.play(0)
    d.step(0)
    assert d.finished
    return d.engine.drain()


def test_paced_replay_gives_the_same_outputs_as_max_speed(selloff_session: Path) -> None:
    expected = straight(selloff_session)
    assert len(expected) > 100
    d = make_driver(selloff_session, 600.0)
    d.play(0)
    out: list[dict] = []
    wall = 0
    while not d.finished:
        wall += 250  # a 4 Hz timer: 150 s of session per step at x600
        d.step(wall)
        out.extend(d.engine.drain())
    assert out == expected
    span_ms = d.end_ms - d.start_ms
    assert wall == pytest.approx(span_ms / 600, abs=300)  # x600 really paced it


def test_position_follows_speed_and_pause_holds_it(selloff_session: Path) -> None:
    d = make_driver(selloff_session, 60.0)
    d.play(10_000)
    d.step(11_000)  # one wall second at x60
    assert d.position_ms == d.start_ms + 60_000
    d.pause()
    assert d.step(50_000) == 0
    assert d.position_ms == d.start_ms + 60_000
    d.play(50_000)
    d.set_speed(600.0, 50_000)
    d.step(51_000)
    assert d.position_ms == d.start_ms + 60_000 + 600_000


def test_seek_back_and_forward_match_a_straight_replay(selloff_session: Path) -> None:
    expected = straight(selloff_session)
    d = make_driver(selloff_session, None)
    target = d.start_ms + 20 * 3_600_000 + 30_000  # not on a reporting boundary
    d.seek(target + 5 * 3_600_000)  # forward first
    d.engine.drain()  # discard what the forward seek reported
    d.seek(target)  # then back: the engine is rebuilt and replayed to the target
    assert d.position_ms == target
    d.engine.drain()
    d.play(0)
    d.step(0)
    after = d.engine.drain()
    assert after == [r for r in expected if r.ts_ms > target]
    assert after  # the comparison was not vacuous


def test_series_recorder_keeps_at_most_max_rows() -> None:
    """A live run's chart series stays bounded: past max_rows the oldest tenth goes."""
    from types import SimpleNamespace

    from workstation.app.series import SeriesRecorder

    clock = ReplayClock()
    engine = Engine(clock)
    metrics = SimpleNamespace(fresh_values={("all", "BTCUSDT"): {}})
    rec = SeriesRecorder(engine, metrics, ("all", "BTCUSDT"), ("mark_price",), 1000, max_rows=50)
    for s in range(1, 201):
        metrics.fresh_values[("all", "BTCUSDT")] = {"mark_price": float(s)}
        clock.advance_to(s * 1000 + 1)
        engine.advance()
    x, y = rec.column("mark_price")
    assert 45 <= len(x) <= 50  # after a trim of 5, refilled up to 50
    assert y[-1] == 200.0 and x[-1] == 200.0  # the newest sample is the last second's
    assert list(np.diff(x)) == [1.0] * (len(x) - 1)  # contiguous: the oldest went, in order
    assert len(rec.ts_ms) <= 1024  # the buffers did not grow past their first size
