"""The main window (first slice): badge, verdict banner, ladder, stacked charts with linked UTC
time axes (price, open interest, funding, 25d skew with its threshold), the signal table and the
alert log. GUI thread only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workstation.ui.models import AlertsModel, SignalsModel

VERDICT_STYLE = {
    "PROCEED": "background:#1e8449;color:white;",
    "REDUCE_SIZE": "background:#d68910;color:black;",
    "WAIT": "background:#c0392b;color:white;",
}
PANES = (
    ("mark_price", "Price (USD)", "#f4d03f"),
    ("oi_usd", "Open interest (USD)", "#5dade2"),
    ("funding_rate_8h_pct", "Funding (%/8h)", "#af7ac5"),
    ("skew_25d_30d_volpts", "25d skew (vol pts)", "#ec7063"),
)


def session_badge(meta: Any) -> str:
    """What the data is, never ambiguous: simulated or recorded (and when)."""
    if meta.source == "simulated":
        return f"REPLAY - simulated ({meta.extra.get('scenario')}) - not market data"
    return f"REPLAY - {meta.source} {meta.created_utc}"


class MainWindow(QMainWindow):
    def __init__(self, badge: str) -> None:
        super().__init__()
        self.setWindowTitle("workstation")
        pg.setConfigOptions(antialias=False, useOpenGL=False)
        central = QWidget()
        layout = QVBoxLayout(central)
        self.badge = QLabel(badge)
        self.badge.setStyleSheet("font-weight:bold;padding:4px;background:#34495e;color:white;")
        self.verdict = QLabel("VERDICT —")
        self.verdict.setStyleSheet("font-size:18px;font-weight:bold;padding:6px;")
        self.ladder = QLabel("Ladder —")
        self.ladder.setWordWrap(True)
        for w in (self.badge, self.verdict, self.ladder):
            layout.addWidget(w)
        self.charts = pg.GraphicsLayoutWidget()
        self.curves: dict[str, pg.PlotDataItem] = {}
        first = None
        for row, (name, title, colour) in enumerate(PANES):
            plot = self.charts.addPlot(
                row=row, col=0, title=title, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)}
            )
            plot.showGrid(x=True, y=True, alpha=0.2)
            left = plot.getAxis("left")
            left.setWidth(70)
            left.enableAutoSIPrefix(False)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            curve = plot.plot(pen=pg.mkPen(colour, width=1))
            self.curves[name] = curve
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            if name == "skew_25d_30d_volpts":
                plot.addItem(
                    pg.InfiniteLine(
                        pos=6.0, angle=0, pen=pg.mkPen("#ec7063", style=Qt.PenStyle.DashLine)
                    )
                )
        layout.addWidget(self.charts, stretch=1)
        self.setCentralWidget(central)
        self.signals = SignalsModel()
        self.alerts = AlertsModel()
        for title, model, area in (
            ("Signals", self.signals, Qt.DockWidgetArea.RightDockWidgetArea),
            ("Alerts", self.alerts, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            view = QTableView()
            view.setModel(model)
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            view.horizontalHeader().setStretchLastSection(True)
            view.verticalHeader().setVisible(False)
            dock = QDockWidget(title)
            dock.setObjectName(title)
            dock.setWidget(view)
            self.addDockWidget(area, dock)
            if title == "Signals":
                self.resizeDocks([dock], [460], Qt.Orientation.Horizontal)

    def show_state(
        self,
        series: Any,
        fresh: dict[str, float],
        verdict: dict | None,
        ladder: dict | None,
        records: list[dict],
        active_metrics: frozenset[str] = frozenset(),
    ) -> None:
        """Fill every panel from engine snapshots (plain data)."""
        for name, curve in self.curves.items():
            x, y = series.column(name)
            ok = ~np.isnan(y)
            curve.setData(x[ok], y[ok])
        if verdict is not None:
            text = verdict["verdict"].replace("_", " ")
            if verdict["cautions"]:
                text += "  —  cautions: " + ", ".join(verdict["cautions"])
            if verdict["unknown"]:
                text += "  —  unknown (stale): " + ", ".join(verdict["unknown"])
            self.verdict.setText(text)
            self.verdict.setStyleSheet(
                "font-size:18px;font-weight:bold;padding:6px;" + VERDICT_STYLE[verdict["verdict"]]
            )
            self.signals.update(
                fresh, tuple(verdict["cautions"]), tuple(verdict["unknown"]), active_metrics
            )
        if ladder is not None:
            self.ladder.setText(
                f"Max leverage now {ladder['max_leverage']:g}x  —  " + "; ".join(ladder["reasons"])
            )
        self.alerts.add(records)
