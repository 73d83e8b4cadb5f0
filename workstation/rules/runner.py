"""Runs the rules, the checklist and the ladder after every metrics evaluation, per symbol, and
emits ``checklist`` and ``ladder`` records when they change. Engine thread only."""

from __future__ import annotations

from workstation.engine.engine import Engine
from workstation.engine.latest import LatestValues
from workstation.metrics.market import AGG, MarketMetrics
from workstation.rules.alerts import AlertEvaluator
from workstation.rules.checklist import Verdict, checklist_verdict
from workstation.rules.config import RulesConfig, RulesError
from workstation.rules.ladder import LadderResult, ladder


class RulesRunner:
    def __init__(
        self, engine: Engine, store: LatestValues, metrics: MarketMetrics, config: RulesConfig
    ) -> None:
        self._engine = engine
        self._store = store
        self._metrics = metrics
        self.config = config
        self.alerts = AlertEvaluator(engine, config.rules)
        self.verdicts: dict[str, Verdict] = {}
        self.ladders: dict[str, LadderResult] = {}
        self._ladder_kinds: dict[str, tuple[float, tuple[str, ...]]] = {}
        metrics.on_evaluated.append(self._after_metrics)

    def active_inputs(self, symbol: str) -> frozenset[str]:
        """The metrics of ``symbol`` that an active rule reads or the ladder is cutting on now."""
        names = {
            n
            for (_rule, venue, sym), st in self.alerts.states.items()
            if venue == AGG and sym == symbol and st.state == "active"
            for n in st.rule.inputs
        }
        result = self.ladders.get(symbol)
        if result is not None:
            names |= {
                m
                for k, m in (
                    ("rv", self.config.ladder.rv_metric),
                    ("liq", "liq_intensity_x"),
                    ("funding", "funding_rate_8h_pct"),
                )
                if k in result.kinds
            }
        return frozenset(names)

    def reload(self, load) -> bool:
        """Swap in new rules; on an invalid file keep running on the last valid ones and emit a
        ``rules_error`` record. Returns whether the new rules were taken."""
        try:
            config = load()
        except RulesError as exc:
            now = self._engine.now_ms or 0
            self._engine.emit({"type": "rules_error", "ts_ms": now, "message": str(exc)})
            return False
        self.config = config
        self.alerts.set_rules(config.rules)
        return True

    def _after_metrics(self, now: int) -> None:
        fresh_values = self._metrics.fresh_values
        self.alerts.evaluate(now, fresh_values)
        states_by_symbol: dict[str, list] = {}
        for st in self.alerts.states.values():
            states_by_symbol.setdefault(st.symbol, []).append(st)
        for symbol in sorted({s for (_, s) in fresh_values}):
            verdict = checklist_verdict(
                self.config.checklist_items, states_by_symbol.get(symbol, [])
            )
            if self.verdicts.get(symbol) != verdict:
                self.verdicts[symbol] = verdict
                self._engine.emit(
                    {
                        "type": "checklist",
                        "ts_ms": now,
                        "symbol": symbol,
                        "verdict": verdict.verdict,
                        "cautions": list(verdict.cautions),
                        "unknown": list(verdict.unknown),
                        "details": list(verdict.details),
                    }
                )
            fresh = fresh_values.get((AGG, symbol), {})
            prev = self.ladders.get(symbol)
            result = ladder(self.config.ladder, fresh, now, prev.on if prev else None)
            self.ladders[symbol] = result
            key = (result.max_leverage, result.kinds)
            if self._ladder_kinds.get(symbol) != key:
                self._ladder_kinds[symbol] = key
                self._engine.emit(
                    {
                        "type": "ladder",
                        "ts_ms": now,
                        "symbol": symbol,
                        "max_leverage": result.max_leverage,
                        "reasons": list(result.reasons),
                    }
                )
