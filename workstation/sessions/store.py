"""Session files: one SQLite file per session (WAL while recording), written in batches and read
as a stream in ``(ts_recv_ms, seq)`` order.

A writer belongs to one thread (the engine's, or the simulator's); a reader to the thread that
opened it. Durability: appends are committed at least every ``flush_interval_s`` (0.5 s by default)
when the owner calls :meth:`SessionWriter.append` or :meth:`SessionWriter.flush_if_due`, so a
process killed with SIGKILL loses at most the last second. A closed file is checkpointed back to a
single self-contained file (journal mode DELETE), so it can be copied and opened read-only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workstation import __version__
from workstation.core.events import Event
from workstation.sessions.codec import (
    DECODERS,
    KIND_CODE,
    KIND_NAME,
    LAYOUT,
    encode,
    values_encoder,
)

# 2: kind 13 (feed_alive) exists. A reader of 1 meeting it would call the row corrupt; with 2 it
# says the file is newer and asks for an update. Files of schema 1 read as before.
SCHEMA_VERSION = 2
APPLICATION_ID = 0x57534B31  # "WSK1": marks an SQLite file as a workstation session
SOURCES = ("live", "simulated", "imported")
_SQLITE_MAGIC = b"SQLite format 3\x00"
NOT_SQLITE = "not a session file (not an SQLite database)"  # a SessionError's problem

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE streams (
  stream INTEGER PRIMARY KEY, venue TEXT NOT NULL, symbol TEXT NOT NULL, UNIQUE (venue, symbol));
CREATE TABLE kinds (kind INTEGER PRIMARY KEY, name TEXT NOT NULL, columns TEXT NOT NULL);
CREATE TABLE events (
  ts_recv_ms INTEGER NOT NULL, seq INTEGER NOT NULL, ts_event_ms INTEGER NOT NULL,
  kind INTEGER NOT NULL, stream INTEGER NOT NULL, x1, x2, x3, x4, x5, txt TEXT,
  PRIMARY KEY (ts_recv_ms, seq)) WITHOUT ROWID;
CREATE TABLE notes (ts_ms INTEGER NOT NULL, text TEXT NOT NULL);
"""


