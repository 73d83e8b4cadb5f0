"""The pre-trade checklist: cautions among OI, funding, liquidations, skew and price structure,
for one side of a new trade. A rule is the caution of the side it names (``side`` in the rules
file: long, short or both): crowded longs, long liquidations and put skew are the long side's;
negative funding, short liquidations, call skew and OI rising into a rally the short side's.

Per side, 0-1 cautions: PROCEED; 2: REDUCE_SIZE; 3 or more: WAIT. An item whose rules are unknown (stale
inputs) is not fine: it is listed under ``unknown`` and counted as a possible caution, and any
unknown item keeps the verdict at REDUCE_SIZE at best, so the verdict never claims more safety
than fresh data supports. So does an active critical rule that reads a checklist input (a
metric a checklist rule reads, such as skew_panic on the skew), listed in ``details`` as
"critical: rule_id". Pure function; any thread may call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workstation.rules.alerts import ACTIVE, UNKNOWN, RuleState

PROCEED, REDUCE_SIZE, WAIT = "PROCEED", "REDUCE_SIZE", "WAIT"


@dataclass(frozen=True)
class Verdict:
    side: str  # "long" or "short"
    verdict: str
    cautions: tuple[str, ...]  # checklist items with an active rule
    unknown: tuple[str, ...]  # items whose rules cannot be judged on fresh data
    details: tuple[str, ...]  # the active rules behind the cautions, "item: rule_id"


def level(count: int) -> str:
    return PROCEED if count <= 1 else REDUCE_SIZE if count == 2 else WAIT


def checklist_verdict(items: Iterable[str], states: Iterable[RuleState], side: str) -> Verdict:
    """The verdict for a new ``side`` trade in one symbol, from the states of the rules that
    are that side's cautions (``side`` or ``"both"``) for one of its items."""
    items = tuple(items)
    states = list(states)
    by_item: dict[str, list[RuleState]] = {i: [] for i in items}
    for st in states:
        if st.rule.checklist in by_item and st.rule.side in (side, "both"):
            by_item[st.rule.checklist].append(st)
    cautions, unknown, details = [], [], []
    for item in items:
        sts = by_item[item]
        active = [s for s in sts if s.state == ACTIVE]
        if active:
            cautions.append(item)
            details += [f"{item}: {s.rule.id}" for s in sorted(active, key=lambda s: s.rule.id)]
        elif not sts or any(s.state == UNKNOWN for s in sts):
            unknown.append(item)
    verdict = level(len(cautions) + len(unknown))
    inputs = {n for sts in by_item.values() for s in sts for n in s.rule.inputs}
    critical = sorted(
        s.rule.id
        for s in states
        if s.state == ACTIVE and s.rule.severity == "critical" and inputs & set(s.rule.inputs)
    )
    details += [f"critical: {rule_id}" for rule_id in critical]
    if (unknown or critical) and verdict == PROCEED:
        verdict = REDUCE_SIZE
    return Verdict(side, verdict, tuple(cautions), tuple(unknown), tuple(details))
