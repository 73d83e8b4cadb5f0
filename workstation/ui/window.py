"""The main window: badge, verdict banner and ladder per side (long, short), stacked charts with linked UTC time axes
(price, open interest, funding, 25d skew with its threshold), and the signal, alert and position
docks. GUI thread only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QStyle,
    QSystemTrayIcon,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workstation.app.snapshot import LadderView
from workstation.core.leverage import SIDES
from workstation.core.records import ChecklistRecord, Record
from workstation.core.resources import icon_path
from workstation.risk.positions import PositionBook
from workstation.sessions.info import recorded_summary
from workstation.sessions.store import SessionMeta
from workstation.ui.charts import PANES, ChartStack
from workstation.ui.models import AlertsFilter, AlertsModel, MetricStates, SignalsModel
from workstation.ui.notify import Banner, Notifier
from workstation.ui.positions_panel import PositionsPanel

VERDICT_CSS = "font-size:15px;font-weight:bold;padding:4px;"  # the per-side banner, 2 lines
VERDICT_STYLE = {
    "PROCEED": "background:#1e8449;color:white;",
    "REDUCE_SIZE": "background:#d68910;color:black;",
    "WAIT": "background:#c0392b;color:white;",
}
ICON = icon_path("workstation.svg")
LAYOUT_VERSION = 2  # bump when docks or toolbars change, so an old saved layout is ignored


def ladder_text(ladders: Mapping[str, LadderView]) -> str:
    """Both sides' ladders in one line: the allowed leverage per side, the reasons they share
    once, then each side's own: "Max leverage now: long 0.7x, short 1x  —  halved: …; long
    only: funding …"."""
    sides = [s for s in SIDES if s in ladders]
    levels = {ladders[s].max_leverage for s in sides}
    head = (
        f"Max leverage now {levels.pop():g}x, {' and '.join(sides)}"
        if len(levels) == 1
        else "Max leverage now: " + ", ".join(f"{s} {ladders[s].max_leverage:g}x" for s in sides)
    )
    shared = [r for r in ladders[sides[0]].reasons if all(r in ladders[s].reasons for s in sides)]
    own = [
        f"{s} only: " + "; ".join(r for r in ladders[s].reasons if r not in shared)
        for s in sides
        if any(r not in shared for r in ladders[s].reasons)
    ]
    return f"{head}  —  " + "; ".join(shared + own)


def item_words(item: str) -> str:
    """A checklist item as a trader reads it: "price structure", "OI" (not price_structure)."""
    return "OI" if item == "oi" else item.replace("_", " ")


def session_badge(meta: SessionMeta, counts: list[tuple[str, str, str, int, int, int]]) -> str:
    """What the data is, never ambiguous: simulated, or recorded live or imported, with the
    data's own venues, symbols, kinds and dates (never the file's creation time)."""
    if meta.source == "simulated":
        return f"REPLAY - simulated ({meta.extra.get('scenario')}) - not market data"
    return f"REPLAY - {recorded_summary(meta, counts)}"


