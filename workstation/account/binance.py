"""Read-only account sync from Binance USD-M futures: GET /fapi/v2/positionRisk and
/fapi/v2/balance, signed with HMAC-SHA256 over the query string (timestamp, recvWindow), the
local clock corrected by the server's (GET /fapi/v1/time). A -1021 answer (timestamp outside the
recvWindow) resynchronises the clock and retries once.

TLS is verified (httpx's default); the base URL is configurable for testnets and the tests' local
server. No error, log line or repr carries the secret or the signature. Call from one thread.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from workstation.account.secrets import ApiKeys, key_hint

DEFAULT_URL = "https://fapi.binance.com"


class AccountError(RuntimeError):
    """A failed account call; the message names the endpoint and the venue's answer."""


@dataclass(frozen=True)
class VenuePosition:
    """A position as the venue reports it."""

    symbol: str
    side: str
    qty: float
    entry_usd: float
    mark_usd: float
    leverage: float
    margin_mode: str
    isolated_margin_usd: float
    unrealized_pnl_usd: float
    liquidation_price: float | None  # the venue's own figure


@dataclass(frozen=True)
class VenueBalance:
    asset: str
    wallet: float
    cross_wallet: float
    available: float


def sign(secret: str, query: str) -> str:
    """Binance's signature: hex HMAC-SHA256 of the query string with the secret."""
    return hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()


class BinanceAccount:
    def __init__(
        self,
        keys: ApiKeys,
        base_url: str = DEFAULT_URL,
        *,
        timeout_s: float = 10.0,
        recv_window_ms: int = 5000,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._keys = keys
        self.base_url = base_url.rstrip("/")
        self._recv_window = recv_window_ms
        self._wall_ms = wall_ms
        self.offset_ms = 0
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport)

    def __repr__(self) -> str:
        return f"BinanceAccount({self.base_url!r}, key={key_hint(self._keys.api_key)!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BinanceAccount:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(
        self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            return self._http.get(path, params=params, headers=headers)
        except httpx.TimeoutException:
            raise AccountError(f"binance {path}: no answer within the timeout") from None
        except httpx.HTTPError as exc:
            raise AccountError(f"binance {path}: {type(exc).__name__}") from None

    def sync_time(self) -> int:
        """Measure the server clock's offset from ours (ms); returns it."""
        before = self._wall_ms()
        r = self._get("/fapi/v1/time")
        after = self._wall_ms()
        try:
            server = int(r.json()["serverTime"])
        except (ValueError, KeyError, TypeError):
            raise AccountError(
                f"binance /fapi/v1/time: unexpected answer (HTTP {r.status_code})"
            ) from None
        self.offset_ms = server - (before + after) // 2
        return self.offset_ms

    def _signed(self, path: str, retry: bool = True) -> Any:
        params = {"timestamp": self._wall_ms() + self.offset_ms, "recvWindow": self._recv_window}
        query = urlencode(params)
        query += "&signature=" + sign(self._keys.secret.reveal(), query)
        r = self._get(f"{path}?{query}", headers={"X-MBX-APIKEY": self._keys.api_key})
        try:
            body = r.json()
        except ValueError:
            raise AccountError(f"binance {path}: not JSON (HTTP {r.status_code})") from None
        if r.status_code == 200:
            return body
        code = body.get("code") if isinstance(body, dict) else None
        msg = body.get("msg", "") if isinstance(body, dict) else ""
        if code == -1021 and retry:  # our clock drifted out of the recvWindow
            self.sync_time()
            return self._signed(path, retry=False)
        raise AccountError(f"binance {path}: HTTP {r.status_code}, code {code}: {msg}")

    def positions(self) -> list[VenuePosition]:
        """Open positions (one-way mode; zero-size rows dropped)."""
        out = []
        for p in self._signed("/fapi/v2/positionRisk"):
            amt = float(p["positionAmt"])
            if amt == 0:
                continue
            liq = float(p.get("liquidationPrice") or 0)
            out.append(
                VenuePosition(
                    symbol=p["symbol"],
                    side="long" if amt > 0 else "short",
                    qty=abs(amt),
                    entry_usd=float(p["entryPrice"]),
                    mark_usd=float(p["markPrice"]),
                    leverage=float(p["leverage"]),
                    margin_mode="isolated" if p.get("marginType") == "isolated" else "cross",
                    isolated_margin_usd=float(p.get("isolatedMargin") or 0),
                    unrealized_pnl_usd=float(p.get("unRealizedProfit") or 0),
                    liquidation_price=liq if liq > 0 else None,
                )
            )
        return sorted(out, key=lambda v: v.symbol)

    def leverage_brackets(self) -> list[dict[str, Any]]:
        """GET /fapi/v1/leverageBracket (signed): every symbol's brackets."""
        return self._signed("/fapi/v1/leverageBracket")

    def balances(self) -> list[VenueBalance]:
        return [
            VenueBalance(
                b["asset"],
                float(b["balance"]),
                float(b["crossWalletBalance"]),
                float(b["availableBalance"]),
            )
            for b in self._signed("/fapi/v2/balance")
            if float(b["balance"]) != 0
        ]
