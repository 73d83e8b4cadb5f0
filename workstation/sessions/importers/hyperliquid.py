"""Hyperliquid history: saved ``POST /info`` answers (``fundingHistory``: ``[{"coin",
"fundingRate", "premium", "time"}]``, hourly settled rates, 500 a call; ``candleSnapshot``:
``[{"t", "T", "s", "i", "o", "h", "l", "c", "v", "n"}]``, 1-minute candles, at most 5,000), a JSON
array each, or JSON lines. The rows' parsers are shared with the live adapter
(:mod:`workstation.feeds.hyperliquid`). Symbols: the coin ``BTC`` is ``BTCUSDT``.

Hyperliquid's own historical ``liquidations.csv`` (``time, user, liquidated_ntl_pos,
liquidated_account_value, leverage_type``) names no coin, side or price: it cannot be read as
liquidation events, and the import says so instead of inventing them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workstation.core.events import Bar1m, FundingRate
from workstation.core.instruments import desk_symbol
from workstation.sessions.importers.common import (
    ImportError_,
    ImportReport,
    Row,
    number,
    open_text,
)

VENUE = "hyperliquid"
FUNDING_INTERVAL_H = 1.0  # Hyperliquid settles funding every hour
_LIQ_CSV = "time,user,liquidated_ntl_pos"


def candle_row(c: dict[str, Any], where: str) -> Row:
    """A 1-minute candle -> a bar (final at its close, ``T`` + 1 ms); ValueError/KeyError if not."""
    if c.get("i", "1m") != "1m":
        raise ValueError(f"candle interval {c.get('i')!r}, not 1m")
    t, close_t = int(c["t"]), int(c["T"])
    if close_t - t + 1 != 60_000:
        raise ValueError("not a 1-minute candle")
    return Row.of(
        Bar1m, t, close_t + 1, VENUE, desk_symbol(VENUE, c["s"]), where,
        open_usd=number(c["o"]), high_usd=number(c["h"]), low_usd=number(c["l"]),
        close_usd=number(c["c"]), volume_coin=number(c["v"]),
    )  # fmt: skip


def funding_row(r: dict[str, Any], where: str) -> Row:
    """A ``fundingHistory`` row -> the hourly rate settled at ``time``."""
    ts = int(r["time"])
    return Row.of(
        FundingRate, ts, ts, VENUE, desk_symbol(VENUE, r["coin"]), where,
        funding_rate=number(r["fundingRate"]), funding_interval_h=FUNDING_INTERVAL_H,
    )  # fmt: skip


def _records(text: str, where: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise ImportError_(f"{where}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise ImportError_(f"{where}: expected a JSON array of fundingHistory or candle records")
    return data


def read_info(paths: list[Path], report: ImportReport) -> Iterator[Row]:
    """Saved ``fundingHistory`` and ``candleSnapshot`` answers -> funding rates and bars."""
    for path in paths:
        report.files.append(str(path))
        for where, fh in open_text(path):
            text = fh.read()
            if text.lstrip().startswith(_LIQ_CSV):
                raise ImportError_(
                    f"{where}: Hyperliquid's liquidations.csv has no coin, side or price "
                    "(time, user, liquidated_ntl_pos, liquidated_account_value, leverage_type): "
                    "it cannot be imported as liquidation events"
                )
            data = _records(text, where)
            if "fundingRate" in data[0]:
                parse, what = funding_row, "fundingHistory"
            elif "t" in data[0] and "T" in data[0]:
                parse, what = candle_row, "candle"
            else:
                raise ImportError_(f"{where}: not a fundingHistory or candleSnapshot answer")
            for i, rec in enumerate(data):
                report.rows_read += 1
                at = f"{where}[{i}]"
                try:
                    yield parse(rec, at)
                except (KeyError, TypeError, ValueError) as exc:
                    report.bad(at, f"not a {what} record ({exc})")
