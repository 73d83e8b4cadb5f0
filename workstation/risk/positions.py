"""The position book: positions and their journals, in SQLite in the user data folder.

A position: venue, symbol, side, quantity (coin), entry (USD), leverage, margin mode, the isolated
margin (USD) or the cross wallet (USD). Its journal holds the three numbers written before the
trade (maximum tolerated drawdown in % of the position's margin, maximum leverage, and the price at
which size must be reduced if funding or OI worsen), the thesis and the risk invalidation.

Every field is validated: a bad value raises :class:`PositionError` naming the field and the
expected form. The book belongs to the thread that opened it.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workstation.risk.brackets import VENUES

MARGIN_MODES = ("isolated", "cross")
_SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")


class PositionError(ValueError):
    """A value that cannot be taken; ``field`` names it."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True)
class Journal:
    """Written before the trade."""

    max_drawdown_pct: float | None = None  # of the position's margin
    max_leverage: float | None = None
    reduce_price_usd: float | None = None  # reduce size here if funding or OI worsen
    thesis: str = ""
    risk_invalidation: str = ""


@dataclass(frozen=True)
class Position:
    venue: str
    symbol: str
    side: str
    qty: float  # coin
    entry_usd: float
    leverage: float
    margin_mode: str = "isolated"
    margin_usd: float | None = None  # isolated margin; default qty × entry / leverage
    wallet_usd: float | None = None  # cross wallet balance of the venue account
    journal: Journal = field(default_factory=Journal)
    id: int | None = None
    opened_ms: int | None = None
    closed_ms: int | None = None
    close_price_usd: float | None = None

    @property
    def sign(self) -> int:
        return 1 if self.side == "long" else -1

    @property
    def notional_usd(self) -> float:
        return self.qty * self.entry_usd

    @property
    def isolated_margin_usd(self) -> float:
        return self.margin_usd if self.margin_usd is not None else self.notional_usd / self.leverage

    @property
    def label(self) -> str:
        ref = f"#{self.id} " if self.id is not None else ""
        return f"{ref}{self.venue} {self.symbol} {self.side} {self.qty:g}"


def parse_number(
    name: str, raw: Any, *, positive: bool = True, optional: bool = False
) -> float | None:
    """A number from a form or a file ("66,800" and "66_800" allowed); a bad or missing value
    raises :class:`PositionError` naming ``name``."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if optional:
            return None
        raise PositionError(name, "is required (a number)")
    try:
        value = (
            float(str(raw).replace(",", "").replace("_", ""))
            if isinstance(raw, str)
            else float(raw)
        )
    except (TypeError, ValueError):
        raise PositionError(name, f"must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise PositionError(name, f"must be a finite number, not {raw!r}")
    if positive and value <= 0:
        raise PositionError(name, f"must be greater than 0 (got {raw})")
    return value


def validate(data: Mapping[str, Any]) -> Position:
    """A Position from loosely typed fields (a form, a CSV row, the command line)."""
    venue = str(data.get("venue", "")).strip().lower()
    if venue not in VENUES:
        raise PositionError(
            "venue", f"must be one of {', '.join(VENUES)} (got {data.get('venue')!r})"
        )
    symbol = str(data.get("symbol", "")).strip().upper()
    if not _SYMBOL.match(symbol):
        raise PositionError(
            "symbol", f"must be a symbol such as BTCUSDT (got {data.get('symbol')!r})"
        )
    side = str(data.get("side", "")).strip().lower()
    if side not in ("long", "short"):
        raise PositionError("side", f"must be long or short (got {data.get('side')!r})")
    qty = parse_number("qty", data.get("qty"))
    entry = parse_number("entry_usd", data.get("entry_usd"))
    mode = str(data.get("margin_mode") or "isolated").strip().lower()
    if mode not in MARGIN_MODES:
        raise PositionError(
            "margin_mode", f"must be isolated or cross (got {data.get('margin_mode')!r})"
        )
    margin = parse_number("margin_usd", data.get("margin_usd"), optional=True)
    leverage = parse_number("leverage", data.get("leverage"), optional=margin is not None)
    if leverage is None:
        leverage = qty * entry / margin
    if leverage > 200:
        raise PositionError("leverage", f"must be at most 200x (got {leverage:g})")
    wallet = parse_number("wallet_usd", data.get("wallet_usd"), optional=mode == "isolated")
    journal = Journal(
        max_drawdown_pct=parse_number(
            "max_drawdown_pct", data.get("max_drawdown_pct"), optional=True
        ),
        max_leverage=parse_number("max_leverage", data.get("max_leverage"), optional=True),
        reduce_price_usd=parse_number(
            "reduce_price_usd", data.get("reduce_price_usd"), optional=True
        ),
        thesis=str(data.get("thesis") or ""),
        risk_invalidation=str(data.get("risk_invalidation") or ""),
    )
    if journal.max_drawdown_pct is not None and journal.max_drawdown_pct > 100:
        raise PositionError("max_drawdown_pct", "is a percentage of the margin: at most 100")
    return Position(venue, symbol, side, qty, entry, leverage, mode, margin, wallet, journal)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS positions (
  id INTEGER PRIMARY KEY, venue TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,
  qty REAL NOT NULL, entry_usd REAL NOT NULL, leverage REAL NOT NULL, margin_mode TEXT NOT NULL,
  margin_usd REAL, wallet_usd REAL, opened_ms INTEGER NOT NULL, closed_ms INTEGER,
  close_price_usd REAL);
CREATE TABLE IF NOT EXISTS journal (
  position_id INTEGER PRIMARY KEY REFERENCES positions(id), max_drawdown_pct REAL,
  max_leverage REAL, reduce_price_usd REAL, thesis TEXT NOT NULL DEFAULT '',
  risk_invalidation TEXT NOT NULL DEFAULT '');
"""
_POS_COLS = ("venue", "symbol", "side", "qty", "entry_usd", "leverage", "margin_mode",
             "margin_usd", "wallet_usd")  # fmt: skip
