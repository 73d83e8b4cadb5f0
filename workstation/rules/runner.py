"""Runs the rules, the checklist and the ladder on the fresh metrics of each evaluation, per
symbol and side of a new trade (long, short), and hands ``checklist`` and ``ladder`` records to
``emit`` when they change: ``verdicts`` and ``ladders`` are keyed by (symbol, side). Pure of the
engine: the pipeline calls :meth:`RulesRunner.evaluate`. Engine thread only."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from workstation.core.leverage import SIDES
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
        self.verdicts: dict[tuple[str, str], Verdict] = {}
        self.ladders: dict[tuple[str, str], LadderResult] = {}
        self._ladder_kinds: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
        self._checklist_inputs: dict[tuple[str, str], tuple] = {}

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
        kinds = {
            k for side in SIDES for k in getattr(self.ladders.get((symbol, side)), "kinds", ())
        }
        names |= {
            m
            for k, m in (
                ("rv", self.config.ladder.rv_metric),
                ("liq", "liq_intensity_x"),
                ("funding", "funding_rate_8h_pct"),
            )
            if k in kinds
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
        # (symbol, side) -> the side's checklist rules, and its critical rules (an active one
        # on a checklist input holds the verdict below PROCEED: rules.checklist)
        cautions: dict[tuple[str, str], list] = {}
        for st in self.alerts.states.values():
            if st.rule.checklist is not None or st.rule.severity == "critical":
                for side in SIDES if st.rule.side == "both" else (st.rule.side,):
                    cautions.setdefault((st.symbol, side), []).append(st)
        for symbol in sorted({s for (_, s) in fresh_values}):
            fresh = fresh_values.get((AGG, symbol), {})
            for side in SIDES:
                self._side(now, symbol, side, cautions.get((symbol, side), []), fresh)

    def _side(
        self, now: int, symbol: str, side: str, states: list, fresh: Mapping[str, float]
    ) -> None:
        key = (symbol, side)
        # the verdict is a function of the items and its rules' states: recomputed only when
        # they change (most evaluations change none)
        inputs = (
            self.config.checklist_items,
            tuple((st.rule.id, st.rule.checklist, st.state) for st in states),
        )
        if self._checklist_inputs.get(key) != inputs:
            self._checklist_inputs[key] = inputs
            verdict = checklist_verdict(inputs[0], states, side)
            if self.verdicts.get(key) != verdict:
                self.verdicts[key] = verdict
                self._emit(
                    ChecklistRecord(
                        ts_ms=now,
                        symbol=symbol,
                        side=side,
                        verdict=verdict.verdict,
                        cautions=verdict.cautions,
                        unknown=verdict.unknown,
                        details=verdict.details,
                    )
                )
        prev = self.ladders.get(key)
        result = ladder(self.config.ladder, fresh, side, now, prev.on if prev else None)
        self.ladders[key] = result
        shape = (result.max_leverage, result.kinds)
        if self._ladder_kinds.get(key) != shape:
            self._ladder_kinds[key] = shape
            self._emit(
                LadderRecord(
                    ts_ms=now,
                    symbol=symbol,
                    side=side,
                    max_leverage=result.max_leverage,
                    reasons=result.reasons,
                )
            )
