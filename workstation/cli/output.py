"""Printing engine output records: JSON lines (for machines) or a table (for people)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from workstation.core.records import (
    AlertRecord,
    ChecklistRecord,
    LadderRecord,
    MetricsRecord,
    Record,
)
from workstation.core.timefmt import fmt_utc


def _num(v: Any, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


class JsonlPrinter:
    """One compact JSON object per line, each record's documented keys in their order."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def header(self, title: str) -> None:
        pass

    def write(self, record: Record) -> None:
        self._out.write(json.dumps(record.to_json(), separators=(",", ":")))
        self._out.write("\n")

    def footer(self, lines: list[str]) -> None:
        pass


class TablePrinter:
    """Fixed-width rows, units in the header; perp streams only (JSON lines carry everything)."""

    _METRICS_HEAD = (
        f"{'time (UTC)':<17} {'venue':<8} {'symbol':<9} {'mark USD':>11} {'funding/8h':>11} "
        f"{'OI coin':>10} {'OI USD':>8} {'OI 4h':>7} {'liq long 1h':>12} {'liq short 1h':>12} "
        f"{'skew 25d':>8} {'rv 24h':>7}"
    )

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._printed_head = False

    def header(self, title: str) -> None:
        self._out.write(title + "\n\n")

    def write(self, record: Record) -> None:
        match record:
            case MetricsRecord():
                self._metrics(record)
            case AlertRecord():
                self._line(
                    record,
                    f"ALERT {record.severity.upper():<8} {record.rule} {record.state}: "
                    f"{record.message}" + (f" -> {record.action}" if record.action else ""),
                )
            case ChecklistRecord():
                text = f"VERDICT {record.verdict}"
                if record.cautions:
                    text += f"  cautions: {', '.join(record.cautions)}"
                if record.unknown:
                    text += f"  unknown (stale): {', '.join(record.unknown)}"
                self._line(record, text)
            case LadderRecord():
                self._line(
                    record, f"LADDER max {record.max_leverage:g}x  {'; '.join(record.reasons)}"
                )
            case _:
                self._out.write(f"{fmt_utc(record.ts_ms)} {json.dumps(record.to_json())}\n")

    def _metrics(self, record: MetricsRecord) -> None:
        v = record.values
        if v.get("mark_price") is None:  # options-only venues: nothing for these columns
            return
        if not self._printed_head:
            self._out.write(self._METRICS_HEAD + "\n")
            self._printed_head = True
        f8 = v.get("funding_rate_8h_pct")
        oi_usd = v.get("oi_usd")
        oi4 = v.get("oi_change_4h_pct")
        skew = v.get("skew_25d_30d_volpts")
        rv = v.get("rv_24h_pct")
        self._out.write(
            f"{fmt_utc(record.ts_ms, seconds=False):<17} {record.venue:<8} "
            f"{record.symbol:<9} {_num(v.get('mark_price'), ',.2f'):>11} "
            f"{'-' if f8 is None else f'{f8:.4f}%':>11} "
            f"{_num(v.get('oi_coin'), ',.0f'):>10} "
            f"{'-' if oi_usd is None else f'{oi_usd / 1e9:.2f}B':>8} "
            f"{'-' if oi4 is None else f'{oi4:+.1f}%':>7} "
            f"{_num(v.get('liq_long_usd_1h'), ',.0f'):>12} "
            f"{_num(v.get('liq_short_usd_1h'), ',.0f'):>12} "
            f"{'-' if skew is None else f'{skew:.1f}':>8} "
            f"{'-' if rv is None else f'{rv:.0f}%':>7}"
            + (f"  STALE: {', '.join(record.stale)}" if record.stale else "")
            + "\n"
        )

    def _line(self, record: AlertRecord | ChecklistRecord | LadderRecord, text: str) -> None:
        where = record.symbol
        venue = getattr(record, "venue", "all")
        if venue != "all":
            where = f"{venue}/{where}"
        self._out.write(f"{fmt_utc(record.ts_ms, seconds=False):<17} {where:<18} {text}\n")

    def footer(self, lines: list[str]) -> None:
        self._out.write("\n" + "\n".join(lines) + "\n")
