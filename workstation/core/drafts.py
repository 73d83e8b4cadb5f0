"""An event before it enters the engine: its class, times, venue, symbol and fields, without the
engine-assigned ``seq`` (importers and live feeds both produce these). Any thread."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

from workstation.core.events import EventHeader

_HEADER = len(dataclasses.fields(EventHeader))


@cache
def field_names(event_cls: type) -> tuple[str, ...]:
    """The names of an event class's own fields (after the header), in their order."""
    return tuple(f.name for f in dataclasses.fields(event_cls)[_HEADER:])


@dataclass(frozen=True, slots=True)
class EventDraft:
    """``fields`` holds the event's own fields in the class's order; build drafts with
    :meth:`of` (by name, checked) and read them with :meth:`value`."""

    cls: type
    ts_event_ms: int
    ts_final_ms: int  # when the value was final (a bar's close); the earliest it can be received
    venue: str
    symbol: str
    fields: tuple
    where: str  # where it came from (file:line, or the venue's channel), for reports and logs

    @classmethod
    def of(
        cls,
        event_cls: type,
        ts_event_ms: int,
        ts_final_ms: int,
        venue: str,
        symbol: str,
        where: str,
        **fields: Any,
    ) -> EventDraft:
        """A draft whose fields are given by name; a missing or unknown name is a TypeError."""
        names = field_names(event_cls)
        if set(fields) != set(names):
            raise TypeError(
                f"{event_cls.__name__} takes {', '.join(names)} (got {', '.join(sorted(fields))})"
            )
        values = tuple(fields[n] for n in names)
        return cls(event_cls, ts_event_ms, ts_final_ms, venue, symbol, values, where)

    def value(self, name: str) -> Any:
        """One field by name."""
        return self.fields[field_names(self.cls).index(name)]

    def build(self, ts_recv_ms: int, seq: int):
        return self.cls(self.ts_event_ms, ts_recv_ms, seq, self.venue, self.symbol, *self.fields)
