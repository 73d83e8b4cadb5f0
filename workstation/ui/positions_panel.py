"""The positions dock: the book's open positions with live risk, add / edit / close, the sizing
calculator, and the stress panel (book equity against a price shock, where each position is
liquidated). Fed the engine's state by the controller; GUI thread only."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workstation.risk.live import MarketState, position_risk
from workstation.risk.positions import Position, PositionBook, PositionError, position_fields
from workstation.risk.stress import SHOCKS_PCT, ShockResult, stress, stress_summary
from workstation.ui.position_dialog import PositionDialog
from workstation.ui.positions_model import PositionsModel
from workstation.ui.sizing_dialog import SizingDialog


@dataclass(frozen=True)
class Market:
    """The engine's state for the session's symbol, as the panel needs it."""

    symbol: str
    mark_usd: float | None
    rv_annual_pct: float | None
    ladder_max_leverage: float | None
    verdict: str | None
    cautions: tuple[str, ...]
    ts_ms: int


def _more_liquidated(results: list[ShockResult], i: int) -> bool:
    """More positions are liquidated at shock ``i`` than at its neighbour nearer zero."""
    shock = results[i].shock_pct
    j = i + 1 if shock < 0 else i - 1
    nearer = results[j].liquidated if shock != 0 and 0 <= j < len(results) else ()
    return len(results[i].liquidated) > len(nearer)


class PositionsPanel(QWidget):
    def __init__(self, book: PositionBook) -> None:
        super().__init__()
        self.book = book
        self.market: Market | None = None
        self.model = PositionsModel(book)
        self.model.error.connect(self._show_error)
        self.model.edited.connect(lambda _pid: self.reload())
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.doubleClicked.connect(lambda index: self.edit_position(index.row()))
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Add…", self.add_position),
            ("Edit…", lambda: self.edit_position(self._selected())),
            ("Close at mark", lambda: self.close_at_mark(self._selected())),
            ("Size a trade…", self.open_sizing),
        ):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        buttons.addWidget(self.message, stretch=1)
        self.stress_plot = pg.PlotWidget(title="Book equity (USD) against a price shock (%)")
        self.stress_plot.showGrid(x=True, y=True, alpha=0.2)
        for side in ("left", "bottom"):
            self.stress_plot.getAxis(side).setStyle(maxTickLevel=0)
        self.stress_plot.getAxis("left").enableAutoSIPrefix(False)
        self.stress_plot.getAxis("left").setWidth(70)
        self.stress_plot.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#7f8c8d")))
        self.stress_curve = self.stress_plot.plot(pen=pg.mkPen("#5dade2", width=2))
        self.stress_liq = self.stress_plot.plot(
            pen=None, symbol="x", symbolBrush="#c0392b", symbolPen="#c0392b", symbolSize=10
        )
        self.stress_text = QLabel()
        self.stress_text.setWordWrap(True)
        self.stress_box = QWidget()  # the window docks it beside the table
        sl = QVBoxLayout(self.stress_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.stress_plot)
        sl.addWidget(self.stress_text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.view)
        self.positions: list[Position] = []
        self._stress_key: tuple | None = None
        self.reload()

    # --- data ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the open positions from the book again (after an add, an edit or a close)."""
        self.positions = self.book.open_positions()
        self.refresh()

    def set_market(self, market: Market) -> None:
        self.market = market
        self.refresh()

    def marks(self) -> dict[str, float]:
        m = self.market
        return {} if m is None or m.mark_usd is None else {m.symbol: m.mark_usd}

    def refresh(self) -> None:
        """Recompute every position's risk and the stress curve from the latest market."""
        marks, rows = self.marks(), []
        m = self.market
        for p in self.positions:
            if p.symbol not in marks or m is None:
                rows.append((p, None))
                continue
            state = MarketState(
                marks[p.symbol], m.rv_annual_pct, m.ladder_max_leverage, m.verdict, m.cautions
            )
            rows.append((p, position_risk(p, state, marks, self.positions)))
        self.model.set_rows(rows)
        self._stress(marks)

    def _stress(self, marks: dict[str, float]) -> None:
        key = (tuple(self.positions), tuple(sorted((k, round(v, 2)) for k, v in marks.items())))
        if key == self._stress_key:  # same book, same marks (to the cent): nothing to redraw
            return
        self._stress_key = key
        if not self.positions:
            self.stress_curve.setData([], [])
            self.stress_liq.setData([], [])
            self.stress_text.setText("No open positions.")
            return
        try:
            results = stress(self.positions, marks, SHOCKS_PCT)
        except PositionError as exc:
            self.stress_text.setText(f"Stress cannot run: {exc}")
            return
        x = np.array([r.shock_pct for r in results])
        y = np.array([r.equity_usd for r in results])
        self.stress_curve.setData(x, y)
        first = [i for i in range(len(results)) if _more_liquidated(results, i)]
        self.stress_liq.setData(x[first], y[first])
        no_mark = sorted({p.symbol for p in self.positions} - set(marks))
        note = f"   (no mark for {', '.join(no_mark)}: shocked from entry)" if no_mark else ""
        self.stress_text.setText(stress_summary(results) + note)

    # --- actions -------------------------------------------------------------------------------
    def _selected(self) -> int:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def _show_error(self, text: str) -> None:
        self.message.setStyleSheet("color:#c0392b;")
        self.message.setText(text)

    def _show_info(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)

    def _now_ms(self) -> int:
        return 0 if self.market is None else self.market.ts_ms

    def add_position(self, initial: dict | None = None) -> PositionDialog:
        dialog = PositionDialog(
            self, initial or {"symbol": self._symbol(), "entry_usd": self._mark()}
        )
        dialog.accepted.connect(lambda: self._added(dialog))
        dialog.open()
        return dialog

    def _added(self, dialog: PositionDialog) -> None:
        pos = self.book.add(dialog.result_position, self._now_ms())
        self._show_info(f"added {pos.label}")
        self.reload()

    def edit_position(self, row: int) -> PositionDialog | None:
        if row < 0:
            self._show_error("select a position first")
            return None
        pos = self.model.position(row)
        dialog = PositionDialog(self, position_fields(pos))
        dialog.accepted.connect(lambda: self._edited(pos, dialog))
        dialog.open()
        return dialog

    def _edited(self, pos: Position, dialog: PositionDialog) -> None:
        self.book.edit(pos.id, position_fields(dialog.result_position))
        self._show_info(f"saved #{pos.id}")
        self.reload()

    def close_at_mark(self, row: int) -> None:
        if row < 0:
            self._show_error("select a position first")
            return
        pos = self.model.position(row)
        mark = self.marks().get(pos.symbol)
        if mark is None:
            self._show_error(
                f"no mark for {pos.symbol}: close it from the command line with a price"
            )
            return
        self.book.close_position(pos.id, mark, self._now_ms())
        self._show_info(f"closed {pos.label} at {mark:,.2f}")
        self.reload()

    def open_sizing(self) -> SizingDialog:
        m = self.market
        dialog = SizingDialog(
            self,
            self._symbol(),
            None if m is None else m.ladder_max_leverage,
            None if m is None else m.rv_annual_pct,
            self._mark(),
        )
        dialog.save.clicked.connect(
            lambda: (dialog.accept(), self.add_position(dialog.position_fields()))
        )
        dialog.open()
        return dialog

    def _symbol(self) -> str:
        return "BTCUSDT" if self.market is None else self.market.symbol

    def _mark(self) -> float | None:
        return self.marks().get(self._symbol())


def rv_from(fresh: dict[str, float], metric: str) -> float | None:
    """The ladder's realized vol metric, None when stale or not a number."""
    v = fresh.get(metric)
    return None if v is None or not math.isfinite(v) else v
