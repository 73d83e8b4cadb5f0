"""Any CSV, with a column mapping: ``--map ts=timestamp,price=close,oi_coin=open_interest``.

Targets (each maps to one column of the file):

==================  =========================================================================
ts                  the time (required): epoch s/ms/µs, ISO 8601, ``YYYY-MM-DD`` or ``YYYY.M.D``
venue, symbol       per-row venue and symbol (else ``--venue`` / ``--symbol``)
price               a price of the perpetual -> mark-price events (no index, no funding)
open, high, low,    1-minute bars (all four and volume in coin, or volume_usd: coin = USD ÷ close;
close, volume       at a 1-minute cadence)
oi_coin, oi_usd     open interest (oi_usd may be left out when price is mapped: coin × price)
funding_rate        funding per interval (``--rate-unit`` fraction|percent; the interval from a
funding_interval_h  mapped column or ``--funding-interval-h``)
long_short_ratio    accounts long ÷ accounts short
liq_side, liq_qty,  liquidations (side long/short, or the order side SELL = a long liquidated);
liq_price, liq_usd  liq_usd defaults to qty × price
==================  =========================================================================
"""

from __future__ import annotations

import csv
import itertools
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from workstation.core.events import (
    Bar1m,
    FundingRate,
    Liquidation,
    LongShortRatio,
    MarkPrice,
    OpenInterest,
)
from workstation.sessions.importers.common import (
    ImportError_,
    ImportReport,
    Row,
    check_bar,
    epoch_ms,
    number,
    open_text,
)

TARGETS = (
    "ts",
    "venue",
    "symbol",
    "price",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "volume_usd",
    "oi_coin",
    "oi_usd",
    "funding_rate",
    "funding_interval_h",
    "long_short_ratio",
    "liq_side",
    "liq_qty",
    "liq_price",
    "liq_usd",
)


_EVENT_TARGETS = ("price", "open", "oi_coin", "funding_rate", "long_short_ratio", "liq_side")
_READ_WITH = {  # a target that only adds to the event of another one
    "volume": "open",
    "volume_usd": "open",
    "oi_usd": "oi_coin",
    "funding_interval_h": "funding_rate",
    "liq_usd": "liq_side",
}


