"""The archive: sessions appended to a Parquet dataset any engine reads, and ranges of it turned
back into sessions.

Layout: ``DIR/kind=<kind>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/part-<session>-<n>.parquet``
(Hive partitioning; ``date`` is the UTC day of ``ts_recv_ms``), ZSTD-compressed, one typed schema per
event kind derived from the event dataclasses (:func:`kind_schema`): ``ts_event``/``ts_recv``
(timestamps, ms, UTC), ``ts_event_ms``, ``ts_recv_ms``, ``seq``, ``session`` (the archived
session's id), then the kind's own fields with their units in their names. An option chain is one
row whose ``quotes`` is a list of structs; a position command's fields are one JSON object
(``fields_json``). ``venue``, ``symbol`` and ``date`` live in the folder names only.

Idempotent: ``DIR/_archive.json`` lists the archived sessions by id (the first 16 hex digits of
the SHA-256 of the session file); archiving one again adds nothing. Part files are named by that id,
and the next run deletes those of a run interrupted before it wrote the manifest.

Plain DuckDB reads it as is: ``read_parquet('DIR/kind=bar_1m/**/*.parquet', hive_partitioning=true)``.
Functions here run on the caller's thread; nothing is shared.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import time
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from workstation.core.events import (
    EVENT_TYPES,
    Event,
    OptionChain,
    OptionQuote,
    PositionCommand,
)
from workstation.sessions.store import SessionReader, SessionWriter

MANIFEST = "_archive.json"
MANIFEST_FORMAT = 1
FLUSH_ROWS = 500_000  # rows buffered across partitions before they are written (memory bound)
ROW_GROUP_ROWS = 128_000
KINDS: dict[str, type] = {cls.KIND: cls for cls in EVENT_TYPES}
_HEAD = ("ts_event_ms", "ts_recv_ms", "seq", "venue", "symbol")
_TS = pa.timestamp("ms", tz="UTC")
DAY_MS = 86_400_000


class ArchiveError(Exception):
    """An archive that cannot be used or a query that fails; the message is one line."""


@dataclass(frozen=True, slots=True)
class ArchivedSession:
    """One ``archive`` result: ``events`` written (0 when ``skipped``: archived before)."""

    path: str
    session_id: str
    events: int
    skipped: bool


def _arrow_type(hint: Any) -> pa.DataType:
    """The Arrow type of a dataclass field's type hint (``X | None`` is a nullable ``X``)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return _arrow_type(args[0])
    if typing.get_origin(hint) is typing.Literal or hint is str:
        return pa.string()
    if hint is int:
        return pa.int64()
    if hint is float:
        return pa.float64()
    raise TypeError(f"no Arrow type for {hint!r}")


def _quote_type() -> pa.DataType:
    hints = typing.get_type_hints(OptionQuote)
    return pa.struct(
        [pa.field(f.name, _arrow_type(hints[f.name])) for f in dataclasses.fields(OptionQuote)]
    )


def kind_schema(cls: type) -> pa.Schema:
    """The archive schema of event class ``cls`` (without the partition columns)."""
    hints = typing.get_type_hints(cls)
    fields = [
        pa.field("ts_event", _TS, nullable=False),
        pa.field("ts_recv", _TS, nullable=False),
        pa.field("ts_event_ms", pa.int64(), nullable=False),
        pa.field("ts_recv_ms", pa.int64(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("session", pa.string(), nullable=False),
    ]
    for f in dataclasses.fields(cls)[len(_HEAD) :]:
        if cls is OptionChain and f.name == "quotes":
            fields.append(pa.field("quotes", pa.list_(_quote_type())))
        elif cls is PositionCommand and f.name == "fields":
            fields.append(pa.field("fields_json", pa.string()))
        else:
            fields.append(pa.field(f.name, _arrow_type(hints[f.name])))
    return pa.schema(fields)


SCHEMAS: dict[str, pa.Schema] = {kind: kind_schema(cls) for kind, cls in KINDS.items()}


_QUOTE_FIELDS = tuple(f.name for f in dataclasses.fields(OptionQuote))
_OWN: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls))[len(_HEAD) :] for cls in EVENT_TYPES
}


def _row_values(ev: Any) -> list[Any]:
    """The kind's own column values of ``ev`` (after the header), in schema order."""
    out: list[Any] = [getattr(ev, name) for name in _OWN[type(ev)]]
    if isinstance(ev, OptionChain):
        out[0] = [tuple(getattr(q, n) for n in _QUOTE_FIELDS) for q in ev.quotes]
    elif isinstance(ev, PositionCommand):
        i = _OWN[PositionCommand].index("fields")
        out[i] = json.dumps(dict(out[i]), ensure_ascii=False, separators=(",", ":"))
    return out


def utc_date(ts_ms: int) -> str:
    """The UTC day of ``ts_ms`` (ms since the epoch) as ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def session_id(path: str | os.PathLike[str]) -> str:
    """The first 16 hex digits of the SHA-256 of the session file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()[:16]


