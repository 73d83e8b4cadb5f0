"""The stacked charts: price (candles over the mark, the period set by the span in view,
liquidation markers sized by USD), open interest (USD and coin), funding (per 8h and APR),
liquidation bars (long below, short above), 25d skew with ATM IV and DVOL, basis, and positioning
(long/short ratio, spot/perp volume). Linked UTC time axes, a crosshair that reads every pane,
legends, the rules' threshold lines with labels kept apart, shaded intervals where a rule was
active, y axes that fit the data in view, a view that follows the newest data while it is pinned
to the right edge, and panes without data that say so. Series labels, units and axis numbers are
those of :mod:`workstation.metrics.catalogue`.

Plot items and their buffers are made once and refilled (``setData``); the owner calls
:meth:`ChartStack.refill` from a timer. GUI thread only."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPicture
from PySide6.QtWidgets import QGraphicsSimpleTextItem

from workstation.core.records import AlertRecord, Record
from workstation.core.timefmt import fmt_local, fmt_utc
from workstation.metrics.catalogue import CATALOGUE
from workstation.ui.chart_axes import MetricAxis, spread
from workstation.ui.theme import chart_colours

BUCKETS_S = (60, 300, 900, 3600, 4 * 3600, 86_400)  # candle and liquidation-bar periods
MAX_BUCKETS = 300  # the shortest period that gives at most this many candles over the data
LIQ_MARKER_MIN_USD = 1e6  # a minute with at least this much liquidated gets a marker on price
FUNDING_APR_PER_8H_PCT = 3 * 365  # funding % per 8h -> % a year
MAX_REGIONS = 500  # shaded rule intervals kept on the charts
THRESHOLD_COLOUR = "#ec7063"


@dataclass(frozen=True)
class Line:
    """A metric drawn in a pane; its label, unit and format are the catalogue's."""

    metric: str
    colour: str
    right: bool = False  # on the pane's right axis (its own scale)
    dots: bool = False  # a sparse series (daily DVOL, fresh minutes apart): a dot per sample


@dataclass(frozen=True)
class Pane:
    """A chart pane. Its axes are labelled with the catalogue's units; a rule reading any metric
    whose catalogue ``pane`` is this one shades it."""

    key: str
    title: str
    noun: str  # what the pane charts: "no open interest in this session"
    lines: tuple[Line, ...]
    # the right axis as the left one in another metric's units: (that metric, factor)
    right_copy: tuple[str, float] | None = None
    shown: bool = True  # by default; the Charts menu shows and hides panes


PANES = (
    Pane(
        "price",
        "Price: candles, mark, liquidation markers (▼ long, ▲ short)",
        "prices",
        (Line("mark_price", "#f4d03f"),),
    ),
    Pane(
        "oi",
        "Open interest",
        "open interest",
        (Line("oi_usd", "#5dade2"), Line("oi_coin", "#48c9b0", right=True)),
    ),
    Pane(
        "funding",
        "Funding (right: APR)",
        "funding",
        (Line("funding_rate_8h_pct", "#af7ac5"),),
        right_copy=("funding_apr_pct", FUNDING_APR_PER_8H_PCT),
    ),
    Pane(
        "liquidations",
        "Liquidations per candle (long below, short above)",
        "liquidations",
        (Line("liq_long_usd_1m", "#e74c3c"), Line("liq_short_usd_1m", "#2ecc71")),
    ),
    Pane(
        "skew",
        "25d skew (right: ATM IV, DVOL)",
        "options data",
        (
            Line("skew_25d_30d_volpts", "#ec7063"),
            Line("atm_iv_30d_pct", "#f0b27a", right=True),
            Line("dvol_pct", "#5dade2", right=True, dots=True),
        ),
    ),
    Pane("basis", "Basis", "basis", (Line("basis_apr_pct", "#58d68d"),), shown=False),
    Pane(
        "positioning",
        "Long/short ratio (right: spot/perp volume)",
        "positioning data",
        (
            Line("long_short_ratio", "#85c1e9"),
            Line("spot_perp_volume_ratio", "#f8c471", right=True),
        ),
        shown=False,
    ),
)
SERIES_METRICS = tuple(line.metric for pane in PANES for line in pane.lines)
DOTTED = frozenset(line.metric for pane in PANES for line in pane.lines if line.dots)


