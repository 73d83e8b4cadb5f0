"""The stacked charts: candles and per-period sums by hand, the crosshair readout, threshold lines,
shaded rule intervals, pane toggling and following the newest data."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import DEMO

from workstation.core.records import AlertRecord
from workstation.ui.chart_axes import spread
from workstation.ui.charts import PANES, bucket_for, bucket_sums, candles

T0 = 1_769_731_200  # 2026-01-30 00:00 UTC, an hour boundary


def test_candle_period_follows_the_data_span() -> None:
    assert bucket_for(0) == 60 and bucket_for(5 * 3600) == 60  # 300 one-minute candles
    assert bucket_for(5 * 3600 + 60) == 300
    assert bucket_for(120 * 3600) == 3600  # the demo: hourly
    assert bucket_for(365 * 86_400) == 86_400


def test_hourly_candles_by_hand() -> None:
    x = np.array([T0, T0 + 60, T0 + 120, T0 + 3600, T0 + 3660, T0 + 7200 + 30], dtype=float)
    y = np.array([100.0, 105.0, 98.0, np.nan, 110.0, 90.0])
    rows = candles(x, y, 3600)
    assert rows.tolist() == [
        [T0, 100.0, 105.0, 98.0, 98.0],
        [T0 + 3600, 110.0, 110.0, 110.0, 110.0],  # the NaN sample is skipped
        [T0 + 7200, 90.0, 90.0, 90.0, 90.0],
    ]
    assert candles(x[:0], y[:0], 3600).shape == (0, 5)


def test_hourly_sums_by_hand() -> None:
    x = np.array([T0 + 60, T0 + 3599, T0 + 3600, T0 + 3 * 3600], dtype=float)
    starts, sums = bucket_sums(x, np.array([1e6, np.nan, 2.5e6, 4e6]), 3600)
    assert starts.tolist() == [T0, T0 + 3600, T0 + 3 * 3600]
    assert sums.tolist() == [1e6, 2.5e6, 4e6]


@pytest.fixture
def cascade(qtbot, tmp_path):
    from workstation.risk.positions import PositionBook
    from workstation.ui.replay_window import ReplayController

    c = ReplayController(str(DEMO), PositionBook(tmp_path / "book.db"))
    qtbot.addWidget(c.window)
    c.window.resize(1400, 900)
    c.seek(1_770_012_000_000)  # 2026-02-02 06:00 UTC
    c.sync()
    yield c
    c.close()


def test_crosshair_reads_every_pane_at_the_nearest_minute(cascade) -> None:
    charts = cascade.window.charts
    x, price = cascade.snapshot.series.column("mark_price")
    _, funding = cascade.snapshot.series.column("funding_rate_8h_pct")
    _, skew = cascade.snapshot.series.column("skew_25d_30d_volpts")
    i = len(x) - 100
    text = charts.crosshair_at(x[i] + 20)  # 20 s past a sample: that sample is the nearest
    assert text.startswith("2026-02-02 ")
    assert f"mark {price[i]:,.2f} USD" in text
    assert f"funding {funding[i]:.4f}%/8h (funding APR {funding[i] * 1095:.1f}%/yr)" in text
    assert f"skew {skew[i]:.1f} vol pts" in text
    assert cascade.window.readout.text() == text
    assert all(line.value() == x[i] for line in charts.crosshair.values())
    assert all(charts.crosshair[k].isVisible() for k, on in charts.shown.items() if on)


def test_panes_are_those_of_the_catalogue(cascade) -> None:
    from workstation.metrics.catalogue import CATALOGUE
    from workstation.ui.charts import PANES

    keys = [pane.key for pane in PANES]
    assert {m.pane for m in CATALOGUE.values()} <= set(keys)
    for pane in PANES:  # a line is drawn in the pane its metric belongs to
        assert all(CATALOGUE[line.metric].pane == pane.key for line in pane.lines), pane.key
    plots = cascade.window.charts.plots
    labels = {
        k: (plots[k].getAxis("left").labelText, plots[k].getAxis("right").labelText) for k in keys
    }
    assert labels["oi"] == ("USD", "OI coin")
    assert labels["funding"] == ("%/8h", "funding APR %/yr")
    assert labels["skew"] == ("vol pts", "ATM IV %")  # the demo has no DVOL: not named
    assert labels["liquidations"] == ("USD", "")
    charts = cascade.window.charts
    assert charts._pane_of(["rv_24h_pct", "oi_coin"]) == "oi"  # a charted line before a home
    assert charts._pane_of(["future_price", "rv_24h_pct"]) == "price"  # homes: in pane order
    assert charts._pane_of(["dvol_pct"]) == "skew"


def test_threshold_lines_come_from_the_rules(cascade) -> None:
    charts = cascade.window.charts
    assert ("skew_fear", 6.0) in charts.thresholds("skew")
    assert ("skew_panic", 15.0) in charts.thresholds("skew")
    assert ("funding_elevated", 0.03) in charts.thresholds("funding")
    assert charts.thresholds("price") == []  # no single-metric rule on the mark itself


def test_active_rules_are_shaded_where_they_held(cascade) -> None:
    charts = cascade.window.charts
    fired = [r for r in cascade.records if isinstance(r, AlertRecord) and r.rule == "skew_fear"]
    assert fired and fired[0].state == "active"
    (region,) = [r for r in charts.regions("skew") if r[0] == "skew_fear"]
    assert region[1] == fired[0].ts_ms / 1000
    # skew is still above 6 at 06:00: the region is open and reaches the newest sample
    x, _ = cascade.snapshot.series.column("mark_price")
    assert region[2] == x[-1]
    # liquidation clusters shade the liquidation pane, lower lows the price pane
    assert any(r[0] == "liquidation_cluster" for r in charts.regions("liquidations"))
    assert any(r[0] == "lower_lows" for r in charts.regions("price"))
    # a rebuilt replay starts with no shading
    cascade.seek(cascade.span[0] + 3_600_000)
    cascade.sync()
    assert charts.regions("skew") == []


def test_panes_toggle_from_the_charts_menu(cascade) -> None:
    window = cascade.window
    charts = window.charts
    assert not charts.plots["basis"].isVisible()
    assert charts.plots["basis"] not in charts.ci.items
    window.pane_actions["basis"].setChecked(True)
    assert charts.plots["basis"] in charts.ci.items
    window.pane_actions["liquidations"].setChecked(False)
    assert charts.plots["liquidations"] not in charts.ci.items
    # only the lowest shown pane prints dates
    shown = [k for k, on in charts.shown.items() if on]
    assert shown[-1] == "basis"
    assert charts.plots["basis"].getAxis("bottom").style["showValues"]
    assert not charts.plots["price"].getAxis("bottom").style["showValues"]


def test_liquidation_bars_and_markers(cascade) -> None:
    charts = cascade.window.charts
    x, long_usd = cascade.snapshot.series.column("liq_long_usd_1m")
    assert cascade.window.charts.bucket_s == 3600  # 70 h of data: hourly
    _, sums = bucket_sums(x, long_usd, 3600)
    heights = charts.long_bars.opts["height"]
    assert np.allclose(heights, -sums)  # long liquidations hang below zero
    assert heights.min() < -5e6  # the cascade's hours
    big = np.count_nonzero(np.nan_to_num(long_usd) >= 1e6)
    _, short_usd = cascade.snapshot.series.column("liq_short_usd_1m")
    big += np.count_nonzero(np.nan_to_num(short_usd) >= 1e6)
    assert big > 0 and len(charts.liq_markers.data) == big


def test_view_follows_the_newest_data_when_pinned(cascade) -> None:
    price = cascade.window.charts.plots["price"]
    x, _ = cascade.snapshot.series.column("mark_price")
    price.setXRange(x[-1] - 6 * 3600, x[-1], padding=0)  # zoomed, pinned at the right edge
    cascade.seek(cascade.snapshot.ts_ms + 3_600_000)
    cascade.sync()
    lo, hi = price.vb.viewRange()[0]
    x2, _ = cascade.snapshot.series.column("mark_price")
    assert hi == pytest.approx(x2[-1]) and hi - lo == pytest.approx(6 * 3600)
    # not pinned (looking at the past): the view stays
    price.setXRange(x2[0], x2[0] + 6 * 3600, padding=0)
    cascade.seek(cascade.snapshot.ts_ms + 3_600_000)
    cascade.sync()
    assert price.vb.viewRange()[0] == pytest.approx([x2[0], x2[0] + 6 * 3600])


def test_panes_with_several_series_name_them_in_their_colours(cascade) -> None:
    from workstation.metrics.catalogue import CATALOGUE

    charts = cascade.window.charts
    no_data = {"dvol_pct"}  # the demo session has no volatility index
    for pane in PANES:
        expected = [
            (CATALOGUE[line.metric].label, line.colour)
            for line in pane.lines
            if line.metric not in no_data
        ]
        assert charts.legend(pane.key) == (expected if len(pane.lines) > 1 else []), pane.key
    assert charts.legend("skew") == [("25d skew (30d)", "#ec7063"), ("ATM IV (30d)", "#f0b27a")]


class _Series:
    """Only a mark price: every other column all NaN."""

    def __init__(self, n: int) -> None:
        self.x = T0 + 60.0 * np.arange(n)

    def column(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        y = (
            70_000 + np.arange(len(self.x))
            if name == "mark_price"
            else np.full(len(self.x), np.nan)
        )
        return self.x, y


def test_an_empty_pane_says_so_and_prints_no_axis_numbers(qtbot) -> None:
    from workstation.ui.charts import ChartStack

    charts = ChartStack()
    qtbot.addWidget(charts)
    # nothing yet: no numbers on any axis, no 1970 dates
    assert all(charts.is_empty(key) for key in charts.plots)
    assert not any(charts.plots[k].getAxis("bottom").style["showValues"] for k in charts.plots)
    charts.refill(_Series(600))
    assert not charts.is_empty("price")
    assert charts.plots["price"].getAxis("left").style["showValues"]
    assert charts.plots["skew"].getAxis("bottom").style["showValues"]  # the lowest shown pane
    oi = charts.plots["oi"]
    assert charts.is_empty("oi") and charts._empty["oi"].isVisible()
    assert charts._empty["oi"].text() == "no open interest in this session"
    assert not oi.getAxis("left").style["showValues"]
    assert not oi.getAxis("right").style["showValues"]
    assert not charts.plots["funding"].getAxis("right").style["showValues"]
    charts.set_live(True)
    assert charts._empty["funding"].text() == "waiting for data"


SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def test_axes_and_crosshair_print_no_scientific_notation(cascade, qtbot) -> None:
    charts = cascade.window.charts
    cascade.window.show()
    qtbot.waitExposed(cascade.window)
    qtbot.wait(100)
    printed = {}
    for key, plot in charts.plots.items():
        for side in ("left", "right"):
            axis = plot.getAxis(side)
            levels = axis.tickValues(axis.range[0], axis.range[1], axis.height())
            printed[key, side] = [
                text
                for spacing, values in levels
                for text in axis.tickStrings(values, axis.scale, spacing)
            ]
    strings = [s for texts in printed.values() for s in texts]
    assert strings and not [s for s in strings if SCIENTIFIC.search(s)]
    assert all(s.endswith("B") for s in printed["oi", "left"]), printed["oi", "left"]
    assert any(s.endswith("M") for s in printed["liquidations", "left"])
    assert any("," in s for s in printed["price", "left"])  # 75,000
    x, _ = cascade.snapshot.series.column("mark_price")
    assert not SCIENTIFIC.search(charts.crosshair_at(x[-1]))


def test_spread_keeps_labels_apart_and_inside() -> None:
    assert spread([50.0, 52.0], 100, 10) == [50.0, 60.0]
    assert spread([-20.0, 200.0], 100, 10) == [5.0, 95.0]  # beyond the edges: at them
    assert spread([98.0, 99.0, 100.0], 100, 10) == [75.0, 85.0, 95.0]
    assert spread([1.0, 2.0, 3.0], 25, 10) == [5.0, 15.0, None]  # no room for the third


def test_threshold_labels_neither_overlap_nor_leave_their_pane(cascade, qtbot) -> None:
    cascade.window.show()
    qtbot.waitExposed(cascade.window)
    qtbot.wait(100)
    charts = cascade.window.charts
    for key, labels in charts._labels.items():
        if not charts.shown[key]:
            continue
        pane = charts.plots[key].vb.sceneBoundingRect()
        rects = [label.sceneBoundingRect() for _, label in labels if label.isVisible()]
        assert len(rects) == len(labels), key
        for i, r in enumerate(rects):
            assert pane.adjusted(-1, -1, 1, 1).contains(r), (key, r, pane)
            assert not any(r.intersects(o) for o in rects[i + 1 :]), key
    assert len(charts._labels["funding"]) >= 2 and len(charts._labels["skew"]) >= 2


def test_going_to_an_alert_fits_the_y_ranges_and_the_candle_period(cascade, qtbot) -> None:
    window = cascade.window
    window.show()
    qtbot.waitExposed(window)
    window.go_to_alert(window.alerts_view_model.rowCount() - 1)  # the first alert
    qtbot.wait(50)
    charts = window.charts
    assert charts.bucket_s == bucket_for(12 * 3600) == 300
    (lo, hi), (ylo, yhi) = charts.plots["price"].vb.viewRange()
    x, price = cascade.snapshot.series.column("mark_price")
    seen = price[(x >= lo) & (x <= hi)]
    assert ylo <= np.nanmin(seen) and yhi >= np.nanmax(seen)
    assert yhi - ylo < 1.5 * (np.nanmax(seen) - np.nanmin(seen))  # not the whole session's
    assert yhi - ylo < 0.5 * (np.nanmax(price) - np.nanmin(price))
    # a right axis too: open interest in coin
    charts._right_boxes["oi"].setYRange(0, 1e7)  # zoomed out by hand before the click
    window.go_to_alert(window.alerts_view_model.rowCount() - 1)
    qtbot.wait(50)
    _, oi = cascade.snapshot.series.column("oi_coin")
    seen = oi[(x >= lo) & (x <= hi)]
    ylo, yhi = charts._right_boxes["oi"].viewRange()[1]
    assert ylo <= np.nanmin(seen) and yhi >= np.nanmax(seen)
    assert yhi - ylo < 1.5 * (np.nanmax(seen) - np.nanmin(seen))


def test_an_imported_dvol_series_is_charted_in_the_skew_pane(qtbot, tmp_path) -> None:
    from workstation.cli.main import main
    from workstation.risk.positions import PositionBook
    from workstation.ui.replay_window import ReplayController

    csv = tmp_path / "dvol.csv"
    rows = [f"2026-01-{d:02d},{50 + d},{52 + d},{49 + d},{51 + d}" for d in range(1, 4)]
    csv.write_text("date,open,high,low,close\n" + "\n".join(rows) + "\n")
    session = tmp_path / "dvol.session"
    assert main(["import", "deribit-dvol", str(csv), "--out", str(session)]) == 0
    c = ReplayController(str(session), PositionBook(tmp_path / "book.db"))
    qtbot.addWidget(c.window)
    c.seek(c.span[1])
    c.sync()
    charts = c.window.charts
    charts.refill(c.snapshot.series)
    c.close()
    dvol = charts.curves["dvol_pct"].yData
    assert np.nanmax(dvol) == 53.0  # the last close
    assert not charts.is_empty("skew") and charts.is_empty("oi")
    skew = charts.plots["skew"]  # DVOL on the right, no skew on the left
    assert skew.getAxis("right").style["showValues"]
    assert not skew.getAxis("left").style["showValues"]  # not 0 to 1
    assert not [line for line, _ in charts._labels["skew"] if line.isVisible()]
    assert not [line for line, _ in charts._labels["funding"] if line.isVisible()]
    assert skew.legend.isVisible() and not charts.plots["oi"].legend.isVisible()
    assert charts.legend("skew") == [("DVOL", "#5dade2")]  # only the series it has
    assert skew.getAxis("right").labelText == "DVOL %"
    assert len(charts.long_bars.opts["height"]) == 0  # unknown, not a row of zero bars


def test_the_cross_venue_panes_say_when_they_are_partial(qtbot) -> None:
    from workstation.ui.charts import ChartStack

    charts = ChartStack()
    qtbot.addWidget(charts)
    charts.set_missing_venues(("okx",))
    assert charts.plots["oi"].toolTip() == "cross-venue sum, partial: without okx (stale)"
    assert charts.plots["liquidations"].toolTip() == charts.plots["oi"].toolTip()
    charts.set_missing_venues(())
    assert charts.plots["oi"].toolTip() == "cross-venue sum over every venue"
