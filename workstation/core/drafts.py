"""An event before it enters the engine: its class, times, venue, symbol and fields, without the
engine-assigned ``seq`` (importers and live feeds both produce these). Any thread."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventDraft:
    cls: type
    ts_event_ms: int
    ts_final_ms: int  # when the value was final (a bar's close); the earliest it can be received
    venue: str
    symbol: str
    fields: tuple
    where: str  # where it came from (file:line, or the venue's channel), for reports and logs

    def build(self, ts_recv_ms: int, seq: int):
        return self.cls(self.ts_event_ms, ts_recv_ms, seq, self.venue, self.symbol, *self.fields)
