"""Binance USD-M wire formats -> event drafts (pure functions; any thread).

REST: ``/fapi/v1/premiumIndex`` (mark, index, funding, next funding), ``/fapi/v1/fundingInfo``
(intervals of the symbols whose interval differs; the others settle every 8 hours),
``/fapi/v1/openInterest`` (coin; USD = coin × the latest mark), ``/fapi/v1/klines`` (1m),
``/futures/data/globalLongShortAccountRatio``, ``/fapi/v1/ticker/24hr`` and spot
``/api/v3/ticker/24hr`` (24h volumes), and the quarterly contract's premiumIndex (``BTCUSDT_260327``)
for the basis. Websocket: ``<symbol>@markPrice@1s``, ``!forceOrder@arr``, ``<symbol>@kline_1m``
(closed bars only).

What it accepts (docs examples of ../shared/payloads, nautilus's fixtures, the recorded
liquidation capture): numbers as strings or as numbers; extra fields (``ap``, ``st`` on
markPrice, ``ps`` on forceOrder) are ignored; ``T`` (next funding) may be absent or 0 (then
unknown); a forceOrder's quantity is the filled ``z`` (else ``q``) at the average ``ap`` (else
``p``), with 8-decimal prices kept as sent. On the combined stream a message is
``{"stream", "data"}`` or the bare event; a subscription answer (``{"result": null, "id": 1}``)
and other event types are ignored; ``data`` that is not an object is a dropped payload. An error
answer (``{"code": -1121, "msg": ...}``) comes with an HTTP 4xx and is a dropped payload.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workstation.core.drafts import EventDraft
from workstation.core.events import (
    Bar1m,
    FuturePrice,
    Liquidation,
    LongShortRatio,
    MarkPrice,
    OpenInterest,
    Volume24h,
)
from workstation.feeds.wire import PayloadError
from workstation.feeds.wire import num as _f

VENUE = "binance"
DEFAULT_INTERVAL_H = 8.0  # Binance: symbols absent from fundingInfo settle every 8 hours


def funding_intervals(payload: list[dict[str, Any]]) -> dict[str, float]:
    """fundingInfo -> {symbol: interval hours}."""
    try:
        return {p["symbol"]: float(p["fundingIntervalHours"]) for p in payload}
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(f"fundingInfo: {exc}") from None


def mark_price(p: dict[str, Any], intervals: dict[str, float]) -> EventDraft:
    """A premiumIndex REST object or a ``markPriceUpdate`` websocket message."""
    ts = int(p.get("E") or p.get("time") or 0)
    symbol = p.get("s") or p.get("symbol")
    if not symbol or not ts:
        raise PayloadError("mark price without symbol or time")
    mark = _f(p, "p" if "p" in p else "markPrice")
    index = _f(p, "i" if "i" in p else "indexPrice")
    rate = _f(p, "r" if "r" in p else "lastFundingRate")
    nxt = int(p.get("T") or p.get("nextFundingTime") or 0) or None
    hours = intervals.get(symbol, DEFAULT_INTERVAL_H)
    return EventDraft.of(
        MarkPrice,
        ts,
        ts,
        VENUE,
        symbol,
        "markPrice",
        mark_price_usd=mark,
        index_price_usd=index,
        funding_rate=rate,
        funding_interval_h=hours,
        next_funding_ts_ms=nxt,
    )


def force_order(msg: dict[str, Any]) -> EventDraft:
    """``forceOrder``: a SELL order liquidates a long; quantity filled, at the average price."""
    o = msg.get("o")
    if not isinstance(o, dict):
        raise PayloadError("forceOrder without 'o'")
    side = {"SELL": "long", "BUY": "short"}.get(o.get("S"))
    if side is None:
        raise PayloadError(f"forceOrder side {o.get('S')!r}")
    qty = _f(o, "z") if float(o.get("z") or 0) > 0 else _f(o, "q")
    price = _f(o, "ap") if float(o.get("ap") or 0) > 0 else _f(o, "p")
    ts = int(o.get("T") or msg.get("E") or 0)
    return EventDraft.of(
        Liquidation,
        ts,
        ts,
        VENUE,
        o["s"],
        "forceOrder",
        side=side,
        qty_coin=qty,
        price_usd=price,
        notional_usd=qty * price,
    )


def kline(msg: dict[str, Any]) -> EventDraft | None:
    """A ``kline`` message: a 1-minute bar once it is closed (``x``), else None."""
    k = msg.get("k") or {}
    if k.get("i") != "1m" or not k.get("x"):
        return None
    return EventDraft.of(
        Bar1m,
        int(k["t"]),
        int(k["T"]) + 1,
        VENUE,
        k["s"],
        "kline_1m",
        open_usd=_f(k, "o"),
        high_usd=_f(k, "h"),
        low_usd=_f(k, "l"),
        close_usd=_f(k, "c"),
        volume_coin=_f(k, "v"),
    )


def klines(rows: list[list[Any]], symbol: str) -> list[EventDraft]:
    """``/fapi/v1/klines?interval=1m`` history (the bars already closed)."""
    out = []
    for r in rows:
        if int(r[6]) - int(r[0]) + 1 != 60_000:
            raise PayloadError("klines: not 1-minute bars")
        o, h, lo, c, v = (float(x) for x in r[1:6])
        out.append(
            EventDraft.of(
                Bar1m, int(r[0]), int(r[6]) + 1, VENUE, symbol, "klines",
                open_usd=o, high_usd=h, low_usd=lo, close_usd=c, volume_coin=v,
            )
        )  # fmt: skip
    return out


def open_interest(p: dict[str, Any], mark_usd: float) -> EventDraft:
    coin = _f(p, "openInterest")
    ts = int(p["time"])
    return EventDraft.of(
        OpenInterest,
        ts,
        ts,
        VENUE,
        p["symbol"],
        "openInterest",
        oi_coin=coin,
        oi_usd=coin * mark_usd,
    )


def long_short(rows: list[dict[str, Any]]) -> list[EventDraft]:
    out = []
    for r in rows:
        ts = int(r["timestamp"])
        out.append(
            EventDraft.of(
                LongShortRatio,
                ts,
                ts,
                VENUE,
                r["symbol"],
                "globalLongShortAccountRatio",
                long_short_ratio=_f(r, "longShortRatio"),
                long_account_frac=_f(r, "longAccount"),
            )
        )
    return out


def expiry_of(symbol: str) -> int:
    """``BTCUSDT_260327`` -> 2026-03-27 08:00 UTC in ms."""
    try:
        d = datetime.strptime(symbol.rsplit("_", 1)[1], "%y%m%d").replace(hour=8, tzinfo=UTC)
    except (IndexError, ValueError):
        raise PayloadError(f"{symbol!r} is not a dated contract") from None
    return int(d.timestamp() * 1000)


def quarterly(p: dict[str, Any], desk_symbol: str) -> EventDraft:
    """The quarterly contract's premiumIndex -> its price and the index, for the basis."""
    ts = int(p["time"])
    return EventDraft.of(
        FuturePrice,
        ts,
        ts,
        VENUE,
        desk_symbol,
        "quarterly",
        future_price_usd=_f(p, "markPrice"),
        index_price_usd=_f(p, "indexPrice"),
        expiry_ts_ms=expiry_of(p["symbol"]),
    )


def volume_24h(p: dict[str, Any], market: str, desk_symbol: str, ts_ms: int) -> EventDraft:
    """``ticker/24hr`` (perp or spot): base-asset volume and quote (USD) volume."""
    return EventDraft.of(
        Volume24h,
        int(p.get("closeTime") or ts_ms),
        ts_ms,
        VENUE,
        desk_symbol,
        f"{market} 24hr",
        market=market,
        volume_coin_24h=_f(p, "volume"),
        volume_usd_24h=_f(p, "quoteVolume"),
    )
