"""Liquidation prices of USDT-margined linear perpetuals, one-way mode (../shared/DOMAIN.md §3).

Every venue is the same linear model: the account's equity at a mark P is
``E(P) = C − s·Q·EP + s·Q·P`` (C the collateral: the isolated margin, or the cross wallet plus the
other positions' unrealized PnL less their maintenance margin; s = +1 long / −1 short, Q in coin)
and its maintenance requirement with bracket b is ``R_b(P) = Q·P·k_b − c_b``. The liquidation
price solves E(P) = R_b(P):  ``LP = (C − s·Q·EP + c_b) / (Q·k_b − s·Q)``.

- Binance USDⓈ-M (isolated and cross): k = MMR, c = cum of the bracket of the notional Q·P;
  this is Binance's FAQ formula (WB − TMM1 + UPNL1 + cum − s·Q·EP) / (Q·MMR − s·Q).
- Bybit isolated: the maintenance margin is fixed at the entry (help centre): k = 0,
  c = −(Q·EP·MMR − deduction) of the tier of Q·EP; IM = Q·EP / leverage plus extra margin.
  Bybit cross (unified account): k = MMR, c = deduction of the tier of Q·P — approximated.
- OKX (isolated; cross approximated): the tier is picked by the position's size in contracts
  (it does not move with the price), k = MMR + taker fee, c = 0 (no deduction).

A price-dependent bracket (Binance, Bybit cross) is searched over every bracket: the answer is
the one whose notional at its own price lies in that bracket.

Every result has a ``state``: ``price`` (a liquidation price on the losing side of the mark),
``none`` (no positive price liquidates the position) or ``liquidated`` (at the mark the equity is
already at or below the requirement: the position or account is liquidated / insolvent). A
liquidation notional beyond the last bracket raises BracketError: the venue has no rate for it.
Pure functions; any thread may call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workstation.risk.brackets import Bracket, BracketError, BracketTable

SIDES = ("long", "short")
STATES = ("price", "none", "liquidated")


def side_sign(side: str) -> int:
    if side not in SIDES:
        raise ValueError(f"side must be long or short, not {side!r}")
    return 1 if side == "long" else -1


@dataclass(frozen=True, slots=True)
class OtherPosition:
    """Another position of the same cross account. ``mmr`` is its requirement rate (OKX: MMR plus
    the taker fee) and ``maint_amount_usd`` its bracket's deduction, at its mark."""

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
    state: str  # one of STATES
    liquidation_price: float | None  # USD; only when state == "price"
    mmr: float  # the bracket's maintenance margin rate (at the price, or at the mark)
    maint_amount_usd: float
    bracket_verified: bool
    margin_usd: float  # the collateral the formula used (isolated margin, or the cross wallet)
    formula: str
    equity_usd: float  # the account's (or isolated position's) equity at the mark
    maintenance_usd: float  # its maintenance requirement at the mark
    approximation: str = ""  # what is assumed where the venue's own formula is not followed


def _fixed(mmr: float, maint_amount_usd: float) -> Bracket:
    return Bracket(0.0, float("inf"), mmr, maint_amount_usd, float("inf"))


def solve(
    side: str,
    qty: float,
    entry_usd: float,
    collateral_usd: float,
    mark_usd: float,
    *,
    others: Iterable[OtherPosition] = (),
    table: BracketTable | None = None,
    bracket: Bracket | None = None,
    fee_rate: float = 0.0,
    fixed_requirement_usd: float | None = None,
    formula: str,
    approximation: str = "",
) -> LiqResult:
    """The linear model of the module docstring: ``collateral_usd`` is the isolated margin or the
    cross wallet, ``others`` the cross account's other positions (C = wallet − TMM1 + UPNL1).
    Give ``bracket`` (fixed: given rates, a tier by contracts, Bybit's tier at the entry) or
    ``table`` (searched by the notional at each price). ``fixed_requirement_usd``: a requirement
    that does not move with the price (Bybit isolated), else Q·P·(MMR + fee_rate) − deduction."""
    s = side_sign(side)
    others = tuple(others)
    c = (
        collateral_usd
        - sum(o.maintenance_margin for o in others)
        + sum(o.unrealized_pnl for o in others)
    )
    base = c - s * qty * entry_usd

    def requirement(b: Bracket, price: float) -> float:
        if fixed_requirement_usd is not None:
            return fixed_requirement_usd
        return qty * price * (b.mmr + fee_rate) - b.maint_amount_usd

    def root(b: Bracket) -> float:
        if fixed_requirement_usd is not None:
            return (fixed_requirement_usd - base) / (s * qty)
        return (base + b.maint_amount_usd) / (qty * (b.mmr + fee_rate) - s * qty)

    at_mark = bracket if bracket is not None else table.for_position(qty, mark_usd)
    equity = base + s * qty * mark_usd
    req = requirement(at_mark, mark_usd)

    def result(state: str, price: float | None, b: Bracket) -> LiqResult:
        return LiqResult(
            state, price, b.mmr, b.maint_amount_usd, b.verified, collateral_usd, formula,
            equity, req, approximation,
        )  # fmt: skip

    if equity <= req:
        return result("liquidated", None, at_mark)
    if bracket is not None:
        candidates = [(root(bracket), bracket)]
    else:
        candidates = []
        for b in table.brackets:
            lp = root(b)
            if lp > 0 and b.floor <= table.size(qty, lp) <= b.cap:
                candidates.append((lp, b))
    # on the losing side of the mark (E − R is monotone in P, so a root there is the only one)
    valid = [(lp, b) for lp, b in candidates if lp > 0 and s * (mark_usd - lp) > 0]
    if valid:
        lp, b = (max if s > 0 else min)(valid, key=lambda t: t[0])
        return result("price", lp, b)
    if s < 0 and bracket is None:
        last = table.brackets[-1]
        raise BracketError(
            f"{table.venue} {table.symbol}: this short's liquidation notional is beyond the last "
            f"bracket ({last.cap:,.0f} {table.size_unit}): the venue has no rate for it"
        )
    return result("none", None, at_mark)


