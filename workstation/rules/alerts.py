"""Alert state machines: one per (rule, venue, symbol), run after every metrics evaluation.

States: ``unknown`` (an input is missing or STALE: neither active nor fine), ``inactive``,
``pending`` (the condition holds but not yet for ``min_duration``), ``active``. Alerts are emitted
on the transitions a trader must hear about:

- to ``active``: one ``"state": "active"`` alert, unless one was already sent within the rule's
  cooldown (the rule is still active for the checklist; the alert is just not repeated);
- from an announced ``active`` back to fine: ``"cleared"``, in its own words: each condition
  that let go, back past its exit threshold, with its value now ("skew back below 5.0 vol pts
  (now 4.8 vol pts)"), never the active message with numbers that no longer hold;
- from a known state to ``unknown``: ``"unknown"`` (data went stale; start-up warm-up is silent).

Hysteresis: while active, every condition is judged against its ``exit`` threshold, otherwise
against ``enter``; an active rule clears only after the condition has failed for ``min_clear``.
Engine thread only.
"""

from __future__ import annotations

import re
import string
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workstation.core.records import AlertRecord
from workstation.metrics.catalogue import CATALOGUE
from workstation.rules.config import Condition, RuleDef

UNKNOWN, INACTIVE, PENDING, ACTIVE = "unknown", "inactive", "pending", "active"


