"""Qt table models over the engine's outputs. GUI thread only; they are fed snapshots (plain
data) by whoever drives the engine, never the engine itself."""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from workstation.core.records import AlertRecord, Record
from workstation.core.timefmt import fmt_utc
from workstation.metrics.catalogue import CATALOGUE, fmt

Index = QModelIndex | QPersistentModelIndex

# The signals of ../shared/DOMAIN.md section 2: the catalogue's signal rows, checklist items first.
SIGNALS = tuple(
    sorted(
        ((m, m.signal) for m in CATALOGUE.values() if m.signal), key=lambda ms: ms[1].item is None
    )
)
CAUTION, STABLE, WARMING, STALE, ABSENT = (
    "caution", "stable", "warming up", "stale", "not in this session",
)  # fmt: skip
STATE_COLOURS = {
    CAUTION: QColor("#c0392b"),
    STABLE: QColor("#1e8449"),
    WARMING: QColor("#2e86c1"),
    STALE: QColor("#7f8c8d"),
    ABSENT: QColor("#aab7b8"),
}
_OI_SUMS = frozenset({"oi_change_4h_pct"})  # summed over venues: partial when one is missing


@dataclass(frozen=True)
class MetricStates:
    """What the snapshot says beyond the fresh values: metrics warming up (name -> share of their
    window covered, 0..1), metrics seen but stale now, venues the aggregate leaves out."""

    warming: Mapping[str, float] = field(default_factory=dict)
    stale: frozenset[str] = frozenset()
    missing_venues: tuple[str, ...] = ()


def _intensity_divisor(fresh: Mapping[str, float]) -> str:
    """What liquidation intensity divides by, in words; empty when unknown."""
    base, median = fresh.get("liq_baseline_usd_1h"), fresh.get("liq_median_usd_1h")
    if base is None or median is None:
        return ""
    if median < base:
        return f"÷ ≥ {CATALOGUE['liq_baseline_usd_1h'].number(base)} USD/h floor"
    return f"÷ 7-day hourly median {CATALOGUE['liq_median_usd_1h'].number(median)} USD/h"


