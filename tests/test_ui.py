"""The window (first slice): models checked by qtmodeltester, the screenshot command, and the
PNG having real content."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO

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
    assert rows["Liquidations"] == ("6.3x", "crowded")
    assert rows["25d skew (30d)"] == ("7.2 vol pts", "crowded")
    assert rows["Funding"] == ("—", "unknown (stale)")  # never "stable" without data
    assert rows["Open interest 4h"] == ("+1.00%", "stable")
    assert (
        rows["Spot/futures volume"][1] == "unknown (stale)"
    )  # no value: unknown even if a rule reads it


def test_alerts_model(qtmodeltester) -> None:
    from workstation.ui.models import AlertsModel

    m = AlertsModel()
    qtmodeltester.check(m)
    m.add(
        [
            {
                "type": "alert",
                "ts_ms": 1769940000000,
                "severity": "warning",
                "rule": "skew_fear",
                "state": "active",
                "message": "25d skew 6.1",
            },
            {"type": "metrics", "ts_ms": 1},
        ]
    )
    m.add(
        [
            {
                "type": "alert",
                "ts_ms": 1769950000000,
                "severity": "critical",
                "rule": "skew_panic",
                "state": "active",
                "message": "panic",
            }
        ]
    )
    qtmodeltester.check(m)
    assert m.rowCount() == 2 and m.index(0, 2).data() == "skew_panic"  # newest first


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
    # the WAIT banner's red is in the top rows
    assert any(
        img.pixelColor(x, 50).red() > 150 and img.pixelColor(x, 50).green() < 90
        for x in range(20, 600, 10)
    )
