"""The default rules on a simulated February 2026 sell-off: the signals arrive when the
scenario's own script says they should (times derived from the phases stored in the session)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import DEMO

from workstation.app.backtest import backtest
from workstation.cli import main
from workstation.core.events import MarkPrice
from workstation.sessions.store import SessionReader

HOUR = 3_600_000


@pytest.fixture(scope="module", params=["demo", "seed-11"])
def session(request, tmp_path_factory) -> Path:
    if request.param == "demo":
        return DEMO
    out = tmp_path_factory.mktemp("s") / "seed11.session"
    assert (
        main(
            [
                "simulate",
                "--scenario",
                "feb-2026-selloff",
                "--seed",
                "11",
                "--hours",
                "120",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


@pytest.fixture(scope="module")
def records(session: Path, tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("r") / "replay.jsonl"
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "workstation", "replay", str(session), "--every", "3600"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    out.write_text(res.stdout)
    return [json.loads(x) for x in res.stdout.splitlines()]


def phases(session: Path) -> dict[str, dict]:
    with SessionReader(session) as r:
        return {p["phase"]: p for p in r.meta.extra["phases"]}


def crossing_time(p: dict, name: str, level: float) -> float:
    """When the script's straight line for ``name`` crosses ``level`` inside phase p (ms)."""
    order = list(phases_cache)
    prev = phases_cache[order[order.index(p["phase"]) - 1]]
    a, b = prev[name], p[name]
    return p["start_ms"] + (level - a) / (b - a) * (p["end_ms"] - p["start_ms"])


phases_cache: dict[str, dict] = {}


def test_skew_caution_as_skew_passes_six(session: Path, records: list[dict]) -> None:
    phases_cache.clear()
    phases_cache.update(phases(session))
    t_cross = crossing_time(phases_cache["breakdown"], "skew_volpts", 6.0)
    fired = [
        r["ts_ms"]
        for r in records
        if r["type"] == "alert" and r["rule"] == "skew_fear" and r["state"] == "active"
    ]
    assert fired, "skew_fear never fired"
    # the scripted line plus seeded noise (about 0.3 vol pts, an hour of drift at this slope)
    assert abs(fired[0] - t_cross) < 3 * HOUR, (fired[0] - t_cross) / HOUR
    first = next(r for r in records if r["type"] == "alert" and r["rule"] == "skew_fear")
    assert first["values"]["skew_25d_30d_volpts"] > 6.0


def test_wait_during_the_cascade_with_its_cautions(session: Path, records: list[dict]) -> None:
    ph = phases(session)
    lo, hi = ph["breakdown"]["start_ms"], ph["cascade"]["end_ms"]
    waits = [
        r
        for r in records
        if r["type"] == "checklist" and r["verdict"] == "WAIT" and lo <= r["ts_ms"] <= hi
    ]
    assert waits
    assert all(len(r["cautions"]) + len(r["unknown"]) >= 3 for r in waits)
    assert any({"liquidations", "skew"} <= set(r["cautions"]) for r in waits)
    quiet = [
        r
        for r in records
        if r["type"] == "checklist"
        and ph["quiet"]["start_ms"] + 24 * HOUR <= r["ts_ms"] <= ph["quiet"]["end_ms"]
    ]
    assert any(r["verdict"] == "PROCEED" for r in quiet)  # not crying wolf while it is quiet


def test_ladder_cut_when_vol_and_liquidations_spike(session: Path, records: list[dict]) -> None:
    ph = phases(session)
    lo, hi = ph["breakdown"]["start_ms"], ph["cascade"]["end_ms"] + 2 * HOUR
    ladders = [r for r in records if r["type"] == "ladder" and lo <= r["ts_ms"] <= hi]
    cut = [r for r in ladders if r["max_leverage"] <= 2.5]
    assert cut
    text = " ".join(" ".join(r["reasons"]) for r in cut)
    assert "realized vol" in text and "% > 60%" in text
    assert "liquidation intensity" in text and "x > 4x" in text
    quiet = [r for r in records if r["type"] == "ladder" and r["ts_ms"] < ph["quiet"]["end_ms"]]
    assert quiet[-1]["max_leverage"] == 5.0


def test_rebound_flagged_weak(session: Path, records: list[dict]) -> None:
    ph = phases(session)["rebound"]
    weak = [
        r
        for r in records
        if r["type"] == "alert"
        and r["state"] == "active"
        and r["rule"] in ("weak_rebound_oi", "weak_rebound_basis")
        and ph["start_ms"] <= r["ts_ms"] <= ph["end_ms"]
    ]
    assert weak


def test_no_alert_storm(records: list[dict]) -> None:
    active = [r for r in records if r["type"] == "alert" and r["state"] == "active"]
    assert len(active) < 60
    per_rule: dict[str, int] = {}
    for r in active:
        per_rule[r["rule"]] = per_rule.get(r["rule"], 0) + 1
    assert max(per_rule.values()) <= 12, per_rule


def test_backtest_matches_an_independent_drawdown(session: Path) -> None:
    report = backtest(session)
    with SessionReader(session) as r:
        marks = [
            (e.ts_event_ms, e.mark_price_usd)
            for e in r.events()
            if isinstance(e, MarkPrice) and e.venue == "binance"
        ]
    px = np.array([p for _, p in marks])
    peak = np.maximum.accumulate(px)
    i = int(np.argmin(px / peak))
    (dd,) = report["drawdowns"]
    assert dd["trough_usd"] == px[i]
    assert dd["pct"] == pytest.approx((px[i] / peak[i] - 1) * 100, abs=0.01)
    assert dd["pct"] < -20
    rows = {r["rule"]: r for r in report["rules"] if r["venue"] == "all"}
    assert rows["skew_fear"]["fired"] >= 1
    assert rows["skew_fear"]["lead_time_h"] > 0
    assert rows["liquidation_cluster"]["lead_time_h"] > 0
    for r in report["rules"]:
        assert r["flaps"] <= r["activations"]
        assert r["fired"] + r["suppressed"] == r["activations"]