class RowsModel(QAbstractTableModel):
    """A flat table of ``_rows`` under ``HEADERS``; subclasses give ``cell(row, column, role)``."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Any] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            not index.isValid()
            or not (0 <= index.row() < len(self._rows))
            or not (0 <= index.column() < len(self.HEADERS))
        ):
            return None
        return self.cell(self._rows[index.row()], index.column(), role)

    def cell(self, row: Any, column: int, role: int) -> Any:
        raise NotImplementedError


class SignalsModel(RowsModel):
    """Metric, value, state (stable / caution / warming up / stale / not in this session), what
    to do (in caution: advice that follows the value's sign)."""

    HEADERS = ("Signal", "Value", "State", "What to do")

    def update(
        self,
        fresh: Mapping[str, float],
        cautions: tuple[str, ...],
        unknown: tuple[str, ...],
        active_metrics: frozenset[str] = frozenset(),
        states: MetricStates | None = None,
    ) -> None:
        """``active_metrics``: metrics read by a rule that is active now (in caution even if the
        rule is not a checklist item)."""
        states = states or MetricStates()
        rows = []
        for m, signal in SIGNALS:
            value = fresh.get(m.name)
            item = signal.item
            text, action = fmt(m.name, value), ""
            if value is None:
                if m.name in states.warming:
                    state = WARMING
                    action = f"{states.warming[m.name]:.0%} of its window so far: no value yet"
                elif m.name in states.stale or (item is not None and item in unknown):
                    state, action = STALE, "Its data is old: unknown, not fine."
                else:
                    state = ABSENT
            elif (item is not None and item in cautions) or m.name in active_metrics:
                state, action = CAUTION, signal.advice(value)
            elif item is not None and item in unknown:
                state, action = STALE, "Its data is old: unknown, not fine."
            else:
                state = STABLE
            if value is not None and m.name == "liq_intensity_x":
                text = f"{text} {_intensity_divisor(fresh)}".rstrip()
            if value is not None and m.name in _OI_SUMS and states.missing_venues:
                text += f" (partial: without {', '.join(states.missing_venues)})"
            rows.append((m.label, text, state, action))
        if len(rows) == len(self._rows):  # the same signals: repaint what changed, no relayout
            changed = [
                i for i, (new, old) in enumerate(zip(rows, self._rows, strict=True)) if new != old
            ]
            self._rows = rows
            if changed:
                self.dataChanged.emit(
                    self.index(changed[0], 0), self.index(changed[-1], len(self.HEADERS) - 1)
                )
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def cell(self, row: tuple[str, str, str, str], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return row[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return STATE_COLOURS.get(row[2])
        return None


class AlertsModel(RowsModel):
    """Time, severity, rule, state, acknowledged, message: newest first. Rows are copies of the
    engine's alert records with an ``acked`` flag added."""

    HEADERS = ("Time (UTC)", "Severity", "Rule", "State", "Ack", "Message")
    CSV_FIELDS = ("time_utc", "ts_ms", "severity", "rule", "venue", "symbol", "state")
    CSV_TAIL = ("message", "action", "values", "acknowledged")

    MAX_ROWS = 10_000  # the oldest alerts leave the log past this (a long live run)

    def __init__(self) -> None:
        super().__init__()
        self._active: frozenset[tuple[str, str, str]] = frozenset()
        self._live: set[int] = set()  # id() of the rows that stand for an alert active now

    def set_active(self, active: Collection[tuple[str, str, str]]) -> None:
        """The rule instances active now ((rule, venue, symbol), from the engine's snapshot):
        the newest activation of each is a live row, bold until acknowledged and counted by
        :meth:`unacknowledged`. A past activation that has since cleared is neither."""
        active = frozenset(active)
        if active != self._active:
            self._active = active
            self._find_live()

    def _find_live(self) -> None:
        latest: dict[tuple[str, str, str], dict[str, Any]] = {}
        for r in self._rows:  # newest first
            if r["state"] == "active":
                latest.setdefault((r["rule"], r["venue"], r["symbol"]), r)
        live = {id(r) for key, r in latest.items() if key in self._active}
        if live != self._live:
            self._live = live
            if self._rows:
                last = self.index(len(self._rows) - 1, len(self.HEADERS) - 1)
                self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.FontRole])

    def add(self, records: list[Record]) -> None:
        """New alerts at the top (each row the alert's JSON object and its acknowledgement)."""
        alerts = [dict(r.to_json(), acked=False) for r in records if isinstance(r, AlertRecord)]
        if not alerts:
            return
        self.beginInsertRows(QModelIndex(), 0, len(alerts) - 1)
        self._rows[:0] = list(reversed(alerts))
        self.endInsertRows()
        if len(self._rows) > self.MAX_ROWS:
            self.beginRemoveRows(QModelIndex(), self.MAX_ROWS, len(self._rows) - 1)
            del self._rows[self.MAX_ROWS :]
            self.endRemoveRows()
        self._find_live()

    def clear(self) -> None:
        """Forget every alert (the replay was rebuilt from an earlier moment)."""
        self.beginResetModel()
        self._rows = []
        self._live = set()
        self.endResetModel()

    def row(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def acknowledge(self, rows: list[int]) -> None:
        """Mark these source rows acknowledged (the trader has seen them)."""
        for row in sorted(set(rows)):
            self._rows[row]["acked"] = True
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def unacknowledged(self) -> int:
        """Alerts active now that the trader has not acknowledged (see :meth:`set_active`)."""
        return sum(1 for r in self._rows if id(r) in self._live and not r["acked"])

    def write_csv(self, path: str, rows: list[int]) -> int:
        """Write these source rows (in this order) to ``path`` as UTF-8 CSV; returns the count.
        ``values`` is written as ``name=value`` pairs separated by ``;``."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(self.CSV_FIELDS + self.CSV_TAIL)
            for i in rows:
                r = self._rows[i]
                values = ";".join(f"{k}={v:g}" for k, v in sorted(r.get("values", {}).items()))
                out.writerow(
                    [fmt_utc(r["ts_ms"]), r["ts_ms"]]
                    + [r.get(k, "") for k in self.CSV_FIELDS[2:]]
                    + [r["message"], r.get("action", ""), values, "yes" if r["acked"] else "no"]
                )
        return len(rows)

    def cell(self, r: dict[str, Any], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                fmt_utc(r["ts_ms"], seconds=False),
                r["severity"],
                r["rule"],
                r["state"],
                "✓" if r["acked"] else "",
                r["message"],
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            values = ", ".join(f"{k} = {v:g}" for k, v in sorted(r.get("values", {}).items()))
            return "\n".join(x for x in (r["message"], r.get("action", ""), values) if x)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return {"critical": QColor("#c0392b"), "warning": QColor("#d68910")}.get(r["severity"])
        if role == Qt.ItemDataRole.FontRole and not r["acked"] and id(r) in self._live:
            font = QFont()
            font.setBold(True)
            return font
        return None


class AlertsFilter(QSortFilterProxyModel):
    """Shows the alerts of one severity (or all) whose rule or message contains a text."""

    def __init__(self) -> None:
        super().__init__()
        self._severity = ""
        self._text = ""

    def set_filter(self, severity: str = "", text: str = "") -> None:
        """``severity`` '' for all; ``text`` matched case-insensitively in rule and message."""
        self.beginFilterChange()
        self._severity, self._text = severity, text.strip().lower()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        r = self.sourceModel().row(source_row)
        if self._severity and r["severity"] != self._severity:
            return False
        return not self._text or self._text in f"{r['rule']} {r['message']}".lower()

    def source_rows(self) -> list[int]:
        """The visible rows, as source rows, in view order."""
        return [self.mapToSource(self.index(i, 0)).row() for i in range(self.rowCount())]
