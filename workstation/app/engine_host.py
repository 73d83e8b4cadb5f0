"""The engine on its own thread, live and replay alike.

:class:`EngineHost` starts one thread, the *engine thread*, which owns a runner (a
:class:`ReplayRunner` or a :class:`LiveRunner`) and with it the pipeline, the series and every
piece of engine state. Other threads talk to it in two ways only:

- commands: ``host.submit(fn)`` queues ``fn(runner)`` to run on the engine thread between two
  slices of work and returns a :class:`concurrent.futures.Future` with its result (play, seek,
  new rules, start recording, ...). Commands run in the order they were submitted.
- reads: ``host.snapshot`` is the latest immutable :class:`~workstation.app.snapshot.Snapshot`
  (replaced whole, never changed), and ``host.take_records()`` hands over the records (alerts,
  checklist, ladder) published since the last call, each tagged with the engine's generation and
  whether it may notify (records replayed by a seek do not).

The engine itself never reads the wall clock: the runners pass ``wall_ms`` (a monotonic clock,
injected) to the replay driver for pacing, and the live clock is the engine's own input.
"""

from __future__ import annotations

import queue
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from workstation.app.pipeline import Pipeline, build_pipeline
from workstation.app.pump import LivePump
from workstation.app.series import SeriesRecorder
from workstation.app.snapshot import LadderView, Snapshot
from workstation.core.clock import Clock, LiveClock, ReplayClock
from workstation.core.events import Event, PositionCommand
from workstation.core.leverage import SIDES
from workstation.core.records import (
    AlertRecord,
    ChecklistRecord,
    HealthRecord,
    MetricsRecord,
    Record,
)
from workstation.engine.engine import Engine
from workstation.engine.replay import ReplayDriver
from workstation.risk.book_state import BookRisk
from workstation.risk.live import MarketState
from workstation.risk.positions import position_fields
from workstation.rules.config import RulesConfig

AGG = "all"
WORK_SLICE_S = 0.02  # engine work between two looks at the command queue, wall seconds
YIELD_MAX_S = 0.03  # a reader holding the engine gets it back after this long at the most
FORCED_SLICE_S = 0.01  # the work done then, before it looks at the gate again
PUBLISH_EVERY_S = 0.02  # at most this often a new snapshot while working (readers poll 20 Hz)
IDLE_WAIT_S = 0.05  # nothing to do: wait this long for a command
KEEP_RECORDS = 100_000  # records not yet taken by a reader, at most (the oldest go first)
RISK_EVERY_S = 0.1  # the book's risk and stress are recomputed at most this often while working


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


@dataclass(frozen=True)
class Published:
    """One record handed to readers: ``generation`` of the engine that emitted it, and whether
    it may notify the trader (played or live, not replayed by a seek)."""

    generation: int
    notify: bool
    record: Record


