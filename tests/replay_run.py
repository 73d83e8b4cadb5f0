"""Drive live adapters end to end against a :class:`~replay_exchange.ReplayExchange`:
adapter -> queue -> LivePump -> engine -> SessionWriter, until a condition holds (tests only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from replay_exchange import ReplayExchange

from workstation.app.pipeline import build_pipeline
from workstation.app.pump import LivePump
from workstation.core.clock import LiveClock
from workstation.feeds.live import FeedConfig, LiveFeeds
from workstation.rules.config import load_rules
from workstation.sessions.store import SessionWriter

RULES = "[engine]\neval_interval_s = 0.2\n"


@dataclass
class Run:
    outputs: list[dict] = field(default_factory=list)
    events: list = field(default_factory=list)  # every event the engine took, in its order
    pipe: object = None
    feeds: LiveFeeds | None = None
    met: bool = False


def drive(
    fx: ReplayExchange,
    out: Path,
    venues: tuple[str, ...],
    symbols: tuple[str, ...],
    until: Callable[[Run], bool],
    *,
    deadline_s: float = 60.0,
    **cfg: object,
) -> Run:
    """Record until ``until(run)`` is true (checked after every pump) or ``deadline_s`` passes
    (generous: the condition is what ends a passing run). ``cfg``: more FeedConfig fields."""
    rules_file = out.with_suffix(".toml")
    rules_file.write_text(RULES)
    clock = LiveClock()
    run = Run(pipe=build_pipeline(clock, rules=load_rules([rules_file], include_user_dir=False)))
    writer = SessionWriter(out, source="live", venues=venues, symbols=symbols, overwrite=True)
    run.pipe.engine.add_tap(writer.append)
    run.pipe.engine.add_tap(run.events.append)
    run.feeds = LiveFeeds(
        FeedConfig(venues=venues, symbols=symbols, urls=fx.urls(), timeout_s=2.0, **cfg)
    )
    pump = LivePump(run.pipe.engine, clock, run.feeds.queue, run.feeds.health)
    run.feeds.start()
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < deadline_s:
            pump.pump(wait_s=0.02)
            writer.flush_if_due()
            run.outputs += run.pipe.engine.drain()
            if until(run):
                run.met = True
                break
    finally:
        run.feeds.stop()
        writer.close()
    return run
