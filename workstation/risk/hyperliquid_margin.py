"""Hyperliquid's documented liquidation price, on the margin tiers of its ``meta`` answer
(:func:`workstation.risk.brackets.from_hyperliquid`: mmr = 1 / (2 × the tier's max leverage),
the documented deduction).

Liquidation price (docs, "Liquidations"):
    liq_price = price − side × margin_available / position_size / (1 − l × side)
with side = +1 long / −1 short, l = 1 / maintenance leverage (the tier's ``mmr``), ``price`` the
position's current price (the entry for a new one), and margin_available = isolated margin −
maintenance margin (isolated), or account value − the cross positions' maintenance margin
(cross: the account value includes every cross position's unrealized PnL at its mark). If the
notional at the result falls in another tier, it is computed again with that tier.

Pure functions; any thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from workstation.risk import brackets
from workstation.risk.brackets import BracketTable, hyperliquid_table
from workstation.risk.liquidation import LiqResult, side_sign
from workstation.risk.positions import Position

VENUE = "hyperliquid"
LIQ_MATCH_REL = 1e-4  # 0.01 %: prices have 5 significant figures; beyond this is no rounding


def table_from_meta(meta: dict[str, Any], symbol: str) -> BracketTable:
    """The tiers of desk ``symbol`` from a live ``meta`` answer."""
    return hyperliquid_table(meta, symbol, "meta (live)")


def load_table(symbol: str) -> BracketTable:
    """The tiers of ``symbol`` from the saved ``meta`` (refreshed, else shipped)."""
    return brackets.load_table(VENUE, symbol)


def liquidation_price(
    side: str, qty: float, price_usd: float, margin_usd: float, table: BracketTable,
    others_maint_usd: float = 0.0, formula: str = "hyperliquid isolated",
) -> LiqResult:  # fmt: skip
    """The docs' formula at ``price_usd``; ``margin_usd`` is the isolated position's equity at
    that price (margin + PnL), or the cross account value (then ``others_maint_usd`` is the other
    cross positions' maintenance margin). State ``liquidated`` when that equity is already at or
    below the maintenance margin there; ``none`` when no positive price liquidates."""
    s = side_sign(side)
    bracket = table.for_position(qty, price_usd)
    maintenance = others_maint_usd + bracket.maintenance_margin(qty * price_usd)
    if margin_usd <= maintenance:
        return LiqResult(
            "liquidated", None, bracket.mmr, bracket.maint_amount_usd, True, margin_usd, formula,
            margin_usd, maintenance,
        )  # fmt: skip
    lp, at_mark = price_usd, bracket
    for _ in range(len(table.brackets) + 1):  # a tier, then the tier at the result's notional
        available = margin_usd - others_maint_usd - bracket.maintenance_margin(qty * price_usd)
        lp = price_usd - s * available / qty / (1 - bracket.mmr * s)
        at = table.for_position(qty, max(lp, 0.0))
        if at == bracket:
            break
        bracket = at
    state = "price" if lp > 0 else "none"
    return LiqResult(
        state, lp if lp > 0 else None, bracket.mmr, bracket.maint_amount_usd, True, margin_usd,
        formula, margin_usd, others_maint_usd + at_mark.maintenance_margin(qty * price_usd),
    )  # fmt: skip


def differs(ours: float | None, venue: float | None, rel: float = LIQ_MATCH_REL) -> bool:
    """Whether our liquidation price and the venue's differ by more than rounding (``rel`` of
    the venue's price), or only one of them exists."""
    if ours is None or venue is None:
        return (ours is None) != (venue is None)
    return abs(ours - venue) > rel * abs(venue)


def liquidation(
    pos: Position,
    marks: dict[str, float],
    account: Sequence[Position],
    table: BracketTable | None,
    table_of: Callable[[str], BracketTable] = load_table,
) -> LiqResult:
    """A book position's liquidation price at its mark (its entry when there is none): isolated
    with its equity there, or cross with ``wallet_usd`` plus every cross Hyperliquid position's
    PnL; ``table_of(symbol)`` gives the tiers (default: the shipped meta)."""
    table = table or table_of(pos.symbol)
    price = marks.get(pos.symbol, pos.entry_usd)
    if pos.margin_mode != "cross":  # the position's equity at that price: margin + its PnL
        equity = pos.isolated_margin_usd + pos.sign * pos.qty * (price - pos.entry_usd)
        return liquidation_price(pos.side, pos.qty, price, equity, table)
    others = [
        o for o in account
        if o is not pos and (o.id is None or o.id != pos.id) and o.venue == VENUE
        and o.margin_mode == "cross"
    ]  # fmt: skip
    wallet = pos.wallet_usd if pos.wallet_usd is not None else pos.isolated_margin_usd
    value = wallet + pos.sign * pos.qty * (price - pos.entry_usd)
    maint = 0.0
    for o in others:
        mark = marks.get(o.symbol, o.entry_usd)
        value += o.sign * o.qty * (mark - o.entry_usd)
        maint += table_of(o.symbol).for_position(o.qty, mark).maintenance_margin(o.qty * mark)
    return liquidation_price(
        pos.side, pos.qty, price, value, table, maint, formula="hyperliquid cross"
    )
