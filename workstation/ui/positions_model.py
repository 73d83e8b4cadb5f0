"""The positions table: each open position with its live risk, colour-coded; quantity, entry and
leverage are edited in place (validated by the book). GUI thread only."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor

from workstation.core.leverage import leverage_x
from workstation.risk.book_state import RiskRow
from workstation.risk.live import PositionRisk
from workstation.risk.positions import Position, PositionBook, PositionError
from workstation.ui.models import Index, RowsModel

EXIT_COLOURS = {
    "HOLD": QColor("#1e8449"),
    "TRIM": QColor("#d68910"),
    "HEDGE": QColor("#ca6f1e"),
    "DE-RISK": QColor("#c0392b"),
}
FAIL, PASS, UNKNOWN = QColor("#c0392b"), QColor("#1e8449"), QColor("#7f8c8d")
_EDITABLE = {4: "qty", 5: "entry_usd", 6: "leverage"}
_LIQ_TEXT = {"none": "none", "liquidated": "LIQUIDATED"}  # the liquidation states without a price


def _check(ok: bool | None) -> str:
    return "unknown" if ok is None else ("pass" if ok else "FAIL")


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


class PositionsModel(RowsModel):
    """Rows are the engine's :class:`RiskRow` per open position; a row without risk says why
    (no mark yet, no bracket table, ...), never a number."""

    HEADERS = ("#", "Venue", "Symbol", "Side", "Qty", "Entry", "Lev", "Mark", "PnL (USD)",
               "PnL % margin", "Liq price", "To liq", "σ to liq", "2σ buffer", "10% move",
               "Lev / ladder", "Exit")  # fmt: skip
    error = Signal(str)  # a refused edit, naming the field and the expected form
    edited = Signal(int)  # the id of a position changed in place

    def __init__(self, book: PositionBook) -> None:
        super().__init__()
        self.book = book

    def set_rows(self, rows: list[RiskRow]) -> None:
        """Replace the rows; the same positions in the same order only repaint (the selection
        and an open editor survive a live update)."""
        same = [r.position.id for r in rows] == [r.position.id for r in self._rows]
        if same:
            self._rows = rows
            if rows:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(rows) - 1, len(self.HEADERS) - 1)
                )
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def position(self, row: int) -> Position:
        return self._rows[row].position

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() in _EDITABLE:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() not in _EDITABLE:
            return False
        pos = self.position(index.row())
        try:
            updated = self.book.edit(pos.id, {_EDITABLE[index.column()]: value})
        except PositionError as exc:
            self.error.emit(f"{pos.label}: {exc}")
            return False
        self._rows[index.row()] = RiskRow(updated, None, None, "recomputing")
        self.dataChanged.emit(
            self.index(index.row(), 0), self.index(index.row(), len(self.HEADERS) - 1)
        )
        self.edited.emit(updated.id)
        return True

    def cell(self, row: RiskRow, column: int, role: int) -> Any:
        p, r = row.position, row.risk
        if role == Qt.ItemDataRole.EditRole and column in _EDITABLE:
            return f"{getattr(p, _EDITABLE[column]):g}"
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(p, r, column, row.error)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(p, r, column)
        if role == Qt.ItemDataRole.BackgroundRole and column == 16:
            return UNKNOWN if r is None else EXIT_COLOURS[r.exit_state]
        if role == Qt.ItemDataRole.ToolTipRole:
            if r is None:
                return row.error or "not computed yet"
            return "\n".join((*r.reasons, r.liquidation_approximation)).strip()
        if role == Qt.ItemDataRole.TextAlignmentRole and 4 <= column <= 12:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(p: Position, r: PositionRisk | None, column: int, error: str | None) -> str:
        fixed = (str(p.id), p.venue, p.symbol, p.side, f"{p.qty:g}", f"{p.entry_usd:,.2f}",
                 f"{p.leverage:g}x")  # fmt: skip
        if column < len(fixed):
            return fixed[column]
        if r is None:
            if column == 16:
                return "NO MARK" if error and error.startswith("no mark") else "UNKNOWN"
            return "unknown" if column == 10 and error else "—"
        ladder = _num(r.ladder_max_leverage, "{:g}x")
        return (
            f"{r.mark_usd:,.2f}",
            f"{r.pnl_usd:+,.2f}",
            f"{r.pnl_pct_of_margin:+.1f}%",
            _LIQ_TEXT.get(r.liquidation_state) or f"{r.liquidation_price:,.2f}",
            _LIQ_TEXT.get(r.liquidation_state) or f"{r.distance_pct:.1f}%",
            _num(r.distance_sigmas, "{:.1f}σ"),
            _check(r.buffer_2sigma_ok),
            _check(r.adverse_10pct_ok),
            f"{leverage_x(r.effective_leverage):g}x / {ladder}",
            r.exit_state,
        )[column - len(fixed)]

    @staticmethod
    def _colour(p: Position, r: PositionRisk | None, column: int) -> QColor | None:
        if r is None:
            return QColor("white") if column == 16 else (UNKNOWN if column >= 7 else None)
        if column in (8, 9):
            return FAIL if r.pnl_usd < 0 else PASS
        if column in (10, 11) and r.liquidation_state == "liquidated":
            return FAIL
        if column in (13, 14, 15):
            ok = (r.buffer_2sigma_ok, r.adverse_10pct_ok, r.leverage_ok)[column - 13]
            return UNKNOWN if ok is None else (PASS if ok else FAIL)
        if column == 16:
            return QColor("white")
        return None
