"""Qt table models over the engine's outputs. GUI thread only; they are fed snapshots (plain
data) by whoever drives the engine, never the engine itself."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from workstation.core.timefmt import fmt_utc

Index = QModelIndex | QPersistentModelIndex

# The signals of ../shared/DOMAIN.md section 2: (label, metric, unit format, checklist item, action)
SIGNALS = (
    (
        "Liquidations",
        "liq_intensity_x",
        "{:.1f}x",
        "liquidations",
        "Reduce leverage; avoid chasing dips.",
    ),
    (
        "Open interest 4h",
        "oi_change_4h_pct",
        "{:+.2f}%",
        "oi",
        "Assume crowding; tighten risk limits.",
    ),
    (
        "Funding",
        "funding_rate_8h_pct",
        "{:.4f}%/8h",
        "funding",
        "Cut longs faster; avoid carry drag.",
    ),
    (
        "25d skew (30d)",
        "skew_25d_30d_volpts",
        "{:.1f} vol pts",
        "skew",
        "Hedge or smaller gross exposure.",
    ),
    (
        "Price structure",
        "price_structure_score",
        "{:+.0f}",
        "price_structure",
        "Wait for confirmation.",
    ),
    ("Basis", "basis_apr_pct", "{:.1f}%/yr", None, "Below 5%: bulls not paying for leverage."),
    ("Realized vol 24h", "rv_24h_pct", "{:.0f}%", None, "Above 60% the ladder halves."),
    (
        "Spot/futures volume",
        "spot_perp_volume_ratio",
        "{:.2f}",
        None,
        "Below 0.2: lower confidence.",
    ),
)
STATE_COLOURS = {
    "crowded": QColor("#c0392b"),
    "stable": QColor("#1e8449"),
    "unknown (stale)": QColor("#7f8c8d"),
}


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
    """Metric, value, stable / crowded / unknown, what to do."""

    HEADERS = ("Signal", "Value", "State", "What to do")

    def update(
        self,
        fresh: dict[str, float],
        cautions: tuple[str, ...],
        unknown: tuple[str, ...],
        active_metrics: frozenset[str] = frozenset(),
    ) -> None:
        """``active_metrics``: metrics read by a rule that is active now (crowded even if the rule
        is not a checklist item)."""
        rows = []
        for label, metric, fmt, item, action in SIGNALS:
            value = fresh.get(metric)
            text = "—" if value is None else fmt.format(value)
            if value is None or (item is not None and item in unknown):
                state = "unknown (stale)"
            elif (item is not None and item in cautions) or metric in active_metrics:
                state = "crowded"
            else:
                state = "stable"
            rows.append((label, text, state, action if state == "crowded" else ""))
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
    """Time, severity, rule, state, message: newest first."""

    HEADERS = ("Time (UTC)", "Severity", "Rule", "State", "Message")

    def add(self, records: list[dict[str, Any]]) -> None:
        alerts = [r for r in records if r.get("type") == "alert"]
        if not alerts:
            return
        self.beginInsertRows(QModelIndex(), 0, len(alerts) - 1)
        self._rows[:0] = list(reversed(alerts))
        self.endInsertRows()

    def cell(self, r: dict[str, Any], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                fmt_utc(r["ts_ms"], seconds=False),
                r["severity"],
                r["rule"],
                r["state"],
                r["message"],
            )[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return {"critical": QColor("#c0392b"), "warning": QColor("#d68910")}.get(r["severity"])
        return None
