"""Network plumbing of the feeds, run on the feed thread's asyncio loop.

:class:`RestClient`: every GET or POST has a timeout; a failure (timeout, connection error, HTTP 5xx) is
retried with exponential backoff and jitter; HTTP 429 and 418 honour ``Retry-After`` and slow the
venue's pollers down (the delay decays again after successes); Binance's
``X-MBX-USED-WEIGHT-1M`` header above 80% of the limit makes the pollers wait for the next minute.
A body that is not JSON raises :class:`PayloadError` (logged by the caller, dropped).
:class:`WeightBudget`: a venue's documented weight per minute (Hyperliquid's ``/info``), waited
for before each POST.

:class:`WsStream`: connects, subscribes, hands each text frame to a handler, and reconnects with
backoff (resubscribing) when the socket drops, times out on ping/pong, or is refused. A close by
the venue (Binance closes every 24 h) is routine: counted, not an error.

TLS certificates are always verified (httpx and websockets defaults).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import websockets

from workstation.feeds.health import HealthBoard
from workstation.feeds.wire import PayloadError

log = logging.getLogger("workstation.feeds")
WEIGHT_LIMIT_1M = 2400


class RateLimitedLog:
    """At most one log line per ``every_s`` per kind of problem; the rest are counted."""

    def __init__(self, every_s: float = 10.0) -> None:
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self.suppressed: dict[str, int] = {}

    def warn(self, kind: str, message: str) -> None:
        now = time.monotonic()
        if now - self._last.get(kind, -1e9) >= self.every_s:
            n = self.suppressed.pop(kind, 0)
            log.warning("%s%s", message, f" ({n} more like it suppressed)" if n else "")
            self._last[kind] = now
        else:
            self.suppressed[kind] = self.suppressed.get(kind, 0) + 1


class WeightBudget:
    """A venue's request weight per rolling minute (Hyperliquid: 1200 per IP, ``/info`` reads
    weigh 2 or 20): :meth:`take` waits until the weight of the last 60 s plus the new request
    stays within ``share`` of the limit (the rest is left to other clients on the same IP).
    The feed thread's loop only; ``clock_s`` and ``sleep`` are injectable for tests."""

    def __init__(
        self,
        limit_per_min: int,
        share: float = 0.8,
        *,
        clock_s: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.allowed = limit_per_min * share
        self._clock, self._sleep = clock_s, sleep
        self._spent: deque[tuple[float, int]] = deque()  # (time s, weight)

    def used(self) -> int:
        """The weight spent over the last 60 s."""
        cutoff = self._clock() - 60.0
        while self._spent and self._spent[0][0] <= cutoff:
            self._spent.popleft()
        return sum(w for _, w in self._spent)

    async def take(self, weight: int) -> None:
        while self._spent and self.used() + weight > self.allowed:
            await self._sleep(self._spent[0][0] + 60.0 - self._clock())
        self._spent.append((self._clock(), weight))


class RestClient:
    def __init__(
        self,
        venue: str,
        base_url: str,
        health: HealthBoard,
        *,
        timeout_s: float = 5.0,
        max_retries: int = 4,
        backoff_s: float = 0.5,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        budget: WeightBudget | None = None,
    ) -> None:
        self.venue = venue
        self.budget = budget
        self.health = health
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._rng = rng or random.Random()
        self._sleep = sleep
        self.slowdown_s = 0.0  # added to every poll interval while the venue pushes back
        self.log = RateLimitedLog()

    async def close(self) -> None:
        await self._http.aclose()

    def _delay(self, attempt: int) -> float:
        return self._backoff_s * (2**attempt) * (0.5 + self._rng.random())

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self._request("GET", path, params=params)

    async def post_json(self, path: str, body: dict[str, Any], weight: int = 1) -> Any:
        """POST ``body`` as JSON (Hyperliquid's ``/info``); with a :class:`WeightBudget`, first
        wait until ``weight`` fits in the venue's per-minute limit."""
        if self.budget is not None:
            await self.budget.take(weight)
        return await self._request("POST", path, body=body)

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        last = ""
        for attempt in range(self._max_retries + 1):
            try:
                r = await self._http.request(method, path, params=params, json=body)
            except httpx.TimeoutException:
                last = "timeout"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            else:
                if r.status_code in (429, 418):
                    wait = float(r.headers.get("Retry-After") or 1.0)
                    self.slowdown_s = min(600.0, max(self.slowdown_s, wait))  # what the venue asks
                    self.health.update(
                        self.venue,
                        rest_backoff_s=self.slowdown_s,
                        last_error=f"{path}: HTTP {r.status_code}",
                    )
                    self.health.bump(self.venue, "errors")
                    self.log.warn(
                        f"{path}:{r.status_code}",
                        f"{self.venue} {path}: HTTP {r.status_code}, waiting {wait:g} s",
                    )
                    await self._sleep(wait)
                    continue
                if r.status_code >= 500:
                    last = f"HTTP {r.status_code}"
                else:
                    used = r.headers.get("X-MBX-USED-WEIGHT-1M")
                    if used and int(used) > 0.8 * WEIGHT_LIMIT_1M:
                        self.slowdown_s = max(self.slowdown_s, 60 - time.time() % 60)
                    elif self.slowdown_s:
                        self.slowdown_s = self.slowdown_s / 2 if self.slowdown_s > 0.5 else 0.0
                    self.health.update(self.venue, rest_backoff_s=self.slowdown_s)
                    if r.status_code >= 400:
                        raise PayloadError(f"{self.venue} {path}: HTTP {r.status_code}")
                    try:
                        return r.json()
                    except json.JSONDecodeError:
                        raise PayloadError(f"{self.venue} {path}: the body is not JSON") from None
            self.health.bump(self.venue, "errors")
            self.health.update(self.venue, last_error=f"{path}: {last}")
            if attempt < self._max_retries:
                await self._sleep(self._delay(attempt))
        raise ConnectionError(f"{self.venue} {path}: {last} after {self._max_retries + 1} tries")


class WsStream:
    def __init__(
        self,
        venue: str,
        url: str,
        health: HealthBoard,
        on_text: Callable[[str], None],
        subscribe: Callable[[Any], Awaitable[None]] | None = None,
        *,
        open_timeout_s: float = 5.0,
        ping_interval_s: float = 20.0,
        ping_timeout_s: float = 20.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        rng: random.Random | None = None,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self.venue, self.url, self.health = venue, url, health
        self._on_text, self._subscribe = on_text, subscribe
        self._open_timeout, self._ping_interval, self._ping_timeout = (
            open_timeout_s,
            ping_interval_s,
            ping_timeout_s,
        )
        self._backoff_s, self._max_backoff_s = backoff_s, max_backoff_s
        self._rng = rng or random.Random()
        self._wall_ms = wall_ms
        self._stopping = False
        self.log = RateLimitedLog()

    def stop(self) -> None:
        self._stopping = True

    async def run(self) -> None:
        attempt = 0
        while not self._stopping:
            try:
                async with websockets.connect(
                    self.url,
                    open_timeout=self._open_timeout,
                    ping_interval=self._ping_interval,
                    ping_timeout=self._ping_timeout,
                    max_size=2**24,
                ) as ws:
                    if self._subscribe is not None:
                        await self._subscribe(ws)
                    attempt = 0  # connected once a valid message comes (the handler says so)
                    async for frame in ws:
                        self.health.update(self.venue, last_message_ms=self._wall_ms())
                        if isinstance(frame, bytes):
                            frame = frame.decode("utf-8", "replace")
                        self._on_text(frame)
                        if self._stopping:
                            break
                self.health.update(self.venue, connected=False)
                if self._stopping:
                    return
                log.info("%s websocket closed by the venue; reconnecting", self.venue)  # routine
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as exc:
                self.health.update(
                    self.venue, connected=False, last_error=f"websocket: {type(exc).__name__}"
                )
                self.health.bump(self.venue, "errors")
                self.log.warn(
                    f"ws:{type(exc).__name__}",
                    f"{self.venue} websocket: {type(exc).__name__}: {exc}",
                )
            if self._stopping:
                return
            self.health.bump(self.venue, "reconnects")
            delay = min(self._max_backoff_s, self._backoff_s * 2**attempt) * (
                0.5 + self._rng.random()
            )
            attempt += 1
            await asyncio.sleep(delay)
