"""Maintenance-margin brackets (Binance leverage brackets, Bybit risk-limit tiers, OKX position
tiers, Hyperliquid margin tables) as data: maintenance margin = notional × ``mmr`` − ``maint_amount_usd``.

Binance and Bybit pick the bracket by the position's notional in USD (it moves with the price);
OKX picks the tier by the position's size in contracts (it does not), and has no deduction
(``maint_amount_usd`` is 0): its table's ``size_unit`` is ``"contracts"``, with the contract's
value in coin (``contract_value_coin``).

Shipped tables are package data (``workstation/resources/brackets/<venue>.json``); a table
refreshed from the venue is written to the user data folder and takes precedence. The parsers
turn each venue's REST response into the same rows. Pure functions and immutable tables; any
thread may call them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workstation.core.instruments import venue_symbol
from workstation.core.resources import shipped_brackets

VENUES = ("binance", "bybit", "okx", "hyperliquid")


class BracketError(ValueError):
    """A bracket table that cannot be used, or a lookup that has no answer (unknown symbol,
    notional beyond the last bracket, leverage above the bracket's maximum)."""


SIZE_UNITS = ("USD", "contracts")


@dataclass(frozen=True, slots=True)
class Bracket:
    floor: float  # in the table's size unit: notional USD, or OKX contracts
    cap: float
    mmr: float  # maintenance margin rate, fraction
    maint_amount_usd: float  # Binance "cum", Bybit "mmDeduction"
    max_leverage: float
    verified: bool = True  # False: illustrative, not taken from the venue

    def maintenance_margin(self, notional_usd: float) -> float:
        return notional_usd * self.mmr - self.maint_amount_usd


@dataclass(frozen=True)
class BracketTable:
    venue: str
    symbol: str
    brackets: tuple[Bracket, ...]
    source: str
    size_unit: str = "USD"  # what floor and cap count: notional USD, or OKX contracts
    contract_value_coin: float | None = None  # OKX: coin per contract

    def size(self, qty_coin: float, price_usd: float) -> float:
        """The position's size in the table's unit: notional USD, or contracts (price-free)."""
        if self.size_unit == "contracts":
            return abs(qty_coin) / self.contract_value_coin
        return abs(qty_coin) * price_usd

    def for_size(self, size: float) -> Bracket:
        """The bracket whose [floor, cap) holds ``size`` (the last one includes its cap)."""
        n = abs(size)
        for b in self.brackets:
            if b.floor <= n < b.cap:
                return b
        last = self.brackets[-1]
        if n <= last.cap:
            return last
        raise BracketError(
            f"{self.venue} {self.symbol}: a position of {n:,.0f} {self.size_unit} is beyond the "
            f"last bracket ({last.cap:,.0f} {self.size_unit})"
        )

    def for_position(self, qty_coin: float, price_usd: float) -> Bracket:
        """The bracket of ``qty_coin`` marked at ``price_usd``."""
        return self.for_size(self.size(qty_coin, price_usd))

    def maintenance_margin(self, qty_coin: float, price_usd: float) -> float:
        """Maintenance margin, USD, of ``qty_coin`` marked at ``price_usd``."""
        return self.for_position(qty_coin, price_usd).maintenance_margin(abs(qty_coin) * price_usd)

    def check_cum_rule(self, tolerance_usd: float = 1.0) -> None:
        """maint_amount_n = maint_amount_(n−1) + floor_n × (mmr_n − mmr_(n−1)): the maintenance
        margin is continuous at every boundary. Raises BracketError naming the bracket. OKX tiers
        (by contracts, no deduction) have no such rule: a tier change is a step."""
        if self.size_unit == "contracts":
            if any(b.maint_amount_usd for b in self.brackets):
                raise BracketError(f"{self.venue} {self.symbol}: OKX tiers have no deduction")
            return
        prev: Bracket | None = None
        for i, b in enumerate(self.brackets, start=1):
            expected = 0.0 if prev is None else prev.maint_amount_usd + b.floor * (b.mmr - prev.mmr)
            if abs(b.maint_amount_usd - expected) > tolerance_usd:
                raise BracketError(
                    f"{self.venue} {self.symbol} bracket {i}: maintenance amount "
                    f"{b.maint_amount_usd:,.2f} breaks the cum rule (expected {expected:,.2f})"
                )
            prev = b


def user_brackets_dir() -> Path:
    from workstation.core.userdirs import user_paths

    return user_paths()["refreshed brackets"]


def _table_from_json(venue: str, data: dict[str, Any], symbol: str, origin: str) -> BracketTable:
    rows = data.get("symbols", {}).get(symbol)
    if rows is None:
        raise BracketError(f"no bracket table for {symbol} (brackets refresh)")
    unit = "contracts" if venue == "okx" else "USD"
    key = "contracts" if venue == "okx" else "usd"
    try:
        brackets = tuple(
            Bracket(
                float(r[f"floor_{key}"]),
                float(r[f"cap_{key}"]),
                float(r["mmr"]),
                float(r.get("maint_amount_usd", 0.0)),
                float(r["max_leverage"]),
                bool(r.get("verified", True)),
            )
            for r in rows
        )
        ct_val = float(rows[0]["contract_value_coin"]) if unit == "contracts" and rows else None
    except (KeyError, TypeError, ValueError) as exc:
        hint = " (OKX tiers are in contracts: brackets refresh)" if unit == "contracts" else ""
        raise BracketError(f"{origin}: malformed bracket row ({exc}){hint}") from None
    if not brackets:
        raise BracketError(f"{origin}: {symbol} has no brackets")
    return BracketTable(
        venue, symbol, brackets, f"{origin} ({data.get('as_of', '?')})", unit, ct_val
    )


_PARSED: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}


