"""``workstation export``: one table per event kind, typed columns, UTC timestamps.

Columns: ``ts_event`` and ``ts_recv`` (timestamps, UTC), ``ts_event_ms``, ``ts_recv_ms``, ``seq``,
``venue``, ``symbol``, then the kind's own fields with their units in their names. Option chains
become one row per quote (``instrument, expiry, strike_usd, option_type, mark_iv_pct,
underlying_price_usd`` with the snapshot's times); position commands become one row each
(``action, position_id, price_usd, fields_json``: the fields as one JSON object). Parquet (pyarrow)
or CSV; pandas and DuckDB read either without any code of ours. Written in chunks: memory stays
bounded.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from workstation.core.events import OptionChain, PositionCommand
from workstation.sessions.store import SessionReader

CHUNK = 200_000


def _rows(ev: Any) -> list[dict[str, Any]]:
    head = {
        "ts_event_ms": ev.ts_event_ms,
        "ts_recv_ms": ev.ts_recv_ms,
        "seq": ev.seq,
        "venue": ev.venue,
        "symbol": ev.symbol,
    }
    if isinstance(ev, OptionChain):
        return [
            {
                **head,
                "instrument": q.instrument,
                "expiry_ts_ms": q.expiry_ts_ms,
                "strike_usd": q.strike_usd,
                "option_type": q.option_type,
                "mark_iv_pct": q.mark_iv_pct,
                "underlying_price_usd": q.underlying_price_usd,
            }
            for q in ev.quotes
        ]
    if isinstance(ev, PositionCommand):
        return [
            {
                **head,
                "action": ev.action,
                "position_id": ev.position_id,
                "price_usd": ev.price_usd,
                "fields_json": json.dumps(dict(ev.fields), ensure_ascii=False),
            }
        ]
    fields = {f.name: getattr(ev, f.name) for f in dataclasses.fields(ev)[5:]}
    return [{**head, **fields}]


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df.insert(0, "ts_recv", pd.to_datetime(df["ts_recv_ms"], unit="ms", utc=True))
    df.insert(0, "ts_event", pd.to_datetime(df["ts_event_ms"], unit="ms", utc=True))
    if "expiry_ts_ms" in df:
        df["expiry"] = pd.to_datetime(df["expiry_ts_ms"], unit="ms", utc=True)
    text = (
        "venue",
        "symbol",
        "side",
        "market",
        "option_type",
        "instrument",
        "action",
        "fields_json",
    )
    for col in text:
        if col in df:
            df[col] = df[col].astype("string")
    for col in df.columns:
        if (
            col.endswith(("_usd", "_coin", "_pct", "_rate", "_h", "_frac", "_index", "ratio"))
            and df[col].dtype == object
        ):
            df[col] = pd.to_numeric(df[col])  # None -> NaN for optional numeric fields
    return df


class _Sink:
    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self.rows = 0
        self._writer = None
        self._schema = None

    def write(self, rows: list[dict[str, Any]]) -> None:
        df = _frame(rows)
        if self.fmt == "csv":
            df.to_csv(
                self.path,
                mode="a",
                header=self.rows == 0,
                index=False,
                date_format="%Y-%m-%dT%H:%M:%S.%fZ",
            )
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._writer is None:
                self._schema = table.schema
                self._writer = pq.ParquetWriter(self.path, self._schema)
            self._writer.write_table(table.cast(self._schema))
        self.rows += len(df)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def export_session(
    path: str | os.PathLike[str], out_dir: str | os.PathLike[str], fmt: str
) -> dict[str, int]:
    """Write ``<kind>.<fmt>`` files into ``out_dir``; returns rows per kind."""
    if fmt not in ("parquet", "csv"):
        raise ValueError("format must be parquet or csv")
    out = Path(out_dir)
    buffers: dict[str, list[dict[str, Any]]] = {}
    sinks: dict[str, _Sink] = {}
    with SessionReader(path) as reader:  # a bad session raises here, before any folder is made
        out.mkdir(parents=True, exist_ok=True)
        for ev in reader.events():
            kind = ev.KIND
            buf = buffers.setdefault(kind, [])
            buf.extend(_rows(ev))
            if len(buf) >= CHUNK:
                sink = sinks.setdefault(kind, _Sink(out / f"{kind}.{fmt}", fmt))
                if sink.rows == 0 and sink.path.exists():
                    sink.path.unlink()
                sink.write(buf)
                buffers[kind] = []
    for kind, buf in buffers.items():
        if buf:
            sink = sinks.setdefault(kind, _Sink(out / f"{kind}.{fmt}", fmt))
            if sink.rows == 0 and sink.path.exists():
                sink.path.unlink()
            sink.write(buf)
    for sink in sinks.values():
        sink.close()
    return {kind: sink.rows for kind, sink in sorted(sinks.items())}
