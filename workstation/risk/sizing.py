"""Sizing a new position from the risk budget, with the ladder as the leverage ceiling.

quantity = equity × risk % / |entry − stop| (the stop is given, or k sigmas of realized vol over
the horizon away). Checks: leverage within the ladder and the venue's bracket, margin within
equity, the stop before liquidation, a 2-sigma move over the horizon short of liquidation, and a
10% adverse move short of liquidation. A size that fails is refused with the reasons and the
largest size that passes (and, if no size does at that leverage, the highest leverage that does).
Also the three numbers to write before the trade. Pure functions; any thread may call them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workstation.risk.brackets import BracketError, load_table
from workstation.risk.live import sigma_h_pct
from workstation.risk.margin import liquidation
from workstation.risk.positions import Journal, Position, PositionError


@dataclass(frozen=True)
class SizingRequest:
    equity_usd: float
    risk_pct: float  # of equity, e.g. 1.0
    side: str
    entry_usd: float
    stop_usd: float | None = None
    stop_sigmas: float | None = None  # alternative: a stop this many sigma_h away
    venue: str = "binance"
    symbol: str = "BTCUSDT"
    leverage: float | None = None  # default: the ladder's maximum
    ladder_max_leverage: float | None = None
    rv_annual_pct: float | None = None
    horizon_h: float = 24.0
    margin_mode: str = "isolated"


@dataclass(frozen=True)
class SizingResult:
    accepted: bool
    qty: float
    leverage: float
    notional_usd: float
    margin_usd: float
    stop_usd: float
    risk_usd: float
    liquidation_price: float | None
    liq_distance_pct: float | None
    checks: dict[str, bool | None]
    refusals: tuple[str, ...]
    max_passing_qty: float | None
    max_passing_leverage: float | None
    journal: Journal
    notes: tuple[str, ...] = field(default=())


def _position(req: SizingRequest, qty: float, leverage: float) -> Position:
    notional = qty * req.entry_usd
    return Position(
        req.venue,
        req.symbol,
        req.side,
        qty,
        req.entry_usd,
        leverage,
        req.margin_mode,
        margin_usd=notional / leverage if req.margin_mode == "isolated" else None,
        wallet_usd=req.equity_usd if req.margin_mode == "cross" else None,
    )


def _checks(
    req: SizingRequest, qty: float, leverage: float, stop: float
) -> tuple[dict[str, bool | None], list[str], float | None, float | None]:
    sign = 1 if req.side == "long" else -1
    table = load_table(req.venue, req.symbol)
    notional = qty * req.entry_usd
    checks: dict[str, bool | None] = {}
    why: list[str] = []
    if req.ladder_max_leverage is None:
        checks["ladder"] = None
        why.append("the ladder's maximum leverage is unknown (stale inputs): size as if at 1x")
    else:
        checks["ladder"] = leverage <= req.ladder_max_leverage + 1e-9
        if not checks["ladder"]:
            why.append(
                f"{leverage:g}x is above the ladder's {req.ladder_max_leverage:g}x allowed now"
            )
    try:
        bracket = table.for_position(qty, req.entry_usd)
    except BracketError as exc:  # beyond the last bracket: the venue takes no such position
        checks["bracket"] = False
        why.append(str(exc))
        return checks, why, None, None
    checks["bracket"] = leverage <= bracket.max_leverage + 1e-9
    if not checks["bracket"]:
        why.append(
            f"{leverage:g}x is above {req.venue}'s {bracket.max_leverage:g}x for {notional:,.0f} USD"
        )
    margin = notional / leverage
    checks["margin"] = margin <= req.equity_usd + 1e-9
    if not checks["margin"]:
        why.append(
            f"the margin {margin:,.0f} USD is more than the equity {req.equity_usd:,.0f} USD"
        )
    try:
        liq = liquidation(_position(req, qty, leverage), table=table)
    except BracketError as exc:
        checks["stop_before_liquidation"] = False
        why.append(str(exc))
        return checks, why, None, None
    lp = liq.liquidation_price
    dist = None if lp is None else sign * (req.entry_usd - lp) / req.entry_usd * 100.0
    if liq.state == "liquidated":
        checks["stop_before_liquidation"] = False
        why.append(
            f"liquidated at the entry: the margin {liq.equity_usd:,.2f} USD is at or below the "
            f"maintenance margin {liq.maintenance_usd:,.2f} USD"
        )
        dist = 0.0
    else:
        checks["stop_before_liquidation"] = lp is None or sign * (stop - lp) > 0
    if lp is not None and not checks["stop_before_liquidation"]:
        why.append(f"the stop {stop:,.2f} is past the liquidation price {lp:,.2f}")
    if req.rv_annual_pct is None:
        checks["buffer_2sigma"] = None
        why.append("the 2-sigma buffer cannot be checked: realized vol is unknown")
    else:
        sig = sigma_h_pct(req.rv_annual_pct, req.horizon_h)
        checks["buffer_2sigma"] = dist is None or dist > 2 * sig
        if not checks["buffer_2sigma"]:
            why.append(
                f"a 2-sigma {req.horizon_h:g}h move ({2 * sig:.1f}%) reaches liquidation ({dist:.1f}% away)"
            )
    checks["adverse_10pct"] = dist is None or dist > 10.0
    if not checks["adverse_10pct"]:
        why.append(f"a 10% adverse move reaches liquidation ({dist:.1f}% away)")
    return checks, why, lp, dist


def _passes(checks: dict[str, bool | None]) -> bool:
    """No check failed (an unknown check does not fail the search for a passing size)."""
    return all(v is not False for v in checks.values())


def size_position(req: SizingRequest) -> SizingResult:
    for name, v in (
        ("equity_usd", req.equity_usd),
        ("risk_pct", req.risk_pct),
        ("entry_usd", req.entry_usd),
    ):
        if not v > 0:
            raise PositionError(name, f"must be greater than 0 (got {v})")
    if req.side not in ("long", "short"):
        raise PositionError("side", f"must be long or short (got {req.side!r})")
    sign = 1 if req.side == "long" else -1
    notes: list[str] = []
    if req.stop_usd is not None:
        stop = req.stop_usd
    elif req.stop_sigmas is not None:
        if req.rv_annual_pct is None:
            raise PositionError(
                "stop_sigmas", "needs realized vol (rv_annual_pct) to place the stop"
            )
        stop = req.entry_usd * (
            1 - sign * req.stop_sigmas * sigma_h_pct(req.rv_annual_pct, req.horizon_h) / 100
        )
        notes.append(f"stop {req.stop_sigmas:g} sigma away: {stop:,.2f}")
    else:
        raise PositionError("stop_usd", "give a stop price or a stop in sigmas")
    if sign * (req.entry_usd - stop) <= 0:
        raise PositionError(
            "stop_usd", f"a {req.side} needs its stop {'below' if sign > 0 else 'above'} the entry"
        )
    risk_usd = req.equity_usd * req.risk_pct / 100.0
    qty = risk_usd / abs(req.entry_usd - stop)
    ceiling = req.ladder_max_leverage if req.ladder_max_leverage is not None else 1.0
    leverage = req.leverage if req.leverage is not None else ceiling
    if not leverage > 0:
        raise PositionError("leverage", f"must be greater than 0 (got {leverage})")
    checks, why, lp, dist = _checks(req, qty, leverage, stop)
    accepted = all(v is True for v in checks.values())  # an unknown check is not a pass
    max_qty = max_lev = None
    if not accepted:
        lev_try = min(leverage, ceiling)
        lo, hi = 0.0, qty
        if _passes(_checks(req, hi, lev_try, stop)[0]):
            max_qty = qty
        else:
            for _ in range(60):
                mid = (lo + hi) / 2
                if _passes(_checks(req, mid, lev_try, stop)[0]):
                    lo = mid
                else:
                    hi = mid
            max_qty = lo if lo > 0 else None
        if max_qty is None:
            lo, hi = 1.0, lev_try
            if _passes(_checks(req, qty, lo, stop)[0]):
                for _ in range(60):
                    mid = (lo + hi) / 2
                    if _passes(_checks(req, qty, mid, stop)[0]):
                        lo = mid
                    else:
                        hi = mid
                max_lev = lo
        if max_qty is not None:
            notes.append(
                f"the largest size that passes at {lev_try:g}x is {max_qty:,.4f} {req.symbol}"
            )
        elif max_lev is not None:
            notes.append(
                f"no size passes at {lev_try:g}x; the highest leverage that passes is {max_lev:.2f}x"
            )
    margin = qty * req.entry_usd / leverage
    journal = Journal(
        max_drawdown_pct=round(risk_usd / margin * 100.0, 2) if margin > 0 else None,
        max_leverage=min(leverage, ceiling),
        reduce_price_usd=round((req.entry_usd + stop) / 2, 2),
    )
    return SizingResult(
        accepted=accepted,
        qty=qty,
        leverage=leverage,
        notional_usd=qty * req.entry_usd,
        margin_usd=margin,
        stop_usd=stop,
        risk_usd=risk_usd,
        liquidation_price=lp,
        liq_distance_pct=dist,
        checks=checks,
        refusals=tuple(why),
        max_passing_qty=max_qty,
        max_passing_leverage=max_lev,
        journal=journal,
        notes=tuple(notes),
    )
