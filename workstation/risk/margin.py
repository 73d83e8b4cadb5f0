"""Margin arithmetic of a Position on its venue: liquidation price (isolated, or cross with the
account's other positions), maintenance margin at a price. Pure functions; any thread."""

from __future__ import annotations

from collections.abc import Sequence

from workstation.risk import hyperliquid_margin
from workstation.risk.brackets import BracketTable, load_table
from workstation.risk.liquidation import (
    LiqResult,
    OtherPosition,
    binance_liquidation_price,
    bybit_liquidation_price,
    okx_liquidation_price,
)
from workstation.risk.positions import Position

DEFAULT_TAKER_FEE = 0.0005


def table_for(pos: Position) -> BracketTable:
    return load_table(pos.venue, pos.symbol)


def maintenance_margin(pos: Position, price_usd: float, table: BracketTable | None = None) -> float:
    """Maintenance margin of ``pos`` with the mark at ``price_usd`` (its bracket at that notional)."""
    table = table or table_for(pos)
    notional = pos.qty * price_usd
    return table.for_notional(notional).maintenance_margin(notional)


def liquidation(
    pos: Position,
    marks: dict[str, float] | None = None,
    account: Sequence[Position] = (),
    table: BracketTable | None = None,
) -> LiqResult:
    """The liquidation price of ``pos``. Cross positions on Binance take the account's other
    positions (``account``, marked at ``marks``) into TMM1 and UPNL1; Bybit and OKX are computed
    isolated (their cross formulas need the whole account's margin, which this book does not
    hold: the result says so through ``formula``)."""
    if pos.venue == "hyperliquid":
        return hyperliquid_margin.liquidation(pos, marks or {}, account, table)
    table = table or table_for(pos)
    marks = marks or {}
    if pos.venue == "binance":
        if pos.margin_mode == "cross":
            others = []
            for o in account:
                if o is pos or (o.id is not None and o.id == pos.id) or o.venue != pos.venue:
                    continue
                if o.margin_mode != "cross":
                    continue
                mark = marks.get(o.symbol, o.entry_usd)
                ob = table_for(o).for_notional(o.qty * mark)
                others.append(
                    OtherPosition(
                        o.symbol, o.side, o.qty, o.entry_usd, mark, ob.mmr, ob.maint_amount_usd
                    )
                )
            wallet = pos.wallet_usd if pos.wallet_usd is not None else pos.isolated_margin_usd
            return binance_liquidation_price(
                pos.side, pos.qty, pos.entry_usd, wallet, table=table, others=others
            )
        return binance_liquidation_price(
            pos.side, pos.qty, pos.entry_usd, pos.isolated_margin_usd, table=table
        )
    if pos.venue == "bybit":
        extra = max(0.0, pos.isolated_margin_usd - pos.notional_usd / pos.leverage)
        return bybit_liquidation_price(
            pos.side, pos.qty, pos.entry_usd, pos.leverage, table=table, extra_margin_usd=extra
        )
    return okx_liquidation_price(
        pos.side,
        pos.qty,
        pos.entry_usd,
        pos.isolated_margin_usd,
        table=table,
        taker_fee=DEFAULT_TAKER_FEE,
    )
