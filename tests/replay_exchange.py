"""A replaying fake exchange for the feed tests: recorded frames served again on 127.0.0.1.

Websocket: each path (``/ws/api/v2``, ``/stream``, ``/v5/public/linear``, ``/ws``) has a script of
``(t_s, text)`` frames in their recorded order; once a client connects (and has sent its
subscription, where the venue expects one) the frames go out at their recorded pace divided by
``speed``, acknowledgements, book messages and odd frames included, then the socket stays open
and quiet. REST: each path has a script of ``(t_s, body)`` answers; a GET returns the newest
answer whose time has come on the replay clock (the first one before that), 404 for an unknown
path (Hyperliquid's ``POST /info`` answers are scripted per request type, as
``/info:metaAndAssetCtxs``). Times are recorded epoch seconds; the recording's start is the
earliest of them all, and the replay clock starts there when the fake starts (a websocket's
frames: when its client connects).
Nothing here reaches a real exchange.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import websockets
from fake_exchange import stop_local_servers, venue_urls

Script = list[tuple[float, str]]


class ReplayExchange:
    """``with ReplayExchange(ws={path: frames}, rest={path: answers}, speed=...) as fx``."""

    def __init__(
        self,
        ws: dict[str, Script] | None = None,
        rest: dict[str, list[tuple[float, object]]] | None = None,
        *,
        speed: float = 1.0,
        subscribe_first: tuple[str, ...] = ("/ws/api/v2", "/v5/public/linear", "/ws"),
    ) -> None:
        times = [t for s in (ws or {}).values() for t, _ in s[:1]]
        times += [t for a in (rest or {}).values() for t, _ in a]
        self.origin_s = min(times, default=0.0)
        self.ws_scripts = {
            p: [(t - self.origin_s, text) for t, text in s] for p, s in (ws or {}).items()
        }
        self.rest_scripts = {
            p: sorted(((t - self.origin_s, b) for t, b in a), key=lambda x: x[0])
            for p, a in (rest or {}).items()
        }
        self.speed = speed
        self.subscribe_first = subscribe_first
        self.received: dict[str, list[str]] = {}  # what clients sent, per websocket path
        self.sent: dict[str, int] = {}  # frames sent, per websocket path
        self.queries: list[str] = []
        self._t0 = time.monotonic()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:
                fake.queries.append(self.path)
                self._reply(fake.answer(urlsplit(self.path).path))

            def do_POST(self) -> None:  # Hyperliquid: POST /info, scripted as "/info:<type>"
                n = int(self.headers.get("Content-Length") or 0)
                kind = json.loads(self.rfile.read(n) or b"{}").get("type")
                fake.queries.append(f"{self.path}:{kind}")
                self._reply(fake.answer(f"{urlsplit(self.path).path}:{kind}"))

            def _reply(self, body: object | None) -> None:
                data = json.dumps(body if body is not None else {"msg": "not found"}).encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http_url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self._http_thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self._loop = asyncio.new_event_loop()
        self._ws_thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._ws_server = None
        self._conns: set = set()  # open websocket connections (cut at exit: no close handshake)
        self.ws_url = ""

    def replay_s(self) -> float:
        """Seconds of the recording replayed so far (the replay clock)."""
        return (time.monotonic() - self._t0) * self.speed

    def answer(self, path: str) -> object | None:
        script = self.rest_scripts.get(path)
        if not script:
            return None
        now = self.replay_s()
        due = [body for t, body in script if t <= now]
        return due[-1] if due else script[0][1]

    def done(self, path: str) -> bool:
        """Whether every frame of the websocket script at ``path`` has gone out."""
        return self.sent.get(path, 0) >= len(self.ws_scripts.get(path, []))

    async def _handler(self, ws) -> None:
        path = urlsplit(ws.request.path).path
        script = self.ws_scripts.get(path)
        if script is None:
            await ws.close(1008, "no recording for this path")
            return
        self._conns.add(ws)
        try:
            if path in self.subscribe_first:
                self.received.setdefault(path, []).append(await ws.recv())
            start = time.monotonic()
            for t, text in script:
                delay = start + t / self.speed - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await ws.send(text)
                self.sent[path] = self.sent.get(path, 0) + 1
            async for msg in ws:  # the recording is over: stay connected, keep what clients send
                self.received.setdefault(path, []).append(str(msg))
        finally:
            self._conns.discard(ws)

    async def _serve(self) -> None:
        self._ws_server = await websockets.serve(self._handler, "127.0.0.1", 0)
        self.ws_url = f"ws://127.0.0.1:{self._ws_server.sockets[0].getsockname()[1]}"

    def urls(self) -> dict[str, str]:
        return venue_urls(self.http_url, self.ws_url)

    def __enter__(self) -> ReplayExchange:
        self._http_thread.start()
        self._ws_thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(5)
        self._t0 = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        stop_local_servers(self._loop, self._ws_server, self._ws_thread, self.http, self._conns)
        # run the finalizers of the closed sockets here, quietly (see conftest's ``fake``)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
