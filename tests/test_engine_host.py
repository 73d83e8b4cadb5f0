"""The engine on its own thread (no Qt): commands run in order on the engine thread, snapshots are
immutable and consistent with a straight headless replay of the same session, a backward seek is a
new generation, a failing command is the caller's error and not the thread's end, and stopping
leaves no thread behind."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from workstation.app.engine_host import EngineHost, ReplayRunner
from workstation.app.run import run_session
from workstation.sessions.store import SessionReader

NAMES = ("mark_price", "funding_rate_8h_pct")
HOUR = 3_600_000


def _host(path: Path, speed: float | None = None) -> tuple[EngineHost, SessionReader]:
    reader = SessionReader(path)
    span = reader.time_range()
    assert span is not None
    runner = ReplayRunner(reader.events, span, "BTCUSDT", None, NAMES, speed=speed)
    return EngineHost(runner), reader


def test_commands_run_on_the_engine_thread_in_order(selloff_session: Path) -> None:
    host, reader = _host(selloff_session)
    host.start()
    try:
        seen: list[tuple[int, str]] = []
        futures = [
            host.submit(lambda _r, i=i: seen.append((i, threading.current_thread().name)) or i)
            for i in range(20)
        ]
        assert [f.result(10) for f in futures] == list(range(20))
        assert seen == [(i, "engine") for i in range(20)]
    finally:
        host.stop()
        reader.close()
    assert not host.alive


def test_a_seek_shows_what_a_straight_replay_shows(selloff_session: Path) -> None:
    with SessionReader(selloff_session) as reader:
        start = reader.time_range()[0]
        target = start + 30 * HOUR
        straight = run_session(reader, until_ms=target - 1).pipeline
    expected = straight.metrics.fresh_values[("all", "BTCUSDT")]
    host, reader = _host(selloff_session)
    host.start()
    try:
        host.submit(lambda r: r.seek(target, 0)).result(60)
        snap = host.snapshot
        assert snap.ts_ms == target and snap.generation == 1
        # the same engine state at the same session moment, however it was reached
        assert snap.fresh["mark_price"] == pytest.approx(expected["mark_price"], rel=1e-12)
        with pytest.raises(TypeError):
            snap.fresh["mark_price"] = 1.0  # type: ignore[index]  # read-only for readers
        n = snap.series.n
        assert n > 0 and snap.series.column("mark_price")[1][-1] == snap.series.values[n - 1, 0]
        host.submit(lambda r: r.seek(start + HOUR, 0)).result(60)
        back = host.snapshot
        assert back.generation == 2 and back.ts_ms == start + HOUR
        assert snap.ts_ms == target and snap.series.n == n  # an old snapshot never changes
        records = host.take_records()
        assert records and {p.generation for p in records} <= {1, 2}
        assert not any(p.notify for p in records)  # replayed by seeks: nothing notifies
    finally:
        host.stop()
        reader.close()


def test_a_failing_command_is_the_callers_and_the_engine_goes_on(selloff_session: Path) -> None:
    host, reader = _host(selloff_session)
    host.start()
    try:

        def boom(_runner: object) -> None:
            raise ValueError("bad command")

        with pytest.raises(ValueError, match="bad command"):
            host.submit(boom).result(10)
        assert host.submit(lambda r: r.now_ms()).result(10) == host.snapshot.ts_ms
    finally:
        host.stop()
        reader.close()
    with pytest.raises(RuntimeError, match="not running"):
        host.submit(lambda r: None).result(1)


def test_playing_at_max_speed_reaches_the_end_and_pauses(selloff_session: Path) -> None:
    host, reader = _host(selloff_session, speed=None)
    host.start()
    try:
        host.submit(lambda r: r.play(0)).result(10)
        end = host.snapshot.end_ms
        deadline = 600.0
        import time

        t0 = time.monotonic()
        while not host.snapshot.finished and time.monotonic() - t0 < deadline:
            time.sleep(0.05)
        snap = host.sync()
        assert snap.finished and not snap.playing and snap.ts_ms == end
        assert any(p.notify for p in host.take_records())  # played: alerts may notify
    finally:
        host.stop()
        reader.close()


def test_the_engine_thread_guard_can_fail(selloff_session: Path) -> None:
    from conftest import running_engine_threads

    host, reader = _host(selloff_session)
    host.start()
    assert "engine" in running_engine_threads()
    host.stop()
    reader.close()
    assert running_engine_threads() == []


def test_stopping_ends_a_long_seek_where_it_got_to(selloff_session: Path, monkeypatch) -> None:
    """Closing the window during a seek through a long session does not wait for its end: the
    seek stops at its next chunk and the thread ends."""
    import threading
    import time

    from workstation.engine.engine import Engine

    process = Engine.process
    seeking = threading.Event()

    def slow(self, ev) -> None:  # a machine much slower than this one (50 µs more an event)
        if self.events_processed >= 2_000:  # well into the seek (of 85,177 events)
            seeking.set()
        time.sleep(0.00005)
        process(self, ev)

    monkeypatch.setattr(Engine, "process", slow)
    host, reader = _host(selloff_session)
    host.start()
    end = host.snapshot.end_ms
    seek = host.submit(lambda r: r.seek(end, 0))
    assert seeking.wait(60), "the seek never started"  # a condition, not a time
    host.stop(timeout=120)
    try:
        assert not host.alive
        assert seek.done() and seek.exception() is None
        assert host.runner.driver.position_ms < end  # it stopped early, where it had got to
    finally:
        reader.close()
