"""Binance history: data.binance.vision CSVs (zipped or not) and saved REST JSON responses.

data.binance.vision (USD-M): ``klines`` (1-minute only: they become bars), ``markPriceKlines``
(mark prices), ``premiumIndexKlines`` (premium index), ``fundingRate`` and ``metrics`` (open
interest and the global long/short account ratio, 5-minute rows). The kind comes from the path
(the dataset folder or the file name) or ``--kind``. Header or no header, times in ms or µs.

REST JSON: ``/fapi/v1/fundingRate`` (the interval is read from consecutive settlements),
``/futures/data/openInterestHist``, ``/fapi/v1/klines`` (1 minute), and ``[[time, rate], ...]``
funding pairs, whose unit (fraction or percent) must be said with ``--rate-unit``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from workstation.core.events import (
    Bar1m,
    FundingRate,
    LongShortRatio,
    MarkPrice,
    OpenInterest,
    PremiumIndex,
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

MINUTE = 60_000
VISION_KINDS = ("klines", "markPriceKlines", "premiumIndexKlines", "fundingRate", "metrics")
_KLINE_KINDS = ("klines", "markPriceKlines", "premiumIndexKlines")


def vision_kind(path: str, override: str | None) -> str:
    if override:
        return override
    name = Path(path.split("!")[-1]).name
    for kind in sorted(VISION_KINDS, key=len, reverse=True):  # markPriceKlines before klines
        if f"/{kind}/" in path or re.search(rf"[-_]{kind}[-_.]", name):
            return kind
    if "indexPriceKlines" in path:
        raise ImportError_(
            f"{path}: indexPriceKlines are not imported (no event carries an index alone)"
        )
    return "klines"


def symbol_from_name(path: str) -> str | None:
    name = Path(path.split("!")[-1]).name
    head = re.split(r"[-_.]", name)[0]
    return head.upper() if head and head[0].isalpha() and head.isalnum() else None


def _emit_klines(
    kind: str,
    cols: dict,
    where: str,
    venue: str,
    symbol: str,
    report: ImportReport,
    lines: list[int],
) -> Iterator[Row]:
    """Rows from column arrays (open_ms, close_ms, o, h, l, c, v) of one file."""
    for i, (open_ms, close_ms, o, h, lo, c, v) in enumerate(zip(*cols.values(), strict=True)):
        at = f"{where}:{lines[i]}"
        if close_ms - open_ms + 1 != MINUTE:
            raise ImportError_(
                f"{at}: {kind} of {(close_ms - open_ms + 1) / 1000:g} s; only 1-minute klines are imported"
            )
        try:
            if kind == "klines":
                check_bar(o, h, lo, c, v)
            elif kind == "markPriceKlines" and not c > 0:
                raise ValueError(f"a mark price must be greater than 0 (got {c:g})")
        except ValueError as exc:
            report.bad(at, str(exc))
            continue
        if kind == "klines":
            yield Row.of(
                Bar1m,
                open_ms,
                close_ms + 1,
                venue,
                symbol,
                at,
                open_usd=o,
                high_usd=h,
                low_usd=lo,
                close_usd=c,
                volume_coin=v,
            )
        elif kind == "markPriceKlines":
            yield Row.of(
                MarkPrice,
                close_ms + 1,
                close_ms + 1,
                venue,
                symbol,
                at,
                mark_price_usd=c,
                index_price_usd=None,
                funding_rate=None,
                funding_interval_h=None,
                next_funding_ts_ms=None,
            )
        else:
            yield Row.of(
                PremiumIndex, close_ms + 1, close_ms + 1, venue, symbol, at, premium_index=c
            )


def _to_ms(values: np.ndarray) -> np.ndarray:
    """Epoch ms from ms or µs integers (by magnitude)."""
    return np.where(values > 10**14, values // 1000, values)


def _kline_rows(
    kind: str,
    rows: Iterator[tuple[int, list[str]]],
    where: str,
    venue: str,
    symbol: str,
    report: ImportReport,
) -> Iterator[Row]:
    """Klines from (line, cells) rows (the REST path; small)."""
    lines, raw = [], []
    for line, cells in rows:
        lines.append(line)
        raw.append(cells[:7])
    yield from _kline_frame(kind, pd.DataFrame(raw, dtype=str), lines, where, venue, symbol, report)


def _kline_frame(
    kind: str,
    frame: pd.DataFrame,
    lines: list[int],
    where: str,
    venue: str,
    symbol: str,
    report: ImportReport,
) -> Iterator[Row]:
    """Klines from a frame of text cells (columns 0..6), converted column-wise; a row with a cell
    that is not a number is reported with its line and left out."""
    report.rows_read += len(frame)
    if frame.empty:
        return
    if frame.shape[1] < 7:
        raise ImportError_(f"{where}: not a klines file (only {frame.shape[1]} columns)")
    numeric = {
        j: pd.to_numeric(frame[frame.columns[j]], errors="coerce").to_numpy(float) for j in range(7)
    }
    bad = np.zeros(len(frame), dtype=bool)
    for arr in numeric.values():
        bad |= np.isnan(arr)
    for i in np.flatnonzero(bad):
        report.bad(f"{where}:{lines[i]}", "not a kline row (a cell is not a number)")
    ok = ~bad
    line_ok = np.asarray(lines)[ok].tolist()
    cols = {
        "open": _to_ms(numeric[0][ok].astype(np.int64)).tolist(),
        "close_time": _to_ms(numeric[6][ok].astype(np.int64)).tolist(),
        **{
            k: numeric[j][ok].tolist()
            for k, j in (("o", 1), ("h", 2), ("l", 3), ("c", 4), ("v", 5))
        },
    }
    yield from _emit_klines(kind, cols, where, venue, symbol, report, line_ok)


def _read_csv(source, where: str, **options) -> pd.DataFrame:
    """``pd.read_csv`` of text cells; a file that is not a regular CSV is an ImportError_."""
    try:
        return pd.read_csv(source, dtype=str, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().removeprefix("Error tokenizing data. C error: ")
        raise ImportError_(f"{where}: not a Binance CSV ({reason})") from None


def _read_frame(fh, where: str, first_col: str) -> tuple[pd.DataFrame, list[int]]:
    """A CSV as text cells with its file line numbers; a header row (starting with first_col) is
    recognised and skipped."""
    first = fh.readline()
    has_header = first.split(",")[0].strip() == first_col
    rest = fh.read()
    text = rest if has_header else first + rest
    if not text.strip():
        return pd.DataFrame(), []
    frame = _read_csv(
        io.StringIO(text), where, header=None, skip_blank_lines=True, keep_default_na=False
    )
    offset = 2 if has_header else 1
    return frame, [i + offset for i in range(len(frame))]


def _csv_rows(fh, where: str, first_col: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(fh)
    for cells in reader:
        if not cells or not "".join(cells).strip():
            continue
        if reader.line_num == 1 and cells[0].strip() == first_col:
            continue  # a header row
        yield reader.line_num, cells


def read_vision(
    paths: list[Path], venue: str, symbol: str | None, kind: str | None, report: ImportReport
) -> Iterator[Row]:
    for path in paths:
        report.files.append(str(path))
        for where, fh in open_text(path):
            k = vision_kind(where, kind)
            sym = symbol or symbol_from_name(where)
            if k in _KLINE_KINDS:
                if not sym:
                    raise ImportError_(
                        f"{where}: cannot tell the symbol from the name: give --symbol"
                    )
                frame, lines = _read_frame(fh, where, "open_time")
                yield from _kline_frame(k, frame, lines, where, venue, sym, report)
            elif k == "fundingRate":
                for line, cells in _csv_rows(fh, where, "calc_time"):
                    report.rows_read += 1
                    at = f"{where}:{line}"
                    try:
                        ts, hours, rate = epoch_ms(cells[0]), number(cells[1]), number(cells[2])
                    except (ValueError, IndexError) as exc:
                        report.bad(at, f"not a fundingRate row ({exc})")
                        continue
                    yield Row.of(
                        FundingRate,
                        ts,
                        ts,
                        venue,
                        sym or "?",
                        at,
                        funding_rate=rate,
                        funding_interval_h=hours,
                    )
            else:
                yield from _metrics_rows(fh, where, venue, sym, report)


def _metrics_rows(
    fh, where: str, venue: str, symbol: str | None, report: ImportReport
) -> Iterator[Row]:
    frame = _read_csv(fh, where, keep_default_na=False)
    need = {"create_time", "sum_open_interest", "sum_open_interest_value", "count_long_short_ratio"}
    if not need <= set(frame.columns):
        raise ImportError_(f"{where}: not a metrics file (needs columns {', '.join(sorted(need))})")
    report.rows_read += len(frame)
    oi = pd.to_numeric(frame["sum_open_interest"], errors="coerce").to_numpy(float)
    oi_usd = pd.to_numeric(frame["sum_open_interest_value"], errors="coerce").to_numpy(float)
    ratio = pd.to_numeric(frame["count_long_short_ratio"], errors="coerce").to_numpy(float)
    times = frame["create_time"].tolist()
    syms = (
        frame["symbol"].str.upper().tolist() if "symbol" in frame else [symbol or "?"] * len(frame)
    )
    for i, created in enumerate(times):
        at = f"{where}:{i + 2}"
        try:
            ts = epoch_ms(created)
        except ValueError as exc:
            report.bad(at, f"create_time: {exc}")
            continue
        sym = syms[i] or (symbol or "?")
        why = []
        if np.isnan(oi[i]) or np.isnan(oi_usd[i]):
            why.append("sum_open_interest: empty or not a number")
        else:
            yield Row.of(
                OpenInterest, ts, ts, venue, sym, at, oi_coin=float(oi[i]), oi_usd=float(oi_usd[i])
            )
        if np.isnan(ratio[i]):
            why.append("count_long_short_ratio: empty or not a number")
        elif ratio[i] < 0:
            why.append(f"count_long_short_ratio: negative ({ratio[i]:g})")
        else:
            r = float(ratio[i])
            yield Row.of(
                LongShortRatio,
                ts,
                ts,
                venue,
                sym,
                at,
                long_short_ratio=r,
                long_account_frac=r / (1 + r),
            )
        if why:
            report.bad(at, "; ".join(why))


def read_rest(
    paths: list[Path], venue: str, symbol: str | None, rate_unit: str | None, report: ImportReport
) -> Iterator[Row]:
    for path in paths:
        report.files.append(str(path))
        for where, fh in open_text(path):
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ImportError_(f"{where}: not JSON ({exc.msg} at line {exc.lineno})") from None
            if isinstance(data, dict) and "data" in data:
                data = data["data"]
            if not isinstance(data, list) or not data:
                raise ImportError_(f"{where}: expected a JSON array of records")
            first = data[0]
            if isinstance(first, dict) and "fundingRate" in first:
                yield from _rest_funding(data, where, venue, symbol, report)
            elif isinstance(first, dict) and "sumOpenInterest" in first:
                for i, rec in enumerate(data):
                    report.rows_read += 1
                    at = f"{where}[{i}]"
                    try:
                        ts = epoch_ms(rec["timestamp"])
                        yield Row.of(
                            OpenInterest,
                            ts,
                            ts,
                            venue,
                            (rec.get("symbol") or symbol or "?").upper(),
                            at,
                            oi_coin=number(rec["sumOpenInterest"]),
                            oi_usd=number(rec["sumOpenInterestValue"]),
                        )
                    except (KeyError, ValueError) as exc:
                        report.bad(at, f"not an openInterestHist record ({exc})")
            elif isinstance(first, list) and len(first) >= 7:
                sym = symbol or symbol_from_name(where)
                if not sym:
                    raise ImportError_(f"{where}: klines do not name their symbol: give --symbol")
                rows = ((i, [str(x) for x in rec]) for i, rec in enumerate(data))
                yield from _kline_rows("klines", rows, where, venue, sym, report)
            elif isinstance(first, list) and len(first) == 2:
                if rate_unit not in ("fraction", "percent"):
                    raise ImportError_(
                        f"{where}: [time, rate] pairs do not say their unit: give --rate-unit fraction or percent"
                    )
                scale = 0.01 if rate_unit == "percent" else 1.0
                recs = [{"fundingTime": t, "fundingRate": r * scale} for t, r in data]
                report.notes.append(f"{where}: rates read as {rate_unit}")
                yield from _rest_funding(recs, where, venue, symbol, report)
            else:
                raise ImportError_(
                    f"{where}: not a fundingRate, openInterestHist or klines response"
                )


def _rest_funding(
    data: list, where: str, venue: str, symbol: str | None, report: ImportReport
) -> Iterator[Row]:
    parsed = []
    for i, rec in enumerate(data):
        report.rows_read += 1
        try:
            parsed.append(
                (epoch_ms(rec["fundingTime"]), number(rec["fundingRate"]), rec, f"{where}[{i}]")
            )
        except (KeyError, ValueError, TypeError) as exc:
            report.bad(f"{where}[{i}]", f"not a fundingRate record ({exc})")
    parsed.sort(key=lambda p: p[0])
    times = [p[0] for p in parsed]
    for k, (ts, rate, rec, at) in enumerate(parsed):
        # the interval this rate covered: from the previous settlement (or to the next one)
        other = times[k - 1] if k > 0 else (times[k + 1] if k + 1 < len(times) else None)
        hours = round(abs(ts - other) / 3_600_000) if other is not None else None
        sym = (rec.get("symbol") or symbol or "?").upper() if isinstance(rec, dict) else symbol
        yield Row.of(
            FundingRate,
            ts,
            ts,
            venue,
            sym,
            at,
            funding_rate=rate,
            funding_interval_h=float(hours) if hours else None,
        )
        mark = rec.get("markPrice") if isinstance(rec, dict) else None
        if mark not in (None, ""):
            yield Row.of(
                MarkPrice,
                ts,
                ts,
                venue,
                sym,
                at,
                mark_price_usd=float(mark),
                index_price_usd=None,
                funding_rate=None,
                funding_interval_h=None,
                next_funding_ts_ms=None,
            )