class SessionError(Exception):
    """A session file that cannot be used; the message names the file and the problem."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SessionMeta:
    """What a session says about itself. ``created_ms`` is wall time at creation (UTC ms)."""

    schema_version: int
    app_version: str
    created_ms: int
    source: str
    venues: tuple[str, ...]
    symbols: tuple[str, ...]
    notes: str
    extra: dict[str, Any]

    @property
    def created_utc(self) -> str:
        return datetime.fromtimestamp(self.created_ms / 1000, tz=UTC).strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        )


class SessionWriter:
    """Appends events to a new session file. Owned by one thread."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        source: str,
        venues: Iterable[str] = (),
        symbols: Iterable[str] = (),
        notes: str = "",
        extra: dict[str, Any] | None = None,
        overwrite: bool = False,
        flush_interval_s: float = 0.5,
        batch_size: int = 20_000,
        monotonic: Callable[[], float] = time.monotonic,
        created_ms: int | None = None,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
        self.path = Path(path)
        if self.path.exists():
            if not overwrite:
                raise SessionError(self.path, "already exists (choose another name or --force)")
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
        self._con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.execute(f"PRAGMA application_id={APPLICATION_ID}")
        self._con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._con.execute("BEGIN")
        # One transaction for the schema (executescript would commit on its own).
        for stmt in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
            self._con.execute(stmt)
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "app_version": __version__,
            "created_ms": str(created_ms if created_ms is not None else time.time_ns() // 10**6),
            "source": source,
            "venues": json.dumps(list(venues)),
            "symbols": json.dumps(list(symbols)),
            "notes": notes,
            "extra": json.dumps(extra or {}, sort_keys=True),
        }
        self._con.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        self._con.executemany(
            "INSERT INTO kinds VALUES (?, ?, ?)",
            [
                (code, KIND_NAME[code], json.dumps({"x": list(xs), "txt": txt}))
                for code, (_, xs, txt) in sorted(LAYOUT.items())
            ],
        )
        self._con.execute("COMMIT")
        self._streams: dict[tuple[str, str], int] = {}
        self._encoders: dict[type, Any] = {}
        self._buf: list[tuple[Any, ...]] = []
        self._monotonic = monotonic
        self._flush_interval_s = flush_interval_s
        self._batch_size = batch_size
        self._last_flush = monotonic()
        self.count = 0
        self._closed = False

    def _stream(self, venue: str, symbol: str) -> int:
        key = (venue, symbol)
        sid = self._streams.get(key)
        if sid is None:
            sid = len(self._streams) + 1
            self._streams[key] = sid
            self._con.execute("INSERT INTO streams VALUES (?, ?, ?)", (sid, venue, symbol))
        return sid

    def append(self, ev: Event) -> None:
        """Buffer one event; commits when the batch is full or the flush interval has passed."""
        sid = self._streams.get((ev.venue, ev.symbol)) or self._stream(ev.venue, ev.symbol)
        self._buf.append(encode(ev, sid))
        self.count += 1
        if (
            len(self._buf) >= self._batch_size
            or self._monotonic() - self._last_flush >= self._flush_interval_s
        ):
            self.flush()

    def append_values(
        self,
        cls: type,
        ts_event_ms: int,
        ts_recv_ms: int,
        seq: int,
        venue: str,
        symbol: str,
        values: tuple,
    ) -> None:
        """Buffer one event given as its field values (importers): the same row as
        ``append(cls(...))`` without building the event."""
        enc = self._encoders.get(cls)
        if enc is None:
            enc = self._encoders[cls] = values_encoder(cls)
        sid = self._streams.get((venue, symbol)) or self._stream(venue, symbol)
        self._buf.append((ts_recv_ms, seq, ts_event_ms, KIND_CODE[cls], sid, *enc(values, symbol)))
        self.count += 1
        if len(self._buf) >= self._batch_size:
            self.flush()

    def add_note(self, ts_ms: int, text: str) -> None:
        """A note on the session's timeline (feed gaps, reconnects, operator remarks)."""
        self._con.execute("INSERT INTO notes VALUES (?, ?)", (int(ts_ms), text))

    def flush_if_due(self) -> None:
        """Commit if the flush interval has passed; the owning loop calls this when idle."""
        if self._buf and self._monotonic() - self._last_flush >= self._flush_interval_s:
            self.flush()

    def flush(self) -> None:
        """Commit everything buffered (one transaction)."""
        self._last_flush = self._monotonic()
        if not self._buf:
            return
        con = self._con
        con.execute("BEGIN")
        try:
            con.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", self._buf)
        except sqlite3.IntegrityError as exc:
            con.execute("ROLLBACK")
            raise SessionError(
                self.path, f"duplicate (ts_recv_ms, seq) in appended events: {exc}"
            ) from None
        con.execute("COMMIT")
        self._buf.clear()

    def close(self) -> None:
        """Commit, checkpoint and turn the file back into one self-contained file."""
        if self._closed:
            return
        self.flush()
        self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._con.execute("PRAGMA journal_mode=DELETE")
        self._con.close()
        self._closed = True

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_header(path: Path) -> None:
    """Cheap checks before SQLite sees the file: exists, is SQLite, is not truncated."""
    if not path.exists():
        raise SessionError(path, "no such file")
    if not path.is_file():
        raise SessionError(path, "not a file")
    size = path.stat().st_size
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise SessionError(path, f"cannot be read ({exc.strerror})") from None
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise SessionError(path, NOT_SQLITE)
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, n_pages = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    if valid_for == change_counter and n_pages and size < n_pages * page_size:
        raise SessionError(
            path, f"truncated ({size} bytes; its header says {n_pages * page_size} bytes)"
        )


