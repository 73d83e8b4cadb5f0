"""``workstation backtest-rules``: how a rule set would have behaved over a recorded session.

Per rule instance: how many alerts it fired, total time active, flaps (activations that cleared
again within ``flap_window_ms``, 10 minutes by default), activations swallowed by the cooldown,
and the lead time before the session's largest drawdown: the hours between the rule's first
activation in the 24 hours before the drawdown's peak up to its trough, and the trough itself
(null when the rule did not fire in that span). The drawdown is measured on the mark price of
the first perp venue by priority (binance, bybit, okx). Runs headless at max speed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from workstation.app.run import run_session
from workstation.core.events import MarkPrice
from workstation.core.timefmt import fmt_utc
from workstation.metrics.market import PERP_PRIORITY
from workstation.rules.config import RulesConfig
from workstation.sessions.store import SessionReader

FLAP_WINDOW_MS = 10 * 60_000
LOOKBACK_MS = 24 * 3_600_000


@dataclass(frozen=True)
class Drawdown:
    symbol: str
    venue: str
    peak_ts_ms: int
    peak_usd: float
    trough_ts_ms: int
    trough_usd: float

    @property
    def pct(self) -> float:
        return (self.trough_usd / self.peak_usd - 1.0) * 100.0


class _DrawdownTracker:
    """Largest peak-to-trough fall of each symbol's mark on its lead venue."""

    def __init__(self) -> None:
        self.lead: dict[str, str] = {}
        self.peak: dict[str, tuple[int, float]] = {}
        self.best: dict[str, Drawdown] = {}

    def __call__(self, ev: object) -> None:
        if not isinstance(ev, MarkPrice):
            return
        lead = self.lead.get(ev.symbol)
        rank = PERP_PRIORITY.index(ev.venue) if ev.venue in PERP_PRIORITY else len(PERP_PRIORITY)
        if lead is None or rank < (PERP_PRIORITY.index(lead) if lead in PERP_PRIORITY else 99):
            self.lead[ev.symbol] = lead = ev.venue
            self.peak.pop(ev.symbol, None)
            self.best.pop(ev.symbol, None)
        if ev.venue != lead:
            return
        px, ts = ev.mark_price_usd, ev.ts_event_ms
        peak = self.peak.get(ev.symbol)
        if peak is None or px > peak[1]:
            self.peak[ev.symbol] = peak = (ts, px)
        best = self.best.get(ev.symbol)
        if best is None or px / peak[1] < best.trough_usd / best.peak_usd:
            self.best[ev.symbol] = Drawdown(ev.symbol, lead, peak[0], peak[1], ts, px)


def backtest(
    path: str | os.PathLike[str],
    rules: RulesConfig | None = None,
    flap_window_ms: int = FLAP_WINDOW_MS,
) -> dict[str, Any]:
    """Replays ``path`` through ``rules``; returns the report as plain data (see module doc)."""
    tracker = _DrawdownTracker()
    with SessionReader(path) as reader:  # records are not kept: the rule states hold the history
        run = run_session(reader, rules=rules, taps=(tracker,))
    pipe = run.pipeline
    span = None if run.first_ts_ms is None else (run.first_ts_ms, run.end_ts_ms)
    end_ms = span[1] if span else 0

    rows = []
    for (rule_id, venue, symbol), st in sorted(pipe.rules.alerts.states.items()):
        intervals = [(a, b if b is not None else end_ms) for a, b in st.intervals]
        dd = tracker.best.get(symbol)
        lead_h = None
        first_in_span = None
        if dd is not None:
            starts = [
                a for a, _ in intervals if dd.peak_ts_ms - LOOKBACK_MS <= a <= dd.trough_ts_ms
            ]
            if starts:
                first_in_span = starts[0]
                lead_h = round((dd.trough_ts_ms - first_in_span) / 3_600_000, 2)
        rows.append(
            {
                "rule": rule_id,
                "venue": venue,
                "symbol": symbol,
                "severity": st.rule.severity,
                "fired": len(st.fired),
                "activations": len(intervals),
                "suppressed": st.suppressed,
                "active_s": sum(b - a for a, b in intervals) // 1000,
                "flaps": sum(
                    1 for a, b in st.intervals if b is not None and b - a < flap_window_ms
                ),
                "first_fired_ts_ms": st.fired[0] if st.fired else None,
                "first_active_before_trough_ts_ms": first_in_span,
                "lead_time_h": lead_h,
            }
        )
    return {
        "session": str(path),
        "first_ts_ms": span[0] if span else None,
        "last_ts_ms": end_ms if span else None,
        "rules_files": list(pipe.rules.config.sources),
        "drawdowns": [
            {
                "symbol": d.symbol,
                "venue": d.venue,
                "peak_ts_ms": d.peak_ts_ms,
                "peak_usd": d.peak_usd,
                "trough_ts_ms": d.trough_ts_ms,
                "trough_usd": d.trough_usd,
                "pct": round(d.pct, 2),
            }
            for d in sorted(tracker.best.values(), key=lambda d: d.symbol)
        ],
        "rules": rows,
    }


def format_backtest(report: dict[str, Any]) -> str:
    lines = [f"backtest of {report['session']}"]
    for d in report["drawdowns"]:
        lines.append(
            f"largest drawdown {d['symbol']} ({d['venue']}): {d['pct']:.1f}% from "
            f"{d['peak_usd']:,.2f} at {fmt_utc(d['peak_ts_ms'])} to {d['trough_usd']:,.2f} at "
            f"{fmt_utc(d['trough_ts_ms'])} UTC"
        )
    lines.append("")
    lines.append(
        f"{'rule':<32}{'scope':<14}{'fired':>6}{'active h':>10}{'flaps':>7}{'muted':>7}"
        f"{'lead h':>8}  first fired (UTC)"
    )
    for r in report["rules"]:
        scope = f"{r['venue']}/{r['symbol']}" if r["venue"] != "all" else r["symbol"]
        lead = "-" if r["lead_time_h"] is None else f"{r['lead_time_h']:.1f}"
        first = fmt_utc(r["first_fired_ts_ms"]) if r["first_fired_ts_ms"] else "-"
        lines.append(
            f"{r['rule']:<32}{scope:<14}{r['fired']:>6}{r['active_s'] / 3600:>10.1f}"
            f"{r['flaps']:>7}{r['suppressed']:>7}{lead:>8}  {first}"
        )
    lines.append("")
    lines.append(
        "flaps: activations cleared again within 10 minutes; muted: activations inside the "
        "cooldown (no alert); lead h: hours from the first activation (from 24 h before the "
        "drawdown's peak) to its trough."
    )
    return "\n".join(lines)
