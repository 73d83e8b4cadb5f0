"""Liquidation prices of USDT-margined linear perpetuals, one-way mode (../shared/DOMAIN.md §3).

Binance USDⓈ-M (isolated and cross):
    LP = (WB − TMM1 + UPNL1 + cum − s·Q·EP) / (Q·MMR − s·Q)
with s = +1 long / −1 short, Q in coin, EP the entry, MMR and cum of the notional's bracket; in
cross WB is the wallet, TMM1 and UPNL1 the other positions' maintenance margin and unrealized PnL
at their marks; isolated: WB is the position's margin and TMM1 = UPNL1 = 0. If the notional at LP
falls in another bracket, LP is recomputed with that bracket.

Bybit (isolated): long LP = EP − (IM − MM)/Q − Extra/Q, short LP = EP + (IM − MM)/Q + Extra/Q,
IM = Q·EP / leverage, MM = Q·EP·MMR − deduction (the risk-limit tier of the position value).

OKX (isolated): long LP = (EP − M/Q) / (1 − (MMR + fee)), short LP = (EP + M/Q) / (1 + (MMR + fee)).

A result ≤ 0 means no liquidation price (``None``). Pure functions; any thread may call them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workstation.risk.brackets import Bracket, BracketError, BracketTable

SIDES = ("long", "short")


def side_sign(side: str) -> int:
    if side not in SIDES:
        raise ValueError(f"side must be long or short, not {side!r}")
    return 1 if side == "long" else -1


@dataclass(frozen=True, slots=True)
class OtherPosition:
    """Another position of the same cross account (Binance cross margin)."""

    symbol: str
    side: str
    qty: float
    entry_usd: float
    mark_usd: float
    mmr: float
    maint_amount_usd: float

    @property
    def maintenance_margin(self) -> float:
        return self.qty * self.mark_usd * self.mmr - self.maint_amount_usd

    @property
    def unrealized_pnl(self) -> float:
        return side_sign(self.side) * self.qty * (self.mark_usd - self.entry_usd)


@dataclass(frozen=True, slots=True)
class LiqResult:
    liquidation_price: float | None  # None: no price liquidates the position
    mmr: float
    maint_amount_usd: float
    bracket_verified: bool
    margin_usd: float  # the margin the formula used (isolated margin, or the cross wallet)
    formula: str
    iterations: int = 1


def _bracket_fixpoint(
    compute: Callable[[Bracket], float],
    table: BracketTable,
    qty: float,
    start_notional: float,
    side: str,
) -> tuple[float, Bracket, int]:
    """Compute with the bracket of the starting notional; while the notional at the resulting
    price falls in another bracket, recompute with that one. If the brackets alternate, take the
    more conservative price (the higher for a long, the lower for a short)."""
    bracket = table.for_notional(start_notional)
    seen: list[tuple[Bracket, float]] = []
    for i in range(1, 2 * len(table.brackets) + 2):
        lp = compute(bracket)
        seen.append((bracket, lp))
        if lp <= 0:
            return lp, bracket, i
        nxt = table.for_notional(qty * lp)
        if nxt == bracket:
            return lp, bracket, i
        if any(b == nxt for b, _ in seen):
            pick = max if side == "long" else min
            lp, bracket = pick(((p, b) for b, p in seen), key=lambda t: t[0])
            return lp, bracket, i
        bracket = nxt
    raise AssertionError("bracket iteration did not settle")


def binance_liquidation_price(
    side: str,
    qty: float,
    entry_usd: float,
    wallet_usd: float,
    *,
    table: BracketTable | None = None,
    mmr: float | None = None,
    maint_amount_usd: float | None = None,
    others: Iterable[OtherPosition] = (),
) -> LiqResult:
    """Binance USDⓈ-M, one-way. ``wallet_usd``: the isolated margin, or the cross wallet balance
    with ``others`` the account's other positions. Give ``mmr`` and ``maint_amount_usd`` to skip
    the bracket lookup (then no recompute)."""
    s = side_sign(side)
    others = tuple(others)
    tmm1 = sum(o.maintenance_margin for o in others)
    upnl1 = sum(o.unrealized_pnl for o in others)

    def compute(b: Bracket) -> float:
        return (wallet_usd - tmm1 + upnl1 + b.maint_amount_usd - s * qty * entry_usd) / (
            qty * b.mmr - s * qty
        )

    formula = "(WB - TMM1 + UPNL1 + cum - s*Q*EP) / (Q*MMR - s*Q)"
    if mmr is not None:
        b = Bracket(0.0, float("inf"), mmr, maint_amount_usd or 0.0, float("inf"))
        lp, iterations = compute(b), 1
    else:
        if table is None:
            raise BracketError("give a bracket table, or mmr and maint_amount_usd")
        lp, b, iterations = _bracket_fixpoint(compute, table, qty, qty * entry_usd, side)
    return LiqResult(
        lp if lp > 0 else None,
        b.mmr,
        b.maint_amount_usd,
        b.verified,
        wallet_usd,
        formula,
        iterations,
    )


def bybit_liquidation_price(
    side: str,
    qty: float,
    entry_usd: float,
    leverage: float,
    *,
    table: BracketTable | None = None,
    mmr: float | None = None,
    deduction_usd: float | None = None,
    extra_margin_usd: float = 0.0,
) -> LiqResult:
    """Bybit linear, isolated: IM = Q·EP/leverage, MM = Q·EP·MMR − deduction at the tier of the
    position value Q·EP; ``extra_margin_usd`` is margin added on top of IM."""
    s = side_sign(side)
    value = qty * entry_usd
    if mmr is not None:
        b = Bracket(0.0, float("inf"), mmr, deduction_usd or 0.0, float("inf"))
    elif table is not None:
        b = table.for_notional(value)
    else:
        raise BracketError("give a risk-limit table, or mmr and the deduction")
    im = value / leverage
    mm = value * b.mmr - b.maint_amount_usd
    lp = entry_usd - s * (im - mm) / qty - s * extra_margin_usd / qty
    formula = "EP -/+ (IM - MM)/Q -/+ ExtraMargin/Q"
    return LiqResult(
        lp if lp > 0 else None,
        b.mmr,
        b.maint_amount_usd,
        b.verified,
        im + extra_margin_usd,
        formula,
    )


def okx_liquidation_price(
    side: str,
    qty: float,
    entry_usd: float,
    margin_usd: float,
    *,
    table: BracketTable | None = None,
    mmr: float | None = None,
    taker_fee: float = 0.0005,
) -> LiqResult:
    """OKX linear, isolated: liquidation when the margin ratio reaches MMR + taker fee."""
    s = side_sign(side)

    def compute(b: Bracket) -> float:
        k = b.mmr + taker_fee
        return (entry_usd - s * margin_usd / qty) / (1.0 - s * k)

    formula = "(EP -/+ M/Q) / (1 -/+ (MMR + fee))"
    if mmr is not None:
        b = Bracket(0.0, float("inf"), mmr, 0.0, float("inf"))
        lp, iterations = compute(b), 1
    elif table is not None:
        lp, b, iterations = _bracket_fixpoint(compute, table, qty, qty * entry_usd, side)
    else:
        raise BracketError("give a tier table, or mmr")
    return LiqResult(
        lp if lp > 0 else None, b.mmr, 0.0, b.verified, margin_usd, formula, iterations
    )


def check_leverage(table: BracketTable, notional_usd: float, leverage: float) -> None:
    """Raises BracketError if ``leverage`` is above what the notional's bracket allows."""
    b = table.for_notional(notional_usd)
    if leverage > b.max_leverage + 1e-9:
        raise BracketError(
            f"leverage {leverage:g}x is above the {table.venue} maximum of {b.max_leverage:g}x for "
            f"a {table.symbol} notional of {notional_usd:,.0f} USD"
        )
