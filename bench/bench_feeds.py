"""Feed benchmark (issue: live feeds).

1. Ingest: a local websocket pushes 5,000 messages a second (half Binance markPriceUpdate, half
   forceOrder) into the real Binance adapter -> queue -> engine pump (default rules) for 20 s.
   Prints messages sent and processed per second, the queue backlog over time (it must not grow),
   and the CPU of the feed thread and of the engine thread (from /proc, % of one core).
2. Normal load: the tests' fake exchange (4 venues, BTCUSDT and ETHUSDT) for 20 s: process CPU.

Everything runs on 127.0.0.1. Usage: python bench/bench_feeds.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu_s(tid: int) -> float:
    fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


class Pusher:
    """A websocket server sending ``rate`` messages a second in 10 ms batches."""

    def __init__(self, rate: int) -> None:
        self.rate, self.sent = rate, 0
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

        async def serve():
            return await websockets.serve(self.handler, "127.0.0.1", 0)

        self.server = asyncio.run_coroutine_threadsafe(serve(), self.loop).result()
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def handler(self, ws) -> None:
        per_batch = self.rate // 100
        next_t = time.monotonic()
        while True:
            t = time.time_ns() // 1_000_000
            for i in range(per_batch):
                if i % 2:
                    data = {
                        "e": "forceOrder",
                        "E": t,
                        "o": {
                            "s": "BTCUSDT",
                            "S": "SELL",
                            "q": "0.010",
                            "p": "70000.0",
                            "ap": "70000.0",
                            "X": "FILLED",
                            "z": "0.010",
                            "T": t,
                        },
                    }
                else:
                    data = {
                        "e": "markPriceUpdate",
                        "E": t,
                        "s": "BTCUSDT",
                        "p": f"{70000 + i}.5",
                        "i": "70000.0",
                        "r": "0.0001",
                        "T": t + 3_600_000,
                    }
                await ws.send(json.dumps({"stream": "x", "data": data}))
            self.sent += per_batch
            next_t += 0.01
            await asyncio.sleep(max(0.0, next_t - time.monotonic()))


class NotFound(BaseHTTPRequestHandler):
    def log_message(self, *a: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def ingest(seconds: float) -> None:
    from workstation.app.pipeline import build_pipeline
    from workstation.app.pump import LivePump
    from workstation.core.clock import LiveClock
    from workstation.feeds.live import FeedConfig, LiveFeeds

    pusher = Pusher(5_000)
    http = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    rest = f"http://127.0.0.1:{http.server_address[1]}"
    clock = LiveClock()
    pipe = build_pipeline(clock)
    feeds = LiveFeeds(
        FeedConfig(
            venues=("binance",),
            urls={"binance": rest, "binance_spot": rest, "binance_ws": pusher.url},
        )
    )
    pump = LivePump(pipe.engine, clock, feeds.queue, feeds.health)
    feeds.start()
    time.sleep(1.0)
    feed_tid = next(t.native_id for t in threading.enumerate() if t.name == "workstation-feeds")
    main_tid = threading.get_native_id()
    backlog = []
    t0, sent0, done0 = time.monotonic(), pusher.sent, pipe.engine.events_processed
    cpu_feed0, cpu_main0 = thread_cpu_s(feed_tid), thread_cpu_s(main_tid)
    next_sample = t0 + 1
    while (now := time.monotonic()) - t0 < seconds:
        pump.pump(max_events=50_000, wait_s=0.005)
        pipe.engine.drain()
        if now >= next_sample:
            backlog.append(feeds.queue.qsize())
            next_sample += 1
    dt = time.monotonic() - t0
    cpu_feed, cpu_main = thread_cpu_s(feed_tid) - cpu_feed0, thread_cpu_s(main_tid) - cpu_main0
    sent, done = pusher.sent - sent0, pipe.engine.events_processed - done0
    feeds.stop()
    print(
        f"ingest: {sent / dt:,.0f} messages/s sent, {done / dt:,.0f} events/s processed over {dt:.1f} s"
    )
    print(
        f"  queue backlog each second: {backlog}  (first {backlog[0]}, last {backlog[-1]}, max {max(backlog)})"
    )
    print(
        f"  CPU: feed thread {100 * cpu_feed / dt:.0f}% of a core (target < 50%), "
        f"engine thread {100 * cpu_main / dt:.0f}%"
    )


def normal_load(seconds: float) -> None:
    from fake_exchange import FakeExchange

    from workstation.app.pipeline import build_pipeline
    from workstation.app.pump import LivePump
    from workstation.core.clock import LiveClock
    from workstation.feeds.live import FeedConfig, LiveFeeds

    with FakeExchange() as fake:
        clock = LiveClock()
        pipe = build_pipeline(clock)
        feeds = LiveFeeds(
            FeedConfig(
                venues=("binance", "bybit", "okx", "deribit"),
                symbols=("BTCUSDT", "ETHUSDT"),
                urls=fake.urls(),
            )
        )
        pump = LivePump(pipe.engine, clock, feeds.queue, feeds.health)
        feeds.start()
        time.sleep(2)
        t0, c0, n0 = time.monotonic(), time.process_time(), pipe.engine.events_processed
        while time.monotonic() - t0 < seconds:
            pump.pump(wait_s=0.05)
            pipe.engine.drain()
        dt, cpu = time.monotonic() - t0, time.process_time() - c0
        n = pipe.engine.events_processed - n0
        feeds.stop()
    print(
        f"normal load (4 venues, 2 symbols, fake exchange): {n / dt:,.0f} events/s, "
        f"process CPU {100 * cpu / dt:.0f}% of a core (the fake exchange runs in the same process)"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    a = ap.parse_args()
    ingest(a.seconds)
    normal_load(a.seconds)
