"""Child process for the SIGKILL test: records mark prices at a steady pace, forever.

Usage: python recorder_child.py OUT RATE_PER_S. Prints ``appended N`` after every 50 events.
"""

import sys
import time

from workstation.core.events import MarkPrice
from workstation.sessions.store import SessionWriter


def main() -> None:
    out, rate = sys.argv[1], float(sys.argv[2])
    writer = SessionWriter(out, source="live", venues=["binance"], symbols=["BTCUSDT"])
    t0 = time.monotonic()
    n = 0
    while True:
        n += 1
        ts = 1_769_731_200_000 + n
        writer.append(
            MarkPrice(ts, ts, n, "binance", "BTCUSDT", 70_000.0 + n, 70_000.0, 1e-4, 8.0, 0)
        )
        if n % 50 == 0:
            print(f"appended {n}", flush=True)
        delay = t0 + n / rate - time.monotonic()
        if delay > 0:
            writer.flush_if_due()
            time.sleep(delay)


if __name__ == "__main__":
    main()
