"""The leverage/margin ladder: the maximum leverage allowed now for one side of a new trade, with
every step named in its reasons.

Graded: the base leverage for quiet conditions is multiplied by ``cut_factor`` (default a half)
for each input that crosses its threshold, and by ``cut_factor`` again for each that crosses its
extreme level: realized vol above ``rv_threshold_pct`` (60%) and ``rv_extreme_pct`` (90%),
liquidation intensity above ``liq_intensity_threshold`` (4x) and ``liq_intensity_extreme`` (10x).
Vol and liquidations both crossed: a quarter; both extreme too: a sixteenth. Funding elevated in
the direction the side pays (long: rate >= ``funding_elevated_8h_pct``; short: rate <= minus it)
multiplies by ``funding_factor``. Then the volatility cap: a 2-sigma move over the holding horizon
(σ_h = σ_annual × √(h / 8760 h)) must stay clear of liquidation at ``maint_margin_rate`` m, with
the distance to liquidation of an isolated position at leverage L as the venues compute it: a long
1/L − m (Bybit; Binance and OKX give (1/L − m)/(1 − m), farther), a short (1/L − m)/(1 + m)
(Binance, OKX; Bybit gives 1/L − m, farther); so L <= 1 / (2σ_h + m) for a long and
L <= 1 / (2σ_h(1 + m) + m) for a short. Floored at ``min_leverage``; the result is a leverage
figure (:func:`workstation.core.leverage.leverage_x`, never rounded up), and a reason that names a
leverage names that figure.

An input that is stale or still warming up counts as crossing its threshold (not its extreme):
the ladder never allows more than fresh data supports. Each trigger has an exit level below its
level (``exit_fraction``, hysteresis) and stays on for ``hold_s`` after it last crossed, so the
ladder does not flap while an input hovers at its threshold or a liquidation cluster ages out of
its window: the caller passes back the previous result's ``on``. Pure; any thread may call it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from workstation.core.leverage import leverage_x
from workstation.rules.config import LadderConfig

_RV_LABEL = {"rv_1h_pct": "1h", "rv_24h_pct": "24h", "rv_7d_pct": "7d"}


@dataclass(frozen=True)
class LadderResult:
    side: str  # "long" or "short": the side of a new trade this maximum is for
    max_leverage: float  # x, a leverage figure (floored to 0.1x)
    reasons: tuple[str, ...]
    kinds: tuple[str, ...]  # what shaped the result, without the numbers (for change detection)
    # triggers on ("rv", "rv_extreme", "liq", "liq_extreme", "funding") -> when each last
    # crossed its level (ms)
    on: Mapping[str, int] = field(default_factory=dict)


def _shown(value: float, level: float) -> str:
    """``value`` with one decimal, or as many more (up to 4) as it takes not to read as the
    level it is compared with (60.04% shows as 60.04, not "60.0% > 60%")."""
    for digits in range(1, 5):
        text = f"{value:.{digits}f}"
        if float(text) != level:
            return text
    return text


def _cut_word(factor: float, again: bool) -> str:
    word = "halved" if factor == 0.5 else f"cut x{factor:g}"
    return f"{word} again" if again else word


def ladder(
    cfg: LadderConfig,
    metrics: Mapping[str, float | None],
    side: str,
    now_ms: int = 0,
    on: Mapping[str, int] | None = None,
) -> LadderResult:
    """The maximum leverage for a new ``side`` trade. ``metrics`` holds fresh values only (a
    stale metric is absent or None); ``on`` is the previous result's ``on`` for this side."""
    rv = metrics.get(cfg.rv_metric)
    intensity = metrics.get("liq_intensity_x")
    funding = metrics.get("funding_rate_8h_pct")
    on = on or {}
    now_on: dict[str, int] = {}
    hold_ms = cfg.hold_s * 1000
    lev = cfg.base_leverage
    reasons: list[str] = []
    kinds: list[str] = []

    def crossed(name: str, value: float, level: float, strict: bool = True) -> str | None:
        """ ">" (or ">=") when over ``level`` now, "recently >" while held, else None."""
        if value > level or (not strict and value >= level):
            now_on[name] = now_ms
            return ">" if strict else ">="
        last = on.get(name)
        if last is not None and (value >= level * cfg.exit_fraction or now_ms - last < hold_ms):
            now_on[name] = last
            return "recently >" if strict else "recently >="
        return None

    def cut(factor: float, kind: str, why: str, again: bool = False) -> None:
        nonlocal lev
        lev *= factor
        reasons.append(f"{_cut_word(factor, again)}: {why}")
        kinds.append(kind)

    def graded(name: str, what: str, value: float | None, levels: tuple[float, float], unit: str):
        if value is None:
            cut(cfg.cut_factor, f"{name}?", f"{what} unknown (stale or warming up)")
            return
        for level, kind, again in ((levels[0], name, False), (levels[1], f"{name}_extreme", True)):
            sign = crossed(kind, value, level)
            if sign is None:
                return
            extreme = " (extreme)" if again else ""
            cut(
                cfg.cut_factor,
                kind,
                f"{what} {_shown(value, level)}{unit} {sign} {level:g}{unit}{extreme}",
                again,
            )

    graded(
        "rv",
        f"{_RV_LABEL[cfg.rv_metric]} realized vol",
        rv,
        (cfg.rv_threshold_pct, cfg.rv_extreme_pct),
        "%",
    )
    graded(
        "liq",
        "liquidation intensity",
        intensity,
        (cfg.liq_intensity_threshold, cfg.liq_intensity_extreme),
        "x",
    )
    level = cfg.funding_elevated_8h_pct
    if funding is None:
        cut(cfg.funding_factor, "funding?", "funding unknown (stale)")
    else:
        paid = funding if side == "long" else -funding  # what this side pays, % per 8h
        sign = crossed("funding", paid, level, strict=False)
        if sign is not None:
            op = sign if side == "long" else sign.replace(">", "<")
            bound = f"{level:g}%" if side == "long" else f"-{level:g}%"
            cut(
                cfg.funding_factor,
                "funding",
                f"funding {funding:.4f}%/8h {op} {bound}: {side}s pay it",
            )
    if rv is not None:
        sigma_h = rv / 100.0 * math.sqrt(cfg.holding_horizon_h / 8760.0)
        m = cfg.maint_margin_rate
        cap = 1.0 / (2.0 * sigma_h * (1.0 + m if side == "short" else 1.0) + m)
        if lev > cap:
            lev = cap
            reasons.append(
                f"capped at {leverage_x(cap):g}x: a 2-sigma {cfg.holding_horizon_h:g}h move "
                f"({200 * sigma_h:.1f}%) must stay clear of a {side}'s liquidation"
            )
            kinds.append("cap")
    if leverage_x(lev) < cfg.min_leverage:
        lev = cfg.min_leverage
        reasons.append(f"floored at {cfg.min_leverage:g}x")
        kinds.append("floor")
    if not reasons:
        reasons.append(f"base {cfg.base_leverage:g}x: quiet conditions")
    return LadderResult(side, leverage_x(lev), tuple(reasons), tuple(kinds), now_on)
