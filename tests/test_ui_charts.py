"""The stacked charts: candles and per-period sums by hand, the crosshair readout, threshold lines,
shaded rule intervals, pane toggling and following the newest data."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DEMO

from workstation.core.records import AlertRecord
from workstation.ui.charts import bucket_for, bucket_sums, candles

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
    assert labels["oi"] == ("bn USD", "OI coin")
    assert labels["funding"] == ("%/8h", "funding APR %/yr")
    assert labels["skew"] == ("vol pts", "ATM IV %")
    assert labels["liquidations"] == ("M USD", "")
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
