"""Printing engine output records: JSON lines (for machines) or a table (for people)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from workstation.core.timefmt import fmt_utc


def _num(v: Any, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


class JsonlPrinter:
    """One compact JSON object per line, keys in the order the engine emitted them."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def header(self, title: str) -> None:
        pass

    def write(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record, separators=(",", ":")))
        self._out.write("\n")

    def footer(self, lines: list[str]) -> None:
        pass


class TablePrinter:
    """Fixed-width rows, units in the header; perp streams only (JSON lines carry everything)."""

    _METRICS_HEAD = (
        f"{'time (UTC)':<17} {'venue':<8} {'symbol':<9} {'mark USD':>11} {'index USD':>11} "
        f"{'funding':>10} {'OI coin':>12} {'OI USD':>9} {'liq long USD':>13} {'liq short USD':>13}"
    )

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._printed_head = False

    def header(self, title: str) -> None:
        self._out.write(title + "\n\n")

    def write(self, record: dict[str, Any]) -> None:
        kind = record.get("type")
        if kind == "metrics":
            if record.get("mark_price") is None:  # options-only venues: nothing for these columns
                return
            if not self._printed_head:
                self._out.write(self._METRICS_HEAD + "\n")
                self._printed_head = True
            rate = record.get("funding_rate")
            hours = record.get("funding_interval_h")
            funding = "-" if rate is None else f"{rate * 100:.4f}%/{hours:g}h"
            oi_usd = record.get("oi_usd")
            self._out.write(
                f"{fmt_utc(record['ts_ms'], seconds=False):<17} {record['venue']:<8} "
                f"{record['symbol']:<9} {_num(record.get('mark_price'), ',.2f'):>11} "
                f"{_num(record.get('index_price'), ',.2f'):>11} {funding:>10} "
                f"{_num(record.get('oi_coin'), ',.0f'):>12} "
                f"{'-' if oi_usd is None else f'{oi_usd / 1e9:.2f}B':>9} "
                f"{_num(record.get('liq_long_usd_total'), ',.0f'):>13} "
                f"{_num(record.get('liq_short_usd_total'), ',.0f'):>13}\n"
            )
        else:
            self._out.write(f"{fmt_utc(record['ts_ms'])} {json.dumps(record)}\n")

    def footer(self, lines: list[str]) -> None:
        self._out.write("\n" + "\n".join(lines) + "\n")
