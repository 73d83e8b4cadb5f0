"""Runs the rules, the checklist and the ladder on the fresh metrics of each evaluation, per
symbol, and hands ``checklist`` and ``ladder`` records to ``emit`` when they change. Pure of the
engine: the pipeline calls :meth:`RulesRunner.evaluate`. Engine thread only."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from workstation.core.records import ChecklistRecord, LadderRecord, Record
from workstation.metrics.market import AGG
from workstation.rules.alerts import AlertEvaluator
from workstation.rules.checklist import Verdict, checklist_verdict
from workstation.rules.config import RulesConfig
from workstation.rules.ladder import LadderResult, ladder


class RulesRunner:
    def __init__(self, emit: Callable[[Record], None], config: RulesConfig) -> None:
        self._emit = emit
        self.config = config
        self.alerts = AlertEvaluator(emit, config.rules)
        self.verdicts: dict[str, Verdict] = {}
        self.ladders: dict[str, LadderResult] = {}
        self._ladder_kinds: dict[str, tuple[float, tuple[str, ...]]] = {}

    def active_alerts(self) -> frozenset[tuple[str, str, str]]:
        """(rule id, venue, symbol) of every rule instance active now (its alert may have been
        held back by the cooldown)."""
        return frozenset(key for key, st in self.alerts.states.items() if st.state == "active")

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

    def set_config(self, config: RulesConfig) -> None:
        """Put new rules to work from the next evaluation (a rules-change command): instances of
        unchanged rules keep their state, the ladder keeps its hold, and the metric windows,
        which live elsewhere, are untouched."""
        self.config = config
        self.alerts.set_rules(config.rules)

    def evaluate(
        self, now: int, fresh_values: Mapping[tuple[str, str], Mapping[str, float]]
    ) -> None:
        """Rules, then per symbol the checklist and the ladder, on this evaluation's values."""
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
                self._emit(
                    ChecklistRecord(
                        ts_ms=now,
                        symbol=symbol,
                        verdict=verdict.verdict,
                        cautions=tuple(verdict.cautions),
                        unknown=tuple(verdict.unknown),
                        details=tuple(verdict.details),
                    )
                )
            fresh = fresh_values.get((AGG, symbol), {})
            prev = self.ladders.get(symbol)
            result = ladder(self.config.ladder, fresh, now, prev.on if prev else None)
            self.ladders[symbol] = result
            key = (result.max_leverage, result.kinds)
            if self._ladder_kinds.get(symbol) != key:
                self._ladder_kinds[symbol] = key
                self._emit(
                    LadderRecord(
                        ts_ms=now,
                        symbol=symbol,
                        max_leverage=result.max_leverage,
                        reasons=tuple(result.reasons),
                    )
                )
