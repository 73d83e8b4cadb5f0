"""One margin model per venue and margin mode, the same in position risk, stress and sizing:
a position's maintenance requirement at a price, and its liquidation (isolated, or cross with
the account's other cross positions on the same venue). Pure functions; any thread.

- binance isolated and cross: Binance's FAQ formula (exact).
- bybit isolated: Bybit's help-centre formula, maintenance fixed at the entry (exact).
- okx isolated: OKX's formula, tier by contracts, MMR + taker fee (exact for the given fee).
- bybit cross and okx cross: approximated (:data:`APPROXIMATIONS` says what is assumed).

A venue is one entry of :data:`_VENUES`: its requirement rate at a price and its liquidation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

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

APPROXIMATIONS = {
    ("bybit", "cross"): (
        "approximated: Bybit's cross (unified) margin as USDT collateral only, the position's "
        "wallet as the account's margin balance, the other bybit cross positions at their marks, "
        "each position's tier at its mark; no haircuts, open orders or closing fees"
    ),
    ("okx", "cross"): (
        "approximated: OKX's cross margin as USDT collateral only, the position's wallet as the "
        "account's equity, the other okx cross positions at their marks, maintenance "
        f"notional x (MMR + {DEFAULT_TAKER_FEE:g} taker fee) by tier in contracts; no haircuts "
        "or open orders"
    ),
}


def table_for(pos: Position) -> BracketTable:
    return load_table(pos.venue, pos.symbol)


def approximation(pos: Position) -> str:
    """What is assumed for ``pos``'s venue and margin mode ("" where the venue's formula is
    followed)."""
    return APPROXIMATIONS.get((pos.venue, pos.margin_mode), "")


def _bracket_rate(pos: Position, price_usd: float, table: BracketTable) -> tuple[float, float]:
    b = table.for_position(pos.qty, price_usd)
    return b.mmr, b.maint_amount_usd


def _okx_rate(pos: Position, price_usd: float, table: BracketTable) -> tuple[float, float]:
    return table.for_position(pos.qty, price_usd).mmr + DEFAULT_TAKER_FEE, 0.0


def _wallet(pos: Position) -> float:
    return pos.wallet_usd if pos.wallet_usd is not None else pos.isolated_margin_usd


def _binance(
    pos: Position, mark: float, others: list[OtherPosition], table: BracketTable
) -> LiqResult:
    if pos.margin_mode == "cross":
        return binance_liquidation_price(
            pos.side, pos.qty, pos.entry_usd, _wallet(pos), mark_usd=mark, table=table,
            others=others,
        )  # fmt: skip
    return binance_liquidation_price(
        pos.side, pos.qty, pos.entry_usd, pos.isolated_margin_usd, mark_usd=mark, table=table
    )


def _bybit(
    pos: Position, mark: float, others: list[OtherPosition], table: BracketTable
) -> LiqResult:
    if pos.margin_mode == "cross":
        return binance_liquidation_price(
            pos.side, pos.qty, pos.entry_usd, _wallet(pos), mark_usd=mark, table=table,
            others=others, approximation=approximation(pos),
        )  # fmt: skip
    extra = max(0.0, pos.isolated_margin_usd - pos.notional_usd / pos.leverage)
    return bybit_liquidation_price(
        pos.side, pos.qty, pos.entry_usd, pos.leverage, mark_usd=mark, table=table,
        extra_margin_usd=extra,
    )  # fmt: skip


def _okx(pos: Position, mark: float, others: list[OtherPosition], table: BracketTable) -> LiqResult:
    cross = pos.margin_mode == "cross"
    return okx_liquidation_price(
        pos.side, pos.qty, pos.entry_usd, _wallet(pos) if cross else pos.isolated_margin_usd,
        mark_usd=mark, table=table, taker_fee=DEFAULT_TAKER_FEE, others=others,
        approximation=approximation(pos),
    )  # fmt: skip


@dataclass(frozen=True)
class _Venue:
    rate: Callable[[Position, float, BracketTable], tuple[float, float]]  # (rate, deduction USD)
    # None: the venue's own module takes the whole account (risk.hyperliquid_margin)
    liquidation: Callable[[Position, float, list[OtherPosition], BracketTable], LiqResult] | None


_VENUES = {
    "binance": _Venue(_bracket_rate, _binance),
    "bybit": _Venue(_bracket_rate, _bybit),
    "okx": _Venue(_okx_rate, _okx),
    "hyperliquid": _Venue(_bracket_rate, None),
}


def requirement_usd(pos: Position, price_usd: float, table: BracketTable | None = None) -> float:
    """The maintenance requirement of ``pos`` (USD) with its mark at ``price_usd``: the margin
    its equity must stay above. Bybit isolated: fixed at the entry; OKX: with the taker fee."""
    table = table or table_for(pos)
    if pos.venue == "bybit" and pos.margin_mode == "isolated":
        price_usd = pos.entry_usd
    rate, deduction = _VENUES[pos.venue].rate(pos, price_usd, table)
    return pos.qty * price_usd * rate - deduction


def isolated_equity_usd(pos: Position, price_usd: float) -> float:
    """An isolated position's equity (USD) at ``price_usd``: its margin plus its PnL."""
    return pos.isolated_margin_usd + pos.sign * pos.qty * (price_usd - pos.entry_usd)


def cross_others(pos: Position, account: Sequence[Position]) -> list[Position]:
    """The other cross positions of ``pos``'s venue account."""
    return [
        o
        for o in account
        if o is not pos
        and not (o.id is not None and o.id == pos.id)
        and o.venue == pos.venue
        and o.margin_mode == "cross"
    ]


def liquidation(
    pos: Position,
    marks: dict[str, float] | None = None,
    account: Sequence[Position] = (),
    table: BracketTable | None = None,
) -> LiqResult:
    """The liquidation of ``pos`` with its mark at ``marks[pos.symbol]`` (default the entry).
    A cross position takes the account's other cross positions on its venue (``account``,
    marked at ``marks``, else at their entries). Raises BracketError when a table is missing."""
    if pos.venue == "hyperliquid":
        return hyperliquid_margin.liquidation(pos, marks or {}, account, table)
    table = table or table_for(pos)
    marks = marks or {}
    venue = _VENUES[pos.venue]
    others = []
    if pos.margin_mode == "cross":
        for o in cross_others(pos, account):
            mark = marks.get(o.symbol, o.entry_usd)
            rate, deduction = venue.rate(o, mark, table_for(o))
            others.append(
                OtherPosition(o.symbol, o.side, o.qty, o.entry_usd, mark, rate, deduction)
            )
    assert venue.liquidation is not None
    return venue.liquidation(pos, marks.get(pos.symbol, pos.entry_usd), others, table)
