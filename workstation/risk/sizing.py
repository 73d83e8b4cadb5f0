"""Sizing a new position from the risk budget, with the ladder as the leverage ceiling.

quantity (coin) = equity × risk % / |entry − stop| (the stop is given, or k sigmas of realized vol
over the horizon away). The open positions of the book (``SizingRequest.book``) count against the
equity: their margin (notional at entry ÷ leverage, or the isolated margin) leaves less for this
trade, and their gross exposure (notional at entry) adds to this trade's in the ladder check.

Checks: leverage within the ladder (the position's own, and the account's gross exposure with this
trade ÷ equity), within the venue's bracket, margin within the equity the book leaves free, the
stop before liquidation, a 2-sigma move over the horizon short of liquidation, and a 10% adverse
move short of liquidation. A size that fails a check is refused with the reasons and the largest
size that fails none (and, if no size does at that leverage, the highest leverage that fails none);
a size refused only because inputs are unknown gets no such suggestion. Flagged, without refusing:
a stop inside one sigma of the horizon's move. Shown: the funding paid (or received) to the horizon
at the current rate, and the three numbers to write before the trade (the maximum drawdown in % of
equity, and of the position's margin as the book's journal keeps it). Pure functions; any thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from workstation.core.instruments import coin_of
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
    horizon_h: float = 24.0  # of the 2-sigma buffer, a sigma stop and the funding cost
    margin_mode: str = "isolated"
    book: tuple[Position, ...] = ()  # the account's open positions (they use margin and exposure)
    funding_rate_8h: float | None = None  # fraction per 8h, positive: longs pay; None: unknown


@dataclass(frozen=True)
class BookUsage:
    """What the book's open positions already use, at their entries (USD)."""

    margin_usd: float  # their margin: the isolated margin, or notional ÷ leverage
    exposure_usd: float  # their gross notional
    free_equity_usd: float  # equity − margin_usd
    positions: int


def book_usage(equity_usd: float, book: tuple[Position, ...]) -> BookUsage:
    margin = sum(p.isolated_margin_usd for p in book)
    return BookUsage(margin, sum(p.notional_usd for p in book), equity_usd - margin, len(book))


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
    journal: Journal  # max_drawdown_pct of this position's margin, as the book keeps it
    coin: str  # the unit of qty, e.g. "BTC"
    book: BookUsage
    account_leverage: float  # (book exposure + this notional) ÷ equity, x
    max_drawdown_pct_of_equity: float  # the loss at the stop, % of equity
    stop_distance_pct: float  # |entry − stop| ÷ entry, %
    stop_distance_sigmas: float | None  # in sigmas of the horizon's move; None: vol unknown
    funding_rate_8h: float | None  # fraction per 8h, as given
    funding_cost_usd: float | None  # paid to the horizon at that rate (negative: received)
    warnings: tuple[str, ...] = field(default=())  # flagged, not refused
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
        wallet_usd=req.equity_usd
        - sum(p.isolated_margin_usd for p in req.book if p.margin_mode == "isolated")
        if req.margin_mode == "cross"
        else None,
    )


