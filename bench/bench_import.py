"""Import benchmark (issue: history import).

Builds a month of data.binance.vision files from the real data in ../shared/datasets: 1-minute
klines from the January 2022 perp bars (45,031 rows), the fundingRate rows of that month's 8h
settlements, and 5-minute metrics rows (each day's real metrics row repeated 288 times: the
values do not matter for speed). Imports them into one session with `workstation import
binance-vision` (parse, sort, dedupe, gap scan, write) and prints rows per second, median of runs.

Usage: python bench/bench_import.py [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text[:19]).replace(tzinfo=UTC).timestamp() * 1000)


def build(folder: Path) -> list[Path]:
    klines = folder / "klines" / "BTCUSDT-1m-2022-01.csv"
    klines.parent.mkdir(parents=True)
    with (
        (SHARED / "nautilus-test-data/btc-perp-20211231-20220201_1m.csv").open() as src,
        klines.open("w") as out,
    ):
        out.write(
            "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
            "taker_buy_quote_volume,ignore\n"
        )
        for r in csv.DictReader(src):
            t = ms(r["timestamp"])
            vol = float(r["volume"]) / float(r["close"])
            out.write(
                f"{t},{r['open']},{r['high']},{r['low']},{r['close']},{vol:.3f},{t + 59_999},{r['volume']},0,0,0,0\n"
            )
    funding = folder / "fundingRate" / "BTCUSDT-fundingRate-2022-01.csv"
    funding.parent.mkdir(parents=True)
    raw = json.loads((SHARED / "binance-funding-8h/funding_rate_btc.json").read_text())
    with funding.open("w") as out:
        out.write("calc_time,funding_interval_hours,last_funding_rate\n")
        for i, (_t, pct) in enumerate(raw[:93]):  # a month of 8h settlements (re-dated)
            out.write(f"{ms('2022-01-01T00:00:00') + i * 8 * 3_600_000},8,{pct / 100:.8f}\n")
    metrics = folder / "metrics" / "BTCUSDT-metrics-2022-01.csv"
    metrics.parent.mkdir(parents=True)
    with (SHARED / "binance-metrics-daily/BTCUSDT_metrics.csv").open() as src:
        days = [
            r for r in csv.DictReader(src) if r["sum_open_interest"] and r["count_long_short_ratio"]
        ][:31]
    with metrics.open("w") as out:
        out.write(
            "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
            "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio\n"
        )
        t0 = ms("2022-01-01T00:00:00")
        for d, r in enumerate(days):
            for k in range(288):
                ts = datetime.fromtimestamp((t0 + d * 86_400_000 + k * 300_000) / 1000, tz=UTC)
                out.write(
                    f"{ts:%Y-%m-%d %H:%M:%S},BTCUSDT,{r['sum_open_interest']},{r['sum_open_interest_value']},"
                    f"{r['count_toptrader_long_short_ratio']},{r['sum_toptrader_long_short_ratio']},"
                    f"{r['count_long_short_ratio']},{r['sum_taker_long_short_vol_ratio']}\n"
                )
    return [klines, funding, metrics]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ws-bench-import-"))
    files = build(folder)
    rates, report = [], {}
    for i in range(args.runs):
        out = folder / "month.session"
        t0 = time.perf_counter()
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "workstation",
                "import",
                "binance-vision",
                *map(str, files),
                "--out",
                str(out),
                "--force",
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        dt = time.perf_counter() - t0
        report = json.loads(res.stdout)
        rates.append(report["rows_read"] / dt)
        print(
            f"  run {i + 1}: {report['rows_read']:,} rows, {report['events']:,} events in {dt:.2f} s "
            f"({rates[-1]:,.0f} rows/s, process start included)",
            flush=True,
        )
    print()
    print(
        f"rows                 {report['rows_read']:,} ({', '.join(f'{k} {v:,}' for k, v in report['counts'].items())})"
    )
    print(f"import rate (median) {statistics.median(rates):,.0f} rows/s   target >= 200,000")


if __name__ == "__main__":
    main()
