"""A fake exchange for the feed tests: real HTTP and websocket servers on 127.0.0.1 (free ports),
speaking the wire formats of ../shared/payloads, with values from a scripted market path and
faults on demand. Nothing here reaches a real exchange; its loops stop when the test stops it.

Hyperliquid: ``POST /info`` (metaAndAssetCtxs, meta, candleSnapshot, clearinghouseState of the
addresses in ``fake.hl_clearinghouse``) and ``/ws`` (activeAssetCtx and candle subscriptions).

Faults (``fake.faults[venue] = kind``): REST ``timeout`` (no answer for 5 s), ``429`` (with
Retry-After: 1), ``500``, ``malformed`` (a body that is not JSON); websocket ``truncated`` (half a
JSON frame), ``drop`` (the socket is cut), ``refuse`` (connections are refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import websockets

SYMBOL = "BTCUSDT"


# Poll periods (s) for tests: every REST poller within a few seconds against this fake.
FAST_POLLS = {
    "oi": 1.0,
    "long_short": 2.0,
    "quarterly": 2.0,
    "volume": 2.0,
    "okx_mark": 0.5,
    "okx_oi": 1.0,
    "okx_funding": 2.0,
    "okx_liq": 1.0,
    "deribit_chain": 2.0,
    "hyperliquid_ctx": 1.0,
}
HL_FUNDING = "0.0000125"  # Hyperliquid's hourly rate: APR 0.0000125 x 8,760 = 10.95 %
HL_OI_COIN = 31_000.5


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def price_at(ms: int) -> float:
    """The scripted path: 70,000 USD with a 2% swing every two minutes."""
    return round(70_000.0 * (1 + 0.02 * math.sin(2 * math.pi * ms / 120_000)), 2)


def stop_local_servers(loop, ws_server, ws_thread, http, conns=()) -> None:
    """Close a local websocket server (cutting ``conns`` first) and its loop's thread, then the
    HTTP server: every handler cancelled and run to its end, so none is left pending."""

    async def close() -> None:
        for ws in list(conns):
            ws.transport.abort()
        ws_server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ws_server.wait_closed(), 3)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 3)

    asyncio.run_coroutine_threadsafe(close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    ws_thread.join(5)
    loop.close()
    http.shutdown()
    http.server_close()


def venue_urls(http_url: str, ws_url: str) -> dict[str, str]:
    """Every venue's REST and websocket base on one local HTTP and one websocket server."""
    return {
        "binance": http_url,
        "binance_spot": http_url,
        "bybit": http_url,
        "okx": http_url,
        "deribit": http_url,
        "binance_ws": ws_url,
        "bybit_ws": ws_url + "/v5/public/linear",
        "deribit_ws": ws_url + "/ws/api/v2",
        "hyperliquid": http_url,
        "hyperliquid_ws": ws_url + "/ws",
    }


