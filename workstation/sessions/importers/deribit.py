"""Deribit history: option-chain snapshots and DVOL candles.

Option chains, from any of:
- saved ``public/get_book_summary_by_currency`` responses (one snapshot per response, timed by
  the newest ``creation_timestamp``);
- saved ``public/ticker`` responses (one instrument each, a JSON array or JSON lines), a recorded
  websocket session (lines ``<epoch seconds>: <JSON-RPC message>`` with ``ticker.*``
  subscriptions; acknowledgements, ``book.*``/``trades.*`` messages and the ``<-`` lines of what
  was sent are skipped), or a flattened CSV with one quote per row (``instrument_name``,
  ``mark_iv``, ``underlying_price``, and ``timestamp`` or ``creation_timestamp``; dotted columns
  such as ``greeks.delta`` are allowed and ignored). These carry one instrument per row, each with
  its own timestamp: they are assembled into a running chain (:mod:`.running_chain`: the latest
  quote per instrument, stale quotes aged out, expired instruments dropped), and a snapshot is
  taken whenever the second of the data's time changes, and at the end.
Expiry, strike and type come from the instrument name (``BTC-24SEP21-8000-P``, expiry 08:00 UTC);
the symbol is the coin + ``USDT`` (the desk's symbol for the underlying).

DVOL: ``public/get_volatility_index_data`` responses or a CSV ``date|timestamp, open, high, low,
close``. DVOL is a percentage; a file whose values are all below 3 is in fractions (one of
Deribit's own documentation examples is) and is converted, which the report says.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from workstation.core.events import OptionChain, OptionQuote, VolIndex
from workstation.sessions.importers.common import (
    ImportError_,
    ImportReport,
    Row,
    epoch_ms,
    number,
    open_text,
)
from workstation.sessions.importers.running_chain import RunningChain

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
_NAME = re.compile(r"^([A-Z]+)(?:_[A-Z]+)?-(\d{1,2})([A-Z]{3})(\d{2})-(\d+(?:d\d+)?)-([CP])$")


def parse_instrument(name: str) -> tuple[str, int, float, str] | None:
    """``BTC-24SEP21-8000-P`` -> (coin, expiry ms at 08:00 UTC, strike, "P"); None if not an option."""
    m = _NAME.match(name)
    if not m or m[3] not in _MONTHS:
        return None
    coin, day, mon, yy, strike, typ = m.groups()
    expiry = datetime(2000 + int(yy), _MONTHS[mon], int(day), 8, tzinfo=UTC)
    return coin, int(expiry.timestamp() * 1000), float(strike.replace("d", ".")), typ


def _quote(rec: dict, report: ImportReport, at: str) -> tuple[str, OptionQuote] | None:
    name = rec.get("instrument_name", "")
    parsed = parse_instrument(name)
    if parsed is None:
        return None  # futures and perpetuals in the same summary: not options
    coin, expiry, strike, typ = parsed
    try:
        iv, und = number(rec["mark_iv"]), number(rec["underlying_price"])
    except (KeyError, ValueError) as exc:
        report.bad(at, f"{name}: no mark_iv/underlying_price ({exc})")
        return None
    return f"{coin}USDT", OptionQuote(name, expiry, strike, typ, iv, und)


def _snapshot(quotes: dict[str, OptionQuote], ts: int, symbol: str, at: str) -> Row:
    ordered = tuple(
        sorted(quotes.values(), key=lambda q: (q.expiry_ts_ms, q.strike_usd, q.option_type))
    )
    return Row.of(OptionChain, ts, ts, "deribit", symbol, at, quotes=ordered)


def read_chains(paths: list[Path], report: ImportReport) -> Iterator[Row]:
    for path in paths:
        report.files.append(str(path))
        for where, fh in open_text(path):
            text = fh.read()
            stripped = text.lstrip()
            head = stripped.splitlines()[:5]
            if any(re.match(r"^\d+(\.\d+)?: \{", line) for line in head):
                yield from _ws_lines(text, where, report)
            elif stripped.startswith(("{", "[")):
                yield from _json_chains(stripped, where, report)
            else:
                yield from _csv_chain(text, where, report)


def _json_chains(text: str, where: str, report: ImportReport) -> Iterator[Row]:
    try:
        docs = [json.loads(text)]
    except json.JSONDecodeError:
        try:
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]  # JSON lines
        except json.JSONDecodeError as exc:
            raise ImportError_(f"{where}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if len(docs) == 1 and isinstance(docs[0], list):
        docs = docs[0]
    tickers: list[tuple[str, OptionQuote, int, str]] = []
    for i, doc in enumerate(docs):
        result = doc.get("result", doc) if isinstance(doc, dict) else doc
        if isinstance(result, dict):  # a public/ticker answer or a bare summary row: one quote
            report.rows_read += 1
            q = _quote(result, report, f"{where}[{i}]")
            if q is not None:
                stamp = result.get("timestamp") or result.get("creation_timestamp") or 0
                tickers.append((*q, epoch_ms(stamp), f"{where}[{i}]"))
            continue
        by_symbol: dict[str, dict[str, OptionQuote]] = {}
        ts = 0
        for j, rec in enumerate(result if isinstance(result, list) else []):
            report.rows_read += 1
            if not isinstance(rec, dict):
                report.bad(f"{where}[{i}][{j}]", "not an object")
                continue
            q = _quote(rec, report, f"{where}[{i}][{j}]")
            if q is None:
                continue
            ts = max(ts, epoch_ms(rec.get("creation_timestamp") or rec.get("timestamp") or 0))
            by_symbol.setdefault(q[0], {})[q[1].instrument] = q[1]
        if ts == 0 and by_symbol:
            raise ImportError_(f"{where}: the snapshot has no creation_timestamp or timestamp")
        for symbol, quotes in sorted(by_symbol.items()):
            yield _snapshot(quotes, ts, symbol, f"{where}[{i}]")
    if any(t[2] == 0 for t in tickers):
        raise ImportError_(f"{where}: a ticker without a timestamp")
    yield from _assemble(sorted(tickers, key=lambda t: t[2]), where)


def _assemble(tickers: Iterable[tuple[str, OptionQuote, int, str]], where: str) -> Iterator[Row]:
    """(symbol, quote, ts ms, where) in time order -> a running chain's snapshot per symbol
    whenever the second changes, and the last one of each symbol at the end."""
    chain = RunningChain()
    pending: dict[str, str] = {}  # symbol -> where its newest quote came from, not yet shot
    for symbol, quote, ts, at in tickers:
        if symbol in pending and ts // 1000 != chain.now_ms(symbol) // 1000:
            yield _chain_row(chain, symbol, pending.pop(symbol))
        chain.update(symbol, quote, ts)
        pending[symbol] = at
    for symbol in sorted(pending):
        yield _chain_row(chain, symbol, f"{where}:end")


def _chain_row(chain: RunningChain, symbol: str, at: str) -> Row:
    ts = chain.now_ms(symbol)
    return Row.of(OptionChain, ts, ts, "deribit", symbol, at, quotes=chain.snapshot(symbol))


def _ws_lines(text: str, where: str, report: ImportReport) -> Iterator[Row]:
    def tickers() -> Iterator[tuple[str, OptionQuote, int, str]]:
        for line_no, line in enumerate(text.splitlines(), start=1):
            m = re.match(r"^(\d+(?:\.\d+)?): (\{.*\})\s*$", line)
            if not m:
                continue  # the connection line and what was sent (``<-``)
            report.rows_read += 1
            try:
                msg = json.loads(m[2])
            except json.JSONDecodeError as exc:
                report.bad(f"{where}:{line_no}", f"not JSON ({exc.msg})")
                continue
            params = msg.get("params") or {}
            if not str(params.get("channel", "")).startswith("ticker."):
                continue
            data = params.get("data") or {}
            q = _quote(data, report, f"{where}:{line_no}")
            if q is not None:
                ts = epoch_ms(data.get("timestamp") or float(m[1]))
                yield (*q, ts, f"{where}:{line_no}")

    yield from _assemble(tickers(), where)


def _csv_chain(text: str, where: str, report: ImportReport) -> Iterator[Row]:
    reader = csv.DictReader(text.splitlines())
    cols = set(reader.fieldnames or [])
    time_col = next(
        (c for c in ("timestamp", "creation_timestamp", "ts", "time") if c in cols), None
    )
    if not {"instrument_name", "mark_iv", "underlying_price"} <= cols or time_col is None:
        raise ImportError_(
            f"{where}: a chain CSV needs instrument_name, mark_iv, underlying_price and a timestamp column"
        )
    rows: list[tuple[str, OptionQuote, int, str]] = []
    for row in reader:
        report.rows_read += 1
        at = f"{where}:{reader.line_num}"
        try:
            ts = epoch_ms(row[time_col])
        except ValueError as exc:
            report.bad(at, f"{time_col}: {exc}")
            continue
        q = _quote(row, report, at)
        if q is not None:
            rows.append((*q, ts, at))
    yield from _assemble(sorted(rows, key=lambda r: r[2]), where)


def read_dvol(paths: list[Path], symbol: str | None, report: ImportReport) -> Iterator[Row]:
    for path in paths:
        report.files.append(str(path))
        for where, fh in open_text(path):
            text = fh.read()
            candles: list[tuple[int, float, float, float, float, str, str]] = []
            if text.lstrip().startswith("{"):
                try:
                    data = json.loads(text)["result"]["data"]
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise ImportError_(
                        f"{where}: not a get_volatility_index_data response ({exc})"
                    ) from None
                for i, c in enumerate(data):
                    report.rows_read += 1
                    try:
                        candles.append(
                            (
                                epoch_ms(c[0]),
                                *(number(x) for x in c[1:5]),
                                symbol or "BTCUSDT",
                                f"{where}[{i}]",
                            )
                        )
                    except (ValueError, IndexError, TypeError) as exc:
                        report.bad(f"{where}[{i}]", f"not a candle ({exc})")
            else:
                reader = csv.DictReader(text.splitlines())
                tcol = next(
                    (c for c in ("date", "timestamp", "time") if c in (reader.fieldnames or [])),
                    None,
                )
                if tcol is None or not {"open", "high", "low", "close"} <= set(
                    reader.fieldnames or []
                ):
                    raise ImportError_(
                        f"{where}: a DVOL CSV needs date (or timestamp), open, high, low, close"
                    )
                for row in reader:
                    report.rows_read += 1
                    at = f"{where}:{reader.line_num}"
                    try:
                        sym = symbol or (
                            f"{row['symbol'].upper()}USDT" if row.get("symbol") else "BTCUSDT"
                        )
                        candles.append(
                            (
                                epoch_ms(row[tcol]),
                                *(number(row[k]) for k in ("open", "high", "low", "close")),
                                sym,
                                at,
                            )
                        )
                    except (ValueError, KeyError) as exc:
                        report.bad(at, f"not a DVOL row ({exc})")
            if not candles:
                continue
            candles.sort()
            scale = 100.0 if max(c[2] for c in candles) < 3 else 1.0
            if scale != 1.0:
                report.notes.append(f"{where}: DVOL values are fractions; converted to percent")
            steps = sorted(b[0] - a[0] for a, b in itertools.pairwise(candles))
            step = steps[len(steps) // 2] if steps else 86_400_000
            for ts, o, h, lo, c, sym, at in candles:
                yield Row.of(
                    VolIndex,
                    ts,
                    ts + step,
                    "deribit",
                    sym,
                    at,
                    open_pct=o * scale,
                    high_pct=h * scale,
                    low_pct=lo * scale,
                    close_pct=c * scale,
                )