def parse_mapping(text: str) -> dict[str, str]:
    """``ts=timestamp,price=close`` -> {"ts": "timestamp", "price": "close"} (ValueError if bad)."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        target, sep, column = part.partition("=")
        if not sep or not column:
            raise ValueError(f"expected TARGET=COLUMN, got {part!r}")
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
        out[target] = column
    if "ts" not in out:
        raise ValueError("map the time column: ts=COLUMN")
    return out


def _check_mapping(
    m: dict[str, str], venue: str | None, symbol: str | None, interval: float | None
) -> None:
    bars = [k for k in ("open", "high", "low", "close") if k in m]
    if bars and (len(bars) < 4 or not ({"volume", "volume_usd"} & set(m))):
        raise ImportError_(
            "--map: bars need open, high, low, close and volume or volume_usd (or map price=COLUMN)"
        )
    if "oi_coin" in m and "oi_usd" not in m and "price" not in m:
        raise ImportError_("--map: oi_coin needs oi_usd, or price to compute it (coin × price)")
    if "funding_rate" in m and "funding_interval_h" not in m and interval is None:
        raise ImportError_(
            "--map: funding_rate needs its interval: map funding_interval_h or give --funding-interval-h"
        )
    liq = [k for k in ("liq_side", "liq_qty", "liq_price") if k in m]
    if liq and len(liq) < 3:
        raise ImportError_("--map: liquidations need liq_side, liq_qty and liq_price")
    if venue is None and "venue" not in m:
        raise ImportError_("--venue (or map venue=COLUMN)")
    if symbol is None and "symbol" not in m:
        raise ImportError_("--symbol (or map symbol=COLUMN)")
    for target, needs in _READ_WITH.items():
        if target in m and needs not in m:
            raise ImportError_(
                f"--map: {target} is only read with {needs} (it makes no event alone)"
            )
    if not set(_EVENT_TARGETS) & set(m):
        raise ImportError_(
            f"--map: map at least one value column ({', '.join(_EVENT_TARGETS)}): "
            "nothing else makes an event"
        )


def _ts_parser(time_format: str | None):
    if time_format in (None, "auto"):
        return epoch_ms
    unit = {"s": 1000, "ms": 1, "us": 0.001}.get(time_format)
    if unit is not None:
        return lambda v: int(float(v) * unit)
    return lambda v: int(
        datetime.strptime(v.strip(), time_format).replace(tzinfo=UTC).timestamp() * 1000
    )


def read_csv(
    paths: list[Path],
    mapping: dict[str, str],
    *,
    venue: str | None,
    symbol: str | None,
    funding_interval_h: float | None,
    rate_unit: str | None,
    time_format: str | None,
    report: ImportReport,
) -> Iterator[Row]:
    _check_mapping(mapping, venue, symbol, funding_interval_h)
    to_ms = _ts_parser(time_format)
    m = mapping
    rows: list[Row] = []
    times: set[int] = set()  # of every row with a time, bad or not: the file's cadence
    rates: list[float] = []
    for path in paths:
        report.files.append(str(path))
        for where, fh in open_text(path):
            reader = csv.DictReader(fh)
            missing = [c for c in m.values() if c not in (reader.fieldnames or [])]
            if missing:
                raise ImportError_(
                    f"{where}: no column {missing[0]!r} (columns: {', '.join(reader.fieldnames or [])})"
                )
            for row in reader:
                report.rows_read += 1
                at = f"{where}:{reader.line_num}"
                try:
                    ts = to_ms(row[m["ts"]])
                    times.add(ts)
                except (ValueError, TypeError) as exc:
                    report.bad(at, f"{m['ts']}: not a time ({exc})")
                    continue
                v = (row[m["venue"]].strip().lower() if "venue" in m else venue) or "?"
                s = (row[m["symbol"]].strip().upper() if "symbol" in m else symbol) or "?"
                try:  # all of a row's events, or none of them
                    rows.extend(list(_row_events(row, m, ts, v, s, funding_interval_h, at, rates)))
                except (ValueError, KeyError) as exc:
                    report.bad(at, str(exc))
    if "open" in m:
        steps = [b - a for a, b in itertools.pairwise(sorted(times))]
        if steps and statistics.median(steps) != 60_000:
            raise ImportError_(
                f"bars every {statistics.median(steps) / 1000:g} s are not 1-minute bars: map price=close instead"
            )
    if rates:
        med = statistics.median(abs(r) for r in rates)
        if rate_unit is None and med > 0.005:
            raise ImportError_(
                f"funding rates have a median of {med:g} per interval: that looks like percent. "
                "Say --rate-unit percent (or fraction)"
            )
        if rate_unit == "percent":
            rows = [
                r
                if r.cls is not FundingRate
                else Row.of(
                    r.cls,
                    r.ts_event_ms,
                    r.ts_final_ms,
                    r.venue,
                    r.symbol,
                    r.where,
                    funding_rate=r.value("funding_rate") / 100.0,
                    funding_interval_h=r.value("funding_interval_h"),
                )
                for r in rows
            ]
        report.notes.append(f"funding rates read as {rate_unit or 'fractions'}")
    yield from rows


def _row_events(
    row: dict,
    m: dict[str, str],
    ts: int,
    venue: str,
    symbol: str,
    interval: float | None,
    at: str,
    rates: list[float],
) -> Iterator[Row]:
    def val(target: str) -> float:
        try:
            return number(row[m[target]])
        except ValueError as exc:
            raise ValueError(f"{m[target]}: {exc}") from None

    price = val("price") if "price" in m else None
    if price is not None:
        if price <= 0:
            raise ValueError(f"{m['price']}: a price must be greater than 0 (got {price:g})")
        yield Row.of(
            MarkPrice,
            ts,
            ts,
            venue,
            symbol,
            at,
            mark_price_usd=price,
            index_price_usd=None,
            funding_rate=None,
            funding_interval_h=None,
            next_funding_ts_ms=None,
        )
    if "open" in m:
        o, h, lo, c = (val(k) for k in ("open", "high", "low", "close"))
        check_bar(o, h, lo, c, None)  # the close divides volume_usd below
        volume = val("volume") if "volume" in m else val("volume_usd") / c
        check_bar(o, h, lo, c, volume)
        yield Row.of(
            Bar1m,
            ts,
            ts + 60_000,
            venue,
            symbol,
            at,
            open_usd=o,
            high_usd=h,
            low_usd=lo,
            close_usd=c,
            volume_coin=volume,
        )
    if "oi_coin" in m:
        coin = val("oi_coin")
        usd = val("oi_usd") if "oi_usd" in m else coin * price
        yield Row.of(OpenInterest, ts, ts, venue, symbol, at, oi_coin=coin, oi_usd=usd)
    if "funding_rate" in m:
        rate = val("funding_rate")
        hours = val("funding_interval_h") if "funding_interval_h" in m else interval
        rates.append(rate)
        yield Row.of(
            FundingRate, ts, ts, venue, symbol, at, funding_rate=rate, funding_interval_h=hours
        )
    if "long_short_ratio" in m:
        r = val("long_short_ratio")
        if r < 0:
            raise ValueError(f"{m['long_short_ratio']}: a ratio must be 0 or more (got {r:g})")
        yield Row.of(
            LongShortRatio,
            ts,
            ts,
            venue,
            symbol,
            at,
            long_short_ratio=r,
            long_account_frac=r / (1 + r),
        )
    if "liq_side" in m:
        raw = row[m["liq_side"]].strip().lower()
        side = {"long": "long", "short": "short", "sell": "long", "buy": "short"}.get(raw)
        if side is None:
            raise ValueError(f"{m['liq_side']}: {raw!r} is not long/short/BUY/SELL")
        qty, px = val("liq_qty"), val("liq_price")
        usd = val("liq_usd") if "liq_usd" in m else qty * px
        yield Row.of(
            Liquidation,
            ts,
            ts,
            venue,
            symbol,
            at,
            side=side,
            qty_coin=qty,
            price_usd=px,
            notional_usd=usd,
        )
