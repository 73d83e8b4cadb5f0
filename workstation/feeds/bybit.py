"""Bybit v5 linear wire formats -> event drafts (pure; the ticker cache belongs to one feed).

``/v5/market/tickers`` and websocket ``tickers.<symbol>`` carry mark, index, funding
(``fundingRate``, ``fundingIntervalHour``, ``nextFundingTime``), open interest (coin, and its USD
value) and 24h volume; the websocket sends a snapshot, then deltas with only what changed, which
:class:`TickerCache` merges. ``allLiquidation.<symbol>``: ``S`` is the side of the liquidated
position (Buy = a long liquidated, per Bybit's documentation; the recorded liquidation capture
agrees: its Buy fills are below the mark). ``/v5/market/open-interest``: coin.

What it accepts (Bybit's docs examples, ccxt's recorded answers, the liquidation capture):
``retCode`` and ``time`` as numbers or strings (ccxt's recorded tickers send ``"0"`` and a
string time); an answer whose ``retCode`` is not 0 is a PayloadError with ``retMsg``; extra
fields (``timestamp``, ``preOpenPrice``, ``curPreListingPhase``...) are ignored; an empty
``fundingRate`` is no rate; a ticker without ``fundingIntervalHour`` (answers of 2024 have none)
keeps its rate with the interval unknown (never guessed: Bybit symbols settle at different intervals); the
websocket's operation answers (``{"op": "subscribe", "success": true}``, pongs) are ignored.
"""

from __future__ import annotations

from typing import Any

from workstation.core.drafts import EventDraft
from workstation.core.events import Liquidation, MarkPrice, OpenInterest, Volume24h
from workstation.feeds.wire import PayloadError
from workstation.feeds.wire import num as _f

VENUE = "bybit"


def ticker_drafts(t: dict[str, Any], ts: int) -> list[EventDraft]:
    """A full linear ticker -> mark/funding, open interest and 24h perp volume."""
    symbol = t.get("symbol")
    if not symbol:
        raise PayloadError("ticker without symbol")
    hours = float(t["fundingIntervalHour"]) if t.get("fundingIntervalHour") else None
    rate = float(t["fundingRate"]) if t.get("fundingRate") not in (None, "") else None
    nxt = int(t["nextFundingTime"]) if t.get("nextFundingTime") else None
    out = [
        EventDraft.of(
            MarkPrice,
            ts,
            ts,
            VENUE,
            symbol,
            "tickers",
            mark_price_usd=_f(t, "markPrice"),
            index_price_usd=_f(t, "indexPrice"),
            funding_rate=rate,
            funding_interval_h=hours,
            next_funding_ts_ms=nxt,
        )
    ]
    if t.get("openInterest"):
        out.append(
            EventDraft.of(
                OpenInterest,
                ts,
                ts,
                VENUE,
                symbol,
                "tickers",
                oi_coin=_f(t, "openInterest"),
                oi_usd=_f(t, "openInterestValue"),
            )
        )
    if t.get("volume24h"):
        out.append(
            EventDraft.of(
                Volume24h,
                ts,
                ts,
                VENUE,
                symbol,
                "tickers",
                market="perp",
                volume_coin_24h=_f(t, "volume24h"),
                volume_usd_24h=_f(t, "turnover24h"),
            )
        )
    return out


class TickerCache:
    """Merges websocket ticker snapshots and deltas per symbol."""

    def __init__(self) -> None:
        self._state: dict[str, dict[str, Any]] = {}

    def update(self, msg: dict[str, Any]) -> list[EventDraft]:
        data = msg.get("data")
        if not isinstance(data, dict) or "symbol" not in data:
            raise PayloadError("tickers message without data.symbol")
        ts = int(msg.get("ts") or 0)
        if msg.get("type") == "snapshot" or data["symbol"] not in self._state:
            self._state[data["symbol"]] = dict(data)
        else:
            self._state[data["symbol"]].update(
                {k: v for k, v in data.items() if v not in (None, "")}
            )
        return ticker_drafts(self._state[data["symbol"]], ts)


def rest_tickers(payload: dict[str, Any]) -> list[EventDraft]:
    """``/v5/market/tickers``; an answer whose ``retCode`` is not 0 is a PayloadError."""
    if str(payload.get("retCode")) != "0":
        raise PayloadError(f"Bybit retCode {payload.get('retCode')!r}: {payload.get('retMsg', '')}")
    ts = int(payload.get("time") or 0)
    out: list[EventDraft] = []
    for t in payload["result"]["list"]:
        out += ticker_drafts(t, ts)
    return out


def all_liquidation(msg: dict[str, Any]) -> list[EventDraft]:
    out = []
    for d in msg.get("data") or []:
        side = {"Buy": "long", "Sell": "short"}.get(d.get("S"))
        if side is None:
            raise PayloadError(f"allLiquidation side {d.get('S')!r}")
        qty, px, ts = _f(d, "v"), _f(d, "p"), int(d["T"])
        out.append(
            EventDraft.of(
                Liquidation,
                ts,
                ts,
                VENUE,
                d["s"],
                "allLiquidation",
                side=side,
                qty_coin=qty,
                price_usd=px,
                notional_usd=qty * px,
            )
        )
    return out


def open_interest(payload: dict[str, Any], symbol: str, mark_usd: float) -> list[EventDraft]:
    out = []
    for row in payload["result"]["list"]:
        coin, ts = _f(row, "openInterest"), int(row["timestamp"])
        out.append(
            EventDraft.of(
                OpenInterest,
                ts,
                ts,
                VENUE,
                symbol,
                "open-interest",
                oi_coin=coin,
                oi_usd=coin * mark_usd,
            )
        )
    return out
