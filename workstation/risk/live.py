"""Live risk of a position from the latest mark and the market's state.

- unrealized PnL (USD, and % of the position's margin);
- distance to liquidation in % of the mark and in sigmas of realized volatility over the holding
  horizon (σ_h = σ_annual × √(h / 8760 h));
- the 2-sigma buffer check (a 2σ_h adverse move must not reach liquidation) and the 10%
  adverse-move check;
- leverage against the ladder's allowed maximum for the position's side, both compared as
  leverage figures (:func:`workstation.core.leverage.leverage_x`, the one rounding rule);
- the exit ladder: HOLD, TRIM (first threshold), HEDGE (second), DE-RISK (third), with reasons.
  Risk invalidation (the checklist's cautions for the position's own side: OI, funding, skew
  worsening) moves the ladder before thesis invalidation (a price level, the journal's reduce
  price, the drawdown limit).

A check whose input is unknown (stale realized vol, no verdict) is ``None`` and counts against the
position: unknown never reads as safe. A position whose equity is already at or below its
maintenance requirement (``liquidation_state == "liquidated"``) is 0% from liquidation and
DE-RISK; one that no price liquidates (``"none"``) is an infinite distance away.
Pure functions; any thread may call them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from workstation.core.leverage import leverage_x
from workstation.risk.margin import liquidation
from workstation.risk.positions import Position

EXIT_STATES = ("HOLD", "TRIM", "HEDGE", "DE-RISK")


@dataclass(frozen=True)
class MarketState:
    """What the engine knows now for the position's symbol and side: the ladder's maximum and
    the checklist's verdict are those of the position's own side (long or short)."""

    mark_usd: float
    rv_annual_pct: float | None = None  # realized vol over the ladder's window; None: stale
    ladder_max_leverage: float | None = None  # x, the position's side's
    verdict: str | None = None  # the position's side's PROCEED, REDUCE_SIZE, WAIT; None: unknown
    cautions: tuple[str, ...] = ()
    horizon_h: float = 24.0


@dataclass(frozen=True)
class PositionRisk:
    position: Position
    mark_usd: float
    pnl_usd: float
    pnl_pct_of_margin: float
    liquidation_price: float | None
    liquidation_state: str  # price, none or liquidated (risk.liquidation.STATES)
    liquidation_approximation: str  # what the venue's cross model assumes ("" when exact)
    distance_pct: float | None  # how far the mark may move against the position before liquidation
    sigma_h_pct: float | None
    distance_sigmas: float | None
    buffer_2sigma_ok: bool | None
    adverse_10pct_ok: bool | None
    effective_leverage: float
    ladder_max_leverage: float | None
    leverage_ok: bool | None
    exit_state: str
    reasons: tuple[str, ...]


def sigma_h_pct(rv_annual_pct: float, horizon_h: float) -> float:
    """The 1-sigma move over the horizon, % of price."""
    return rv_annual_pct * math.sqrt(horizon_h / 8760.0)


def position_risk(
    pos: Position,
    market: MarketState,
    marks: dict[str, float] | None = None,
    account: Sequence[Position] = (),
) -> PositionRisk:
    mark = market.mark_usd
    pnl = pos.sign * pos.qty * (mark - pos.entry_usd)
    margin = (
        pos.isolated_margin_usd
        if pos.margin_mode == "isolated"
        else (pos.wallet_usd or pos.isolated_margin_usd)
    )
    res = liquidation(pos, {**(marks or {}), pos.symbol: mark}, account)
    liq = res.liquidation_price
    distance = {
        "price": None if liq is None else pos.sign * (mark - liq) / mark * 100.0,
        "none": math.inf,  # no price liquidates it
        "liquidated": 0.0,  # already at or past it
    }[res.state]
    sig = (
        None
        if market.rv_annual_pct is None
        else sigma_h_pct(market.rv_annual_pct, market.horizon_h)
    )
    sigmas = None if sig is None or sig == 0 else distance / sig
    buffer_ok = None if sig is None else distance > 2.0 * sig
    adverse_ok = distance > 10.0
    equity = margin + pnl
    eff_lev = pos.qty * mark / equity if equity > 0 else math.inf  # no equity left: unbounded
    # compared as shown: both leverage figures by the one rounding rule (floored to 0.1x)
    lev_ok = (
        None
        if market.ladder_max_leverage is None
        else leverage_x(eff_lev) <= leverage_x(market.ladder_max_leverage)
    )

    level, reasons = 0, []

    def raise_to(n: int, why: str) -> None:
        nonlocal level
        level = max(level, n)
        reasons.append(f"{EXIT_STATES[n]}: {why}")

    # First threshold: trim.
    if not adverse_ok:
        raise_to(1, f"a 10% adverse move reaches liquidation ({distance:.1f}% away)")
    if lev_ok is False:
        raise_to(
            1,
            f"leverage {leverage_x(eff_lev):g}x is above the ladder's "
            f"{leverage_x(market.ladder_max_leverage):g}x",
        )
    if lev_ok is None:
        raise_to(1, "the ladder's maximum is unknown (stale inputs)")
    if market.verdict == "REDUCE_SIZE":
        raise_to(1, f"checklist says REDUCE SIZE ({', '.join(market.cautions) or 'stale inputs'})")
    if market.verdict is None:
        raise_to(1, "the checklist verdict is unknown")
    worsening = {"oi", "funding"} & set(market.cautions)
    reduce_px = pos.journal.reduce_price_usd
    if reduce_px is not None and worsening and pos.sign * (mark - reduce_px) <= 0:
        raise_to(
            1,
            f"past the journal's reduce price {reduce_px:,.2f} with {' and '.join(sorted(worsening))} worsening",
        )
    # Second threshold: hedge.
    if buffer_ok is False:
        raise_to(
            2,
            f"a 2-sigma {market.horizon_h:g}h move ({2 * sig:.1f}%) reaches liquidation ({distance:.1f}% away)",
        )
    if buffer_ok is None:
        raise_to(1, "2-sigma buffer unknown: realized vol is stale")
    if market.verdict == "WAIT":
        raise_to(2, f"checklist says WAIT ({', '.join(market.cautions) or 'stale inputs'})")
    # Third threshold: de-risk.
    if res.state == "liquidated":
        raise_to(
            3,
            f"already liquidated / insolvent: equity {res.equity_usd:,.2f} USD is at or below "
            f"the maintenance margin {res.maintenance_usd:,.2f} USD",
        )
    if sig is not None and distance <= sig:
        raise_to(3, f"liquidation is within one sigma ({distance:.1f}% <= {sig:.1f}%)")
    max_dd = pos.journal.max_drawdown_pct
    loss_pct = -pnl / margin * 100.0 if margin > 0 else 0.0
    if max_dd is not None and loss_pct >= max_dd:
        raise_to(3, f"loss {loss_pct:.1f}% of margin is past the journal's {max_dd:g}% limit")
    if not reasons:
        reasons.append("HOLD: every check passes")
    return PositionRisk(
        position=pos,
        mark_usd=mark,
        pnl_usd=pnl,
        pnl_pct_of_margin=pnl / margin * 100.0 if margin > 0 else 0.0,
        liquidation_price=liq,
        liquidation_state=res.state,
        liquidation_approximation=res.approximation,
        distance_pct=distance,
        sigma_h_pct=sig,
        distance_sigmas=sigmas,
        buffer_2sigma_ok=buffer_ok,
        adverse_10pct_ok=adverse_ok,
        effective_leverage=eff_lev,
        ladder_max_leverage=market.ladder_max_leverage,
        leverage_ok=lev_ok,
        exit_state=EXIT_STATES[level],
        reasons=tuple(reasons),
    )
