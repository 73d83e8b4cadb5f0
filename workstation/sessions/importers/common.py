"""What every importer shares: the report, time parsing, and writing a session in time order.

An importer yields :class:`Row`s (one future event each, with the file and line it came from).
:func:`write_import` sorts them by event time, drops duplicates (same kind, venue, symbol and
time: the first one is kept and the rest are counted), finds gaps (a step longer than 1.5 × the
stream's median step), assigns ``ts_recv_ms`` (the moment the data was final: a bar's close,
otherwise the event time) and ``seq``, and writes the session. Nothing is invented: a row that
does not parse is reported with its line number and the import goes on.
"""

from __future__ import annotations

import itertools
import os
import re
import statistics
import sys
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from workstation.core.drafts import EventDraft
from workstation.core.timefmt import fmt_utc
from workstation.sessions.store import SessionWriter

MAX_LISTED = 50


class ImportError_(Exception):
    """An input that cannot be imported at all (the message names the file and the problem).
    Not a ValueError: the per-row handlers must not mistake it for one bad row."""


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    events: int = 0
    bad_rows: int = 0
    problems: list[str] = field(default_factory=list)  # the first MAX_LISTED bad rows
    duplicates: int = 0
    gaps: list[str] = field(default_factory=list)
    gap_starts_ms: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    first_ts_ms: int | None = None
    last_ts_ms: int | None = None

    def bad(self, where: str, why: str) -> None:
        self.bad_rows += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(f"{where}: {why}")

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


Row = EventDraft  # an importer's row is a draft of one event


@contextmanager
def text_only(report: ImportReport) -> Iterator[None]:
    """A UnicodeDecodeError while reading becomes an :class:`ImportError_` naming the file being
    read (the last of ``report.files``)."""
    try:
        yield
    except UnicodeDecodeError as exc:
        where = report.files[-1] if report.files else "input"
        raise ImportError_(
            f"{where}: not UTF-8 text (byte {exc.object[exc.start]:#04x}): "
            "a CSV or JSON file was expected"
        ) from None


