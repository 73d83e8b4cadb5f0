"""A local fake of Binance's signed USD-M account endpoints, for tests: real HTTP on 127.0.0.1,
real signature checks (the tests never reach an exchange)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from local_http import LocalHTTPServer

POSITIONS = [
    {
        "symbol": "BTCUSDT",
        "positionAmt": "0.500",
        "entryPrice": "70000.0",
        "markPrice": "69000.0",
        "unRealizedProfit": "-500.0",
        "liquidationPrice": "56280.41",
        "leverage": "5",
        "marginType": "isolated",
        "isolatedMargin": "6500.0",
        "positionSide": "BOTH",
        "notional": "34500",
    },
    {
        "symbol": "ETHUSDT",
        "positionAmt": "-4.000",
        "entryPrice": "2600.0",
        "markPrice": "2550.0",
        "unRealizedProfit": "200.0",
        "liquidationPrice": "0",
        "leverage": "10",
        "marginType": "cross",
        "isolatedMargin": "0",
        "positionSide": "BOTH",
        "notional": "-10200",
    },
    {
        "symbol": "SOLUSDT",
        "positionAmt": "0",
        "entryPrice": "0.0",
        "markPrice": "120.0",
        "unRealizedProfit": "0",
        "liquidationPrice": "0",
        "leverage": "20",
        "marginType": "cross",
        "isolatedMargin": "0",
        "positionSide": "BOTH",
        "notional": "0",
    },
]
BALANCES = [
    {
        "asset": "USDT",
        "balance": "25000.50",
        "crossWalletBalance": "18500.50",
        "availableBalance": "12000.00",
    },
    {"asset": "BNB", "balance": "0.0", "crossWalletBalance": "0.0", "availableBalance": "0.0"},
]


class FakeBinance(LocalHTTPServer):
    def __init__(self, api_key: str, secret: str, clock_offset_ms: int = 0) -> None:
        self.api_key, self.secret = api_key, secret
        self.clock_offset_ms = clock_offset_ms
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                fake.requests.append(url.path)
                now = time.time_ns() // 1_000_000 + fake.clock_offset_ms
                if url.path == "/fapi/v1/time":
                    return self._send(200, {"serverTime": now})
                if url.path not in ("/fapi/v2/positionRisk", "/fapi/v2/balance"):
                    return self._send(404, {"code": -1, "msg": "not found"})
                if self.headers.get("X-MBX-APIKEY") != fake.api_key:
                    return self._send(
                        401,
                        {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
                    )
                query, _, sig = url.query.rpartition("&signature=")
                expected = hmac.new(
                    fake.secret.encode(), query.encode(), hashlib.sha256
                ).hexdigest()
                if not hmac.compare_digest(sig, expected):
                    return self._send(
                        400, {"code": -1022, "msg": "Signature for this request is not valid."}
                    )
                params = dict(parse_qsl(query))
                if abs(int(params["timestamp"]) - now) > int(params.get("recvWindow", 5000)):
                    return self._send(
                        400,
                        {
                            "code": -1021,
                            "msg": "Timestamp for this request is outside of the recvWindow.",
                        },
                    )
                return self._send(200, POSITIONS if url.path.endswith("positionRisk") else BALANCES)

        super().__init__(Handler)