CSV_COLUMNS = ("id", *_POS_COLS, "opened_utc", "closed_utc", "close_price_usd",
               "max_drawdown_pct", "max_leverage", "reduce_price_usd", "thesis",
               "risk_invalidation")  # fmt: skip


def default_book_path() -> Path:
    from workstation.core.userdirs import user_paths

    return user_paths()["position book"]


def _utc(ms: int | None) -> str:
    return (
        ""
        if ms is None
        else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


class PositionBook:
    """Open, edit and close positions; import and export CSV."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else default_book_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path)
        self._con.executescript(_SCHEMA)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> PositionBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, pos: Position, opened_ms: int, pid: int | None = None) -> Position:
        """Store ``pos`` under the next id, or under ``pid`` (an engine command's id: refused
        with :class:`PositionError` if the book already has it)."""
        try:
            with self._con:
                cur = self._con.execute(
                    f"INSERT INTO positions (id, {', '.join(_POS_COLS)}, opened_ms) VALUES "
                    f"({', '.join('?' * (len(_POS_COLS) + 2))})",
                    (pid, *(getattr(pos, c) for c in _POS_COLS), opened_ms),
                )
                pid = int(cur.lastrowid)
                self._write_journal(pid, pos.journal)
        except sqlite3.IntegrityError:
            raise PositionError("id", f"position #{pid} already exists") from None
        return replace(pos, id=pid, opened_ms=opened_ms)

    def data_version(self) -> int:
        """A number that changes when another connection (another process: the command line)
        has committed a change to the book file since the last call; this connection's own
        writes leave it as it is (SQLite's ``PRAGMA data_version``)."""
        return int(self._con.execute("PRAGMA data_version").fetchone()[0])

    def next_id(self) -> int:
        """The id :meth:`add` gives the next position (one past the highest in the book)."""
        return int(
            self._con.execute("SELECT coalesce(max(id), 0) + 1 FROM positions").fetchone()[0]
        )

    def _write_journal(self, pid: int, j: Journal) -> None:
        self._con.execute(
            "INSERT OR REPLACE INTO journal VALUES (?, ?, ?, ?, ?, ?)",
            (
                pid,
                j.max_drawdown_pct,
                j.max_leverage,
                j.reduce_price_usd,
                j.thesis,
                j.risk_invalidation,
            ),
        )

    def edit(self, pid: int, changes: Mapping[str, Any]) -> Position:
        """Apply ``changes`` (any position or journal field) after validating the whole result."""
        current = self.get(pid)
        merged = {**position_fields(current), **changes}
        pos = validate(merged)
        with self._con:
            self._con.execute(
                f"UPDATE positions SET {', '.join(f'{c} = ?' for c in _POS_COLS)} WHERE id = ?",
                (*(getattr(pos, c) for c in _POS_COLS), pid),
            )
            self._write_journal(pid, pos.journal)
        return self.get(pid)

    def close_position(self, pid: int, price_usd: float, closed_ms: int) -> Position:
        price = parse_number("close_price_usd", price_usd)
        self.get(pid)
        with self._con:
            self._con.execute(
                "UPDATE positions SET closed_ms = ?, close_price_usd = ? WHERE id = ?",
                (closed_ms, price, pid),
            )
        return self.get(pid)

    def get(self, pid: int) -> Position:
        rows = self._select("WHERE p.id = ?", (pid,))
        if not rows:
            raise PositionError("id", f"no position #{pid}")
        return rows[0]

    def open_positions(self) -> list[Position]:
        return self._select("WHERE p.closed_ms IS NULL ORDER BY p.id", ())

    def all_positions(self) -> list[Position]:
        return self._select("ORDER BY p.id", ())

    def _select(self, where: str, params: tuple[Any, ...]) -> list[Position]:
        sql = (
            f"SELECT p.id, {', '.join('p.' + c for c in _POS_COLS)}, p.opened_ms, p.closed_ms, "
            "p.close_price_usd, j.max_drawdown_pct, j.max_leverage, j.reduce_price_usd, "
            f"j.thesis, j.risk_invalidation FROM positions p LEFT JOIN journal j ON j.position_id = p.id {where}"
        )
        out = []
        for r in self._con.execute(sql, params):
            pid, rest = r[0], r[1:]
            base = dict(zip(_POS_COLS, rest[: len(_POS_COLS)], strict=True))
            opened, closed, close_px, dd, ml, rp, thesis, inval = rest[len(_POS_COLS) :]
            out.append(
                Position(
                    **base,
                    journal=Journal(dd, ml, rp, thesis or "", inval or ""),
                    id=pid,
                    opened_ms=opened,
                    closed_ms=closed,
                    close_price_usd=close_px,
                )
            )
        return out

    # --- CSV ----------------------------------------------------------------------------------
    def export_csv(self, path: str | os.PathLike[str]) -> int:
        positions = self.all_positions()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            w.writeheader()
            for p in positions:
                row = position_fields(p)
                row.update(
                    id=p.id,
                    opened_utc=_utc(p.opened_ms),
                    closed_utc=_utc(p.closed_ms),
                    close_price_usd=p.close_price_usd,
                )
                w.writerow({k: ("" if row.get(k) is None else row[k]) for k in CSV_COLUMNS})
        return len(positions)

    def import_csv(
        self, path: str | os.PathLike[str], opened_ms: int
    ) -> tuple[list[Position], list[str]]:
        """Adds every valid row; returns (added, problems) with a problem per bad row, naming
        its line and field. A bad row never stops the others."""
        positions, problems = read_positions_csv(path)
        return [self.add(p, opened_ms) for p in positions], problems


def position_fields(p: Position) -> dict[str, Any]:
    """Every position and journal field by its name (what :func:`validate` takes)."""
    d = {c: getattr(p, c) for c in _POS_COLS}
    d.update(asdict(p.journal))
    return d


def read_positions_csv(path: str | os.PathLike[str]) -> tuple[list[Position], list[str]]:
    """Positions from a CSV with a header (the export's columns; ``mark_usd`` may be added).
    Returns (positions, problems); each problem names the line and the field."""
    positions, problems = [], []
    try:
        fh = open(path, newline="", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise PositionError("file", f"{path}: cannot be read ({exc.strerror})") from None
    with fh:
        try:
            text = fh.read()
        except UnicodeDecodeError as exc:
            raise PositionError(
                "file", f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x})"
            ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"venue", "symbol", "side", "qty", "entry_usd"} - set(reader.fieldnames or [])
    if missing:
        raise PositionError("file", f"{path}: the header lacks {', '.join(sorted(missing))}")
    for row in reader:
        try:
            positions.append(validate(row))
        except PositionError as exc:
            problems.append(f"{path}:{reader.line_num}: {exc}")
    return positions, problems