class MainWindow(QMainWindow):
    def __init__(self, badge: str, book: PositionBook) -> None:
        super().__init__()
        # Called around every repaint of the window (begin, end): the controller pauses the
        # engine thread meanwhile, so that painting never waits on the interpreter lock.
        self.painting: tuple[Callable[[], None], Callable[[], None]] | None = None
        self.setWindowTitle("workstation")
        self.setWindowIcon(QIcon(str(ICON)))
        pg.setConfigOptions(antialias=False, useOpenGL=False)
        central = QWidget()
        layout = QVBoxLayout(central)
        self.badge = QLabel(badge)
        self.badge.setStyleSheet("font-weight:bold;padding:4px;background:#34495e;color:white;")
        # a new trade's verdict, one column per side, and the ladder of both sides under them
        # in one row (their reasons are mostly the same: said once, what differs said per side)
        self.verdicts = {side: QLabel(f"{side.upper()}  —") for side in SIDES}
        self.ladder = QLabel("Max leverage —")
        self.ladder.setWordWrap(True)
        self.ladder.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        sides = QGridLayout()
        for col, side in enumerate(SIDES):
            self.verdicts[side].setStyleSheet(VERDICT_CSS)
            self.verdicts[side].setWordWrap(True)
            sides.addWidget(self.verdicts[side], 0, col)
        sides.addWidget(self.ladder, 1, 0, 1, len(SIDES))
        self.banner = Banner()
        layout.addWidget(self.badge)
        layout.addLayout(sides)
        # The banner has a row of its own, kept while it is hidden: showing it never narrows the
        # ladder nor moves the charts.
        policy = self.banner.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.banner.setSizePolicy(policy)
        layout.addWidget(self.banner)
        self.tray = None
        if QSystemTrayIcon.isSystemTrayAvailable():  # not offscreen, not on every desktop
            self.tray = QSystemTrayIcon(
                self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), self
            )
            self.tray.show()
        self.notifier = Notifier(
            self.banner,
            tray=None
            if self.tray is None
            else (lambda title, text: self.tray.showMessage(title, text)),
        )
        self.charts = ChartStack()
        self.curves = self.charts.curves
        self.plots = list(self.charts.plots.values())
        self.readout = QLabel("Move the mouse over the charts to read every pane at that minute.")
        # a font, not a style sheet: a style sheet would keep the old palette on a theme change
        self.readout.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.readout.setWordWrap(True)
        self.charts.readout_changed.connect(self.readout.setText)
        layout.addWidget(self.readout)
        # The strips above the charts keep their size whatever their text: a relayout would
        # resize the charts, and a resized chart repaints every pane and axis.
        fm = self.fontMetrics()
        big = QFont(self.font())
        big.setPixelSize(15)
        big.setBold(True)
        for label, lines, spacing, pad in (
            (self.badge, 1, fm.lineSpacing(), 4),
            *((label, 2, QFontMetrics(big).lineSpacing(), 8) for label in self.verdicts.values()),
            (self.ladder, 2, fm.lineSpacing(), 4),
            (self.readout, 1, fm.lineSpacing(), 4),
        ):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            label.setFixedHeight(max(label.sizeHint().height(), lines * spacing + pad))
        self.banner.setFixedHeight(self.banner.sizeHint().height())
        layout.addWidget(self.charts, stretch=1)
        self.setCentralWidget(central)
        self.signals = SignalsModel()
        self.alerts = AlertsModel()
        self.alerts_view_model = AlertsFilter()
        self.alerts_view_model.setSourceModel(self.alerts)
        self.alerts_view = self._table(self.alerts_view_model)
        self.alerts_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Fixed widths (the message stretches): sizing columns to their contents would measure
        # every row on every new alert, which grows with the log.
        header = self.alerts_view.horizontalHeader()
        for column, width in enumerate((130, 70, 150, 62, 36)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.alerts_view.setWordWrap(False)
        self.alerts_view.clicked.connect(lambda index: self.go_to_alert(index.row()))
        # Right column: signals over the alert log. Bottom: positions and the stress chart.
        signals_dock = self._dock("Signals", self._table(self.signals))
        alerts_dock = self._alerts_dock()
        self.positions = PositionsPanel(book)
        positions_dock = self._dock("Positions", self.positions)
        stress_dock = self._dock("Stress", self.positions.stress_box)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, signals_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, alerts_dock)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, positions_dock)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, stress_dock)
        self.splitDockWidget(signals_dock, alerts_dock, Qt.Orientation.Vertical)
        self.splitDockWidget(positions_dock, stress_dock, Qt.Orientation.Horizontal)
        self.resizeDocks([signals_dock], [640], Qt.Orientation.Horizontal)
        self.resizeDocks([signals_dock, alerts_dock], [300, 500], Qt.Orientation.Vertical)
        self.resizeDocks([positions_dock, stress_dock], [800, 400], Qt.Orientation.Horizontal)
        self.resizeDocks([positions_dock], [260], Qt.Orientation.Vertical)
        file_menu = self.menuBar().addMenu("&File")
        self.quit_action = file_menu.addAction("&Quit")
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))  # not StandardKey: empty on some
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action.triggered.connect(self.close)
        charts_menu = self.menuBar().addMenu("&Charts")
        self.pane_actions = {}
        for pane in PANES:
            action = charts_menu.addAction(pane.title.split(" (")[0].split(":")[0])
            action.setCheckable(True)
            action.setChecked(pane.shown)
            action.toggled.connect(lambda on, key=pane.key: self.charts.show_pane(key, on))
            self.pane_actions[pane.key] = action
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)

    @staticmethod
    def _table(model: Any) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setSectionResizeMode(
            model.columnCount() - 1,
            QHeaderView.ResizeMode.Stretch,
        )
        view.verticalHeader().setVisible(False)
        return view

    @staticmethod
    def _dock(title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title)
        dock.setObjectName(title)
        dock.setWidget(widget)
        return dock

    def _alerts_dock(self) -> QDockWidget:
        """The alert log with its controls: severity, text filter, acknowledge, export."""
        self.severity_box = QComboBox()
        self.severity_box.addItems(["all", "critical", "warning", "info"])
        self.filter_text = QLineEdit()
        self.filter_text.setPlaceholderText("filter rule or message")
        self.severity_box.currentTextChanged.connect(self._apply_filter)
        self.filter_text.textChanged.connect(self._apply_filter)
        ack = QPushButton("Acknowledge selected")
        ack.clicked.connect(self.acknowledge_selected)
        ack_all = QPushButton("Acknowledge all")
        ack_all.clicked.connect(
            lambda: self.alerts.acknowledge(self.alerts_view_model.source_rows())
        )
        export = QPushButton("Export CSV…")
        export.clicked.connect(self._export_dialog)
        controls = QHBoxLayout()
        for w in (QLabel("Severity"), self.severity_box, self.filter_text, ack, ack_all, export):
            controls.addWidget(w)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.alerts_view)
        return self._dock("Alerts", box)

    def _apply_filter(self) -> None:
        severity = self.severity_box.currentText()
        self.alerts_view_model.set_filter(
            "" if severity == "all" else severity, self.filter_text.text()
        )

    def acknowledge_selected(self) -> None:
        rows = self.alerts_view.selectionModel().selectedRows()
        self.alerts.acknowledge([self.alerts_view_model.mapToSource(i).row() for i in rows])

    def export_alerts(self, path: str) -> int:
        """Write the alerts the filter shows, in view order, to ``path``; returns the count."""
        return self.alerts.write_csv(path, self.alerts_view_model.source_rows())

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export alerts", "alerts.csv", "CSV (*.csv)")
        if path:
            n = self.export_alerts(path)
            self.statusBar().showMessage(f"{n} alerts written to {path}", 5000)

    def go_to_alert(self, view_row: int) -> None:
        """Centre every chart on the alert in this view row, six hours either side, its y axes
        fitted to the data there (the candles follow the span: see ChartStack)."""
        source = self.alerts_view_model.mapToSource(self.alerts_view_model.index(view_row, 0))
        t_s = self.alerts.row(source.row())["ts_ms"] / 1000
        self.plots[0].setXRange(t_s - 6 * 3600, t_s + 6 * 3600, padding=0)
        self.charts.fit_y()

    def set_theme(self, dark: bool) -> None:
        """The charts' and the stress chart's colours for the theme (the widgets follow the
        application's palette)."""
        self.charts.set_theme(dark)
        self.positions.set_theme(dark)

    def save_layout(self, settings: QSettings) -> None:
        """Keep the window's size, position and dock/toolbar layout for the next start."""
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        settings.setValue("charts/shown", [k for k, on in self.charts.shown.items() if on])
        settings.sync()

    def restore_layout(self, settings: QSettings) -> bool:
        """Put back a saved layout; False (and the default layout) when none or out of date."""
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        shown = settings.value("charts/shown")
        if isinstance(shown, list):
            for key, action in self.pane_actions.items():
                action.setChecked(key in shown)
        if geometry is None or state is None:
            return False
        return self.restoreGeometry(geometry) and self.restoreState(state, LAYOUT_VERSION)

    def show_state(
        self,
        fresh: dict[str, float],
        verdicts: Mapping[str, ChecklistRecord],
        ladders: Mapping[str, LadderView],
        active_metrics: frozenset[str] = frozenset(),
        states: MetricStates | None = None,
    ) -> None:
        """Fill the banner and the ladder of each side, and the signal table, from an engine
        snapshot's parts; the charts are refilled on their own (``self.charts.refill``)."""
        for side, verdict in verdicts.items():
            text = f"{side.upper()}  {verdict.verdict.replace('_', ' ')}"
            if verdict.cautions:
                text += "  —  cautions: " + ", ".join(map(item_words, verdict.cautions))
            if verdict.unknown:
                text += "  —  unknown (stale): " + ", ".join(map(item_words, verdict.unknown))
            label = self.verdicts[side]
            label.setText(text)
            label.setToolTip(text)
            label.setStyleSheet(VERDICT_CSS + VERDICT_STYLE[verdict.verdict])
        if verdicts:  # an item is in caution, or unknown, when it is so for either side
            v = tuple(verdicts.values())
            cautions = tuple(dict.fromkeys(c for r in v for c in r.cautions))
            unknown = tuple(dict.fromkeys(u for r in v for u in r.unknown))
            self.signals.update(fresh, cautions, unknown, active_metrics, states or MetricStates())
        if ladders:
            text = ladder_text(ladders)
            self.ladder.setText(text)
            self.ladder.setToolTip(text)

    def event(self, e: QEvent) -> bool:
        if e.type() != QEvent.Type.UpdateRequest or self.painting is None:
            return super().event(e)
        begin, end = self.painting
        begin()
        try:
            return super().event(e)
        finally:
            end()

    def add_records(self, records: list[Record]) -> None:
        """New engine records: alerts go to the log and shade the charts."""
        self.alerts.add(records)
        self.charts.add_alerts(records)

    def clear_alerts(self) -> None:
        """The replay was rebuilt from its start: forget alerts and their shading."""
        self.alerts.clear()
        self.charts.clear_alerts()
