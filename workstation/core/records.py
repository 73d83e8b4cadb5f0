"""What the engine puts out: typed, immutable records, one class per kind, matched by type.

Each record's :meth:`to_json` gives the documented JSON object of ``workstation replay``'s lines
(README, "replay"): ``type`` and ``ts_ms`` first, then the kind's own keys in a fixed order. Times
are ms since the Unix epoch (UTC) in session time. Any thread may create and read records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar


def _frozen(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A rule instance changed state: ``state`` is ``active``, ``cleared`` or ``unknown`` (an
    input went stale); ``values`` are the inputs it read then; ``action`` is the rule's advice
    when it becomes active, else empty."""

    TYPE: ClassVar[str] = "alert"
    ts_ms: int
    rule: str
    venue: str
    symbol: str
    state: str
    severity: str
    values: Mapping[str, float] = field(default_factory=dict)
    message: str = ""
    action: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _frozen(self.values))

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "ts_ms": self.ts_ms,
            "rule": self.rule,
            "venue": self.venue,
            "symbol": self.symbol,
            "state": self.state,
            "severity": self.severity,
            "values": dict(self.values),
            "message": self.message,
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class ChecklistRecord:
    """The pre-trade checklist's verdict for a new ``side`` ("long" or "short") trade in
    ``symbol`` changed: PROCEED, REDUCE_SIZE or WAIT, with the checklist items in caution for
    that side, those unknown (stale inputs), and why. One record per side."""

    TYPE: ClassVar[str] = "checklist"
    ts_ms: int
    symbol: str
    side: str
    verdict: str
    cautions: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    details: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "ts_ms": self.ts_ms,
            "symbol": self.symbol,
            "side": self.side,
            "verdict": self.verdict,
            "cautions": list(self.cautions),
            "unknown": list(self.unknown),
            "details": list(self.details),
        }


@dataclass(frozen=True, slots=True)
class LadderRecord:
    """The leverage ladder's allowed maximum (×) for a new ``side`` ("long" or "short") trade
    in ``symbol`` changed, and why. One record per side."""

    TYPE: ClassVar[str] = "ladder"
    ts_ms: int
    symbol: str
    side: str
    max_leverage: float
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "ts_ms": self.ts_ms,
            "symbol": self.symbol,
            "side": self.side,
            "max_leverage": self.max_leverage,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class HealthRecord:
    """A venue's feed health (live): connected, the age of its newest message (ms, None before
    the first), reconnects, errors, payloads dropped as malformed, the REST back-off (s)."""

    TYPE: ClassVar[str] = "health"
    ts_ms: int
    venue: str
    connected: bool
    age_ms: int | None
    reconnects: int = 0
    errors: int = 0
    dropped_payloads: int = 0
    rest_backoff_s: float = 0.0
    last_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "ts_ms": self.ts_ms,
            "venue": self.venue,
            "connected": self.connected,
            "age_ms": self.age_ms,
            "reconnects": self.reconnects,
            "errors": self.errors,
            "dropped_payloads": self.dropped_payloads,
            "rest_backoff_s": self.rest_backoff_s,
            "last_error": self.last_error,
        }


@dataclass(frozen=True, slots=True)
class MetricsRecord:
    """The latest value of every metric of one (venue, symbol) stream at ``ts_ms`` (names and
    units in the metric catalogue), the names past their staleness limit (values kept), the
    names still warming up with the share of their window covered (0..1; no value yet), for the
    cross-venue aggregate (``venue`` "all") the venues it leaves out (``missing``: their data is
    stale; ``partial`` is then true), and the perp venues whose liquidations the stream lacks
    (``liq_lacking``: absent, not zero)."""

    TYPE: ClassVar[str] = "metrics"
    ts_ms: int
    venue: str
    symbol: str
    values: Mapping[str, float] = field(default_factory=dict)
    stale: tuple[str, ...] = ()
    warming: Mapping[str, float] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    liq_lacking: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _frozen(self.values))
        object.__setattr__(self, "warming", _frozen(self.warming))

    @property
    def partial(self) -> bool:
        return bool(self.missing)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.TYPE,
            "ts_ms": self.ts_ms,
            "venue": self.venue,
            "symbol": self.symbol,
        }
        out.update(sorted(self.values.items()))
        out["stale"] = list(self.stale)
        out["warming_up"] = dict(sorted(self.warming.items()))
        out["partial"] = self.partial
        out["missing_venues"] = list(self.missing)
        if self.liq_lacking:
            out["liq_lacking"] = list(self.liq_lacking)
        return out


Record = AlertRecord | ChecklistRecord | LadderRecord | HealthRecord | MetricsRecord
