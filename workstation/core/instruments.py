"""Instrument naming shared by feeds, the simulator and session files."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

# Venues that publish no feed of all liquidations: their liquidation metrics are absent, never 0.
LIQUIDATIONS_NOT_PUBLIC = {"hyperliquid": "not public on this venue"}

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def coin_of(symbol: str) -> str:
    """The base coin of a desk symbol: ``BTCUSDT`` -> ``BTC``."""
    for quote in ("USDT", "USDC", "USD"):
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)]
    return symbol


def venue_symbol(venue: str, symbol: str) -> str:
    """The venue's own name of a desk symbol's perpetual: ``BTCUSDT`` is ``BTC`` on Hyperliquid
    (``1000PEPEUSDT``: ``kPEPE``), ``BTC-USDT-SWAP`` on OKX, ``BTC-PERPETUAL`` on Deribit."""
    coin = coin_of(symbol)
    if venue == "hyperliquid":
        return f"k{coin[4:]}" if coin.startswith("1000") else coin
    if venue == "okx":
        return f"{coin}-USDT-SWAP"
    if venue == "deribit":
        return f"{coin}-PERPETUAL"
    return symbol


def desk_symbol(venue: str, name: str) -> str:
    """A venue's perpetual name -> the desk symbol (the inverse of :func:`venue_symbol` for
    Hyperliquid's coins: ``BTC`` -> ``BTCUSDT``, ``kPEPE`` -> ``1000PEPEUSDT``; other venues'
    names are the desk's). ValueError for an empty name."""
    if not name:
        raise ValueError(f"no {venue} instrument name")
    if venue != "hyperliquid":
        return name
    if name[0] == "k" and name[1:2].isupper():
        return f"1000{name[1:]}USDT"
    return f"{name}USDT"


def liquidations_note(venue: str) -> str:
    """Why a venue's liquidation metrics are absent: not public there, or none received yet."""
    return LIQUIDATIONS_NOT_PUBLIC.get(venue, "none received")


@lru_cache(maxsize=65_536)
def deribit_option_name(coin: str, expiry_ts_ms: int, strike_usd: float, option_type: str) -> str:
    """Deribit's option name, e.g. ``BTC-28MAR25-90000-C`` (expiry date in UTC, 08:00)."""
    d = datetime.fromtimestamp(expiry_ts_ms / 1000, tz=UTC)
    strike = int(strike_usd) if float(strike_usd).is_integer() else strike_usd
    return f"{coin}-{d.day}{_MONTHS[d.month - 1]}{d.year % 100:02d}-{strike}-{option_type}"
