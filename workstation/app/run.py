"""One way to run a recorded session through the standard pipeline, used by every headless
caller (``replay``, ``backtest-rules``, ``size --session``, benchmarks): events in order, records
drained into a sink as they come (memory stays bounded), and engine time advanced past the last
event at the end so every timer due in the session fires. Runs on the calling thread, which owns
the engine for the run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workstation.app.pipeline import Pipeline, build_pipeline
from workstation.core.clock import ReplayClock
from workstation.core.events import Event
from workstation.engine.replay import ReplayDriver
from workstation.rules.config import RulesConfig
from workstation.sessions.store import SessionReader

Sink = Callable[[dict], None]
DRAIN_EVERY = 20_000  # events between drains: bounded memory, few calls


@dataclass(frozen=True)
class Pacing:
    """A paced replay: ``speed`` × session time against ``wall_ms()`` (a monotonic ms clock),
    waiting with ``sleep(seconds)``; both injected so that the engine never reads a clock."""

    speed: float
    wall_ms: Callable[[], int]
    sleep: Callable[[float], None]


@dataclass
class SessionRun:
    """What a run leaves: the pipeline at the session's end, the span replayed, the count."""

    pipeline: Pipeline
    first_ts_ms: int | None
    end_ts_ms: int | None
    events: int


def run_session(
    reader: SessionReader,
    sink: Sink | None = None,
    *,
    rules: RulesConfig | None = None,
    report_every_ms: int | None = None,
    until_ms: int | None = None,
    pacing: Pacing | None = None,
    taps: Iterable[Callable[[Event], None]] = (),
) -> SessionRun:
    """Replay ``reader`` (to ``until_ms``, default its last event) at max speed, or paced; every
    output record goes to ``sink`` (dropped when None). Engine time ends 1 ms past the end, so
    a boundary at the last event's time has fired."""
    span = reader.time_range()
    built: list[Pipeline] = []

    def factory(clock):
        pipe = build_pipeline(clock, rules=rules, report_every_ms=report_every_ms)
        for tap in taps:
            pipe.engine.add_tap(tap)
        built.append(pipe)
        return pipe.engine

    if span is None:
        factory(ReplayClock())
        return SessionRun(built[-1], None, None, 0)
    end = span[1] if until_ms is None else max(span[0], min(until_ms, span[1]))
    driver = ReplayDriver(reader.events, factory, span[0], end, None)
    engine = driver.engine

    def drain() -> None:
        records = engine.drain()
        if sink is not None:
            for r in records:
                sink(r)

    if pacing is None:
        while driver.run_until(end, max_events=DRAIN_EVERY) == DRAIN_EVERY:
            drain()  # fewer than DRAIN_EVERY: every event up to ``end`` is in
    else:
        driver.set_speed(pacing.speed, pacing.wall_ms())
        driver.play(pacing.wall_ms())
        while driver.position_ms < end:
            driver.step(pacing.wall_ms(), max_events=DRAIN_EVERY)
            drain()
            due = driver.next_event_wall_ms()
            if due is not None:
                pacing.sleep(min(0.25, max(0.0, (due - pacing.wall_ms()) / 1000)))
    driver.clock.advance_to(end + 1)
    engine.advance()
    drain()
    return SessionRun(built[-1], span[0], end, engine.events_processed)
