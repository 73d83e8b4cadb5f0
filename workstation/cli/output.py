"""Printing engine output records: JSON lines (for machines) or a table (for people)."""

from __future__ import annotations

import json
from typing import TextIO

from workstation.core.instruments import liquidations_note
from workstation.core.records import (
    AlertRecord,
    ChecklistRecord,
    LadderRecord,
    MetricsRecord,
    Record,
)
from workstation.core.timefmt import fmt_utc
from workstation.metrics.catalogue import CATALOGUE

_COLUMNS = tuple(m for m in CATALOGUE.values() if m.column)  # the table's metrics, in order
_HEADS = tuple(f"{m.short} {m.unit}" for m in _COLUMNS)
_WIDTHS = tuple(max(len(head), 10) for head in _HEADS)  # at least "126,000.00"


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
    """Fixed-width rows of the catalogue's column metrics, units in the header; perp streams only
    (JSON lines carry everything)."""

    _METRICS_HEAD = f"{'time (UTC)':<17} {'venue':<11} {'symbol':<9} " + " ".join(
        f"{head:>{width}}" for head, width in zip(_HEADS, _WIDTHS, strict=True)
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
                text = f"VERDICT {record.side} {record.verdict}"
                if record.cautions:
                    text += f"  cautions: {', '.join(record.cautions)}"
                if record.unknown:
                    text += f"  unknown (stale): {', '.join(record.unknown)}"
                self._line(record, text)
            case LadderRecord():
                self._line(
                    record,
                    f"LADDER {record.side} max {record.max_leverage:g}x  "
                    + "; ".join(record.reasons),
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
        cells = " ".join(
            f"{'-' if (x := v.get(m.name)) is None else m.number(x):>{width}}"
            for m, width in zip(_COLUMNS, _WIDTHS, strict=True)
        )
        self._out.write(
            f"{fmt_utc(record.ts_ms, seconds=False):<17} {record.venue:<11} "
            f"{record.symbol:<9} {cells}"
            + (f"  STALE: {', '.join(record.stale)}" if record.stale else "")
            + (
                "  no liquidations: "
                + ", ".join(f"{v} ({liquidations_note(v)})" for v in record.liq_lacking)
                if record.liq_lacking
                else ""
            )
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