def _read_json(path: Path) -> dict[str, Any]:
    """The file's JSON, parsed again only when its size or modification time changed."""
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        cached = _PARSED.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BracketError(f"{path}: not readable bracket data ({exc})") from None
    _PARSED[path] = (stamp, data)
    return data


def load_table(
    venue: str, symbol: str, folder: str | os.PathLike[str] | None = None
) -> BracketTable:
    """The table for ``venue``/``symbol``: a refreshed one from the user data folder if present,
    else the shipped one."""
    if venue not in VENUES:
        raise BracketError(f"unknown venue {venue!r} (expected one of {', '.join(VENUES)})")
    name = f"{venue}.json"
    candidates = (
        [Path(folder) / name] if folder else [user_brackets_dir() / name, shipped_brackets(venue)]
    )
    for path in candidates:
        if path.is_file():
            data = _read_json(path)
            if "universe" in data:  # Hyperliquid's tables are its own meta answer
                return hyperliquid_table(data, symbol, str(path))
            if symbol in data.get("symbols", {}) or path == candidates[-1]:
                return _table_from_json(venue, data, symbol, str(path))
    raise BracketError(f"no bracket data for {venue}")


# --- the venues' own responses -------------------------------------------------------------------
def from_binance(payload: list[dict[str, Any]], symbol: str) -> list[dict[str, Any]]:
    """GET /fapi/v1/leverageBracket -> rows (``brackets`` of the matching symbol)."""
    for entry in payload:
        if entry.get("symbol") == symbol:
            return [
                {
                    "floor_usd": float(b["notionalFloor"]),
                    "cap_usd": float(b["notionalCap"]),
                    "mmr": float(b["maintMarginRatio"]),
                    "maint_amount_usd": float(b["cum"]),
                    "max_leverage": float(b["initialLeverage"]),
                    "verified": True,
                }
                for b in sorted(entry["brackets"], key=lambda b: float(b["notionalFloor"]))
            ]
    raise BracketError(f"binance: the response has no brackets for {symbol}")


def from_hyperliquid(meta: dict[str, Any], symbol: str) -> list[dict[str, Any]]:
    """Hyperliquid's ``meta`` -> rows of desk ``symbol``'s margin table (docs, "Margin tiers"):
    a tier from ``lowerBound`` at ``maxLeverage`` has mmr = 1 / (2 × maxLeverage) and deduction_n
    = deduction_(n−1) + lowerBound_n × (mmr_n − mmr_(n−1)); a ``marginTableId`` below 50 (or none,
    in older answers) is one tier at that leverage (the asset's ``maxLeverage``)."""
    coin = venue_symbol("hyperliquid", symbol)
    asset = next((a for a in meta.get("universe", []) if a.get("name") == coin), None)
    if asset is None:
        raise BracketError(f"hyperliquid: {coin} is not in the meta universe")
    table_id = asset.get("marginTableId")
    if table_id is None or int(table_id) < 50:
        lev = asset["maxLeverage"] if table_id is None else table_id
        tiers = [{"lowerBound": "0", "maxLeverage": lev}]
    else:
        tables = {int(t[0]): t[1] for t in meta.get("marginTables", [])}
        if int(table_id) not in tables:
            raise BracketError(f"hyperliquid: {coin}'s margin table {table_id} is not in meta")
        tiers = tables[int(table_id)]["marginTiers"]
    rows: list[dict[str, Any]] = []
    for i, t in enumerate(tiers):
        floor, lev = float(t["lowerBound"]), float(t["maxLeverage"])
        mmr = 1.0 / (2.0 * lev)
        deduction = rows[-1]["maint_amount_usd"] + floor * (mmr - rows[-1]["mmr"]) if rows else 0.0
        cap = float(tiers[i + 1]["lowerBound"]) if i + 1 < len(tiers) else float("inf")
        rows.append({"floor_usd": floor, "cap_usd": cap, "mmr": mmr,
                     "maint_amount_usd": deduction, "max_leverage": lev})  # fmt: skip
    return rows