class _Formatter(string.Formatter):
    """Fills ``{name:spec}`` from metric values and thresholds; a missing value shows as ``?``."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        return kwargs.get(key) if isinstance(key, str) else None

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "?"
        try:
            return format(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


_FORMATTER = _Formatter()


def format_message(rule: RuleDef, values: Mapping[str, float | None]) -> str:
    """The rule's message with metric ``values`` and the rule's own thresholds (``{enter}``,
    ``{exit_<metric>}``: see :mod:`workstation.rules.config`) filled in; a value that is missing
    shows as ``?``."""
    try:
        text = _FORMATTER.vformat(rule.message, (), ChainMap(rule.threshold_fields(), values))
    except (ValueError, IndexError, KeyError, AttributeError):  # a malformed template
        return rule.message
    return _PLUS_MINUS.sub("-", text)  # "OI +{x:.1f}%" with x < 0: "OI -0.5%", never "+-0.5"


_PLUS_MINUS = re.compile(r"\+-(?=\d)")


def _shown(c: Condition, x: float) -> str:
    m = CATALOGUE.get(c.source)
    return m.text(x) if m is not None else format(x, ".4g")


def cleared_message(rule: RuleDef, values: Mapping[str, float]) -> str:
    """Why an active rule cleared: each condition that let go (all of them for an ``any``
    rule), back past its exit threshold, with its value now; a value gone missing says so."""
    parts = []
    for c in rule.conditions:
        x = c.value(values)
        if x is not None and c.holds(x, True):
            continue  # still past its threshold (an ``all`` rule clears on the others)
        name = CATALOGUE[c.source].short if c.source in CATALOGUE else c.source
        way = "below" if c.op == ">" else "above"
        now = "no value now" if x is None else f"now {_shown(c, x)}"
        parts.append(f"{name} back {way} {_shown(c, c.exit)} ({now})")
    return "; ".join(parts) or "cleared"


@dataclass
class RuleState:
    """The state of one rule instance, with what a backtest needs."""

    rule: RuleDef
    venue: str
    symbol: str
    state: str = UNKNOWN
    pending_since: int | None = None
    clearing_since: int | None = None
    active_since: int | None = None
    announced: bool = False
    last_alert_ms: int | None = None
    fired: list[int] = field(default_factory=list)  # times an "active" alert was sent
    suppressed: int = 0  # activations inside the cooldown
    intervals: list[tuple[int, int | None]] = field(default_factory=list)  # active periods


class AlertEvaluator:
    """Runs every rule instance on the metrics it is given; hands alert records to ``emit``.
    Owned by the engine thread (the pipeline calls it after each metrics evaluation)."""

    def __init__(self, emit: Callable[[AlertRecord], None], rules: tuple[RuleDef, ...]) -> None:
        self._emit_record = emit
        self.rules = rules
        self.states: dict[tuple[str, str, str], RuleState] = {}

    def set_rules(self, rules: tuple[RuleDef, ...]) -> None:
        """Swap the rule set; instances of rules whose definition is unchanged keep their state."""
        keep = {r.id: r for r in rules}
        self.states = {k: s for k, s in self.states.items() if keep.get(s.rule.id) == s.rule}
        self.rules = rules

    def evaluate(self, now_ms: int, fresh: Mapping[tuple[str, str], Mapping[str, float]]) -> None:
        """``fresh[(venue, symbol)]``: the metrics within their staleness limit. Symbol-scoped
        rules run on the ``all`` streams, venue-scoped ones on every venue's stream."""
        for key in sorted(fresh):
            venue, symbol = key
            vals = fresh[key]
            for rule in self.rules:
                if (rule.scope == "symbol") != (venue == "all"):
                    continue
                skey = (rule.id, venue, symbol)
                st = self.states.get(skey)
                if st is None:
                    st = self.states[skey] = RuleState(rule, venue, symbol)
                self._step(st, now_ms, vals)

    def _step(self, st: RuleState, now: int, vals: Mapping[str, float]) -> None:
        rule = st.rule
        inputs = {n: vals.get(n) for n in rule.inputs}
        missing = [n for n, v in inputs.items() if v is None]
        if missing:
            if st.state != UNKNOWN:
                was_known = st.state in (INACTIVE, PENDING, ACTIVE)
                self._deactivate(st, now, inputs, vals, announce=False)  # stale is not "cleared"
                st.state = UNKNOWN
                st.pending_since = None
                if was_known:
                    self._emit(
                        st, now, UNKNOWN, inputs, f"unknown: {', '.join(missing)} stale or missing"
                    )
            return
        active = st.state == ACTIVE
        results = []
        for c in rule.conditions:
            x = c.value(vals)
            results.append(x is not None and c.holds(x, active))
        holds = all(results) if rule.mode == "all" else any(results)
        if active:
            if holds:
                st.clearing_since = None
                return
            if st.clearing_since is None:
                st.clearing_since = now
            if now - st.clearing_since >= rule.min_clear_ms:
                self._deactivate(st, now, inputs, vals)
                st.state = INACTIVE
            return
        if not holds:
            st.state, st.pending_since = INACTIVE, None
            return
        if st.pending_since is None:
            st.pending_since = now
        if now - st.pending_since < rule.min_duration_ms:
            st.state = PENDING
            return
        st.state, st.active_since = ACTIVE, now
        st.intervals.append((now, None))
        if st.last_alert_ms is None or now - st.last_alert_ms >= rule.cooldown_ms:
            st.announced = True
            st.last_alert_ms = now
            st.fired.append(now)
            self._emit(st, now, ACTIVE, inputs, format_message(rule, vals))
        else:
            st.announced = False
            st.suppressed += 1

    def _deactivate(
        self,
        st: RuleState,
        now: int,
        values: Mapping[str, Any],
        stream: Mapping[str, float],
        announce: bool = True,
    ) -> None:
        st.clearing_since = None
        st.pending_since = None
        if st.state != ACTIVE:
            return
        start, _ = st.intervals[-1]
        st.intervals[-1] = (start, now)
        if st.announced and announce:
            self._emit(st, now, "cleared", values, cleared_message(st.rule, stream))
        st.announced = False
        st.active_since = None

    def _emit(
        self, st: RuleState, now: int, state: str, values: Mapping[str, Any], message: str
    ) -> None:
        self._emit_record(
            AlertRecord(
                ts_ms=now,
                rule=st.rule.id,
                venue=st.venue,
                symbol=st.symbol,
                state=state,
                severity=st.rule.severity,
                values={k: v for k, v in values.items() if v is not None},
                message=message,
                action=st.rule.action if state == ACTIVE else "",
            )
        )
