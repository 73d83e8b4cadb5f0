"""``workstation skew``: the 25Δ skew of an option-chain snapshot, per expiry and at 30 days,
with the forward delta the workstation computed for every instrument."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workstation.core.events import OptionChain
from workstation.core.timefmt import fmt_utc
from workstation.metrics.skew import chain_skew


def last_chains(path: str | os.PathLike[str], at_ms: int | None = None) -> list[OptionChain]:
    """The newest chain per symbol at or before ``at_ms``, from a session or a raw Deribit file."""
    from workstation.sessions.store import NOT_SQLITE, SessionError, SessionReader

    try:
        reader = SessionReader(path)
    except SessionError as exc:
        if exc.problem != NOT_SQLITE or Path(path).suffix == ".session":
            raise  # a session (or another SQLite file) that cannot be read: not a raw chain file
        from workstation.sessions.importers.common import ImportReport, text_only
        from workstation.sessions.importers.deribit import read_chains

        report = ImportReport()
        with text_only(report):
            rows = [
                r
                for r in read_chains([Path(path)], report)
                if at_ms is None or r.ts_event_ms <= at_ms
            ]
        latest: dict[str, Any] = {}
        for r in sorted(rows, key=lambda r: r.ts_event_ms):
            latest[r.symbol] = OptionChain(
                r.ts_event_ms, r.ts_final_ms, 0, r.venue, r.symbol, *r.fields
            )
        return [latest[s] for s in sorted(latest)]
    latest = {}
    with reader:
        for ev in reader.events(end_ts_ms=None if at_ms is None else at_ms + 1):
            if isinstance(ev, OptionChain):
                latest[ev.symbol] = ev
    return [latest[s] for s in sorted(latest)]


def skew_report(chain: OptionChain) -> dict[str, Any]:
    res = chain_skew(chain.quotes, chain.ts_event_ms)
    return {
        "symbol": chain.symbol,
        "venue": chain.venue,
        "ts_ms": chain.ts_event_ms,
        "skew_25d_30d_volpts": res.skew_25d_30d_volpts,
        "atm_iv_30d_pct": res.atm_iv_30d_pct,
        "put25_iv_30d_pct": res.put25_iv_30d_pct,
        "call25_iv_30d_pct": res.call25_iv_30d_pct,
        "expiries": [
            {
                "expiry_ts_ms": e.expiry_ts_ms,
                "days": round(e.t_years * 365, 3),
                "forward_usd": e.forward_usd,
                "put25_iv_pct": e.put25_iv_pct,
                "call25_iv_pct": e.call25_iv_pct,
                "atm_iv_pct": e.atm_iv_pct,
                "skew_volpts": e.skew_volpts,
            }
            for e in res.expiries
        ],
        "instruments": [
            {
                "instrument": q.instrument,
                "mark_iv_pct": q.mark_iv_pct,
                "forward_delta": res.deltas.get(q.instrument),
            }
            for q in chain.quotes
        ],
    }


def format_skew(report: dict[str, Any]) -> str:
    def f(x: float | None, fmt: str = ".2f") -> str:
        return "-" if x is None else format(x, fmt)

    lines = [
        f"{report['symbol']} on {report['venue']} at {fmt_utc(report['ts_ms'])} UTC",
        f"30-day constant maturity: 25d skew {f(report['skew_25d_30d_volpts'])} vol pts "
        f"(put {f(report['put25_iv_30d_pct'])}% - call {f(report['call25_iv_30d_pct'])}%), "
        f"ATM IV {f(report['atm_iv_30d_pct'])}%",
        "",
        f"{'expiry (UTC)':<18}{'days':>8}{'forward':>12}{'25d put':>9}{'25d call':>9}{'ATM':>8}{'skew':>8}",
    ]
    for e in report["expiries"]:
        lines.append(
            f"{fmt_utc(e['expiry_ts_ms'], seconds=False):<18}{e['days']:>8.2f}{e['forward_usd']:>12,.2f}"
            f"{f(e['put25_iv_pct']):>9}{f(e['call25_iv_pct']):>9}{f(e['atm_iv_pct']):>8}{f(e['skew_volpts']):>8}"
        )
    lines += ["", f"{'instrument':<24}{'mark IV %':>10}{'delta':>9}"]
    for q in report["instruments"]:
        lines.append(
            f"{q['instrument']:<24}{q['mark_iv_pct']:>10.2f}{f(q['forward_delta'], '+.4f'):>9}"
        )
    lines.append("(a dash: out of the quoted wings, or in the money: not used, never extrapolated)")
    return "\n".join(lines)