def bucket_for(span_s: float) -> int:
    """The candle period for data spanning ``span_s``: the shortest with at most MAX_BUCKETS."""
    return next((b for b in BUCKETS_S if span_s / b <= MAX_BUCKETS), BUCKETS_S[-1])


def _starts(x_s: np.ndarray, bucket_s: int) -> tuple[np.ndarray, np.ndarray]:
    bucket = (x_s // bucket_s).astype(np.int64)
    return bucket, np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])


def candles(x_s: np.ndarray, y: np.ndarray, bucket_s: int) -> np.ndarray:
    """Rows of (start s, open, high, low, close) per ``bucket_s`` from samples; NaNs skipped."""
    ok = ~np.isnan(y)
    x_s, y = x_s[ok], y[ok]
    if len(y) == 0:
        return np.empty((0, 5))
    bucket, starts = _starts(x_s, bucket_s)
    ends = np.r_[starts[1:], len(y)] - 1
    return np.column_stack(
        (
            bucket[starts] * float(bucket_s),
            y[starts],
            np.maximum.reduceat(y, starts),
            np.minimum.reduceat(y, starts),
            y[ends],
        )
    )


def bucket_sums(x_s: np.ndarray, y: np.ndarray, bucket_s: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket start s, sum) of per-sample amounts; NaN counts as 0."""
    if len(x_s) == 0:
        return np.empty(0), np.empty(0)
    bucket, starts = _starts(x_s, bucket_s)
    return bucket[starts] * float(bucket_s), np.add.reduceat(np.nan_to_num(y), starts)


class CandleItem(pg.GraphicsObject):
    """OHLC candles drawn into a QPicture, rebuilt only when the candles change."""

    def __init__(self) -> None:
        super().__init__()
        self._picture = QPicture()
        self._bounds = QRectF()
        self._last: tuple[int, float, float, float, float] | None = None
        self._rows = np.empty((0, 5))
        self._bucket_s = 60

    def set_candles(self, rows: np.ndarray, bucket_s: int) -> None:
        key = None if len(rows) == 0 else (bucket_s, len(rows), *rows[-1, 1:].tolist())
        if key == self._last:
            return
        self._last = key
        self._rows, self._bucket_s = rows, bucket_s
        picture = QPicture()
        p = QPainter(picture)
        width = bucket_s * 0.7
        for t, o, h, low, c in rows:
            colour = pg.mkColor("#27ae60" if c >= o else "#c0392b")
            p.setPen(pg.mkPen(colour))
            p.drawLine(QPointF(t + bucket_s / 2, low), QPointF(t + bucket_s / 2, h))
            p.setBrush(pg.mkBrush(colour))
            p.drawRect(QRectF(t + (bucket_s - width) / 2, o, width, c - o))
        p.end()
        self.prepareGeometryChange()
        self._picture = picture
        self._bounds = (
            QRectF()
            if len(rows) == 0
            else QRectF(
                rows[0, 0],
                rows[:, 3].min(),
                rows[-1, 0] + bucket_s - rows[0, 0],
                rows[:, 2].max() - rows[:, 3].min(),
            )
        )
        self.update()

    def paint(self, painter: QPainter, *args: Any) -> None:
        self._picture.play(painter)

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: tuple[float, float] | None = None
    ) -> tuple[float | None, float | None]:
        """The candles' time span (``ax`` 0), or their price range (1) over the candles inside
        ``orthoRange`` (the view's time span when it fits the visible data)."""
        rows = self._rows
        if ax == 1 and orthoRange is not None:
            ends = rows[:, 0] + self._bucket_s
            rows = rows[(ends >= orthoRange[0]) & (rows[:, 0] <= orthoRange[1])]
        if len(rows) == 0:
            return None, None
        if ax == 0:
            return float(rows[0, 0]), float(rows[-1, 0] + self._bucket_s)
        return float(rows[:, 3].min()), float(rows[:, 2].max())

    def boundingRect(self) -> QRectF:
        return self._bounds


class ChartStack(pg.GraphicsLayoutWidget):
    readout_changed = Signal(str)  # the crosshair's values, one line

    def __init__(self) -> None:
        super().__init__()
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._right_boxes: dict[str, pg.ViewBox] = {}
        self._columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._regions: list[tuple[pg.LinearRegionItem, str, bool]] = []  # item, rule, open
        self._open: dict[tuple[str, str], pg.LinearRegionItem] = {}
        self._thresholds: list[pg.InfiniteLine] = []
        self._last_x: float | None = None
        self.bucket_s = BUCKETS_S[0]
        self.local_time = False
        self.paint_ms = 0.0
        self._markers_key: tuple = ()
        self.live = False
        self._empty: dict[str, QGraphicsSimpleTextItem] = {}
        self._has_data: dict[str, tuple[bool, bool]] = {}  # (left, right) axes' series
        self._line_data: dict[str, tuple[bool, ...]] = {}  # per line of the pane: any data
        self._items: dict[str, pg.GraphicsObject] = {}  # each series' plot item, by metric
        self._labels: dict[str, list[tuple[pg.InfiniteLine, pg.TextItem]]] = {}
        first: pg.PlotItem | None = None
        for pane in PANES:
            plot = self._make_plot(pane)
            self.plots[pane.key] = plot
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
        self.shown = {pane.key: pane.shown for pane in PANES}
        for pane in PANES:
            self._fill_pane(pane, self.plots[pane.key])
        self._lay_out()
        for pane in PANES:  # no data yet
            self._show_data(pane.key, (False,) * len(pane.lines))
        self.plots["price"].vb.sigXRangeChanged.connect(lambda *_: self._rebucket())
        self.candles = CandleItem()
        self.plots["price"].addItem(self.candles)
        self.liq_markers = pg.ScatterPlotItem(pxMode=True)
        self.plots["price"].addItem(self.liq_markers)
        self.crosshair = {
            key: pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#aaaaaa", width=1))
            for key in self.plots
        }
        for key, line in self.crosshair.items():
            line.setVisible(False)
            self.plots[key].addItem(line, ignoreBounds=True)
        self.readout = ""
        self._mouse = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._moved)

    def _make_plot(self, pane: Pane) -> pg.PlotItem:
        """A pane's plot: its axes print the catalogue's numbers in its metrics' units."""
        right = next((line.metric for line in pane.lines if line.right), None)
        right_metric = pane.right_copy[0] if pane.right_copy else right or pane.lines[0].metric
        plot = pg.PlotItem(
            title=pane.title,
            axisItems={
                "bottom": pg.DateAxisItem(utcOffset=0),
                "left": MetricAxis("left", pane.lines[0].metric),
                "right": MetricAxis("right", right_metric),
            },
        )
        for side in ("left", "bottom"):  # an opaque grid paints in 60% of an alpha one's time
            plot.getAxis(side).setGrid(255)
            plot.getAxis(side).setTickPen(pg.mkPen("#2e2e2e"))
        for side in ("left", "right", "bottom"):
            # major ticks only: a minor-tick grid costs ~4x the paint time of the whole pane
            plot.getAxis(side).setStyle(maxTickLevel=0)
        for side in ("left", "right"):
            plot.getAxis(side).setWidth(70)
        plot.showAxis("right")
        plot.getAxis("left").setLabel(CATALOGUE[pane.lines[0].metric].unit)
        if pane.right_copy is not None:
            copy = CATALOGUE[pane.right_copy[0]]
            plot.getAxis("right").setScale(pane.right_copy[1])
            plot.getAxis("right").setLabel(f"{copy.short} {copy.unit}")
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        plot.vb.setAutoVisible(y=True)  # a zoomed view fits the data it shows
        if len(pane.lines) > 1:
            plot.addLegend(
                offset=(4, 2), colCount=len(pane.lines), labelTextSize="8pt", brush=(0, 0, 0, 150)
            )
        empty = QGraphicsSimpleTextItem(plot.vb)
        empty.setBrush(pg.mkBrush("#b0b0b0"))
        plot.vb.sigResized.connect(lambda vb, e=empty: self._centre(e, vb))
        self._empty[pane.key] = empty
        self._has_data[pane.key] = (True, True)
        plot.vb.sigRangeChanged.connect(lambda _vb, *_, key=pane.key: self._place_labels(key))
        plot.vb.sigResized.connect(lambda _vb, key=pane.key: self._place_labels(key))
        return plot

    @staticmethod
    def _centre(item: QGraphicsSimpleTextItem, vb: pg.ViewBox) -> None:
        r = item.boundingRect()
        item.setPos((vb.width() - r.width()) / 2, (vb.height() - r.height()) / 2)

    def set_live(self, live: bool) -> None:
        """Live: an empty pane is waiting for data; a replay's has none in its session."""
        self.live = live
        for key, item in self._empty.items():
            item.setText(self.empty_text(key))
            self._centre(item, self.plots[key].vb)

    def empty_text(self, key: str) -> str:
        """What an empty pane says."""
        noun = next(pane.noun for pane in PANES if pane.key == key)
        return "waiting for data" if self.live else f"no {noun} in this session"

    def is_empty(self, key: str) -> bool:
        return not any(self._has_data[key])

    def _show_data(self, key: str, lines_with_data: tuple[bool, ...]) -> None:
        """An axis whose series have no data prints no numbers (nor, on the left, thresholds);
        the legend and the right axis' title name only the series with data; a pane with none
        at all says so. ``lines_with_data``: per line of the pane, in order."""
        pane = next(p for p in PANES if p.key == key)
        if self._line_data.get(key) == lines_with_data:
            return
        self._line_data[key] = lines_with_data
        has_data = self._sides(pane, lines_with_data)
        self._has_data[key] = has_data
        plot, empty = self.plots[key], self._empty[key]
        empty.setText(self.empty_text(key))
        empty.setVisible(not any(has_data))
        self._centre(empty, plot.vb)
        if plot.legend is not None:
            plot.legend.clear()
            for line, shown in zip(pane.lines, lines_with_data, strict=True):
                if shown:
                    self._legend(plot, self._items[line.metric], line)
            plot.legend.setVisible(any(has_data))
        right = [
            line
            for line, shown in zip(pane.lines, lines_with_data, strict=True)
            if line.right and (shown or not any(lines_with_data))
        ]
        if right:
            shorts = ", ".join(CATALOGUE[line.metric].short for line in right)
            plot.getAxis("right").setLabel(f"{shorts} {CATALOGUE[right[0].metric].unit}")
        for side, shown in zip(("left", "right"), has_data, strict=True):
            plot.getAxis(side).setStyle(showValues=shown)
        self._place_labels(key)
        self._date_axes()

    @staticmethod
    def _sides(pane: Pane, lines_with_data: tuple[bool, ...]) -> tuple[bool, bool]:
        """Whether the left and the right axis have data (a right axis without series of its own
        shows the left one's in other units)."""
        flags = list(zip(pane.lines, lines_with_data, strict=True))
        left = any(has for line, has in flags if not line.right)
        right = [has for line, has in flags if line.right]
        return left, any(right) if right else left

    def _pane_data(self, pane: Pane) -> tuple[bool, ...]:
        """Per line of ``pane``: whether its series has any value."""
        return tuple(bool(np.isfinite(self._columns[line.metric][1]).any()) for line in pane.lines)

    def _date_axes(self) -> None:
        """Dates under the lowest shown pane only (the others keep their vertical grid), and
        none while no pane has data (no 1970 axis)."""
        last = [key for key in self.plots if self.shown[key]][-1:]
        any_data = any(any(has) for has in self._has_data.values())
        for key, plot in self.plots.items():
            bottom = plot.getAxis("bottom")
            bottom.setStyle(showValues=key in last and any_data)
            bottom.setHeight(None if key in last else 4)

    def _lay_out(self) -> None:
        """Stack the shown panes in order; price gets twice the height of the others."""
        for plot in self.plots.values():
            if plot in self.ci.items:
                self.ci.removeItem(plot)
        row = 0
        for key, plot in self.plots.items():
            plot.setVisible(self.shown[key])
            if key in self._right_boxes:  # a right axis' box lives in the scene, not the layout
                self._right_boxes[key].setVisible(self.shown[key])
            if self.shown[key]:
                self.ci.addItem(plot, row=row, col=0)
                self.ci.layout.setRowStretchFactor(row, 2 if key == "price" else 1)
                row += 1
        self._date_axes()

    def fit_y(self) -> None:
        """Every y axis, left and right, to the data in view (it then follows it)."""
        for box in (*(plot.vb for plot in self.plots.values()), *self._right_boxes.values()):
            box.enableAutoRange(axis=pg.ViewBox.YAxis)

    def show_pane(self, key: str, shown: bool) -> None:
        self.shown[key] = shown
        self._lay_out()

    def _fill_pane(self, pane: Pane, plot: pg.PlotItem) -> None:
        if pane.key == "liquidations":
            self.long_bars = pg.BarGraphItem(x=[], height=[], width=1, brush="#e74c3c")
            self.short_bars = pg.BarGraphItem(x=[], height=[], width=1, brush="#2ecc71")
            for bars, line in zip((self.long_bars, self.short_bars), pane.lines, strict=True):
                plot.addItem(bars)
                self._items[line.metric] = bars
            return
        right = [line for line in pane.lines if line.right]
        if right:
            box = pg.ViewBox()
            box.setAutoVisible(y=True)
            self.scene().addItem(box)
            plot.getAxis("right").linkToView(box)
            box.setXLink(plot)
            plot.vb.sigResized.connect(
                lambda _vb, b=box, p=plot: b.setGeometry(p.vb.sceneBoundingRect())
            )
            self._right_boxes[pane.key] = box
        for line in pane.lines:
            pen = None if line.dots else pg.mkPen(line.colour, width=1)
            dots = (
                {"symbol": "o", "symbolSize": 3, "symbolPen": None, "symbolBrush": line.colour}
                if line.dots
                else {}
            )
            if line.right:
                curve = pg.PlotDataItem(pen=pen, **dots)
                curve.setClipToView(True)
                curve.setDownsampling(auto=True, method="peak")
                self._right_boxes[pane.key].addItem(curve)
            else:
                curve = plot.plot(pen=pen, **dots)
            self.curves[line.metric] = curve
            self._items[line.metric] = curve

    @staticmethod
    def _legend(plot: pg.PlotItem, item: pg.GraphicsObject, line: Line) -> None:
        """Name a series in its pane's legend, in its colour: the catalogue's label."""
        plot.legend.addItem(item, CATALOGUE[line.metric].label)
        plot.legend.items[-1][1].setText(CATALOGUE[line.metric].label, color=line.colour)

    def set_missing_venues(self, missing: tuple[str, ...]) -> None:
        """The panes of cross-venue sums (OI, liquidations) say in their tooltip whether the
        aggregate is partial and which venues it leaves out."""
        text = (
            f"cross-venue sum, partial: without {', '.join(missing)} (stale)"
            if missing
            else "cross-venue sum over every venue"
        )
        for key in ("oi", "liquidations"):
            if key in self.plots and self.plots[key].toolTip() != text:
                self.plots[key].setToolTip(text)

    def legend(self, key: str) -> list[tuple[str, str]]:
        """(name, colour) of the series a pane's legend names."""
        legend = self.plots[key].legend
        if legend is None:
            return []
        return [(label.text, label.opts["color"]) for _, label in legend.items]

    # --- data ----------------------------------------------------------------------------------
    def refill(self, series: Any) -> None:
        """Refill every pane from ``series.column(metric)`` (seconds, values)."""
        for metric in SERIES_METRICS:
            self._columns[metric] = series.column(metric)
        for metric, curve in self.curves.items():
            x, y = self._columns[metric]
            if metric in DOTTED:  # only the fresh samples, a dot each
                curve.setData(x[np.isfinite(y)], y[np.isfinite(y)])
            else:  # NaN (stale or missing) breaks the line: a feed's gap shows as a gap
                curve.setData(x, y, connect="finite")
        for pane in PANES:
            self._show_data(pane.key, self._pane_data(pane))
        x, _ = self._columns["mark_price"]
        self._rebucket(force=True)
        new_last = float(x[-1]) if len(x) else None
        self._follow(new_last)
        for item, _rule, is_open in self._regions:
            if is_open and new_last is not None:
                item.setRegion((item.getRegion()[0], new_last))

    def _rebucket(self, force: bool = False) -> None:
        """Candles and liquidation bars at the period of the span in view: the whole data's
        while the view follows it, else the visible part's (a zoom gets finer candles)."""
        x, price = self._columns.get("mark_price", (np.empty(0), np.empty(0)))
        if len(x) == 0:
            return
        vb = self.plots["price"].vb
        if vb.autoRangeEnabled()[0]:
            span = float(x[-1] - x[0])
        else:
            lo, hi = vb.viewRange()[0]
            span = max(0.0, min(hi, float(x[-1])) - max(lo, float(x[0])))
        bucket = bucket_for(span)
        if bucket == self.bucket_s and not force:
            return
        self.bucket_s = bucket
        self.candles.set_candles(candles(x, price, bucket), bucket)
        self._liquidations()

    def _liquidations(self) -> None:
        x, long_usd = self._columns["liq_long_usd_1m"]
        _, short_usd = self._columns["liq_short_usd_1m"]
        b = self.bucket_s
        if self.is_empty("liquidations"):  # no liquidation feed: unknown, not rows of zero bars
            x = long_usd = short_usd = np.empty(0)
        hx, hl = bucket_sums(x, long_usd, b)
        _, hs = bucket_sums(x, short_usd, b)
        self.long_bars.setOpts(x=hx + b / 2, height=-hl, y0=0, width=b * 0.8)
        self.short_bars.setOpts(x=hx + b / 2, height=hs, y0=0, width=b * 0.8)
        _, price = self._columns["mark_price"]
        spots, biggest = [], 0.0
        for amounts, colour, symbol in ((long_usd, "#e74c3c", "t"), (short_usd, "#2ecc71", "t1")):
            big = np.flatnonzero(np.nan_to_num(amounts) >= LIQ_MARKER_MIN_USD)
            big = big[~np.isnan(price[big])]
            biggest = max(biggest, float(np.max(amounts[big], initial=0.0)))
            spots.append((big, amounts, colour, symbol))
        points = [
            {
                "pos": (x[i], price[i]),
                "size": 6 + 18 * np.sqrt(amounts[i] / biggest),
                "brush": pg.mkBrush(colour),
                "pen": pg.mkPen(colour),
                "symbol": symbol,
            }
            for big, amounts, colour, symbol in spots
            for i in big
        ]
        key = tuple((p["pos"], p["symbol"]) for p in points)
        if key != self._markers_key:  # the scatter rebuilds every spot: only when they change
            self._markers_key = key
            self.liq_markers.setData(points)

    def _follow(self, new_last: float | None) -> None:
        """Keep the newest data in view when the trader has zoomed but stays at the right edge."""
        vb = self.plots["price"].vb
        if new_last is not None and self._last_x is not None and not vb.autoRangeEnabled()[0]:
            lo, hi = vb.viewRange()[0]
            if hi >= self._last_x - 0.01 * (hi - lo) and new_last > self._last_x:
                vb.setXRange(lo + new_last - self._last_x, hi + new_last - self._last_x, padding=0)
        self._last_x = new_last

    def paintEvent(self, event: Any) -> None:
        """Paint, and keep how long it took (the status bar's frame time)."""
        started = time.perf_counter()
        super().paintEvent(event)
        self.paint_ms = (time.perf_counter() - started) * 1000

    # --- settings ----------------------------------------------------------------------------
    def set_local_time(self, local: bool) -> None:
        """Date axes and the crosshair in the machine's time zone instead of UTC."""
        self.local_time = local
        for plot in self.plots.values():
            axis = plot.getAxis("bottom")
            axis.utcOffset = None if local else 0
            axis.picture = None
            axis.update()

    def set_theme(self, dark: bool) -> None:
        background, text, grid = chart_colours(dark)
        self.setBackground(background)
        for item in self._empty.values():
            item.setBrush(pg.mkBrush(text))
        for plot in self.plots.values():
            plot.titleLabel.setText(plot.titleLabel.text, color=text)
            if plot.legend is not None:
                plot.legend.setBrush((*pg.mkColor(background).getRgb()[:3], 150))
            for side in ("left", "right", "bottom"):
                axis = plot.getAxis(side)
                axis.setTextPen(pg.mkPen(text))
                axis.setTickPen(pg.mkPen(grid))

    # --- rules ---------------------------------------------------------------------------------
    def set_thresholds(self, rules: Iterable[Any]) -> None:
        """A dashed line at the ``enter`` level of every single-metric rule on a charted metric,
        labelled at the pane's right edge (see :meth:`_place_labels`)."""
        for line in self._thresholds:
            if line.getViewBox() is not None:
                line.getViewBox().removeItem(line)
        for labels in self._labels.values():
            for _line, label in labels:
                label.getViewBox().removeItem(label)
        self._thresholds, self._labels = [], {}
        for rule in rules:
            if len(rule.conditions) != 1:
                continue
            cond = rule.conditions[0]
            pane = self._pane_of((cond.source,), left_only=True)
            if pane is None or cond.names != (cond.source,):
                continue
            pen = pg.mkPen(THRESHOLD_COLOUR, style=Qt.PenStyle.DashLine)
            line = pg.InfiniteLine(pos=cond.enter, angle=0, pen=pen)
            line.rule_id = rule.id
            line.text = f"{rule.id} {cond.op} {CATALOGUE[cond.source].text(cond.enter)}"
            label = pg.TextItem(line.text, color=THRESHOLD_COLOUR, anchor=(1, 0.5))
            font = label.textItem.font()
            font.setPointSize(8)
            label.setFont(font)
            label.textItem.document().setDocumentMargin(1)  # 14 px high: three in a small pane
            self.plots[pane].addItem(line, ignoreBounds=True)
            self.plots[pane].addItem(label, ignoreBounds=True)
            self._thresholds.append(line)
            self._labels.setdefault(pane, []).append((line, label))
        for pane in self._labels:
            self._place_labels(pane)

    def _place_labels(self, key: str) -> None:
        """Each threshold label just above its line at the right edge, moved as little as it
        takes for none to overlap another or leave the pane; a level out of view is labelled at
        the edge it lies beyond (↑ or ↓)."""
        labels = self._labels.get(key, [])
        vb = self.plots[key].vb
        height = vb.height()
        if not labels or height <= 0:
            return
        if not self._has_data[key][0]:  # no data on the left axis: no level to compare with
            for line, label in labels:
                line.setVisible(False)
                label.setVisible(False)
            return
        (_, x1), (y0, y1) = vb.viewRange()
        size = max(label.boundingRect().height() for _, label in labels)
        per_px = (y1 - y0) / height
        wanted = [(y1 - line.value()) / per_px - size / 2 for line, _ in labels]
        for (line, label), centre in zip(labels, spread(wanted, height, size), strict=True):
            line.setVisible(True)
            label.setVisible(centre is not None)
            if centre is None:
                continue
            beyond = "↑ " if line.value() > y1 else "↓ " if line.value() < y0 else ""
            label.setText(beyond + line.text)
            label.setPos(x1, y1 - centre * per_px)

    def thresholds(self, pane: str) -> list[tuple[str, float]]:
        """(rule, level) of the threshold lines drawn in a pane."""
        items = self.plots[pane].items
        return [(t.rule_id, t.value()) for t in self._thresholds if t in items]

    @staticmethod
    def _pane_of(metrics: Iterable[str], left_only: bool = False) -> str | None:
        """The pane that charts one of these metrics (on its left axis with ``left_only``), else
        the first that one of them belongs to (the catalogue's ``pane``)."""
        names = tuple(metrics)
        for pane in PANES:
            if any(line.metric in names and not (left_only and line.right) for line in pane.lines):
                return pane.key
        if left_only:
            return None
        homes = {CATALOGUE[n].pane for n in names}
        return next((pane.key for pane in PANES if pane.key in homes), None)

    def add_alerts(self, records: Iterable[Record]) -> None:
        """Shade each rule's active interval in the pane of the metric it reads (price for
        metrics not charted)."""
        for r in records:
            if not isinstance(r, AlertRecord):
                continue
            key = (r.rule, r.venue)
            t = r.ts_ms / 1000
            if r.state == "active" and key not in self._open:
                pane = self._pane_of(r.values) or "price"
                item = pg.LinearRegionItem(
                    values=(t, t), movable=False, brush=pg.mkBrush(236, 112, 99, 40)
                )
                item.setZValue(-10)
                for line in item.lines:
                    line.setPen(pg.mkPen(None))
                self.plots[pane].addItem(item, ignoreBounds=True)
                self._open[key] = item
                self._regions.append((item, r.rule, True))
                if len(self._regions) > MAX_REGIONS:  # a long live run: the oldest closed go
                    old = next((x for x in self._regions if not x[2]), None)
                    if old is not None:
                        old[0].getViewBox().removeItem(old[0])
                        self._regions.remove(old)
            elif r.state == "cleared" and key in self._open:
                item = self._open.pop(key)
                item.setRegion((item.getRegion()[0], t))
                self._regions = [(i, rule, i is not item and o) for i, rule, o in self._regions]

    def regions(self, pane: str) -> list[tuple[str, float, float]]:
        """(rule, start s, end s) of the shaded intervals in a pane."""
        items = self.plots[pane].items
        return [(rule, *item.getRegion()) for item, rule, _ in self._regions if item in items]

    def clear_alerts(self) -> None:
        for item, _rule, _ in self._regions:
            if item.getViewBox() is not None:
                item.getViewBox().removeItem(item)
        self._regions, self._open = [], {}

    # --- crosshair -----------------------------------------------------------------------------
    def _moved(self, event: tuple[QPointF]) -> None:
        pos = event[0]
        for plot in self.plots.values():
            if plot.sceneBoundingRect().contains(pos):
                self.crosshair_at(plot.vb.mapSceneToView(pos).x())
                return

    def crosshair_at(self, t_s: float) -> str:
        """Put the crosshair at ``t_s`` and return every pane's value at the nearest sample."""
        x, _ = self._columns.get("mark_price", (np.empty(0), np.empty(0)))
        if len(x) == 0:
            return ""
        i = int(np.clip(np.searchsorted(x, t_s), 0, len(x) - 1))
        if i > 0 and abs(x[i - 1] - t_s) < abs(x[i] - t_s):
            i -= 1
        for line in self.crosshair.values():
            line.setPos(x[i])
            line.setVisible(True)
        ts_ms = int(x[i] * 1000)
        parts = [f"{fmt_local(ts_ms)} local" if self.local_time else f"{fmt_utc(ts_ms, False)} UTC"]
        for pane in PANES:
            for line in pane.lines:
                m = CATALOGUE[line.metric]
                v = float(self._columns[line.metric][1][i])
                parts.append(f"{m.short} {'—' if np.isnan(v) else m.text(v)}")
                if pane.right_copy is not None and line is pane.lines[0] and not np.isnan(v):
                    copy, factor = CATALOGUE[pane.right_copy[0]], pane.right_copy[1]
                    parts[-1] += f" ({copy.short} {copy.text(v * factor)})"
        self.readout = "   ".join(parts)
        self.readout_changed.emit(self.readout)
        return self.readout