def _checks(
    req: SizingRequest, qty: float, leverage: float, stop: float
) -> tuple[dict[str, bool | None], list[str], float | None, float | None]:
    sign = 1 if req.side == "long" else -1
    table = load_table(req.venue, req.symbol)
    notional = qty * req.entry_usd
    used = book_usage(req.equity_usd, req.book)
    checks: dict[str, bool | None] = {}
    why: list[str] = []
    if req.ladder_max_leverage is None:
        checks["ladder"] = None
        why.append("the ladder's maximum leverage is unknown (stale inputs)")
    else:
        cap = req.ladder_max_leverage + 1e-9
        account_lev = (used.exposure_usd + notional) / req.equity_usd
        checks["ladder"] = leverage <= cap and account_lev <= cap
        if leverage > cap:
            why.append(
                f"{leverage:g}x is above the ladder's {req.ladder_max_leverage:g}x allowed now"
            )
        if account_lev > cap:
            why.append(
                f"the account's exposure with this trade, {account_lev:.2f}x equity "
                f"({used.exposure_usd:,.0f} USD in the book + {notional:,.0f} USD), is above "
                f"the ladder's {req.ladder_max_leverage:g}x"
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
    checks["margin"] = margin <= used.free_equity_usd + 1e-9
    if not checks["margin"]:
        why.append(
            f"the margin {margin:,.0f} USD is more than the equity left free, "
            f"{used.free_equity_usd:,.0f} USD"
            + (
                f" ({req.equity_usd:,.0f} less {used.margin_usd:,.0f} used by the book)"
                if used.positions
                else ""
            )
        )
    try:
        liq = liquidation(_position(req, qty, leverage), account=req.book, table=table)
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
    unknown = [name.replace("_", " ") for name, v in checks.items() if v is None]
    if req.leverage is None and req.ladder_max_leverage is None:
        notes.append("at 1x: the ladder's maximum is unknown")
    max_qty = max_lev = None
    if not _passes(checks):  # only a failed check has a size to suggest; unknowns have none
        lev_try = min(leverage, ceiling)
        max_qty = _largest(lambda q: _passes(_checks(req, q, lev_try, stop)[0]), 0.0, qty)
        if max_qty is None and _passes(_checks(req, qty, 1.0, stop)[0]):
            max_lev = _largest(lambda lev: _passes(_checks(req, qty, lev, stop)[0]), 1.0, lev_try)
        still = f"; still unknown: {', '.join(unknown)}" if unknown else ""
        if max_qty is not None:
            notes.append(
                f"the largest size that fails no check at {lev_try:g}x is "
                f"{max_qty:,.4f} {coin_of(req.symbol)}{still}"
            )
        elif max_lev is not None:
            notes.append(
                f"every size fails a check at {lev_try:g}x; this size fails none up to "
                f"{max_lev:.2f}x{still}"
            )
    elif not accepted:
        notes.append(f"no check failed; refused because unknown: {', '.join(unknown)}")
    warnings: list[str] = []
    stop_pct = abs(req.entry_usd - stop) / req.entry_usd * 100.0
    stop_sigmas = None
    if req.rv_annual_pct is not None:
        sig = sigma_h_pct(req.rv_annual_pct, req.horizon_h)
        stop_sigmas = stop_pct / sig
        if stop_sigmas < 1.0:
            warnings.append(
                f"the stop is {stop_pct:.2f}% away, {stop_sigmas:.2f} sigma: inside the "
                f"{req.horizon_h:g}h normal move (1 sigma = {sig:.2f}%), noise may hit it"
            )
    notional = qty * req.entry_usd
    funding = (
        None
        if req.funding_rate_8h is None
        else sign * notional * req.funding_rate_8h * req.horizon_h / 8.0
    )
    margin = notional / leverage
    used = book_usage(req.equity_usd, req.book)
    journal = Journal(
        max_drawdown_pct=round(risk_usd / margin * 100.0, 2) if margin > 0 else None,
        max_leverage=min(leverage, ceiling),
        reduce_price_usd=round((req.entry_usd + stop) / 2, 2),
    )
    return SizingResult(
        accepted=accepted,
        qty=qty,
        leverage=leverage,
        notional_usd=notional,
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
        coin=coin_of(req.symbol),
        book=used,
        account_leverage=(used.exposure_usd + notional) / req.equity_usd,
        max_drawdown_pct_of_equity=risk_usd / req.equity_usd * 100.0,
        stop_distance_pct=stop_pct,
        stop_distance_sigmas=stop_sigmas,
        funding_rate_8h=req.funding_rate_8h,
        funding_cost_usd=funding,
        warnings=tuple(warnings),
        notes=tuple(notes),
    )


def _largest(passes: Callable[[float], bool], lo: float, hi: float) -> float | None:
    """The largest x in (lo, hi] for which ``passes`` holds (bisection, 60 steps), assuming it
    holds below some bound; None when it holds nowhere above ``lo``."""
    if passes(hi):
        return hi
    for _ in range(60):
        mid = (lo + hi) / 2
        if passes(mid):
            lo = mid
        else:
            hi = mid
    return lo if lo > 0 and passes(lo) else None
