"""Builds the standard engine: the same components for replay, backtests and live. The pipeline
owns the one evaluation timer and the order of work (metrics, then rules, checklist, ladder)."""

from __future__ import annotations

from dataclasses import dataclass

from workstation.app.report import MetricsReporter
from workstation.core.clock import Clock
from workstation.engine.engine import Engine
from workstation.metrics.latest import LatestValues
from workstation.metrics.market import MarketMetrics
from workstation.risk.book_state import BookState
from workstation.rules.config import RulesConfig, load_rules
from workstation.rules.runner import RulesRunner


@dataclass
class Pipeline:
    """The engine with handles on its components (engine thread only)."""

    engine: Engine
    latest: LatestValues
    metrics: MarketMetrics
    rules: RulesRunner
    book: BookState


def build_pipeline(
    clock: Clock, *, rules: RulesConfig | None = None, report_every_ms: int | None = None
) -> Pipeline:
    """Latest values, metrics, rules, checklist, ladder and the position book (position commands);
    ``report_every_ms`` adds periodic metrics lines. ``rules`` defaults to the shipped defaults
    (no user files)."""
    config = rules or load_rules(include_user_dir=False)
    engine = Engine(clock)
    latest = LatestValues()
    engine.add_component(latest)
    metrics = MarketMetrics(latest, config.metrics, config.eval_interval_ms)
    engine.add_component(metrics)
    runner = RulesRunner(engine.emit, config)
    book = BookState()
    engine.add_component(book)

    def evaluate(now_ms: int) -> None:  # the one evaluation timer: metrics, then rules
        if metrics.tick(now_ms):
            runner.evaluate(now_ms, metrics.fresh_values)

    engine.add_timer(config.eval_interval_ms, evaluate)
    if report_every_ms:
        MetricsReporter(engine, latest, report_every_ms, metrics)
    return Pipeline(engine=engine, latest=latest, metrics=metrics, rules=runner, book=book)
