"""Stress: every position's mark moved by the same shock at once, cross-margin effects included.

For each shock, with the margin model of ``risk.margin`` (the one position risk uses): each
isolated position's PnL and whether its equity (margin + PnL) is at or below its maintenance
requirement (a liquidated position keeps nothing of its margin); each venue's cross account (one
wallet shared by its cross positions): equity = wallet + Σ PnL, maintenance requirement at the
shocked prices, margin ratio = requirement / equity (liquidation at 100%; bybit and okx cross
approximated, as ``margin.APPROXIMATIONS`` says). Equity totals count a liquidated account or
position as 0: the pessimistic reading. A position whose symbol has no bracket table is left out
(:func:`split_by_table`). Pure functions; any thread may call them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from workstation.risk.brackets import BracketError
from workstation.risk.margin import (
    APPROXIMATIONS,
    isolated_equity_usd,
    requirement_usd,
    table_for,
)
from workstation.risk.positions import Position, PositionError

SHOCKS_PCT = tuple(float(s) for s in range(-40, 41))  # the book's stress curve, % of the mark
MARGIN_RATIO_WARN_PCT = 80.0  # a cross account's margin ratio worth a warning


def parse_shocks(text: str) -> list[float]:
    """``"-30:30:5"`` -> [-30, -25, ..., 30] (percent). Raises ValueError naming the form."""
    parts = text.split(":")
    try:
        lo, hi, step = (float(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"shocks must be FROM:TO:STEP in percent, such as -30:30:5 (got {text!r})"
        ) from None
    if step <= 0 or lo > hi or lo <= -100:
        raise ValueError(f"shocks {text!r}: need FROM <= TO, FROM > -100 and STEP > 0")
    n = math.floor((hi - lo) / step + 1e-9) + 1
    return [round(lo + i * step, 10) for i in range(n)]


@dataclass(frozen=True)
class PositionAtShock:
    label: str
    price_usd: float
    pnl_usd: float
    liquidated: bool


@dataclass(frozen=True)
class AccountAtShock:
    venue: str
    equity_usd: float
    maintenance_usd: float
    margin_ratio_pct: float  # maintenance / equity; inf when equity <= 0
    liquidated: bool
    approximation: str = ""  # what this venue's cross model assumes ("" for binance: exact)


@dataclass(frozen=True)
class ShockResult:
    shock_pct: float
    equity_usd: float
    positions: tuple[PositionAtShock, ...]
    cross_accounts: tuple[AccountAtShock, ...]

    @property
    def liquidated(self) -> tuple[str, ...]:
        return tuple(p.label for p in self.positions if p.liquidated)


def _cross_wallets(positions: Sequence[Position]) -> dict[str, float]:
    wallets: dict[str, float] = {}
    for p in positions:
        if p.margin_mode != "cross":
            continue
        if p.wallet_usd is None:
            raise PositionError(
                "wallet_usd", f"{p.label}: a cross position needs its account's wallet"
            )
        if p.venue in wallets and abs(wallets[p.venue] - p.wallet_usd) > 0.005:
            raise PositionError(
                "wallet_usd",
                f"{p.label}: {p.venue} cross positions disagree on the wallet "
                f"({wallets[p.venue]:,.2f} vs {p.wallet_usd:,.2f})",
            )
        wallets[p.venue] = p.wallet_usd
    return wallets


def split_by_table(positions: Sequence[Position]) -> tuple[list[Position], list[str]]:
    """(the positions that have a bracket table, ``"label: liquidation unknown: why"`` for the
    others): a symbol without a table is left out of the stress, never a crash."""
    kept, excluded = [], []
    for p in positions:
        try:
            table_for(p)
        except BracketError as exc:
            excluded.append(f"{p.label}: liquidation unknown: {exc}")
        else:
            kept.append(p)
    return kept, excluded


def stress(
    positions: Sequence[Position], marks: dict[str, float], shocks_pct: Sequence[float]
) -> list[ShockResult]:
    """``marks``: the current mark per symbol (a symbol without one is marked at its entry)."""
    wallets = _cross_wallets(positions)
    tables = {id(p): table_for(p) for p in positions}
    results = []
    for shock in shocks_pct:
        factor = 1.0 + shock / 100.0
        rows, equity = [], 0.0
        cross_pnl: dict[str, float] = {v: 0.0 for v in wallets}
        cross_mm: dict[str, float] = {v: 0.0 for v in wallets}
        for p in positions:
            price = marks.get(p.symbol, p.entry_usd) * factor
            pnl = p.sign * p.qty * (price - p.entry_usd)
            if p.margin_mode == "isolated":
                eq = isolated_equity_usd(p, price)
                dead = eq <= requirement_usd(p, price, tables[id(p)])
                equity += 0.0 if dead else eq
                rows.append(PositionAtShock(p.label, price, pnl, dead))
            else:
                cross_pnl[p.venue] += pnl
                cross_mm[p.venue] += requirement_usd(p, price, tables[id(p)])
                rows.append(PositionAtShock(p.label, price, pnl, False))
        accounts = []
        for venue in sorted(wallets):
            eq = wallets[venue] + cross_pnl[venue]
            mm = cross_mm[venue]
            dead = eq <= mm
            ratio = mm / eq * 100.0 if eq > 0 else math.inf
            note = APPROXIMATIONS.get((venue, "cross"), "")
            accounts.append(AccountAtShock(venue, eq, mm, ratio, dead, note))
            equity += 0.0 if dead else eq
            if dead:
                rows = [
                    PositionAtShock(r.label, r.price_usd, r.pnl_usd, True)
                    if any(
                        q.label == r.label and q.venue == venue and q.margin_mode == "cross"
                        for q in positions
                    )
                    else r
                    for r in rows
                ]
        results.append(ShockResult(shock, equity, tuple(rows), tuple(accounts)))
    return results


def stress_summary(results: Sequence[ShockResult]) -> str:
    """Where, going down and going up from zero, the first position is liquidated and a cross
    account's margin ratio passes 80%."""
    parts = []
    for label, order in (
        ("down", sorted((r for r in results if r.shock_pct < 0), key=lambda r: -r.shock_pct)),
        ("up", sorted((r for r in results if r.shock_pct > 0), key=lambda r: r.shock_pct)),
    ):
        liq = next((r for r in order if r.liquidated), None)
        ratio = next(
            (
                (r, a)
                for r in order
                for a in r.cross_accounts
                if a.margin_ratio_pct >= MARGIN_RATIO_WARN_PCT
            ),
            None,
        )
        text = (
            f"{label}: nothing liquidated to {order[-1].shock_pct:+g}%"
            if liq is None and order
            else f"{label}: at {liq.shock_pct:+g}% {', '.join(liq.liquidated)} liquidated"
            if liq is not None
            else ""
        )
        if ratio is not None:
            r, a = ratio
            text += f"; at {r.shock_pct:+g}% the {a.venue} cross margin ratio passes {MARGIN_RATIO_WARN_PCT:g}%"
        parts.append(text)
    return "   |   ".join(p for p in parts if p)