def binance_liquidation_price(
    side: str,
    qty: float,
    entry_usd: float,
    wallet_usd: float,
    *,
    mark_usd: float | None = None,
    table: BracketTable | None = None,
    mmr: float | None = None,
    maint_amount_usd: float | None = None,
    others: Iterable[OtherPosition] = (),
    approximation: str = "",
) -> LiqResult:
    """Binance USDⓈ-M, one-way. ``wallet_usd``: the isolated margin, or the cross wallet balance
    with ``others`` the account's other positions; ``mark_usd`` (default the entry) decides
    whether it is already liquidated. Give ``mmr`` and ``maint_amount_usd`` to skip the bracket
    table. Bybit's cross account uses the same model (``approximation`` says so)."""
    if mmr is None and table is None:
        raise BracketError("give a bracket table, or mmr and maint_amount_usd")
    return solve(
        side,
        qty,
        entry_usd,
        wallet_usd,
        entry_usd if mark_usd is None else mark_usd,
        others=others,
        table=table,
        bracket=None if mmr is None else _fixed(mmr, maint_amount_usd or 0.0),
        formula="(WB - TMM1 + UPNL1 + cum - s*Q*EP) / (Q*MMR - s*Q)",
        approximation=approximation,
    )


def bybit_liquidation_price(
    side: str,
    qty: float,
    entry_usd: float,
    leverage: float,
    *,
    mark_usd: float | None = None,
    table: BracketTable | None = None,
    mmr: float | None = None,
    deduction_usd: float | None = None,
    extra_margin_usd: float = 0.0,
) -> LiqResult:
    """Bybit linear, isolated: IM = Q·EP/leverage, MM = Q·EP·MMR − deduction at the tier of the
    position value Q·EP (fixed at the entry); ``extra_margin_usd`` is margin added on top of IM.
    LP = EP −/+ (IM − MM)/Q −/+ Extra/Q."""
    value = qty * entry_usd
    if mmr is not None:
        b = _fixed(mmr, deduction_usd or 0.0)
    elif table is not None:
        b = table.for_position(qty, entry_usd)
    else:
        raise BracketError("give a risk-limit table, or mmr and the deduction")
    return solve(
        side,
        qty,
        entry_usd,
        value / leverage + extra_margin_usd,
        entry_usd if mark_usd is None else mark_usd,
        bracket=b,
        fixed_requirement_usd=b.maintenance_margin(value),
        formula="EP -/+ (IM - MM)/Q -/+ ExtraMargin/Q",
    )


def okx_liquidation_price(
    side: str,
    qty: float,
    entry_usd: float,
    margin_usd: float,
    *,
    mark_usd: float | None = None,
    table: BracketTable | None = None,
    mmr: float | None = None,
    taker_fee: float = 0.0005,
    others: Iterable[OtherPosition] = (),
    approximation: str = "",
) -> LiqResult:
    """OKX linear: liquidation when the margin ratio reaches MMR + taker fee, the tier picked by
    the position's contracts. ``margin_usd``: the isolated margin, or the cross account's
    equity base with ``others`` (their ``mmr`` including the fee)."""
    if mmr is not None:
        b = _fixed(mmr, 0.0)
    elif table is not None:
        b = table.for_position(qty, entry_usd)
    else:
        raise BracketError("give a tier table, or mmr")
    return solve(
        side,
        qty,
        entry_usd,
        margin_usd,
        entry_usd if mark_usd is None else mark_usd,
        others=others,
        bracket=b,
        fee_rate=taker_fee,
        formula="(EP -/+ M/Q) / (1 -/+ (MMR + fee))",
        approximation=approximation,
    )


def check_leverage(table: BracketTable, qty: float, price_usd: float, leverage: float) -> None:
    """Raises BracketError if ``leverage`` is above what the position's bracket allows."""
    b = table.for_position(qty, price_usd)
    if leverage > b.max_leverage + 1e-9:
        raise BracketError(
            f"leverage {leverage:g}x is above the {table.venue} maximum of {b.max_leverage:g}x for "
            f"a {table.symbol} notional of {qty * price_usd:,.0f} USD"
        )
