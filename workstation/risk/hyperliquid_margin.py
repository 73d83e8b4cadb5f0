"""Hyperliquid's margin: tiers from its ``meta`` answer and its documented liquidation price.

Margin tiers (docs, "Margin tiers"): each tier of a margin table has a notional ``lowerBound``
and a ``maxLeverage``; its maintenance margin rate is half the initial margin rate at that
leverage, ``mmr = 1 / (2 × maxLeverage)``; ``maintenance_margin = notional × mmr − deduction``
with ``deduction_0 = 0`` and ``deduction_n = deduction_(n−1) + lowerBound_n × (mmr_n − mmr_(n−1))``
(continuous at every boundary). A ``marginTableId`` below 50 is a single tier at that leverage.

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

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workstation.core.instruments import venue_symbol
from workstation.core.resources import shipped_brackets
from workstation.risk.brackets import Bracket, BracketError, BracketTable
from workstation.risk.liquidation import LiqResult, side_sign
from workstation.risk.positions import Position

VENUE = "hyperliquid"
SINGLE_TIER_IDS_BELOW = 50


def table_from_meta(meta: dict[str, Any], symbol: str, source: str = "meta") -> BracketTable:
    """The margin tiers of desk ``symbol`` from a ``meta`` answer (or the ``meta`` half of
    ``metaAndAssetCtxs``) as brackets; BracketError if the asset or its table is missing."""
    coin = venue_symbol(VENUE, symbol)
    asset = next((a for a in meta.get("universe", []) if a.get("name") == coin), None)
    if asset is None:
        raise BracketError(f"hyperliquid: {coin} is not in the meta universe")
    table_id = int(asset.get("marginTableId", asset["maxLeverage"]))
    if table_id < SINGLE_TIER_IDS_BELOW:
        tiers = [{"lowerBound": "0", "maxLeverage": table_id}]
    else:
        tables = {int(t[0]): t[1] for t in meta.get("marginTables", [])}
        if table_id not in tables:
            raise BracketError(f"hyperliquid: {coin}'s margin table {table_id} is not in meta")
        tiers = tables[table_id]["marginTiers"]
    brackets: list[Bracket] = []
    for i, t in enumerate(tiers):
        floor, lev = float(t["lowerBound"]), float(t["maxLeverage"])
        cap = float(tiers[i + 1]["lowerBound"]) if i + 1 < len(tiers) else float("inf")
        mmr = 1.0 / (2.0 * lev)
        prev = brackets[-1] if brackets else None
        deduction = 0.0 if prev is None else prev.maint_amount_usd + floor * (mmr - prev.mmr)
        brackets.append(Bracket(floor, cap, mmr, deduction, lev))
    return BracketTable(VENUE, symbol, tuple(brackets), source)


def load_table(symbol: str, path: Path | None = None) -> BracketTable:
    """The tiers of ``symbol`` from a saved ``meta`` answer (default: the shipped one)."""
    path = path or shipped_brackets(VENUE)
    try:
        meta = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BracketError(f"{path}: not readable ({exc})") from None
    return table_from_meta(meta, symbol, f"{path} ({meta.get('as_of', '?')})")


def liquidation_price(
    side: str, qty: float, price_usd: float, margin_usd: float, table: BracketTable,
    others_maint_usd: float = 0.0, formula: str = "hyperliquid isolated",
) -> LiqResult:  # fmt: skip
    """The docs' formula; ``margin_usd`` is the isolated margin, or the cross account value
    (then ``others_maint_usd`` is the other cross positions' maintenance margin)."""
    s = side_sign(side)
    bracket = table.for_notional(qty * price_usd)
    lp, iterations = price_usd, 0
    while iterations <= len(table.brackets):  # a tier, then the tier at the result's notional
        iterations += 1
        available = margin_usd - others_maint_usd - bracket.maintenance_margin(qty * price_usd)
        lp = price_usd - s * available / qty / (1 - bracket.mmr * s)
        at = table.for_notional(qty * max(lp, 0.0))
        if at == bracket:
            break
        bracket = at
    return LiqResult(
        lp if lp > 0 else None, bracket.mmr, bracket.maint_amount_usd, True, margin_usd, formula,
        iterations,
    )  # fmt: skip


def liquidation(
    pos: Position, marks: dict[str, float], account: Sequence[Position], table: BracketTable | None
) -> LiqResult:
    """A book position's liquidation price at its mark (its entry when there is none): isolated
    with its margin, or cross with ``wallet_usd`` plus every cross Hyperliquid position's PnL."""
    table = table or load_table(pos.symbol)
    price = marks.get(pos.symbol, pos.entry_usd)
    if pos.margin_mode != "cross":
        return liquidation_price(pos.side, pos.qty, price, pos.isolated_margin_usd, table)
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
        maint += load_table(o.symbol).for_notional(o.qty * mark).maintenance_margin(o.qty * mark)
    return liquidation_price(
        pos.side, pos.qty, price, value, table, maint, formula="hyperliquid cross"
    )