class FakeExchange:
    def __init__(self) -> None:
        self.faults: dict[str, str | None] = {}
        self.hits: dict[str, int] = {}  # per path (Hyperliquid: "/info:<type>")
        self.faults_served: dict[str, int] = {}  # venue -> faulty answers the clients have had
        self.ws_sent: dict[str, int] = {}  # venue -> websocket data messages sent
        self.hl_clearinghouse: dict[str, dict] = {}  # address -> clearinghouseState answer
        self.hl_meta_answer: dict | None = None  # the meta answer (default: hl_meta())
        self.liquidations_sent = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def _send(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._answer(fake.venue_of(url.path), url.path, lambda: fake.rest(url.path, q))

            def do_POST(self) -> None:  # Hyperliquid: POST /info {"type": ...}
                n = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(n) or b"{}")
                except json.JSONDecodeError:
                    return self._send(422, b'"Failed to deserialize the JSON body"')
                path = f"{urlsplit(self.path).path}:{body.get('type')}"
                self._answer("hyperliquid", path, lambda: fake.hl_info(body))

            def _answer(self, venue: str, path: str, body_of) -> None:
                fake.hits[path] = fake.hits.get(path, 0) + 1
                fault = fake.faults.get(venue)
                if fault is not None:
                    fake.served_fault(venue)
                if fault == "timeout":
                    time.sleep(5)
                    return self._send(504, b"{}")
                if fault == "429":
                    return self._send(
                        429, b'{"code":-1003,"msg":"Too many requests"}', {"Retry-After": "1"}
                    )
                if fault == "500":
                    return self._send(503, b'{"msg":"Service Unavailable"}')
                if fault == "malformed":
                    return self._send(200, b'{"symbol": "BTCUSDT", "markPrice": ')
                body = body_of()
                if body is None:
                    return self._send(404, b'{"msg":"not found"}')
                self._send(200, json.dumps(body).encode(), {"X-MBX-USED-WEIGHT-1M": "10"})

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http_url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self._http_thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self._loop = asyncio.new_event_loop()
        self._ws_thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.ws_port = 0
        self._ws_server = None

    def served_fault(self, venue: str) -> None:
        self.faults_served[venue] = self.faults_served.get(venue, 0) + 1

    # --- REST ------------------------------------------------------------------------------
    @staticmethod
    def venue_of(path: str) -> str:
        if path.startswith(("/fapi", "/futures", "/api/v3")):
            return "binance"
        if path.startswith("/v5"):
            return "bybit"
        if path.startswith("/api/v5"):
            return "okx"
        return "deribit"

    def hl_info(self, body: dict) -> object | None:
        """Hyperliquid's ``/info`` answers (the docs' shapes), BTC and ETH listed."""
        t = now_ms()
        px = price_at(t)
        if body.get("type") == "metaAndAssetCtxs":
            return [self.hl_meta(), [self.hl_ctx(px * 0.05), self.hl_ctx(px)]]
        if body.get("type") == "candleSnapshot":
            req = body["req"]
            start = (t // 60_000 - 5) * 60_000
            return [
                {"t": start + i * 60_000, "T": start + i * 60_000 + 59_999, "s": req["coin"],
                 "i": "1m", "o": str(px), "c": str(px), "h": str(px + 10), "l": str(px - 10),
                 "v": "7.25", "n": 100}
                for i in range(6)
            ]  # fmt: skip
        if body.get("type") == "meta":
            return self.hl_meta_answer or self.hl_meta()
        if body.get("type") == "clearinghouseState":
            return self.hl_clearinghouse.get(body.get("user", ""), self.hl_empty_account(t))
        return None

    @staticmethod
    def hl_meta() -> dict:
        return {
            "universe": [
                {"name": "ETH", "szDecimals": 4, "maxLeverage": 25, "marginTableId": 52},
                {"name": "BTC", "szDecimals": 5, "maxLeverage": 40, "marginTableId": 51},
            ],
            "marginTables": [
                [51, {"description": "tiered 40x", "marginTiers": [
                    {"lowerBound": "0.0", "maxLeverage": 40},
                    {"lowerBound": "150000000.0", "maxLeverage": 20}]}],
                [52, {"description": "tiered 25x", "marginTiers": [
                    {"lowerBound": "0.0", "maxLeverage": 25},
                    {"lowerBound": "100000000.0", "maxLeverage": 15}]}],
            ],
        }  # fmt: skip

    @staticmethod
    def hl_ctx(px: float) -> dict:
        return {
            "funding": HL_FUNDING,
            "openInterest": str(HL_OI_COIN),
            "prevDayPx": str(px),
            "dayNtlVlm": str(12_000.0 * px),
            "premium": "0.0002",
            "oraclePx": str(round(px - 3, 2)),
            "markPx": str(px),
            "midPx": None,
            "impactPxs": [str(px - 1), str(px + 1)],
            "dayBaseVlm": "12000.0",
        }

    @staticmethod
    def hl_empty_account(t: int) -> dict:
        zero = {"accountValue": "0.0", "totalMarginUsed": "0.0", "totalNtlPos": "0.0",
                "totalRawUsd": "0.0"}  # fmt: skip
        return {"assetPositions": [], "crossMarginSummary": zero, "marginSummary": zero,
                "crossMaintenanceMarginUsed": "0.0", "withdrawable": "0.0", "time": t}  # fmt: skip

    def rest(self, path: str, q: dict[str, str]) -> object | None:
        t = now_ms()
        px = price_at(t)
        if path == "/fapi/v1/fundingInfo":
            return [
                {"symbol": "BTCUSDT", "fundingIntervalHours": 8, "adjustedFundingRateCap": "0.02"}
            ]
        if path == "/fapi/v1/klines":
            start = (t // 60_000 - 5) * 60_000
            return [
                [
                    start + i * 60_000,
                    str(px),
                    str(px + 10),
                    str(px - 10),
                    str(px),
                    "12.5",
                    start + i * 60_000 + 59_999,
                    "0",
                    1,
                    "0",
                    "0",
                    "0",
                ]
                for i in range(6)
            ]
        if path == "/fapi/v1/openInterest":
            return {"symbol": q["symbol"], "openInterest": "81234.500", "time": t}
        if path == "/futures/data/globalLongShortAccountRatio":
            return [
                {
                    "symbol": q["symbol"],
                    "longShortRatio": "1.8500",
                    "longAccount": "0.6491",
                    "shortAccount": "0.3509",
                    "timestamp": t,
                }
            ]
        if path == "/fapi/v1/premiumIndex":
            return {
                "symbol": q["symbol"],
                "markPrice": str(px * 1.006),
                "indexPrice": str(px),
                "lastFundingRate": "0.0001",
                "nextFundingTime": t + 3_600_000,
                "time": t,
            }
        if path in ("/fapi/v1/ticker/24hr", "/api/v3/ticker/24hr"):
            vol = 150_000.0 if path.startswith("/fapi") else 30_000.0
            return {
                "symbol": q["symbol"],
                "volume": str(vol),
                "quoteVolume": str(vol * px),
                "closeTime": t,
            }
        if path == "/v5/market/tickers":
            return {
                "retCode": 0,
                "time": t,
                "result": {"category": "linear", "list": [self.bybit_ticker(px)]},
            }
        if path == "/api/v5/public/mark-price":
            return {
                "code": "0",
                "data": [
                    {"instId": q["instId"], "instType": "SWAP", "markPx": str(px), "ts": str(t)}
                ],
            }
        if path == "/api/v5/public/open-interest":
            return {
                "code": "0",
                "data": [
                    {
                        "instId": q["instId"],
                        "oi": "5000",
                        "oiCcy": "45000",
                        "oiUsd": str(45000 * px),
                        "ts": str(t),
                    }
                ],
            }
        if path == "/api/v5/public/funding-rate":
            return {
                "code": "0",
                "data": [
                    {
                        "instId": q["instId"],
                        "fundingRate": "0.00012",
                        "fundingTime": str(t),
                        "nextFundingTime": str(t + 8 * 3_600_000),
                    }
                ],
            }
        if path == "/api/v5/public/instruments":
            return {
                "code": "0",
                "data": [{"instId": q["instId"], "instType": "SWAP", "ctVal": "0.01"}],
            }
        if path == "/api/v5/public/liquidation-orders":
            second = t // 1000
            details = [
                {
                    "side": "sell",
                    "posSide": "long",
                    "bkPx": str(price_at((second - k) * 1000)),  # stable: an order does not change
                    "sz": "20",
                    "ts": str((second - k) * 1000),
                }
                for k in range(3)  # the last three seconds: they overlap from one poll to the next
            ]
            return {
                "code": "0",
                "data": [
                    {
                        "instType": "SWAP",
                        "uly": q["uly"],
                        "instId": f"{q['uly']}-SWAP",
                        "details": details,
                    }
                ],
            }
        if path == "/api/v2/public/get_book_summary_by_currency":
            return {"jsonrpc": "2.0", "result": self.chain(px, t)}
        return None

    @staticmethod
    def bybit_ticker(px: float) -> dict:
        return {
            "symbol": SYMBOL,
            "markPrice": str(px),
            "indexPrice": str(px - 5),
            "fundingRate": "0.0001",
            "fundingIntervalHour": "8",
            "nextFundingTime": str(now_ms() + 3_600_000),
            "openInterest": "52000.5",
            "openInterestValue": str(52000.5 * px),
            "volume24h": "90000",
            "turnover24h": str(90000 * px),
        }

    @staticmethod
    def chain(px: float, t: int) -> list[dict]:
        out = []
        for k in range(60_000, 82_000, 2_000):
            for typ in ("P", "C"):
                out.append(
                    {
                        "instrument_name": f"BTC-25DEC26-{k}-{typ}",
                        "mark_iv": 55.0 + (70_000 - k) / 2_000,
                        "underlying_price": px,
                        "creation_timestamp": t,
                    }
                )
        return out

    # --- websockets ------------------------------------------------------------------------
    async def _ws_handler(self, ws) -> None:
        path = ws.request.path
        venue = (
            "binance"
            if path.startswith("/stream")
            else "bybit"
            if path.startswith("/v5")
            else "hyperliquid"
            if path == "/ws"
            else "deribit"
        )
        if self.faults.get(venue) == "refuse":
            self.served_fault(venue)
            await ws.close(1013, "try again later")
            return
        if venue == "hyperliquid":
            await self._hl_ws(ws)
            return
        if venue != "binance":
            await ws.recv()  # the subscription
        sent = 0
        while True:
            fault = self.faults.get(venue)
            t = now_ms()
            px = price_at(t)
            if fault is not None:
                self.served_fault(venue)
            if fault == "drop" or fault == "refuse":
                ws.transport.abort()
                return
            if fault == "truncated":
                await ws.send('{"e": "markPriceUpdate", "E": 1, "s": "BTCU')
                await asyncio.sleep(0.1)
                continue
            if venue == "binance":
                msg = {
                    "stream": "btcusdt@markPrice@1s",
                    "data": {
                        "e": "markPriceUpdate",
                        "E": t,
                        "s": SYMBOL,
                        "p": str(px),
                        "i": str(px - 7),
                        "r": "0.00010000",
                        "T": t + 3_600_000,
                    },
                }
                await ws.send(json.dumps(msg))
                if sent % 10 == 5:
                    self.liquidations_sent += 1
                    await ws.send(
                        json.dumps(
                            {
                                "stream": "!forceOrder@arr",
                                "data": {
                                    "e": "forceOrder",
                                    "E": t,
                                    "o": {
                                        "s": SYMBOL,
                                        "S": "SELL",
                                        "q": "0.500",
                                        "p": str(px),
                                        "ap": str(px),
                                        "X": "FILLED",
                                        "z": "0.500",
                                        "T": t,
                                    },
                                },
                            }
                        )
                    )
            elif venue == "bybit":
                await ws.send(
                    json.dumps(
                        {
                            "topic": f"tickers.{SYMBOL}",
                            "type": "snapshot" if sent == 0 else "delta",
                            "ts": t,
                            "data": self.bybit_ticker(px)
                            if sent == 0
                            else {
                                "symbol": SYMBOL,
                                "markPrice": str(px),
                                "indexPrice": str(px - 5),
                            },
                        }
                    )
                )
            else:
                await ws.send(
                    json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "method": "subscription",
                            "params": {
                                "channel": "deribit_volatility_index.btc_usd",
                                "data": {
                                    "timestamp": t,
                                    "volatility": 52.5,
                                    "index_name": "btc_usd",
                                },
                            },
                        }
                    )
                )
            sent += 1
            self.ws_sent[venue] = self.ws_sent.get(venue, 0) + 1
            await asyncio.sleep(0.2)

    async def _hl_ws(self, ws) -> None:
        """Hyperliquid's ``/ws``: each subscribe is acknowledged; then, every 0.2 s, the asset
        context of each subscribed coin and its open 1-minute candle."""
        subs: list[dict] = []

        async def listen() -> None:
            async for text in ws:
                msg = json.loads(text)
                if msg.get("method") == "ping":
                    await ws.send('{"channel":"pong"}')
                    continue
                subs.append(msg["subscription"])
                await ws.send(json.dumps({"channel": "subscriptionResponse", "data": msg}))

        listener = asyncio.ensure_future(listen())
        try:
            while True:
                fault = self.faults.get("hyperliquid")
                t = now_ms()
                px = price_at(t)
                if fault in ("drop", "refuse"):
                    self.served_fault("hyperliquid")
                    ws.transport.abort()
                    return
                if fault == "truncated":
                    self.served_fault("hyperliquid")
                    await ws.send('{"channel": "activeAssetCtx", "data": {"coin": "BT')
                for sub in list(subs):
                    if fault == "truncated":
                        break
                    if sub["type"] == "activeAssetCtx":
                        data = {"coin": sub["coin"], "ctx": self.hl_ctx(px)}
                    else:
                        start = t // 60_000 * 60_000
                        data = {"t": start, "T": start + 59_999, "s": sub["coin"], "i": "1m",
                                "o": str(px), "c": str(px), "h": str(px + 10),
                                "l": str(px - 10), "v": "7.25", "n": 100}  # fmt: skip
                    await ws.send(json.dumps({"channel": sub["type"], "data": data}))
                    self.ws_sent["hyperliquid"] = self.ws_sent.get("hyperliquid", 0) + 1
                await asyncio.sleep(0.2)
        finally:
            listener.cancel()

    async def _serve(self) -> None:
        self._ws_server = await websockets.serve(self._ws_handler, "127.0.0.1", self.ws_port)
        self.ws_port = self._ws_server.sockets[0].getsockname()[1]

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    def urls(self) -> dict[str, str]:
        return venue_urls(self.http_url, self.ws_url)

    def __enter__(self) -> FakeExchange:
        self._http_thread.start()
        self._ws_thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        stop_local_servers(self._loop, self._ws_server, self._ws_thread, self.http)
