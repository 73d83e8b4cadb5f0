"""Builds the standard engine: the same components for replay, simulation checks and live."""

from __future__ import annotations

from dataclasses import dataclass

from workstation.core.clock import Clock
from workstation.engine.engine import Engine
from workstation.engine.latest import LatestValues
from workstation.engine.report import MetricsReporter


@dataclass
class Pipeline:
    """The engine with handles on its components (engine thread only)."""

    engine: Engine
    latest: LatestValues


def build_pipeline(clock: Clock, *, report_every_ms: int | None = None) -> Pipeline:
    """An engine with the latest-values store; ``report_every_ms`` adds periodic metrics lines."""
    engine = Engine(clock)
    latest = LatestValues()
    engine.add_component(latest)
    if report_every_ms:
        MetricsReporter(engine, latest, report_every_ms)
    return Pipeline(engine=engine, latest=latest)
