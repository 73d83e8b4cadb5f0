"""A running option chain: the latest quote of every instrument, as tickers arrive one by one.

Deribit's ticker data comes one instrument at a time: a chain polled with ``public/ticker``
instrument by instrument has its own timestamp on every row, and a websocket session interleaves
``ticker.*`` messages of many instruments. A chain is therefore the latest quote per instrument
seen so far, where a quote older than ``max_age_ms`` behind the newest one is aged out and an
instrument whose expiry has passed is dropped. Time is the data's own (ms since the epoch), never
the wall clock, so an import and a replay assemble the same chains. One owner; not thread-safe
(the importer's thread, or the feed thread of the live adapter).
"""

from __future__ import annotations

from workstation.core.events import OptionQuote

MAX_AGE_MS = 15 * 60_000  # a quote not refreshed for 15 minutes is no longer part of the chain


class RunningChain:
    """Per symbol: {instrument: (ts_ms, quote)} with the newest timestamp seen."""

    def __init__(self, max_age_ms: int = MAX_AGE_MS) -> None:
        self.max_age_ms = max_age_ms
        self._books: dict[str, dict[str, tuple[int, OptionQuote]]] = {}
        self._now: dict[str, int] = {}

    def update(self, symbol: str, quote: OptionQuote, ts_ms: int) -> None:
        """Hold ``quote`` (taken at ``ts_ms``) unless a newer one of its instrument is held."""
        book = self._books.setdefault(symbol, {})
        held = book.get(quote.instrument)
        if held is None or held[0] <= ts_ms:
            book[quote.instrument] = (ts_ms, quote)
        self._now[symbol] = max(self._now.get(symbol, ts_ms), ts_ms)

    def symbols(self) -> list[str]:
        return sorted(self._books)

    def now_ms(self, symbol: str) -> int:
        """The newest timestamp seen for ``symbol`` (the chain's time)."""
        return self._now[symbol]

    def snapshot(self, symbol: str) -> tuple[OptionQuote, ...]:
        """The chain at :meth:`now_ms`: stale and expired quotes removed (and forgotten), sorted by
        expiry, strike and type."""
        now = self._now[symbol]
        book = self._books[symbol]
        for name in [
            n for n, (ts, q) in book.items() if now - ts > self.max_age_ms or q.expiry_ts_ms <= now
        ]:
            del book[name]
        return tuple(
            sorted(
                (q for _, q in book.values()),
                key=lambda q: (q.expiry_ts_ms, q.strike_usd, q.option_type),
            )
        )
