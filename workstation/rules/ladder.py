"""The leverage/margin ladder: the maximum leverage allowed now, with its reasons in words.

A base leverage for quiet conditions, halved when realized volatility or liquidation intensity
crosses its threshold, reduced further when funding is elevated, never above the volatility cap
(a 2-sigma move over the holding horizon must stay clear of liquidation: 1/L − MMR >= 2σ_h, with
σ_h = σ_annual × √(h / 8760 h)), and floored at the minimum (1x). An input that is stale or still
warming up counts as crossed: the ladder never allows more than fresh data supports.
Each trigger has an exit level below its threshold (hysteresis) and stays on for ``hold_s`` after
it last crossed, so the ladder does not flap while an input hovers at its threshold or a
liquidation cluster ages out of its window: the caller passes back the previous result's ``on``.
Pure function; any thread may call it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from workstation.rules.config import LadderConfig

_RV_LABEL = {"rv_1h_pct": "1h", "rv_24h_pct": "24h", "rv_7d_pct": "7d"}


@dataclass(frozen=True)
class LadderResult:
    max_leverage: float
    reasons: tuple[str, ...]
    kinds: tuple[str, ...]  # what shaped the result, without the numbers (for change detection)
    # triggers on ("rv", "liq", "funding") -> when each last crossed its threshold (ms)
    on: Mapping[str, int] = field(default_factory=dict)


def ladder(
    cfg: LadderConfig,
    metrics: Mapping[str, float | None],
    now_ms: int = 0,
    on: Mapping[str, int] | None = None,
) -> LadderResult:
    """``metrics`` holds fresh values only (a stale metric is absent or None); ``on`` is the
    previous result's ``on``."""
    rv = metrics.get(cfg.rv_metric)
    intensity = metrics.get("liq_intensity_x")
    funding = metrics.get("funding_rate_8h_pct")
    on = on or {}
    now_on: dict[str, int] = {}
    hold_ms = cfg.hold_s * 1000

    def crossed(name: str, value: float, threshold: float, strict: bool = True) -> bool:
        over = value > threshold if strict else value >= threshold
        if over:
            now_on[name] = now_ms
            return True
        last = on.get(name)
        if last is not None and (value >= threshold * cfg.exit_fraction or now_ms - last < hold_ms):
            now_on[name] = last
            return True
        return False

    label = _RV_LABEL[cfg.rv_metric]
    lev = cfg.base_leverage
    reasons: list[str] = []
    kinds: list[str] = []
    reasons_h: list[str] = []
    if rv is None:
        reasons_h.append(f"{label} realized vol unknown (stale or warming up)")
        kinds.append("rv?")
    elif crossed("rv", rv, cfg.rv_threshold_pct):
        sign = ">" if rv > cfg.rv_threshold_pct else "recently >"
        reasons_h.append(f"{label} realized vol {rv:.1f}% {sign} {cfg.rv_threshold_pct:g}%")
        kinds.append("rv")
    if intensity is None:
        reasons_h.append("liquidation intensity unknown (stale or warming up)")
        kinds.append("liq?")
    elif crossed("liq", intensity, cfg.liq_intensity_threshold):
        sign = ">" if intensity > cfg.liq_intensity_threshold else "recently >"
        reasons_h.append(
            f"liquidation intensity {intensity:.1f}x {sign} {cfg.liq_intensity_threshold:g}x"
        )
        kinds.append("liq")
    if reasons_h:
        lev /= 2.0
        reasons.append("halved: " + "; ".join(reasons_h))
    if funding is None:
        lev *= cfg.funding_factor
        reasons.append(f"reduced x{cfg.funding_factor:g}: funding unknown (stale)")
        kinds.append("funding?")
    elif crossed("funding", funding, cfg.funding_elevated_8h_pct, strict=False):
        lev *= cfg.funding_factor
        sign = ">=" if funding >= cfg.funding_elevated_8h_pct else "recently >="
        reasons.append(
            f"reduced x{cfg.funding_factor:g}: funding {funding:.4f}%/8h {sign} "
            f"{cfg.funding_elevated_8h_pct:g}%"
        )
        kinds.append("funding")
    if rv is not None:
        sigma_h = rv / 100.0 * math.sqrt(cfg.holding_horizon_h / 8760.0)
        cap = 1.0 / (2.0 * sigma_h + cfg.maint_margin_rate)
        if lev > cap:
            lev = cap
            reasons.append(
                f"capped at {cap:.1f}x: a 2-sigma {cfg.holding_horizon_h:g}h move "
                f"({200 * sigma_h:.1f}%) must stay clear of liquidation"
            )
            kinds.append("cap")
    if lev < cfg.min_leverage:
        lev = cfg.min_leverage
        reasons.append(f"floored at {cfg.min_leverage:g}x")
        kinds.append("floor")
    if not reasons:
        reasons.append(f"base {cfg.base_leverage:g}x: quiet conditions")
    lev = math.floor(lev * 10 + 1e-9) / 10  # never round up: 2.56x shows as 2.5x
    return LadderResult(max(lev, cfg.min_leverage), tuple(reasons), tuple(kinds), now_on)
