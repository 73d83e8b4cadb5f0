"""``workstation info``: what a session file holds, as text or JSON."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from workstation.core.timefmt import fmt_utc
from workstation.sessions.store import SessionMeta, SessionReader

# what each kind of event is called where a session says what it holds (position commands are
# the trader's, not data)
KIND_WORDS = {
    "bar_1m": "1-min bars",
    "mark_price": "marks",
    "open_interest": "OI",
    "funding_rate": "funding",
    "liquidation": "liquidations",
    "option_chain": "option chains",
    "future_price": "futures",
    "long_short_ratio": "long/short",
    "volume_24h": "volume",
    "premium_index": "premium index",
    "vol_index": "DVOL",
}


def _day_span(first_ms: int, last_ms: int) -> str:
    """``2021-12-31 … 2022-02-01``; within a day, the minutes: ``2026-11-30 14:00 … 16:05 UTC``."""

    def at(ms: int, spec: str) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime(spec)

    if last_ms - first_ms >= 86_400_000:
        return f"{at(first_ms, '%Y-%m-%d')} … {at(last_ms, '%Y-%m-%d')}"
    return f"{at(first_ms, '%Y-%m-%d %H:%M')} … {at(last_ms, '%H:%M')} UTC"


def data_summary(meta: SessionMeta, counts: list[tuple[str, str, str, int, int, int]]) -> str:
    """What a session's data is, from the data itself: ``FTX BTC-PERP 1-min bars,
    2021-12-31 … 2022-02-01`` (``counts``: :meth:`SessionReader.counts`)."""
    data = [c for c in counts if c[0] in KIND_WORDS and c[3] > 0]
    if not data:
        return "no market data"
    venues = sorted({c[1] for c in data})
    symbols = sorted({c[2] for c in data})
    kinds = [KIND_WORDS[k] for k in KIND_WORDS if any(c[0] == k for c in data)]
    first, last = min(c[4] for c in data), max(c[5] for c in data)
    names = ", ".join(v.upper() if len(v) <= 3 else v.title() for v in venues)
    return f"{names} {', '.join(symbols)} {', '.join(kinds)}, {_day_span(first, last)}"


def session_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Metadata, time range, and event counts per kind, venue and symbol (raises SessionError)."""
    with SessionReader(path) as reader:
        meta = reader.meta
        rng = reader.time_range()
        counts = reader.counts()
        notes = reader.notes()
    return {
        "path": str(path),
        "size_bytes": os.path.getsize(path),
        "schema_version": meta.schema_version,
        "app_version": meta.app_version,
        "created_ms": meta.created_ms,
        "created_utc": meta.created_utc,
        "source": meta.source,
        "venues": list(meta.venues),
        "symbols": list(meta.symbols),
        "notes": meta.notes,
        "extra": meta.extra,
        "first_ts_ms": rng[0] if rng else None,
        "last_ts_ms": rng[1] if rng else None,
        "duration_h": round((rng[1] - rng[0]) / 3_600_000, 3) if rng else 0.0,
        "events": sum(c[3] for c in counts),
        "counts": [
            {
                "kind": kind,
                "venue": venue,
                "symbol": symbol,
                "events": n,
                "first_ts_ms": lo,
                "last_ts_ms": hi,
            }
            for kind, venue, symbol, n, lo, hi in counts
        ],
        "timeline_notes": [{"ts_ms": t, "text": s} for t, s in notes],
    }


def format_info(info: dict[str, Any]) -> str:
    """The text form of :func:`session_info`."""
    src = info["source"]
    extra = info["extra"]
    if src == "simulated" and "scenario" in extra:
        src += f" (scenario {extra['scenario']}, seed {extra.get('seed')}) — not market data"
    lines = [
        f"session   {info['path']}  ({info['size_bytes'] / 1e6:.1f} MB)",
        f"source    {src}",
        f"created   {info['created_utc']} by workstation {info['app_version']}"
        f" (schema {info['schema_version']})",
        f"venues    {', '.join(info['venues']) or '-'}",
        f"symbols   {', '.join(info['symbols']) or '-'}",
    ]
    if info["first_ts_ms"] is not None:
        lines.append(
            f"range     {fmt_utc(info['first_ts_ms'])} -> {fmt_utc(info['last_ts_ms'])} UTC"
            f"  ({info['duration_h']:.1f} h)"
        )
    lines.append(f"events    {info['events']:,}")
    if info["notes"]:
        lines.append(f"notes     {info['notes']}")
    if info["counts"]:
        lines.append("")
        lines.append(
            f"{'kind':<17}{'venue':<12}{'symbol':<10}{'events':>9}  {'first (UTC)':<20} last (UTC)"
        )
        for c in info["counts"]:
            lines.append(
                f"{c['kind']:<17}{c['venue']:<12}{c['symbol']:<10}{c['events']:>9,}  "
                f"{fmt_utc(c['first_ts_ms']):<20} {fmt_utc(c['last_ts_ms'])}"
            )
    for n in info["timeline_notes"]:
        lines.append(f"note      {fmt_utc(n['ts_ms'])}  {n['text']}")
    return "\n".join(lines)


def recorded_summary(meta: SessionMeta, counts: list[tuple[str, str, str, int, int, int]]) -> str:
    """How a session that is not simulated came to be, and its data: ``imported: FTX BTC-PERP
    1-min bars, 2021-12-31 … 2022-02-01`` or ``recorded live: …``."""
    how = {"live": "recorded live", "imported": "imported"}.get(meta.source, meta.source)
    return f"{how}: {data_summary(meta, counts)}"