class _Runner(ABC):
    """What both runners share: building the pipeline and series, collecting records, and the
    snapshot of the watched symbol. Engine thread only (built on the caller's thread, then
    handed over before the host starts)."""

    def __init__(
        self,
        symbol: str,
        rules: RulesConfig | None,
        series_names: tuple[str, ...],
        sample_every_ms: int,
        max_samples: int | None,
    ) -> None:
        self.symbol = symbol
        self.rules = rules
        self.series_names = series_names
        self.sample_every_ms = sample_every_ms
        self.max_samples = max_samples
        self.generation = 0
        self.alerts_fired = 0
        self.verdicts: dict[str, ChecklistRecord] = {}  # the symbol's latest, by side
        self.health: dict[str, HealthRecord] = {}
        self.out: deque[Published] = deque(maxlen=KEEP_RECORDS)
        # true once the host is stopping: long commands (a seek) end early, where they got to
        self.should_stop: Callable[[], bool] = lambda: False
        self._risk: BookRisk | None = None
        self._risk_key: tuple | None = None
        self._risk_at = -1.0
        self._risk_ts = 0  # engine time of the book's risk
        self.pipe: Pipeline
        self.series: SeriesRecorder

    def build(self, clock: Clock) -> Engine:
        """A fresh pipeline and series on ``clock`` (a new generation of records)."""
        self.pipe = build_pipeline(clock, rules=self.rules)
        self.series = SeriesRecorder(
            self.pipe.engine,
            self.pipe.metrics,
            (AGG, self.symbol),
            self.series_names,
            every_ms=self.sample_every_ms,
            max_rows=self.max_samples,
        )
        self.generation += 1
        self.alerts_fired = 0
        self.verdicts = {}
        self._risk, self._risk_key = None, None
        return self.pipe.engine

    def collect(self, notify: bool) -> None:
        """Move the engine's new records to the readers' queue (metrics lines are not kept)."""
        for r in self.pipe.engine.drain():
            match r:
                case MetricsRecord():
                    continue
                case HealthRecord():
                    self.health[r.venue] = r
                    continue
                case ChecklistRecord() if r.symbol == self.symbol:
                    self.verdicts[r.side] = r
                case AlertRecord() if r.state == "active":
                    self.alerts_fired += 1
            self.out.append(Published(self.generation, notify, r))

    @abstractmethod
    def now_ms(self) -> int:
        """Engine time now: the replay's position, or the live clock."""

    def snapshot(self, exact: bool = True, **extra: Any) -> Snapshot:
        """The state now. ``exact``: the book's risk is computed at this moment; otherwise it
        may be reused from up to RISK_EVERY_S ago while marks move (a max-speed replay)."""
        now = self.now_ms()
        positions = self._book_risk(exact)
        key = (AGG, self.symbol)
        fresh = dict(self.pipe.metrics.fresh_values.get(key, {}))
        updated = self.pipe.latest.updated_ms.get(key, {})
        ages = {n: max(0, now - updated[n]) for n in fresh if n in updated}
        ladders = self.pipe.rules.ladders
        rv = fresh.get(self.pipe.rules.config.ladder.rv_metric)
        return Snapshot(
            generation=self.generation,
            symbol=self.symbol,
            ts_ms=now,
            events_processed=self.pipe.engine.events_processed,
            fresh=MappingProxyType(fresh),
            ages_ms=MappingProxyType(ages),
            verdicts=MappingProxyType(dict(self.verdicts)),
            ladders=MappingProxyType(
                {
                    side: LadderView(lad.max_leverage, lad.reasons)
                    for side in SIDES
                    if (lad := ladders.get((self.symbol, side))) is not None
                }
            ),
            active_inputs=self.pipe.rules.active_inputs(self.symbol),
            active_alerts=self.pipe.rules.active_alerts(),
            warming=MappingProxyType(dict(self.pipe.metrics.warming.get(key, {}))),
            stale=frozenset(self.pipe.metrics.stale_names(AGG, self.symbol, now)),
            missing_venues=tuple(self.pipe.metrics.partial.get(self.symbol, ())),
            rv_annual_pct=rv if rv is not None and rv == rv else None,
            alerts_fired=self.alerts_fired,
            health=MappingProxyType(dict(self.health)),
            series=self.series.view(),
            positions=positions,
            positions_ts_ms=self._risk_ts if positions is not None else None,
            **extra,
        )

    def _book_risk(self, exact: bool) -> BookRisk | None:
        """The book's risk at engine time (``_risk_ts``), recomputed when its inputs changed
        (the book, a mark, a symbol's vol, ladder or verdict); unless ``exact``, at most every
        RISK_EVERY_S while the same positions' inputs move."""
        book = self.pipe.book
        if not book.positions:
            self._risk, self._risk_key = None, None
            return None
        fresh = self.pipe.metrics.fresh_values
        symbols = sorted({p.symbol for p in book.positions})
        marks = {
            s: fresh[(AGG, s)]["mark_price"]
            for s in symbols
            if "mark_price" in fresh.get((AGG, s), {})
        }
        markets = {(s, side): self._market(s, side, marks) for s in marks for side in SIDES}
        key = (book.positions, tuple(sorted(markets.items())))
        now = time.perf_counter()
        if key == self._risk_key:
            return self._risk
        if (
            not exact
            and self._risk_key is not None
            and key[0] == self._risk_key[0]
            and now - self._risk_at < RISK_EVERY_S
        ):
            return self._risk
        self._risk = book.risk(markets, marks)
        self._risk_key, self._risk_at, self._risk_ts = key, now, self.now_ms()
        return self._risk

    def _market(self, symbol: str, side: str, marks: dict[str, float]) -> MarketState:
        """What the engine knows now for ``symbol`` and a ``side`` position, as position risk
        reads it: that side's ladder and verdict."""
        rules = self.pipe.rules
        fresh = self.pipe.metrics.fresh_values.get((AGG, symbol), {})
        rv = fresh.get(rules.config.ladder.rv_metric)
        ladder = rules.ladders.get((symbol, side))
        verdict = rules.verdicts.get((symbol, side))
        return MarketState(
            marks[symbol],
            rv if rv is not None and rv == rv else None,
            None if ladder is None else ladder.max_leverage,
            None if verdict is None else verdict.verdict,
            () if verdict is None else tuple(verdict.cautions),
            rules.config.ladder.holding_horizon_h,
        )

    # the host calls these
    @abstractmethod
    def work(self, wall_ms: int, stop: Callable[[], bool]) -> bool:
        """Engine work in short slices until ``stop()`` says so; True while more is due now."""

    def idle_wait_s(self, wall_ms: int) -> float:
        return IDLE_WAIT_S

    def close(self) -> None:  # noqa: B027 - most runners hold nothing to release
        """End of the thread: release what the runner holds."""