def open_text(path: Path) -> Iterator[tuple[str, IO[str]]]:
    """(name, text stream) for a CSV/JSON file, or for every member of a zip file."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.endswith("/"):
                    continue
                with zf.open(name) as raw:
                    import io

                    yield f"{path}!{name}", io.TextIOWrapper(raw, encoding="utf-8-sig")
    else:
        with path.open(encoding="utf-8-sig") as fh:
            yield str(path), fh


_NUM = re.compile(r"^-?\d+(\.\d+)?$")


def epoch_ms(value: Any) -> int:
    """Epoch seconds, ms or µs (by magnitude) or a date/time string (UTC unless it says) -> ms."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUM.match(value.strip())):
        x = float(value)
        if x > 1e17:
            return int(x // 1_000_000)  # ns
        if x > 1e14:
            return int(x // 1000)  # µs
        if x > 1e11:
            return int(x)  # ms
        return int(x * 1000)  # s
    text = str(value).strip()
    m = re.match(r"^(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})$", text)
    if m:
        return int(datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC).timestamp() * 1000)
    d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return int(d.timestamp() * 1000)


def number(value: Any) -> float:
    """A finite float from a cell (raises ValueError naming the value)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("empty")
    x = float(value)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"not a finite number: {value!r}")
    return x


def check_bar(
    open_usd: float, high_usd: float, low_usd: float, close_usd: float, volume_coin: float | None
) -> None:
    """A ValueError naming what a bar cannot be: a price of 0 or less, a high below its low, open
    or close, a low above its open or close, a negative volume (``None``: not known yet)."""
    prices = {"open": open_usd, "high": high_usd, "low": low_usd, "close": close_usd}
    for name, price in prices.items():
        if not price > 0:
            raise ValueError(f"{name} must be greater than 0 (got {price:g})")
    if high_usd < max(open_usd, low_usd, close_usd):
        raise ValueError(f"high {high_usd:g} is below the bar's open, low or close")
    if low_usd > min(open_usd, close_usd):
        raise ValueError(f"low {low_usd:g} is above the bar's open or close")
    if volume_coin is not None and not volume_coin >= 0:
        raise ValueError(f"volume must be 0 or more (got {volume_coin:g})")


class Progress:
    """A progress line on the terminal (stderr), only when it is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._last = 0

    def update(self, what: str, rows: int) -> None:
        if self.enabled and rows - self._last >= 50_000:
            self._last = rows
            print(f"\r  {what}: {rows:,} rows", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.enabled:
            print("\r" + " " * 70 + "\r", end="", file=sys.stderr, flush=True)


def _gaps(rows: list[Row], report: ImportReport) -> None:
    by_stream: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for r in rows:
        by_stream[(r.cls.KIND, r.venue, r.symbol)].append(r.ts_event_ms)
    for (kind, venue, symbol), ts in sorted(by_stream.items()):
        if len(ts) < 3 or kind == "liquidation":  # liquidations have no cadence
            continue
        steps = [b - a for a, b in itertools.pairwise(ts)]
        step = statistics.median(steps)
        if step <= 0:
            continue
        for a, b in itertools.pairwise(ts):
            if b - a > 1.5 * step:
                missing = round((b - a) / step) - 1
                report.gaps.append(
                    f"{kind} {venue} {symbol}: {missing:,} missing after {fmt_utc(a)} "
                    f"(next at {fmt_utc(b)}; cadence {step / 1000:g} s)"
                )
                report.gap_starts_ms.append(a)


def write_import(
    rows: Iterable[Row],
    out: str | os.PathLike[str],
    report: ImportReport,
    *,
    fmt: str,
    notes: str = "",
    overwrite: bool = False,
) -> ImportReport:
    """Sort, dedupe, find gaps, write the session (source "imported"). No rows at all is an
    :class:`ImportError_` that says why, and nothing is written."""
    rows = sorted(rows, key=lambda r: (r.ts_final_ms, r.ts_event_ms, r.cls.KIND, r.venue, r.symbol))
    seen: set[tuple[str, str, str, int]] = set()
    unique: list[Row] = []
    for r in rows:
        key = (r.cls.KIND, r.venue, r.symbol, r.ts_event_ms)
        if key in seen and r.cls.KIND != "liquidation":
            report.duplicates += 1
            continue
        seen.add(key)
        unique.append(r)
    if not unique:
        why = f"every row was bad, e.g. {report.problems[0]}" if report.bad_rows else "no data rows"
        raise ImportError_(
            f"{', '.join(report.files) or 'the input'}: no events from {report.rows_read:,} rows "
            f"({why}); nothing written"
        )
    _gaps(unique, report)
    venues = sorted({r.venue for r in unique})
    symbols = sorted({r.symbol for r in unique})
    with SessionWriter(
        out,
        source="imported",
        venues=venues,
        symbols=symbols,
        overwrite=overwrite,
        notes=notes or f"imported from {fmt}: {', '.join(Path(f).name for f in report.files)}",
        extra={
            "format": fmt,
            "files": report.files,
            "duplicates": report.duplicates,
            "bad_rows": report.bad_rows,
            "gaps": len(report.gaps),
        },
    ) as w:
        last_recv = -(2**63)
        counts = report.counts
        for seq, r in enumerate(unique, start=1):
            recv = r.ts_final_ms if r.ts_final_ms > last_recv else last_recv
            last_recv = recv
            w.append_values(r.cls, r.ts_event_ms, recv, seq, r.venue, r.symbol, r.fields)
            kind = r.cls.KIND
            counts[kind] = counts.get(kind, 0) + 1
        for ts, gap in zip(report.gap_starts_ms, report.gaps, strict=True):
            w.add_note(ts, f"gap: {gap}")
    report.events = len(unique)
    if unique:
        report.first_ts_ms, report.last_ts_ms = unique[0].ts_event_ms, unique[-1].ts_event_ms
    return report