def read_manifest(root: Path) -> dict[str, Any]:
    """The archive's manifest (an empty one for a new folder)."""
    path = root / MANIFEST
    if not path.exists():
        return {"format": MANIFEST_FORMAT, "sessions": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{path}: not an archive manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ArchiveError(f"{path}: not an archive manifest of format {MANIFEST_FORMAT}")
    return data


def _write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, root / MANIFEST)


def _check_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise ArchiveError(f"{root}: is a file, not an archive folder")


class _PartitionWriter:
    """Buffers rows per (kind, venue, symbol, date) and writes them as numbered part files."""

    def __init__(self, root: Path, sid: str) -> None:
        self.root, self.sid = root, sid
        self.buf: dict[tuple[str, str, str, int], list[list[Any]]] = {}  # day: ms // 86,400,000
        self.parts: dict[tuple[str, str, str, int], int] = {}
        self.rows = 0

    def add(self, ev: Event) -> None:
        key = (ev.KIND, ev.venue, ev.symbol, ev.ts_recv_ms // DAY_MS)
        row = [ev.ts_event_ms, ev.ts_recv_ms, ev.ts_event_ms, ev.ts_recv_ms, ev.seq, self.sid]
        row.extend(_row_values(ev))
        self.buf.setdefault(key, []).append(row)
        self.rows += 1
        if self.rows >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for key, rows in self.buf.items():
            kind, venue, symbol, day = key
            schema = SCHEMAS[kind]
            table = pa.Table.from_arrays(
                [
                    pa.array(col, type=f.type)
                    for col, f in zip(zip(*rows, strict=True), schema, strict=True)
                ],
                schema=schema,
            )
            folder = self.root / f"kind={kind}" / f"venue={venue}" / f"symbol={symbol}"
            folder = folder / f"date={utc_date(day * DAY_MS)}"
            folder.mkdir(parents=True, exist_ok=True)
            n = self.parts.get(key, 0)
            self.parts[key] = n + 1
            pq.write_table(
                table,
                folder / f"part-{self.sid}-{n}.parquet",
                compression="zstd",
                row_group_size=ROW_GROUP_ROWS,
            )
        self.buf.clear()
        self.rows = 0


def archive_session(
    path: str | os.PathLike[str],
    root: str | os.PathLike[str],
    now_ms: Callable[[], int] | None = None,
) -> ArchivedSession:
    """Append session ``path`` to the archive at ``root`` (created if missing); a session archived
    before (same file bytes) adds nothing. Raises SessionError for a bad session file."""
    root = Path(root)
    _check_root(root)
    with SessionReader(path) as reader:  # a bad session fails before anything is written
        manifest = read_manifest(root)
        sid = session_id(path)
        if sid in manifest["sessions"]:
            return ArchivedSession(str(path), sid, 0, True)
        root.mkdir(parents=True, exist_ok=True)
        for stale in root.glob(f"kind=*/venue=*/symbol=*/date=*/part-{sid}-*.parquet"):
            stale.unlink()  # left by a run interrupted before its manifest was written
        writer = _PartitionWriter(root, sid)
        n = 0
        span = reader.time_range()
        for ev in reader.events():
            writer.add(ev)
            n += 1
        writer.flush()
        manifest["sessions"][sid] = {
            "path": str(Path(path).resolve()),
            "events": n,
            "first_ts_recv_ms": None if span is None else span[0],
            "last_ts_recv_ms": None if span is None else span[1],
            "source": reader.meta.source,
            "archived_ms": (now_ms or (lambda: time.time_ns() // 10**6))(),
        }
    _write_manifest(root, manifest)
    return ArchivedSession(str(path), sid, n, False)


def archived_kinds(root: str | os.PathLike[str]) -> list[str]:
    """The event kinds the archive at ``root`` holds (folders ``kind=...``), sorted."""
    root = Path(root)
    if not root.is_dir():
        raise ArchiveError(f"{root}: no such archive folder")
    return sorted(
        p.name.split("=", 1)[1]
        for p in root.glob("kind=*")
        if p.is_dir() and p.name.split("=", 1)[1] in KINDS
    )


def _dataset(root: Path, kind: str) -> pads.Dataset:
    part = pa.schema([("venue", pa.string()), ("symbol", pa.string()), ("date", pa.string())])
    return pads.dataset(
        root / f"kind={kind}",
        schema=pa.unify_schemas([SCHEMAS[kind], part]),
        format="parquet",
        partitioning=pads.partitioning(part, flavor="hive"),
    )


_Row = tuple[int, str, int, type, int, str, str, tuple]


def _rows_of(kind: str, table: pa.Table) -> list[_Row]:
    """``(ts_recv_ms, session, seq, cls, ts_event_ms, venue, symbol, own field values)`` of each
    row of ``table`` (one kind): what :meth:`SessionWriter.append_values` takes."""
    cls = KINDS[kind]
    cols = {name: table.column(name).to_pylist() for name in table.column_names if name != "quotes"}
    if cls is OptionChain:  # the flat quote columns are ~5x faster than a list of dicts
        chains = table.column("quotes").combine_chunks()
        offsets = chains.offsets.to_pylist()
        parts = [chains.values.field(n).to_pylist() for n in _QUOTE_FIELDS]
        quotes = [OptionQuote(*q) for q in zip(*parts, strict=True)]
        cols["quotes"] = [tuple(quotes[a:b]) for a, b in itertools.pairwise(offsets)]
    if cls is PositionCommand:
        cols["fields"] = [tuple(json.loads(f).items()) for f in cols["fields_json"]]
    values = zip(*(cols[name] for name in _OWN[cls]), strict=True)
    return [
        (recv, sess, seq, cls, ts, venue, symbol, vals)
        for recv, sess, seq, ts, venue, symbol, vals in zip(
            cols["ts_recv_ms"],
            cols["session"],
            cols["seq"],
            cols["ts_event_ms"],
            cols["venue"],
            cols["symbol"],
            values,
            strict=True,
        )
    ]


def extract(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str],
    start_ts_ms: int | None = None,
    end_ts_ms: int | None = None,
    symbols: Sequence[str] | None = None,
    *,
    overwrite: bool = False,
) -> int:
    """Write the archived events with ``start_ts_ms <= ts_recv_ms < end_ts_ms`` (of ``symbols``,
    or all) to a new session file ``out``, in ``(ts_recv_ms, session, seq)`` order, one UTC day in
    memory at a time. ``seq`` is renumbered 1, 2, ... in that order (the seqs of merged sessions
    would collide). Returns the number of events written."""
    root = Path(root)
    kinds = archived_kinds(root)
    if not (root / MANIFEST).is_file():
        raise ArchiveError(f"{root}: not an archive (no {MANIFEST}; make one with `archive`)")
    read_manifest(root)
    lo = -(2**63) if start_ts_ms is None else start_ts_ms
    hi = 2**63 - 1 if end_ts_ms is None else end_ts_ms
    datasets = {k: _dataset(root, k) for k in kinds}
    days = sorted(
        {
            p.name.split("=", 1)[1]
            for k in kinds
            for p in (root / f"kind={k}").glob("venue=*/symbol=*/date=*")
        }
    )
    if start_ts_ms is not None:
        days = [d for d in days if d >= utc_date(start_ts_ms)]
    if end_ts_ms is not None:
        days = [d for d in days if d <= utc_date(end_ts_ms)]
    streams = {
        (p.parent.parent.name.split("=", 1)[1], p.parent.name.split("=", 1)[1])
        for k in kinds
        for p in (root / f"kind={k}").glob("venue=*/symbol=*/date=*")
        if p.name.split("=", 1)[1] in days
    }
    if symbols:
        streams = {(v, s) for v, s in streams if s in symbols}
    with SessionWriter(
        out,
        source="imported",
        venues=sorted({v for v, _ in streams}),
        symbols=sorted({s for _, s in streams}),
        notes=f"extracted from the archive {root.resolve()}",
        extra={"archive": str(root.resolve()), "from_ms": start_ts_ms, "to_ms": end_ts_ms},
        overwrite=overwrite,
    ) as writer:
        seq = 0
        for day in days:
            flt = (pads.field("date") == day) & (pads.field("ts_recv_ms") >= lo)
            flt = flt & (pads.field("ts_recv_ms") < hi)
            if symbols:
                flt = flt & pads.field("symbol").isin(list(symbols))
            rows: list[_Row] = []
            for kind, ds in datasets.items():
                rows.extend(_rows_of(kind, ds.to_table(filter=flt)))
            rows.sort(key=lambda r: r[:3])
            for recv, _, _, cls, ts, venue, symbol, vals in rows:
                seq += 1
                writer.append_values(cls, ts, recv, seq, venue, symbol, vals)
        return writer.count


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A query's column names and rows (Python values; timestamps as ``datetime``, UTC)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def query(root: str | os.PathLike[str], sql: str) -> QueryResult:
    """Run DuckDB ``sql`` over the archive at ``root``, each kind a view of its name
    (``bar_1m``, ``liquidation``, ...). Raises ArchiveError with DuckDB's first line on failure."""
    import duckdb

    root = Path(root)
    kinds = archived_kinds(root)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for kind in kinds:
            glob = str(root / f"kind={kind}" / "**" / "*.parquet").replace("'", "''")
            con.execute(
                f"CREATE VIEW {kind} AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true)"
            )
        cur = con.execute(sql)
        if cur.description is None:
            return QueryResult([], [])
        return QueryResult([d[0] for d in cur.description], cur.fetchall())
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArchiveError(first) from None
    finally:
        con.close()