class ReplayRunner(_Runner):
    """A recorded session, played at a speed, paused, sought, stepped to alerts."""

    SLICE_MS = 5_000  # session time per driver call
    EVENTS_PER_SLICE = 5_000

    def __init__(
        self,
        open_events: Callable[[], Iterator[Event]],
        span: tuple[int, int],
        symbol: str,
        rules: RulesConfig | None,
        series_names: tuple[str, ...],
        speed: float | None = 60.0,
        sample_every_ms: int = 60_000,
        initial_commands: tuple[PositionCommand, ...] = (),
    ) -> None:
        super().__init__(symbol, rules, series_names, sample_every_ms, None)
        # the trader's book at the start (when the session records none of its own), then every
        # command given during this replay: a rebuilt engine gets them all again, in order
        self.user_commands: list[PositionCommand] = list(initial_commands)
        self.driver = ReplayDriver(open_events, self._build_with_book, *span, speed=speed)

    def _build_with_book(self, clock: ReplayClock) -> Engine:
        engine = self.build(clock)
        start = clock.now_ms()
        for cmd in self.user_commands:
            engine.process(replace(cmd, ts_recv_ms=start, seq=0))
        return engine

    def now_ms(self) -> int:
        return self.driver.position_ms

    def snapshot(self, exact: bool = True, **extra: Any) -> Snapshot:
        d = self.driver
        return super().snapshot(
            exact,
            start_ms=d.start_ms,
            end_ms=d.end_ms,
            playing=d.playing,
            finished=d.finished,
            speed=d.speed,
            **extra,
        )

    def work(self, wall_ms: int, stop: Callable[[], bool]) -> bool:
        d = self.driver
        if not d.playing:
            return False
        target = d.target_ms(wall_ms)
        while d.position_ms < target and not stop():
            d.run_until(min(target, d.position_ms + self.SLICE_MS), self.EVENTS_PER_SLICE)
        self.collect(notify=True)
        if d.finished:
            d.pause()
        return d.playing and d.position_ms < d.target_ms(wall_ms)

    def idle_wait_s(self, wall_ms: int) -> float:
        due = self.driver.next_event_wall_ms()
        if due is None:
            return IDLE_WAIT_S
        return min(IDLE_WAIT_S, max(0.0, (due - wall_ms) / 1000))

    # --- commands (engine thread) ---------------------------------------------------------------
    def play(self, wall_ms: int) -> None:
        self.driver.play(wall_ms)

    def pause(self) -> None:
        self.driver.pause()

    def set_speed(self, speed: float | None, wall_ms: int) -> None:
        self.driver.set_speed(speed, wall_ms)

    def seek(self, ts_ms: int, wall_ms: int) -> None:
        """Jump to ``ts_ms``; backwards rebuilds the engine (a new generation) and replays to it.
        Records a seek replays do not notify."""
        self.collect(notify=True)
        self.driver.seek(ts_ms, wall_ms, self.should_stop)
        self.collect(notify=False)

    def next_alert(self, wall_ms: int) -> bool:
        """Replay until the next alert fires (or the end) and pause there; True if one fired."""
        was = self.alerts_fired
        d = self.driver
        d.pause()
        while not d.finished and self.alerts_fired == was and not self.should_stop():
            d.run_until(d.position_ms + 60_000, 20_000)
            self.collect(notify=False)
        return self.alerts_fired > was

    def position_command(self, cmd: PositionCommand) -> None:
        """The trader changed the book: applied now (at the replay's moment) and kept, so a
        rebuilt engine has it too."""
        self.user_commands.append(cmd)
        now = self.driver.position_ms
        self.pipe.engine.process(replace(cmd, ts_event_ms=now, ts_recv_ms=now, seq=0))

    def set_rules(self, rules: RulesConfig, wall_ms: int) -> None:
        """New rules in a replay: the engine is rebuilt with them and replayed back to where it
        was, so the alert log reads as if these rules had been in force from the start (the
        metric windows at the current moment are the same as before: replay is deterministic)."""
        self.rules = rules
        self.driver.rebuild(wall_ms, self.should_stop)
        self.collect(notify=False)


