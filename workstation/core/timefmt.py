"""Time formatting for people: always UTC unless a caller says otherwise."""

from __future__ import annotations

from datetime import UTC, datetime


def fmt_local(ts_ms: int) -> str:
    """``ts_ms`` in this machine's time zone, to the minute."""
    return datetime.fromtimestamp(ts_ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


def fmt_utc(ts_ms: int, seconds: bool = True) -> str:
    """``1769731200000`` -> ``2026-01-30 00:00:00`` (UTC)."""
    d = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    return d.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
