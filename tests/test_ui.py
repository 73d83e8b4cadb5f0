"""The window (first slice): models checked by qtmodeltester, the screenshot command, and the
PNG having real content."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO

from workstation.core.records import AlertRecord, MetricsRecord

pytest.importorskip("PySide6")


def test_signals_model(qtmodeltester) -> None:
    from workstation.ui.models import SignalsModel

    m = SignalsModel()
    qtmodeltester.check(m)
    m.update(
        {"liq_intensity_x": 6.3, "skew_25d_30d_volpts": 7.2, "oi_change_4h_pct": 1.0},
        ("liquidations", "skew"),
        ("funding",),
        frozenset({"spot_perp_volume_ratio"}),
    )
    qtmodeltester.check(m)
    rows = {
        m.index(r, 0).data(): (m.index(r, 1).data(), m.index(r, 2).data())
        for r in range(m.rowCount())
    }
    # the checklist items first, then the other signals, each in the catalogue's order
    assert list(rows) == [
        "Funding per 8h", "OI change 4h", "Liquidation intensity", "25d skew (30d)",
        "Price structure", "Basis (annualised)", "Realized vol 24h", "Spot/perp volume 24h",
    ]  # fmt: skip
    assert rows["Liquidation intensity"] == ("6.3x", "caution")
    assert rows["25d skew (30d)"] == ("7.2 vol pts", "caution")
    assert rows["Funding per 8h"] == ("—", "stale")  # never "stable" without data
    assert rows["OI change 4h"] == ("+1.00%", "stable")
    # no value and never seen: not in this session, even if a rule reads it
    assert rows["Spot/perp volume 24h"][1] == "not in this session"
    m.update({"oi_change_4h_pct": -0.5, "price_structure_score": 0.0}, ("oi",), ())
    assert m.index(1, 1).data() == "-0.50%" and m.index(1, 2).data() == "caution"
    assert m.index(1, 3).data() == "Assume crowding; tighten risk limits."
    assert m.index(4, 1).data() == "0"  # no sign on zero


def test_signal_table_states_advice_by_sign_and_the_intensity_divisor(qtmodeltester) -> None:
    from workstation.ui.models import MetricStates, SignalsModel

    m = SignalsModel()

    def rows() -> dict[str, tuple[str, str, str]]:
        return {
            m.index(r, 0).data(): tuple(m.index(r, c).data() for c in (1, 2, 3))
            for r in range(m.rowCount())
        }

    fresh = {
        "funding_rate_8h_pct": -0.0037,  # shorts pay: the advice is about shorts
        "skew_25d_30d_volpts": -7.0,  # calls bid
        "liq_intensity_x": 6.3, "liq_baseline_usd_1h": 1_200_000.0,
        "liq_median_usd_1h": 1_200_000.0,
        "oi_change_4h_pct": 2.0,
    }  # fmt: skip
    states = MetricStates(
        warming={"rv_24h_pct": 0.4167}, stale=frozenset({"basis_apr_pct"}), missing_venues=("okx",)
    )
    m.update(fresh, ("funding", "skew", "liquidations"), (), frozenset(), states)
    qtmodeltester.check(m)
    r = rows()
    assert r["Funding per 8h"] == (
        "-0.0037%/8h", "caution", "Crowded shorts pay: cut shorts faster; a squeeze can run."
    )  # fmt: skip
    assert r["25d skew (30d)"][2] == "Calls bid (FOMO): do not chase; trim into strength."
    assert r["Liquidation intensity"][0] == "6.3x ÷ 7-day hourly median 1.20M USD/h"
    assert r["Realized vol 24h"] == ("—", "warming up", "42% of its window so far: no value yet")
    assert r["Basis (annualised)"][1] == "stale"
    assert r["Spot/perp volume 24h"][1] == "not in this session"
    assert r["OI change 4h"] == ("+2.00% (partial: without okx)", "stable", "")
    # positive funding: the longs' advice; a median under the floor: the floor, in words
    fresh |= {"funding_rate_8h_pct": 0.03, "liq_median_usd_1h": 80_000.0,
              "liq_baseline_usd_1h": 250_000.0}  # fmt: skip
    m.update(fresh, ("funding", "liquidations"), ())
    r = rows()
    assert r["Funding per 8h"][2] == "Cut longs faster; avoid carry drag."
    assert r["Liquidation intensity"][0] == "6.3x ÷ ≥ 250.0k USD/h floor"
    assert r["OI change 4h"][0] == "+2.00%"


def test_alerts_model(qtmodeltester) -> None:
    from PySide6.QtCore import Qt

    from workstation.ui.models import AlertsModel

    m = AlertsModel()
    qtmodeltester.check(m)
    m.add(
        [
            AlertRecord(
                1769940000000, "skew_fear", "all", "BTCUSDT", "active", "warning",
                message="25d skew 6.1",
            ),
            MetricsRecord(1, "all", "BTCUSDT"),  # not an alert: not in the log
        ]
    )  # fmt: skip
    m.add(
        [
            AlertRecord(
                1769950000000, "skew_panic", "all", "BTCUSDT", "active", "critical",
                message="panic",
            )
        ]
    )  # fmt: skip
    qtmodeltester.check(m)
    assert m.rowCount() == 2 and m.index(0, 2).data() == "skew_panic"  # newest first
    bold = Qt.ItemDataRole.FontRole
    assert m.unacknowledged() == 0 and m.index(0, 0).data(bold) is None  # not active (yet)
    m.set_active({("skew_fear", "all", "BTCUSDT"), ("skew_panic", "all", "BTCUSDT")})
    assert m.unacknowledged() == 2 and m.index(1, 4).data() == ""
    assert m.index(0, 0).data(bold).bold() and m.index(1, 0).data(bold).bold()
    m.acknowledge([1])
    assert m.unacknowledged() == 1 and m.index(1, 4).data() == "✓"
    assert m.index(1, 0).data(bold) is None
    qtmodeltester.check(m)
    # skew_panic clears, then fires again (twice in the log, once active now); skew_fear clears:
    # what counts is the rule instances active now, not the activations in the log
    m.add(
        [
            AlertRecord(1769951000000, "skew_panic", "all", "BTCUSDT", "cleared", "critical"),
            AlertRecord(1769952000000, "skew_panic", "all", "BTCUSDT", "active", "critical"),
            AlertRecord(1769953000000, "skew_fear", "all", "BTCUSDT", "cleared", "warning"),
        ]
    )
    m.set_active({("skew_panic", "all", "BTCUSDT")})
    assert sum(1 for r in range(m.rowCount()) if m.row(r)["state"] == "active") == 3
    assert m.unacknowledged() == 1
    # rows: 0 fear cleared, 1 panic active (live), 2 panic cleared, 3 panic active (past), ...
    assert m.index(1, 0).data(bold).bold() and m.index(3, 0).data(bold) is None
    m.acknowledge([1])  # the newest skew_panic activation
    assert m.row(1)["state"] == "active" and m.unacknowledged() == 0
    qtmodeltester.check(m)


def test_alert_log_keeps_the_newest_max_rows(qtmodeltester) -> None:
    from workstation.ui.models import AlertsModel

    model = AlertsModel()
    model.MAX_ROWS = 100
    batch = [
        AlertRecord(i, "r", "all", "BTCUSDT", "active", "info", message=f"m{i}") for i in range(130)
    ]
    model.add(batch[:60])
    model.add(batch[60:])
    assert model.rowCount() == 100
    assert model.row(0)["ts_ms"] == 129 and model.row(99)["ts_ms"] == 30  # newest first
    qtmodeltester.check(model, force_py=True)


def test_alerts_filter_and_csv(qtmodeltester, tmp_path: Path) -> None:
    import csv

    from workstation.ui.models import AlertsFilter, AlertsModel

    m = AlertsModel()
    base = {"state": "active", "venue": "binance", "symbol": "BTCUSDT"}
    table = (  # ts_ms, severity, rule, message, values
        (1769940000000, "warning", "skew_fear", "25d skew 6.1", {"skew_25d_30d_volpts": 6.1}),
        (
            1769943600000,
            "critical",
            "funding_hot",
            "funding 0.051%/8h",
            {"funding_rate_8h_pct": 0.051},
        ),
        (1769947200000, "warning", "oi_build", "OI +6.2% in 4h", {"oi_change_4h_pct": 6.2}),
    )
    keys = ("ts_ms", "severity", "rule", "message", "values")
    m.add([AlertRecord(**base, **dict(zip(keys, row, strict=True))) for row in table])
    f = AlertsFilter()
    f.setSourceModel(m)
    qtmodeltester.check(f)
    f.set_filter("warning")
    assert [f.index(i, 2).data() for i in range(f.rowCount())] == ["oi_build", "skew_fear"]
    f.set_filter("", "SKEW")  # case-insensitive, rule or message
    assert [f.index(i, 2).data() for i in range(f.rowCount())] == ["skew_fear"]
    f.set_filter("warning", "OI +6")
    assert f.source_rows() == [0]
    qtmodeltester.check(f)
    f.set_filter()
    m.acknowledge([2])
    out = tmp_path / "alerts.csv"
    assert m.write_csv(str(out), f.source_rows()) == 3
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [r["rule"] for r in rows] == ["oi_build", "funding_hot", "skew_fear"]
    assert rows[2]["time_utc"].startswith("2026-02-01 10:00") and rows[2]["acknowledged"] == "yes"
    assert rows[1]["values"] == "funding_rate_8h_pct=0.051" and rows[1]["severity"] == "critical"
    assert rows[0]["acknowledged"] == "no" and rows[0]["ts_ms"] == "1769947200000"


def test_screenshot_of_the_cascade_has_real_content(tmp_path: Path, capsys) -> None:
    from PySide6.QtGui import QImage

    from workstation.cli import main

    out = tmp_path / "cascade.png"
    assert (
        main(
            [
                "gui",
                "--session",
                str(DEMO),
                "--at",
                "2026-02-02T06:00:00Z",
                "--screenshot",
                str(out),
                "--size",
                "1400x900",
            ]
        )
        == 0
    )
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1400, 900)
    colours = {img.pixel(x, y) for x in range(0, 1400, 7) for y in range(0, 900, 7)}
    assert len(colours) > 50  # charts, tables and text, not a blank window
    # the long side's WAIT banner, a red band (two lines, about 45 px tall, the left column of
    # the banner, 20-360 px at this size) is near the top, under the replay toolbar and the badge
    red_rows = [
        y
        for y in range(0, 200)
        if sum(
            img.pixelColor(x, y).red() > 150 and img.pixelColor(x, y).green() < 90
            for x in range(20, 360, 10)
        )
        > 30
    ]
    assert 20 <= len(red_rows) <= 60 and red_rows[0] > 30


def test_self_test_replays_the_demo_and_passes(tmp_path: Path, capsys) -> None:
    from workstation.cli import main

    out = tmp_path / "self-test.png"
    assert main(["--self-test", "--self-test-out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "self-test: OK" in text and out.stat().st_size > 20_000
    assert "first paint" in text and " alerts; verdict: " in text


def test_self_test_checks_a_fixed_session_moment_at_any_speed(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """The engine is slowed (a short sleep every tenth event); the self-test still checks the same
    moment (the cascade), not whatever a few seconds of wall time reached."""
    import time

    import workstation.ui.selftest as selftest
    from workstation.cli import main
    from workstation.engine.engine import Engine

    process = Engine.process

    def slow(self, ev) -> None:
        time.sleep(0.0002 if ev.seq % 10 == 0 else 0)
        process(self, ev)

    monkeypatch.setattr(Engine, "process", slow)
    assert main(["--self-test", "--self-test-out", str(tmp_path / "shot.png")]) == 0
    text = capsys.readouterr().out
    assert "to 2026-02-02 06:00:00 UTC" in text and "verdict: WAIT" in text
    assert selftest.AT_MS == 1_770_012_000_000


def test_self_test_fails_without_the_shipped_files(tmp_path: Path, capsys, monkeypatch) -> None:
    import workstation.core.resources as resources
    import workstation.ui.window as window
    from workstation.cli import main

    monkeypatch.setattr(window, "ICON", tmp_path / "missing.svg")
    monkeypatch.setattr(resources, "shipped_brackets", lambda venue: tmp_path / f"{venue}.json")
    assert main(["--self-test", "--self-test-out", str(tmp_path / "shot.png")]) == 1
    err = capsys.readouterr().err
    assert "FAILED: the window icon" in err and "FAILED: the bracket tables" in err
