"""The live feeds: every venue's websocket streams and REST pollers on one asyncio thread.

They turn the venues' payloads into event drafts and put them on :attr:`LiveFeeds.queue`
(thread-safe). The engine's thread takes them from there, stamps ``ts_recv_ms`` and ``seq`` at the
moment it consumes them (so a recording is exactly what the engine saw, in that order) and
processes them. Nothing here touches the engine or a widget.

Per venue (the base URLs are configurable, for testnets, proxies and the tests' fake exchange):

- binance: websocket ``<s>@markPrice@1s``, ``<s>@kline_1m``, ``!forceOrder@arr``; REST
  fundingInfo and 1-minute kline history at start, openInterest every 10 s, the global long/short
  account ratio every 5 min, the quarterly contract and 24h volumes (perp and spot) every minute.
- bybit: websocket ``tickers.<s>`` and ``allLiquidation.<s>``; REST tickers at start.
- okx: REST mark price every 5 s, open interest every 10 s, funding every minute, liquidation
  orders every 10 s (each once).
- deribit: REST option book summary every minute; websocket DVOL and, for the instruments in
  ``FeedConfig.deribit_tickers``, their tickers; summaries and tickers update one running chain
  per coin (latest quote per instrument), sent at most once a second when it changed.
- hyperliquid: websocket ``activeAssetCtx`` (mark, oracle as index, hourly funding, OI, day
  volume) and 1-minute ``candle`` per coin, a ``ping`` every 50 s; REST ``POST /info``
  candleSnapshot history at start and metaAndAssetCtxs every 10 s (within the venue's weight
  budget); no liquidations (none public).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websockets

from workstation.core.drafts import EventDraft
from workstation.core.instruments import coin_of
from workstation.feeds import binance, bybit, deribit, hyperliquid, okx
from workstation.feeds.health import HealthBoard
from workstation.feeds.net import RateLimitedLog, RestClient, WeightBudget, WsStream
from workstation.feeds.wire import PayloadError

VENUES = ("binance", "bybit", "okx", "deribit", "hyperliquid")
DEFAULT_URLS = {
    "binance": "https://fapi.binance.com",
    "binance_ws": "wss://fstream.binance.com",
    "binance_spot": "https://api.binance.com",
    "bybit": "https://api.bybit.com",
    "bybit_ws": "wss://stream.bybit.com/v5/public/linear",
    "okx": "https://www.okx.com",
    "deribit": "https://www.deribit.com",
    "deribit_ws": "wss://www.deribit.com/ws/api/v2",
    "hyperliquid": "https://api.hyperliquid.xyz",
    "hyperliquid_ws": "wss://api.hyperliquid.xyz/ws",
}


# seconds between polls (and Hyperliquid's keep-alive ping), per kind of request
DEFAULT_POLL_S: dict[str, float] = {
    "oi": 10.0,
    "long_short": 300.0,
    "quarterly": 60.0,
    "volume": 60.0,
    "okx_mark": 5.0,
    "okx_oi": 10.0,
    "okx_funding": 60.0,
    "okx_liq": 10.0,
    "deribit_chain": 60.0,
    "deribit_tickers": 1.0,
    "hyperliquid_ctx": 10.0,
    "hyperliquid_ping": 50.0,  # it closes a socket that sent nothing for 60 s
}


@dataclass
class FeedConfig:
    """Venues, symbols, URLs and timings of the live feeds. ``poll_s`` overrides
    :data:`DEFAULT_POLL_S` key by key (a key left out keeps its default)."""

    venues: tuple[str, ...] = VENUES
    symbols: tuple[str, ...] = ("BTCUSDT",)
    urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_URLS))
    timeout_s: float = 5.0
    history_minutes: int = 120
    poll_s: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_POLL_S))
    # Deribit option instruments whose ``ticker.<name>.100ms`` channel is subscribed (their quotes
    # join the running chain between book summaries), e.g. ("BTC-27MAR26-60000-P",).
    deribit_tickers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.poll_s = {**DEFAULT_POLL_S, **self.poll_s}


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class LiveFeeds:
    """Start, then read :attr:`queue`; :attr:`health` tells how each venue is doing."""

    def __init__(
        self,
        cfg: FeedConfig,
        *,
        wall_ms: Callable[[], int] = _wall_ms,
        rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.queue: queue.SimpleQueue[EventDraft] = queue.SimpleQueue()
        self.health = HealthBoard()
        self._wall_ms = wall_ms
        self._rng = rng or random.Random()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main_task: asyncio.Task | None = None
        self._thread: threading.Thread | None = None
        self._streams: list[WsStream] = []
        self._clients: list[RestClient] = []
        self._marks: dict[tuple[str, str], float] = {}  # latest mark per venue/symbol (OI in USD)
        self._pingers: set[asyncio.Task] = set()  # Hyperliquid's keep-alive, one per connection
        self.dropped = RateLimitedLog()
        for v in cfg.venues:
            self.health.update(v)

    # --- lifecycle (any thread) -------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="workstation-feeds", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop every stream and poller, close the connections, end the thread."""
        for s in self._streams:
            s.stop()
        if self._loop is not None and self._main_task is not None:
            self._loop.call_soon_threadsafe(self._main_task.cancel)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._main_task = self._loop.create_task(self._main())
            with contextlib.suppress(asyncio.CancelledError):
                self._loop.run_until_complete(self._main_task)
        finally:
            self._loop.close()

    async def _main(self) -> None:
        tasks = [
            asyncio.ensure_future(t)
            for venue in self.cfg.venues
            for t in getattr(self, f"_{venue}")()
        ]
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            pass
        finally:
            for t in (*tasks, *self._pingers):
                t.cancel()
            await asyncio.gather(*tasks, *self._pingers, return_exceptions=True)
            await asyncio.gather(*(c.close() for c in self._clients), return_exceptions=True)

    # --- helpers ----------------------------------------------------------------------------
    def _put(self, drafts: Iterable[EventDraft | None]) -> None:
        for d in drafts:
            if d is None:
                continue
            if d.cls.KIND == "mark_price":
                self._marks[(d.venue, d.symbol)] = d.value("mark_price_usd")
            self.queue.put(d)

    def _bad(self, venue: str, what: str, exc: Exception) -> None:
        self.health.bump(venue, "dropped_payloads")
        self.dropped.warn(f"{venue}:{what}", f"{venue} {what}: dropped a payload ({exc})")

    def _client(
        self, venue: str, key: str | None = None, budget: WeightBudget | None = None
    ) -> RestClient:
        c = RestClient(
            venue,
            self.cfg.urls[key or venue],
            self.health,
            timeout_s=self.cfg.timeout_s,
            rng=self._rng,
            budget=budget,
        )
        self._clients.append(c)
        return c

    def _stream(
        self, venue: str, url: str, on_text: Callable[[str], None], subscribe=None
    ) -> asyncio.Task:
        s = WsStream(
            venue,
            url,
            self.health,
            on_text,
            subscribe,
            rng=self._rng,
            open_timeout_s=self.cfg.timeout_s,
        )
        self._streams.append(s)
        return asyncio.ensure_future(s.run())

    async def _poll(
        self, venue: str, client: RestClient, every_s: float, fn: Callable[[], Any]
    ) -> None:
        """Call ``await fn()`` every ``every_s`` (plus the client's slowdown); errors are counted
        and logged at a limited rate, never raised (an answer of another shape than the parser
        reads is a dropped payload, not the end of the poller)."""
        while True:
            try:
                await fn()
                self.health.update(venue, last_message_ms=self._wall_ms(), connected=True)
            except (PayloadError, KeyError, TypeError, ValueError) as exc:  # a field missing, a
                self._bad(venue, "REST", exc)  # number that is none: this answer only
            except ConnectionError as exc:
                self.health.update(venue, connected=False, last_error=str(exc))
            await asyncio.sleep(every_s + client.slowdown_s)

    def _texts(
        self, venue: str, handler: Callable[[Any], Iterable[EventDraft | None]]
    ) -> Callable[[str], None]:
        def on_text(text: str) -> None:
            try:
                msg = json.loads(text)
            except json.JSONDecodeError as exc:
                self._bad(venue, "websocket", ValueError(f"not JSON: {exc.msg}"))
                return
            try:
                if not isinstance(msg, dict):
                    raise PayloadError(f"a JSON {type(msg).__name__}, not an object")
                self._put(handler(msg))
            except (PayloadError, KeyError, TypeError, ValueError) as exc:
                self._bad(venue, "websocket", exc)
                return
            self.health.update(venue, connected=True)  # connected: a valid message came

        return on_text

    # --- venues ------------------------------------------------------------------------------
    def _binance(self) -> list[asyncio.Task | Any]:
        rest, spot = self._client("binance"), self._client("binance", "binance_spot")
        symbols = set(self.cfg.symbols)
        intervals: dict[str, float] = {}
        streams = "/".join(
            [f"{s.lower()}@markPrice@1s" for s in symbols]
            + [f"{s.lower()}@kline_1m" for s in symbols]
            + ["!forceOrder@arr"]
        )

        def handle(msg: dict[str, Any]) -> list[EventDraft | None]:
            data = msg.get("data", msg)
            if not isinstance(data, dict):
                raise PayloadError(f"stream {msg.get('stream')!r}: data is not an object")
            kind = data.get("e")
            if kind == "markPriceUpdate":
                return [binance.mark_price(data, intervals)]
            if kind == "forceOrder":
                return [binance.force_order(data)] if data.get("o", {}).get("s") in symbols else []
            if kind == "kline":
                return [binance.kline(data)]
            return []

        async def start() -> None:
            with contextlib.suppress(PayloadError, ConnectionError):
                intervals.update(
                    binance.funding_intervals(await rest.get_json("/fapi/v1/fundingInfo"))
                )
            for s in sorted(symbols):
                with contextlib.suppress(PayloadError, ConnectionError):
                    rows = await rest.get_json(
                        "/fapi/v1/klines",
                        {"symbol": s, "interval": "1m", "limit": self.cfg.history_minutes},
                    )
                    self._put(binance.klines(rows[:-1], s))  # the last bar is still open

        async def oi() -> None:
            for s in sorted(symbols):
                mark = self._marks.get(("binance", s))
                if mark is not None:
                    self._put(
                        [
                            binance.open_interest(
                                await rest.get_json("/fapi/v1/openInterest", {"symbol": s}), mark
                            )
                        ]
                    )

        async def long_short() -> None:
            for s in sorted(symbols):
                self._put(
                    binance.long_short(
                        await rest.get_json(
                            "/futures/data/globalLongShortAccountRatio",
                            {"symbol": s, "period": "5m", "limit": 1},
                        )
                    )
                )

        async def quarterly() -> None:
            from workstation.sessions.simulator import quarterly_expiry

            exp = datetime.fromtimestamp(quarterly_expiry(self._wall_ms()) / 1000, tz=UTC)
            for s in sorted(symbols):
                p = await rest.get_json("/fapi/v1/premiumIndex", {"symbol": f"{s}_{exp:%y%m%d}"})
                self._put([binance.quarterly(p, s)])

        async def volume() -> None:
            now = self._wall_ms()
            for s in sorted(symbols):
                self._put(
                    [
                        binance.volume_24h(
                            await rest.get_json("/fapi/v1/ticker/24hr", {"symbol": s}),
                            "perp",
                            s,
                            now,
                        )
                    ]
                )
                self._put(
                    [
                        binance.volume_24h(
                            await spot.get_json("/api/v3/ticker/24hr", {"symbol": s}),
                            "spot",
                            s,
                            now,
                        )
                    ]
                )

        p = self.cfg.poll_s

        async def run_all() -> None:
            await start()
            await asyncio.gather(
                self._poll("binance", rest, p["oi"], oi),
                self._poll("binance", rest, p["long_short"], long_short),
                self._poll("binance", rest, p["quarterly"], quarterly),
                self._poll("binance", spot, p["volume"], volume),
            )

        url = self.cfg.urls["binance_ws"].rstrip("/") + "/stream?streams=" + streams
        return [self._stream("binance", url, self._texts("binance", handle)), run_all()]

    def _bybit(self) -> list[asyncio.Task | Any]:
        rest = self._client("bybit")
        cache = bybit.TickerCache()
        symbols = sorted(self.cfg.symbols)

        def handle(msg: dict[str, Any]) -> list[EventDraft]:
            topic = str(msg.get("topic", ""))
            if topic.startswith("tickers."):
                return cache.update(msg)
            if topic.startswith("allLiquidation."):
                return bybit.all_liquidation(msg)
            return []  # op acknowledgements, pongs

        async def subscribe(ws) -> None:
            args = [f"tickers.{s}" for s in symbols] + [f"allLiquidation.{s}" for s in symbols]
            await ws.send(json.dumps({"op": "subscribe", "args": args}))

        async def start() -> None:
            for s in symbols:
                try:
                    self._put(
                        bybit.rest_tickers(
                            await rest.get_json(
                                "/v5/market/tickers", {"category": "linear", "symbol": s}
                            )
                        )
                    )
                except (PayloadError, KeyError, TypeError, ValueError) as exc:
                    self._bad("bybit", "REST", exc)
                except ConnectionError:
                    pass  # counted by the client; the websocket carries the tickers

        return [
            self._stream(
                "bybit", self.cfg.urls["bybit_ws"], self._texts("bybit", handle), subscribe
            ),
            start(),
        ]

    def _okx(self) -> list[Any]:
        rest = self._client("okx")
        insts = [f"{coin_of(s)}-USDT-SWAP" for s in sorted(self.cfg.symbols)]

        def each(path: str, parse: Callable[[Any], list[EventDraft]]) -> Callable[[], Any]:
            async def fn() -> None:
                for inst in insts:
                    self._put(
                        parse(await rest.get_json(path, {"instId": inst, "instType": "SWAP"}))
                    )

            return fn

        ct_val: dict[str, float] = {}
        seen: set[tuple] = set()

        async def liquidations() -> None:
            if not ct_val:
                for inst in insts:
                    spec = await rest.get_json(
                        "/api/v5/public/instruments", {"instType": "SWAP", "instId": inst}
                    )
                    ct_val.update(okx.contract_value(spec))
            for inst in insts:
                payload = await rest.get_json(
                    "/api/v5/public/liquidation-orders",
                    {"instType": "SWAP", "uly": inst[:-5], "state": "filled"},
                )
                fresh = []
                for d in okx.liquidation_orders(
                    payload, ct_val
                ):  # each poll returns recent history
                    key = (d.ts_event_ms, d.fields)
                    if key not in seen:
                        seen.add(key)
                        fresh.append(d)
                self._put(sorted(fresh, key=lambda d: d.ts_event_ms))
                now = self._wall_ms()  # the poll answered: quiet is now known, not assumed
                self._put([okx.alive(now, inst, "liquidation-orders", "liquidations")])
            if len(seen) > 10_000:
                seen.clear()

        p = self.cfg.poll_s
        return [
            self._poll("okx", rest, p.get("okx_liq", 10.0), liquidations),
            self._poll(
                "okx", rest, p["okx_mark"], each("/api/v5/public/mark-price", okx.mark_price)
            ),
            self._poll(
                "okx", rest, p["okx_oi"], each("/api/v5/public/open-interest", okx.open_interest)
            ),
            self._poll(
                "okx",
                rest,
                p["okx_funding"],
                each("/api/v5/public/funding-rate", lambda d: okx.funding_rate(d, self._wall_ms())),
            ),
        ]

    def _deribit(self) -> list[Any]:
        rest = self._client("deribit")
        coins = sorted({coin_of(s) for s in self.cfg.symbols} & {"BTC", "ETH"})
        running = deribit.TickerChains()
        p = self.cfg.poll_s

        async def chains() -> None:
            for coin in coins:
                payload = await rest.get_json(
                    "/api/v2/public/get_book_summary_by_currency",
                    {"currency": coin, "kind": "option"},
                )
                running.summary(payload, self._wall_ms())
            self._put(running.drafts())

        async def ticker_chains() -> None:
            while True:  # not a _poll: sending what arrived is no sign of the venue's health
                await asyncio.sleep(p.get("deribit_tickers", 1.0))
                self._put(running.drafts())

        def handle(msg: dict[str, Any]) -> list[EventDraft]:
            if isinstance(msg.get("error"), dict):  # e.g. a subscription refused
                err = msg["error"]
                raise PayloadError(f"Deribit error {err.get('code')}: {err.get('message', '')}")
            channel = str((msg.get("params") or {}).get("channel", ""))
            if channel.startswith("ticker."):
                running.ticker(msg)  # the chain goes out with the next ticker_chains()
                return []
            if channel.startswith("deribit_volatility_index."):
                return [deribit.volatility_index(msg)]
            return []  # subscription acknowledgements, heartbeats, book and trades channels

        async def subscribe(ws) -> None:
            channels = [f"deribit_volatility_index.{c.lower()}_usd" for c in coins] + [
                f"ticker.{name}.100ms" for name in self.cfg.deribit_tickers
            ]
            await ws.send(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "public/subscribe",
                        "params": {"channels": channels},
                    }
                )
            )

        return [
            self._stream(
                "deribit", self.cfg.urls["deribit_ws"], self._texts("deribit", handle), subscribe
            ),
            self._poll("deribit", rest, p["deribit_chain"], chains),
            ticker_chains(),
        ]

    def _hyperliquid(self) -> list[Any]:
        hl = hyperliquid
        rest = self._client("hyperliquid", budget=WeightBudget(hl.WEIGHT_LIMIT_1M))
        coins = sorted({hl.coin(s) for s in self.cfg.symbols})
        closer = hl.CandleCloser()

        def handle(msg: dict[str, Any]) -> list[EventDraft]:
            return hl.ws_message(msg, closer, self._wall_ms())

        async def ping(ws) -> None:
            with contextlib.suppress(websockets.exceptions.ConnectionClosed):
                while True:
                    await asyncio.sleep(self.cfg.poll_s["hyperliquid_ping"])
                    await ws.send('{"method": "ping"}')  # answered {"channel": "pong"}

        async def subscribe(ws) -> None:
            for m in hl.subscriptions(coins):
                await ws.send(json.dumps(m))
            task = asyncio.ensure_future(ping(ws))  # ends with its connection
            self._pingers.add(task)
            task.add_done_callback(self._pingers.discard)

        async def info(body: dict[str, Any], items: int = 0) -> Any:
            return await rest.post_json("/info", body, hl.weight(body["type"], items))

        async def history() -> None:
            now = self._wall_ms()
            for c in coins:
                try:
                    req = {"coin": c, "interval": "1m", "startTime": now - 60_000 *
                           self.cfg.history_minutes, "endTime": now}  # fmt: skip
                    bars = hl.candle_snapshot(
                        await info(
                            {"type": "candleSnapshot", "req": req}, self.cfg.history_minutes
                        ),
                        now,
                    )
                    if bars:
                        closer.after_ms[bars[-1].symbol] = bars[-1].ts_event_ms
                    self._put(bars)
                except (PayloadError, KeyError, TypeError, ValueError) as exc:
                    self._bad("hyperliquid", "REST", exc)
                except ConnectionError:
                    pass  # counted by the client; the websocket carries the candles from now

        async def contexts() -> None:
            payload = await info({"type": "metaAndAssetCtxs"})
            self._put(hl.meta_and_asset_ctxs(payload, set(coins), self._wall_ms()))

        async def run_all() -> None:
            await history()
            await self._poll("hyperliquid", rest, self.cfg.poll_s["hyperliquid_ctx"], contexts)

        return [
            self._stream(
                "hyperliquid",
                self.cfg.urls["hyperliquid_ws"],
                self._texts("hyperliquid", handle),
                subscribe,
            ),
            run_all(),
        ]