class SessionReader:
    """Reads a session file; streams its events in ``(ts_recv_ms, seq)`` order with bounded memory.
    Raises :class:`SessionError` for a file that is missing, not a session, from a newer schema,
    truncated or corrupt — at open, or while streaming if the damage is further in."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        _check_header(self.path)
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            app_id = self._con.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise SessionError(self.path, f"corrupt ({exc})") from None
        if app_id != APPLICATION_ID or not {"meta", "events", "streams"} <= tables:
            self._con.close()
            raise SessionError(self.path, "not a session file (an SQLite database of another kind)")
        try:
            raw = dict(self._con.execute("SELECT key, value FROM meta"))
            version = int(raw.get("schema_version", "0"))
            if version > SCHEMA_VERSION:
                raise SessionError(
                    self.path,
                    f"written by a newer workstation (schema version {version}; "
                    f"this version reads up to {SCHEMA_VERSION}): update the workstation",
                )
            self.meta = SessionMeta(
                schema_version=version,
                app_version=raw.get("app_version", "?"),
                created_ms=int(raw.get("created_ms", "0")),
                source=raw.get("source", "?"),
                venues=tuple(json.loads(raw.get("venues", "[]"))),
                symbols=tuple(json.loads(raw.get("symbols", "[]"))),
                notes=raw.get("notes", ""),
                extra=json.loads(raw.get("extra", "{}")),
            )
            self.streams: dict[int, tuple[str, str]] = {
                sid: (sys.intern(v), sys.intern(s))
                for sid, v, s in self._con.execute("SELECT stream, venue, symbol FROM streams")
            }
        except (sqlite3.DatabaseError, ValueError) as exc:
            self._con.close()
            raise SessionError(self.path, f"corrupt ({exc})") from None

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._con.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise SessionError(self.path, f"corrupt ({exc})") from None

    def time_range(self) -> tuple[int, int] | None:
        """(first, last) ``ts_recv_ms``, or None for an empty session."""
        lo, hi = self._query("SELECT min(ts_recv_ms), max(ts_recv_ms) FROM events")[0]
        return None if lo is None else (int(lo), int(hi))

    def counts(self) -> list[tuple[str, str, str, int, int, int]]:
        """Per (kind, venue, symbol): count and first/last ``ts_event_ms``, sorted by names."""
        rows = self._query(
            "SELECT kind, stream, count(*), min(ts_event_ms), max(ts_event_ms) "
            "FROM events GROUP BY kind, stream"
        )
        out = []
        for kind, sid, n, lo, hi in rows:
            venue, symbol = self.streams.get(sid, ("?", "?"))
            out.append((KIND_NAME.get(kind, f"kind{kind}"), venue, symbol, n, lo, hi))
        return sorted(out)

    def notes(self) -> list[tuple[int, str]]:
        return [(int(t), s) for t, s in self._query("SELECT ts_ms, text FROM notes ORDER BY 1")]

    def events(
        self, start_ts_ms: int | None = None, end_ts_ms: int | None = None, chunk: int = 4096
    ) -> Iterator[Event]:
        """Yield events with ``start_ts_ms <= ts_recv_ms < end_ts_ms`` in ``(ts_recv_ms, seq)``
        order, ``chunk`` rows in memory at a time."""
        sql = (
            "SELECT kind, ts_event_ms, ts_recv_ms, seq, stream, x1, x2, x3, x4, x5, txt "
            "FROM events WHERE ts_recv_ms >= ? AND ts_recv_ms < ? ORDER BY ts_recv_ms, seq"
        )
        lo = -(2**63) if start_ts_ms is None else start_ts_ms
        hi = 2**63 - 1 if end_ts_ms is None else end_ts_ms
        decoders, streams = DECODERS, self.streams
        try:
            cur = self._con.execute(sql, (lo, hi))
            while rows := cur.fetchmany(chunk):
                for row in rows:
                    venue, symbol = streams[row[4]]
                    yield decoders[row[0]](row, venue, symbol)
        except sqlite3.DatabaseError as exc:
            raise SessionError(self.path, f"corrupt ({exc})") from None
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SessionError(self.path, f"corrupt row ({type(exc).__name__}: {exc})") from None

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> SessionReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