def hyperliquid_table(meta: dict[str, Any], symbol: str, origin: str) -> BracketTable:
    """The margin tiers of desk ``symbol`` from a Hyperliquid ``meta`` answer."""
    data = {**meta, "symbols": {symbol: from_hyperliquid(meta, symbol)}}
    return _table_from_json("hyperliquid", data, symbol, origin)


def _continuous(rows: list[tuple[float, float, float, float | None]]) -> list[dict[str, Any]]:
    """(cap, mmr, max_leverage, published deduction or None) sorted by cap -> rows with floors
    and deductions (published, or derived from continuity)."""
    out, floor, prev_mmr, deduction = [], 0.0, None, 0.0
    for cap, mmr, lev, published in rows:
        if prev_mmr is not None:
            deduction += floor * (mmr - prev_mmr)
        out.append(
            {
                "floor_usd": floor,
                "cap_usd": cap,
                "mmr": mmr,
                "maint_amount_usd": published if published is not None else deduction,
                "max_leverage": lev,
                "verified": True,
            }
        )
        floor, prev_mmr = cap, mmr
    return out


def from_bybit(payload: dict[str, Any], symbol: str) -> list[dict[str, Any]]:
    """GET /v5/market/risk-limit?category=linear -> rows. Bybit sends maintenanceMargin as a
    fraction on linear tiers and an empty mmDeduction on the lowest tier."""
    tiers = [t for t in payload["result"]["list"] if t.get("symbol") == symbol]
    if not tiers:
        raise BracketError(f"bybit: the response has no risk limits for {symbol}")
    rows = []
    for t in sorted(tiers, key=lambda t: float(t["riskLimitValue"])):
        ded = t.get("mmDeduction")
        rows.append(
            (
                float(t["riskLimitValue"]),
                float(t["maintenanceMargin"]),
                float(t["maxLeverage"]),
                float(ded) if ded not in (None, "") else None,
            )
        )
    return _continuous(rows)


def from_okx(payload: dict[str, Any], contract_value_coin: float) -> list[dict[str, Any]]:
    """GET /api/v5/public/position-tiers (instType SWAP) -> rows in contracts, as OKX sizes its
    tiers (``minSz``–``maxSz``), with the contract's value in coin; OKX has no deduction."""
    rows, floor = [], 0.0
    for t in sorted(payload["data"], key=lambda t: float(t["maxSz"])):
        cap = float(t["maxSz"])
        rows.append(
            {
                "floor_contracts": floor,
                "cap_contracts": cap,
                "contract_value_coin": contract_value_coin,
                "mmr": float(t["mmr"]),
                "max_leverage": float(t["maxLever"]),
                "verified": True,
            }
        )
        floor = cap
    return rows


def write_user_table(venue: str, symbol: str, rows: list[dict[str, Any]], as_of: str) -> Path:
    """Store a refreshed table in the user data folder (merged with the symbols already there)."""
    folder = user_brackets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{venue}.json"
    data = json.loads(path.read_text()) if path.is_file() else {"venue": venue, "symbols": {}}
    data["symbols"][symbol] = rows
    data["as_of"] = as_of
    data["source"] = f"refreshed from {venue}"
    table = _table_from_json(venue, data, symbol, str(path))
    table.check_cum_rule(tolerance_usd=max(1.0, table.brackets[-1].cap * 1e-9))
    path.write_text(json.dumps(data, indent=1))
    return path