class LiveRunner(_Runner):
    """The live feeds' queue pumped into the engine; recording to a session file."""

    EVENTS_PER_SLICE = 2_000

    def __init__(
        self,
        feeds: Any,  # workstation.feeds.live.LiveFeeds (started by the caller)
        symbol: str,
        venues: tuple[str, ...],
        symbols: tuple[str, ...],
        urls: dict[str, str],
        rules: RulesConfig | None,
        series_names: tuple[str, ...],
        sample_every_ms: int,
        max_samples: int | None,
        clock: Clock | None = None,
        initial_commands: tuple[PositionCommand, ...] = (),
    ) -> None:
        super().__init__(symbol, rules, series_names, sample_every_ms, max_samples)
        self.feeds = feeds
        self.venues, self.symbols, self.urls = venues, symbols, urls
        self.clock = clock or LiveClock()
        self.writer: Any = None  # a SessionWriter while recording (engine thread: its SQLite)
        self.build(self.clock)
        self.pump = LivePump(
            self.pipe.engine, self.clock, feeds.queue, feeds.health, note=self._note
        )
        for cmd in initial_commands:  # the trader's book, before any market data
            self.position_command(cmd)

    def now_ms(self) -> int:
        """Engine time (the live clock as of the engine's last step): the moment the snapshot
        shows, which a replay of the recording reaches by seeking to it."""
        now = self.pipe.engine.now_ms
        return self.clock.now_ms() if now is None else now

    def snapshot(self, exact: bool = True, **extra: Any) -> Snapshot:
        w = self.writer
        return super().snapshot(
            exact,
            lag_ms=self.pump.lag_ms,
            backlog=self.feeds.queue.qsize(),
            recording=None
            if w is None
            else MappingProxyType({"path": str(w.path), "count": w.count}),
            **extra,
        )

    def work(self, wall_ms: int, stop: Callable[[], bool]) -> bool:
        more = True
        while more and not stop():
            more = self.pump.pump(max_events=self.EVENTS_PER_SLICE) == self.EVENTS_PER_SLICE
        if self.writer is not None:
            self.writer.flush_if_due()
        self.collect(notify=True)
        return more

    def idle_wait_s(self, wall_ms: int) -> float:
        return 0.02  # the feeds' queue is polled, not waited on: commands get in between

    def _note(self, ts_ms: int, text: str) -> None:
        if self.writer is not None:
            self.writer.add_note(ts_ms, text)

    # --- commands (engine thread) ---------------------------------------------------------------
    def set_rules(self, rules: RulesConfig, wall_ms: int) -> None:
        """New rules live: put to work in the running engine; its metric windows are kept, so
        the signals do not go back to unknown."""
        self.rules = rules
        self.pipe.rules.set_config(rules)

    def position_command(self, cmd: PositionCommand) -> None:
        """The trader changed the book: stamped into the live sequence, processed, recorded."""
        ts, seq = self.pump.stamp()
        self.pipe.engine.process(replace(cmd, ts_event_ms=ts, ts_recv_ms=ts, seq=seq))

    def start_recording(self, path: Path) -> Path:
        """A new session file; it starts with the book as it is (an open command per open
        position), so that its replay holds the positions the trader had."""
        from workstation.sessions.store import SessionWriter

        if self.writer is not None:
            return Path(self.writer.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = SessionWriter(
            path, source="live", venues=self.venues, symbols=self.symbols, extra={"urls": self.urls}
        )
        for p in self.pipe.book.positions:
            ts, seq = self.pump.stamp()
            fields = tuple(position_fields(p).items())
            self.writer.append(
                PositionCommand(
                    p.opened_ms or ts, ts, seq, p.venue, p.symbol, "open", p.id, fields, None
                )
            )
        self.pipe.engine.add_tap(self.writer.append)
        return path

    def stop_recording(self) -> tuple[Path, int] | None:
        """Close the recording; (its path, events written), or None when not recording."""
        w = self.writer
        if w is None:
            return None
        self.pipe.engine.remove_tap(w.append)
        w.close()
        self.writer = None
        return Path(w.path), w.count

    def close(self) -> None:
        self.pump.pump()  # what the feeds queued before they stopped
        self.stop_recording()


class EngineHost:
    """Runs ``runner`` on the engine thread (see the module docstring). ``wall_ms`` is the
    monotonic clock the runner paces a replay by (injectable for tests)."""

    def __init__(self, runner: _Runner, wall_ms: Callable[[], int] = monotonic_ms) -> None:
        self.runner = runner
        self.wall_ms = wall_ms
        self._commands: queue.SimpleQueue[tuple[Callable[[Any], Any], Future]] = queue.SimpleQueue()
        self._stopping = False
        # Set while the engine may work. A reader clears it while its own thread is busy (the
        # window: from the event loop's wake-up to its going back to sleep) so that the engine
        # does not hold the interpreter lock against it; the engine waits at most YIELD_MAX_S.
        self.gate = threading.Event()
        self.gate.set()
        self.error: BaseException | None = None
        self.snapshot: Snapshot = runner.snapshot()
        self.publishes = 0
        runner.should_stop = lambda: self._stopping
        self._thread = threading.Thread(target=self._run, name="engine", daemon=True)

    # --- any thread -----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def submit(self, fn: Callable[[Any], Any]) -> Future:
        """Run ``fn(runner)`` on the engine thread; its result (or exception) in the future."""
        fut: Future = Future()
        if self._stopping or not self._thread.is_alive():
            fut.set_exception(RuntimeError("the engine thread is not running"))
            return fut
        self._commands.put((fn, fut))
        return fut

    def sync(self, timeout: float = 60.0) -> Snapshot:
        """Wait until every command submitted so far has run and a snapshot after them is
        published; returns it (tests and the self-test use this; the window never blocks)."""
        self.submit(lambda _r: None).result(timeout)
        return self.snapshot

    def take_records(self) -> list[Published]:
        """The records published since the last call, oldest first."""
        out = self.runner.out
        taken = []
        while out:
            try:
                taken.append(out.popleft())
            except IndexError:  # emptied between the check and the pop
                break
        return taken

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its current slice; the runner closes on it."""
        self._stopping = True
        self._commands.put((lambda _r: None, Future()))  # wake it
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def hold(self) -> None:
        """The reader's thread is busy: the engine pauses after its current slice."""
        self.gate.clear()

    def release(self) -> None:
        """The reader's thread is idle again: the engine goes on."""
        self.gate.set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # --- the engine thread ----------------------------------------------------------------------
    def _run(self) -> None:
        r = self.runner
        try:
            last_publish = 0.0
            while not self._stopping:
                ran = self._run_commands()
                more = r.work(self.wall_ms(), self._slice_stop())
                now = time.perf_counter()
                if ran or now - last_publish >= PUBLISH_EVERY_S or not more:
                    self._publish(exact=not more)
                    last_publish = now
                if not more and not ran:
                    self._wait(r.idle_wait_s(self.wall_ms()))
        except BaseException as exc:  # kept for the reader, who shows it
            self.error = exc
            raise
        finally:
            try:
                r.close()
            finally:
                self._fail_pending()

    def _slice_stop(self) -> Callable[[], bool]:
        """Wait for the gate (at most YIELD_MAX_S), then the test that ends this slice: its
        time is up, or a reader took the gate back."""
        gate = self.gate
        if not gate.wait(YIELD_MAX_S):  # held too long: a short slice all the same
            deadline = time.perf_counter() + FORCED_SLICE_S
            return lambda: time.perf_counter() >= deadline
        deadline = time.perf_counter() + WORK_SLICE_S
        return lambda: not gate.is_set() or time.perf_counter() >= deadline

    def _run_commands(self) -> bool:
        ran = False
        while True:
            try:
                fn, fut = self._commands.get_nowait()
            except queue.Empty:
                return ran
            ran = True
            self._execute(fn, fut)

    def _execute(self, fn: Callable[[Any], Any], fut: Future) -> None:
        if not fut.set_running_or_notify_cancel():
            return
        try:
            result = fn(self.runner)
        except Exception as exc:  # a failed command is the caller's to see, not the thread's end
            fut.set_exception(exc)
            return
        self._publish()  # the command's effect is visible before its future resolves
        fut.set_result(result)

    def _wait(self, seconds: float) -> None:
        try:
            fn, fut = self._commands.get(timeout=max(0.0, seconds))
        except queue.Empty:
            return
        self._execute(fn, fut)

    def _publish(self, exact: bool = True) -> None:
        self.snapshot = self.runner.snapshot(exact)
        self.publishes += 1

    def _fail_pending(self) -> None:
        while True:
            try:
                _fn, fut = self._commands.get_nowait()
            except queue.Empty:
                return
            if fut.set_running_or_notify_cancel():
                fut.set_exception(RuntimeError("the engine thread stopped"))
