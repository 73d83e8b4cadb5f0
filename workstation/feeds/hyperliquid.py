"""Hyperliquid wire formats -> event drafts (pure, except :class:`CandleCloser`, which one feed
owns). Everything is ``POST /info`` with a JSON body naming its ``type``, and the ``/ws``
websocket; no key.

REST (``/info``, Hyperliquid's API docs, "Info endpoint > Perpetuals"):

- ``{"type": "metaAndAssetCtxs"}`` -> ``[meta, ctxs]``: ``meta.universe[i].name`` is the coin of
  ``ctxs[i]`` (same order; the contexts carry no name); a context has ``markPx``, ``oraclePx``
  (the index), ``funding`` (the current hourly rate, a fraction), ``openInterest`` (coin),
  ``dayNtlVlm`` (USD) and ``dayBaseVlm`` (coin); ``midPx`` may be null. ``meta`` also holds
  ``maxLeverage`` per asset and the ``marginTables`` (:mod:`workstation.risk.hyperliquid_margin`).
- ``{"type": "candleSnapshot", "req": {"coin", "interval": "1m", "startTime", "endTime"}}`` ->
  candles ``{"t", "T", "s", "i", "o", "h", "l", "c", "v", "n"}`` (open and close time ms, coin,
  interval, prices as strings, ``v`` base volume); at most 5,000, the last one still open.
- ``{"type": "fundingHistory", "coin", "startTime"}`` -> ``[{"coin", "fundingRate", "premium",
  "time"}]`` settled hourly rates, 500 per call (``workstation import hyperliquid`` reads them).

Websocket: ``{"method": "subscribe", "subscription": {"type": "activeAssetCtx", "coin"}}`` pushes
``{"channel": "activeAssetCtx", "data": {"coin", "ctx": {...}}}`` (a context as above, with no
time: the receive time stands), ``{"type": "candle", "coin", "interval": "1m"}`` pushes the open
candle as it changes (:class:`CandleCloser` sends a bar when the next minute's candle arrives).
``subscriptionResponse``, ``pong`` and other channels (``trades``, ``l2Book``, ``allMids``) are
ignored; ``{"channel": "error", "data": "..."}`` is a PayloadError with the venue's words.

Funding settles every hour (APR = rate × 8,760; 8h-equivalent = rate × 8), at the top of the
hour. There is no public feed of all liquidations (``core.instruments.LIQUIDATIONS_NOT_PUBLIC``): the
adapter sends none,
and the metrics leave them absent, never zero.

Rate limits (docs, "Rate limits and user limits"): 1,200 weight per minute per IP; ``/info``
``clearinghouseState``, ``l2Book``, ``allMids`` weigh 2, the other reads 20, plus 1 per 20 items
``fundingHistory`` returns and 1 per 60 candles; at most 1,000 websocket subscriptions.

Symbols: the coin ``BTC`` is the desk's ``BTCUSDT`` (Hyperliquid settles in USDC, taken as USD
like USDT); ``kPEPE`` (1,000 PEPE) is ``1000PEPEUSDT``, as Binance names it.
"""

from __future__ import annotations

from typing import Any

from workstation.core import instruments
from workstation.core.drafts import EventDraft
from workstation.core.events import MarkPrice, OpenInterest, Volume24h
from workstation.feeds.wire import PayloadError
from workstation.feeds.wire import num as _f
from workstation.sessions.importers.hyperliquid import FUNDING_INTERVAL_H, candle_row

VENUE = "hyperliquid"
HOUR_MS = 3_600_000
WEIGHT_LIMIT_1M = 1200
MAX_WS_SUBSCRIPTIONS = 1000
_LIGHT = {"clearinghouseState", "l2Book", "allMids", "orderStatus", "spotClearinghouseState",
          "exchangeStatus"}  # fmt: skip
_PER_20 = {"fundingHistory", "recentTrades", "userFills", "userFunding"}


def desk_symbol(coin_name: str) -> str:
    """``BTC`` -> ``BTCUSDT``; ``kPEPE`` -> ``1000PEPEUSDT``."""
    try:
        return instruments.desk_symbol(VENUE, coin_name)
    except ValueError as exc:
        raise PayloadError(str(exc)) from None


def coin(symbol: str) -> str:
    """The venue's name of a desk symbol: ``BTCUSDT`` -> ``BTC``; ``1000PEPEUSDT`` -> ``kPEPE``."""
    return instruments.venue_symbol(VENUE, symbol)


def weight(request_type: str, items: int = 0) -> int:
    """The documented rate-limit weight of an ``/info`` request returning ``items`` rows."""
    if request_type in _LIGHT:
        return 2
    extra = items // 20 if request_type in _PER_20 else 0
    if request_type == "candleSnapshot":
        extra = items // 60
    return 20 + extra


