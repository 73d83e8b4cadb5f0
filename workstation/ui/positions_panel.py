"""The positions dock: the book's open positions with the risk the engine computed (liquidation,
distances, checks, exit ladder), add / edit / close, the sizing calculator, and the stress panel
(book equity against a price shock, where each position is liquidated). A change to the book is
saved into the trader's book file and sent to the engine as a :class:`PositionCommand` (so it is
recorded and replayed); the panel computes no risk itself. GUI thread only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
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

from workstation.core.clock import Clock, LiveClock
from workstation.core.events import PositionCommand
from workstation.risk.book_state import BookRisk, RiskRow, apply_to_book, commands_to_match
from workstation.risk.positions import Position, PositionBook, PositionError, position_fields
from workstation.risk.stress import ShockResult, stress_summary
from workstation.ui.chart_axes import MoneyAxis
from workstation.ui.position_dialog import PositionDialog
from workstation.ui.positions_model import PositionsModel
from workstation.ui.sizing_dialog import SizingDialog
from workstation.ui.theme import chart_colours


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
    ladder_by_side: Mapping[str, float | None] = field(default_factory=dict)  # x, per side
    funding_rate_8h: float | None = None  # fraction per 8h (cross-venue), None: unknown


def _more_liquidated(results: list[ShockResult], i: int) -> bool:
    """More positions are liquidated at shock ``i`` than at its neighbour nearer zero."""
    shock = results[i].shock_pct
    j = i + 1 if shock < 0 else i - 1
    nearer = results[j].liquidated if shock != 0 and 0 <= j < len(results) else ()
    return len(results[i].liquidated) > len(nearer)


class PositionsPanel(QWidget):
    """``clock``: the wall clock a change to the book is dated by (a position opened while a
    replay plays is opened now, not at the replay's moment)."""

    def __init__(self, book: PositionBook, clock: Clock | None = None) -> None:
        super().__init__()
        self.book = book
        self.clock = clock or LiveClock()
        self.market: Market | None = None
        self.model = PositionsModel(book)
        self.model.error.connect(self._show_error)
        self.model.edited.connect(self._edited_in_place)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # a double-click edits a quantity, entry or leverage cell in place; any other cell opens
        # the form of every field
        self.view.doubleClicked.connect(self._double_clicked)
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
        self.stress_plot = pg.PlotWidget(
            title="Book equity against a price shock",
            axisItems={"left": MoneyAxis("left")},
        )
        self.stress_plot.showGrid(x=True, y=True, alpha=0.2)
        for side in ("left", "bottom"):
            self.stress_plot.getAxis(side).setStyle(maxTickLevel=0)
        self.stress_plot.getAxis("left").setWidth(70)
        self.stress_plot.setLabel("left", "USD")
        self.stress_plot.setLabel("bottom", "price shock %")
        self.stress_plot.getAxis("bottom").enableAutoSIPrefix(False)  # never "% (x0.001)"
        self.stress_plot.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#7f8c8d")))
        self.stress_curve = self.stress_plot.plot(pen=pg.mkPen("#5dade2", width=2))
        self.stress_liq = self.stress_plot.plot(
            pen=None, symbol="x", symbolBrush="#c0392b", symbolPen="#c0392b", symbolSize=10
        )
        self.stress_text = QLabel()
        self.stress_text.setWordWrap(True)
        self._no_stress(  # until the engine's risk of the book arrives
            "Stress: waiting for the engine's risk of the book."
            if book.open_positions()
            else "No open positions."
        )
        self.stress_box = QWidget()  # the window docks it beside the table
        sl = QVBoxLayout(self.stress_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.stress_text)  # above the chart: it stays in sight in a short dock
        sl.addWidget(self.stress_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.view)
        self.positions: list[Position] = []
        self.book_risk: BookRisk | None = None
        # where a change to the book goes: the engine (the controller sets it)
        self.send: Callable[[PositionCommand], object] = lambda _cmd: None
        # the book's open positions as the engine was last given them (it loads the book file
        # at the session's start), and the file's version then: a change made elsewhere (the
        # command line) is found by check_book (the controller calls it every second) and sent
        # to the engine
        self._engine_book = {p.id: p for p in book.open_positions()}
        self._book_version = book.data_version()
        self.reload()

    # --- data ----------------------------------------------------------------------------------

    def set_theme(self, dark: bool) -> None:
        """The stress chart's background, title and axes in the theme's colours."""
        background, text, grid = chart_colours(dark)
        self.stress_plot.setBackground(background)
        item = self.stress_plot.getPlotItem()
        item.titleLabel.setText(item.titleLabel.text, color=text)
        for side in ("left", "bottom"):
            item.getAxis(side).setTextPen(pg.mkPen(text))
            item.getAxis(side).setPen(pg.mkPen(grid))

    def reload(self) -> None:
        """The book changed here: show the book file's positions until the engine's risk of
        them arrives (a row says so meanwhile)."""
        if self.book_risk is None or {r.position.id for r in self.book_risk.rows} != {
            p.id for p in self.book.open_positions()
        }:
            self.model.set_rows(
                [RiskRow(p, None, None, "recomputing") for p in self.book.open_positions()]
            )

    def check_book(self) -> int:
        """Send the engine what changed in the book file since it was last given it (another
        process wrote it); returns how many positions changed."""
        version = self.book.data_version()
        if version == self._book_version:
            return 0
        self._book_version = version
        cmds = commands_to_match(self._engine_book, self.book, self.clock.now_ms())
        for cmd in cmds:
            self.send(cmd)
        self._synced()
        if cmds:
            self._show_info(f"the book file changed elsewhere: {len(cmds)} position(s) updated")
        return len(cmds)

    def _synced(self) -> None:
        """The engine now has the book file's open positions."""
        self._engine_book = {p.id: p for p in self.book.open_positions()}
        self.reload()

    def set_market(self, market: Market) -> None:
        self.market = market

    def set_book_risk(self, risk: BookRisk | None) -> None:
        """The engine's risk of the book (None: no open position in the engine)."""
        if risk is self.book_risk:
            return
        self.book_risk = risk
        self.positions = [] if risk is None else [r.position for r in risk.rows]
        self.model.set_rows([] if risk is None else list(risk.rows))
        self._stress(risk)

    def marks(self) -> dict[str, float]:
        m = self.market
        return {} if m is None or m.mark_usd is None else {m.symbol: m.mark_usd}

    def _stress(self, risk: BookRisk | None) -> None:
        if risk is None or not risk.rows:
            self._no_stress("No open positions.")
            return
        if risk.stress_error is not None or not risk.stress:
            self._no_stress(
                f"Stress cannot run: {risk.stress_error or 'no position has a bracket table'}"
            )
            return
        self._stress_axes(True)
        results = list(risk.stress)
        x = np.array([r.shock_pct for r in results])
        y = np.array([r.equity_usd for r in results])
        self.stress_curve.setData(x, y)
        first = [i for i in range(len(results)) if _more_liquidated(results, i)]
        self.stress_liq.setData(x[first], y[first])
        left_out = {entry.split(": ", 1)[0] for entry in risk.stress_excluded}  # by label
        no_mark = sorted(
            {
                r.position.symbol
                for r in risk.rows
                if r.mark_usd is None and r.position.label not in left_out
            }
        )
        note = f"   (no mark for {', '.join(no_mark)}: shocked from entry)" if no_mark else ""
        left = f"   (left out: {'; '.join(risk.stress_excluded)})" if risk.stress_excluded else ""
        self.stress_text.setText(stress_summary(results) + note + left)

    def _no_stress(self, why: str) -> None:
        """An empty stress chart: why, and no axis numbers (not pyqtgraph's 0 to 1)."""
        self.stress_curve.setData([], [])
        self.stress_liq.setData([], [])
        self.stress_text.setText(why)
        self._stress_axes(False)

    def _stress_axes(self, shown: bool) -> None:
        for side in ("left", "bottom"):
            self.stress_plot.getAxis(side).setStyle(showValues=shown)

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

    def add_position(self, initial: dict | None = None) -> PositionDialog:
        dialog = PositionDialog(
            self, initial or {"symbol": self._symbol(), "entry_usd": self._mark()}
        )
        dialog.accepted.connect(lambda: self._added(dialog))
        dialog.open()
        return dialog

    def _command(
        self, action: str, pos: Position, pid: int, fields: dict, price: float | None = None
    ) -> Position | None:
        """Save the change into the book file, then send it to the engine; a refused change
        is said in the panel (naming the field) and nothing is sent."""
        now = self.clock.now_ms()
        cmd = PositionCommand(
            now, now, 0, pos.venue, pos.symbol, action, pid, tuple(fields.items()), price
        )
        try:
            stored = apply_to_book(self.book, cmd)
        except PositionError as exc:
            self._show_error(f"{pos.label}: {exc}")
            return None
        self.send(cmd)
        self._synced()
        return stored

    def _added(self, dialog: PositionDialog) -> None:
        new = dialog.result_position
        pos = self._command("open", new, self.book.next_id(), position_fields(new))
        if pos is not None:
            self._show_info(f"added {pos.label}")

    def _edited_in_place(self, pid: int) -> None:
        """The table saved an edit into the book file: the engine gets the new fields."""
        pos = self.book.get(pid)
        now = self.clock.now_ms()
        fields = tuple(position_fields(pos).items())
        self.send(PositionCommand(now, now, 0, pos.venue, pos.symbol, "edit", pid, fields, None))
        self._synced()

    def _double_clicked(self, index) -> None:
        if not self.model.flags(index) & Qt.ItemFlag.ItemIsEditable:
            self.edit_position(index.row())

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
        if self._command("edit", pos, pos.id, position_fields(dialog.result_position)):
            self._show_info(f"saved #{pos.id}")

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
        if self._command("close", pos, pos.id, {}, mark):
            self._show_info(f"closed {pos.label} at {mark:,.2f}")

    def open_sizing(self) -> SizingDialog:
        m = self.market
        dialog = SizingDialog(
            self,
            self._symbol(),
            None if m is None else m.ladder_max_leverage,
            None if m is None else m.rv_annual_pct,
            self._mark(),
            ladders=None if m is None or not m.ladder_by_side else m.ladder_by_side,
            book=tuple(self.book.open_positions()),
            funding_rate_8h=None if m is None else m.funding_rate_8h,
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