def next_funding_ms(ts_ms: int) -> int:
    """The next top of the hour after ``ts_ms`` (Hyperliquid settles funding hourly)."""
    return (ts_ms // HOUR_MS + 1) * HOUR_MS


def ctx_drafts(coin_name: str, ctx: dict[str, Any], ts_ms: int, where: str) -> list[EventDraft]:
    """One asset context -> mark (oracle as the index, the hourly funding), OI, day volume."""
    if not isinstance(ctx, dict):
        raise PayloadError(f"{coin_name}: asset context is not an object")
    symbol = desk_symbol(coin_name)
    mark = _f(ctx, "markPx")
    oi = _f(ctx, "openInterest")
    out = [
        EventDraft.of(
            MarkPrice, ts_ms, ts_ms, VENUE, symbol, where,
            mark_price_usd=mark,
            index_price_usd=_f(ctx, "oraclePx"),
            funding_rate=_f(ctx, "funding"),
            funding_interval_h=FUNDING_INTERVAL_H,
            next_funding_ts_ms=next_funding_ms(ts_ms),
        ),
        EventDraft.of(
            OpenInterest, ts_ms, ts_ms, VENUE, symbol, where, oi_coin=oi, oi_usd=oi * mark
        ),
    ]  # fmt: skip
    if ctx.get("dayBaseVlm") is not None:
        out.append(
            EventDraft.of(
                Volume24h, ts_ms, ts_ms, VENUE, symbol, where,
                market="perp",
                volume_coin_24h=_f(ctx, "dayBaseVlm"),
                volume_usd_24h=_f(ctx, "dayNtlVlm"),
            )
        )  # fmt: skip
    return out


def meta_and_asset_ctxs(payload: Any, coins: set[str], ts_ms: int) -> list[EventDraft]:
    """``metaAndAssetCtxs`` -> drafts for ``coins`` (venue names), at the poll's time."""
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], dict)):
        raise PayloadError("metaAndAssetCtxs: not [meta, assetCtxs]")
    universe, ctxs = payload[0].get("universe"), payload[1]
    if not isinstance(universe, list) or not isinstance(ctxs, list) or len(universe) != len(ctxs):
        raise PayloadError("metaAndAssetCtxs: universe and contexts do not match")
    out: list[EventDraft] = []
    for asset, ctx in zip(universe, ctxs, strict=True):
        if asset.get("name") in coins:
            out += ctx_drafts(asset["name"], ctx, ts_ms, "metaAndAssetCtxs")
    return out


def candle_snapshot(rows: Any, now_ms: int) -> list[EventDraft]:
    """``candleSnapshot`` (1m) -> the bars closed by ``now_ms`` (the open one is left out)."""
    if not isinstance(rows, list):
        raise PayloadError("candleSnapshot: not a list")
    return [candle_row(c, "candleSnapshot") for c in rows if int(c["T"]) < now_ms]


class CandleCloser:
    """The websocket's ``candle`` pushes (the open candle, again and again) -> closed bars: the
    latest push of a minute is sent when the next minute's first arrives. Bars at or before
    ``after_ms[desk symbol]`` (the history already sent) are not sent again. The feed thread only."""

    def __init__(self) -> None:
        self._open: dict[str, dict[str, Any]] = {}
        self.after_ms: dict[str, int] = {}

    def update(self, c: dict[str, Any]) -> list[EventDraft]:
        if not isinstance(c, dict) or "s" not in c or "t" not in c:
            raise PayloadError("candle without s or t")
        prev = self._open.get(c["s"])
        self._open[c["s"]] = c
        if prev is None or int(prev["t"]) >= int(c["t"]):
            return []
        if int(prev["t"]) <= self.after_ms.get(desk_symbol(c["s"]), -1):
            return []
        return [candle_row(prev, "candle")]


def ws_message(msg: dict[str, Any], closer: CandleCloser, ts_ms: int) -> list[EventDraft]:
    """One websocket message -> drafts (``ts_ms``: the receive time, for contexts)."""
    channel = msg.get("channel")
    data = msg.get("data")
    if channel == "activeAssetCtx":
        if not isinstance(data, dict) or "coin" not in data:
            raise PayloadError("activeAssetCtx without data.coin")
        return ctx_drafts(data["coin"], data.get("ctx"), ts_ms, "activeAssetCtx")
    if channel == "candle":
        return closer.update(data)
    if channel == "error":
        raise PayloadError(f"Hyperliquid error: {data}")
    return []  # subscriptionResponse, pong, trades, l2Book, allMids


def subscriptions(coins: list[str]) -> list[dict[str, Any]]:
    """The subscribe messages for ``coins``: their asset context and 1-minute candles."""
    subs = [{"type": "activeAssetCtx", "coin": c} for c in coins] + [
        {"type": "candle", "coin": c, "interval": "1m"} for c in coins
    ]
    if len(subs) > MAX_WS_SUBSCRIPTIONS:
        raise ValueError(f"{len(subs)} Hyperliquid subscriptions: at most {MAX_WS_SUBSCRIPTIONS}")
    return [{"method": "subscribe", "subscription": s} for s in subs]
