"""Deribit wire formats -> event drafts (pure, except :class:`TickerChains`, which one feed owns).

What the adapter accepts (as Deribit's docs show it and as recorded sessions show it):

- ``public/get_book_summary_by_currency`` (kind=option): a ``result`` list; rows without an option
  name (futures), ``mark_iv`` or ``underlying_price`` are skipped, and so are null fields. A row's
  time is its ``creation_timestamp`` (the poll's time when it has none). A ``{"error": {...}}``
  answer is a PayloadError naming Deribit's code and message.
- ``ticker.<instrument>.<interval>`` subscription messages (the recorded cryptofeed session of
  2021-07-22): one instrument each, with ``timestamp``, ``mark_iv``, ``underlying_price``,
  ``underlying_index`` (a future, or ``SYN.`` for a synthetic forward), ``greeks`` and more fields
  that are not read; :class:`TickerChains` assembles them into running chains
  (:mod:`workstation.sessions.importers.running_chain`).
- ``deribit_volatility_index.<index>`` and ``public/get_volatility_index_data``: DVOL (percent; the
  docs' REST example is in fractions, converted when every value is below 3).
- Other frames on the same socket are not errors and are ignored: the ``public/subscribe``
  acknowledgement (``{"id": .., "result": [channels]}``), ``book.*`` and ``trades.*`` messages,
  heartbeats.
"""

from __future__ import annotations

from typing import Any

from workstation.core.drafts import EventDraft
from workstation.core.events import OptionChain, OptionQuote, VolIndex
from workstation.feeds.wire import PayloadError
from workstation.sessions.importers.deribit import parse_instrument
from workstation.sessions.importers.running_chain import RunningChain

VENUE = "deribit"


def quote_of(r: dict[str, Any]) -> tuple[str, OptionQuote] | None:
    """A book-summary row or ticker -> (desk symbol, quote); None for what is not a priced option."""
    if not isinstance(r, dict):
        raise PayloadError(f"a quote that is not an object: {r!r:.40}")
    parsed = parse_instrument(str(r.get("instrument_name", "")))
    if parsed is None or r.get("mark_iv") is None or r.get("underlying_price") is None:
        return None
    coin, expiry, strike, typ = parsed
    try:
        iv, und = float(r["mark_iv"]), float(r["underlying_price"])
    except (TypeError, ValueError):
        raise PayloadError(
            f"{r['instrument_name']}: mark_iv/underlying_price not numbers"
        ) from None
    return f"{coin}USDT", OptionQuote(r["instrument_name"], expiry, strike, typ, iv, und)


def _result_list(payload: dict[str, Any]) -> list[Any]:
    err = payload.get("error")
    if isinstance(err, dict):
        raise PayloadError(f"Deribit error {err.get('code')}: {err.get('message', '')}")
    result = payload.get("result")
    if not isinstance(result, list):
        raise PayloadError("book summary without a result list")
    return result


class TickerChains:
    """The live adapter's running chains: book summaries and ticker messages update them,
    :meth:`drafts` gives a chain per symbol changed since the last call. The feed thread only."""

    def __init__(self) -> None:
        self._chain = RunningChain()
        self._changed: set[str] = set()

    def summary(self, payload: dict[str, Any], poll_ms: int) -> None:
        """A book-summary answer: every row at its ``creation_timestamp`` (else ``poll_ms``)."""
        for r in _result_list(payload):
            sq = quote_of(r)
            if sq is not None:
                self._hold(*sq, int(r.get("creation_timestamp") or poll_ms))

    def ticker(self, msg: dict[str, Any]) -> None:
        """A ``ticker.*`` subscription message."""
        data = (msg.get("params") or {}).get("data")
        if not isinstance(data, dict) or not data.get("timestamp"):
            raise PayloadError("ticker message without data.timestamp")
        sq = quote_of(data)
        if sq is not None:
            self._hold(*sq, int(data["timestamp"]))

    def _hold(self, symbol: str, quote: OptionQuote, ts_ms: int) -> None:
        self._chain.update(symbol, quote, ts_ms)
        self._changed.add(symbol)

    def drafts(self) -> list[EventDraft]:
        out = []
        for s in sorted(self._changed):
            ts = self._chain.now_ms(s)
            out.append(
                EventDraft.of(
                    OptionChain, ts, ts, VENUE, s, "running_chain", quotes=self._chain.snapshot(s)
                )
            )
        self._changed.clear()
        return out


def volatility_index(msg: dict[str, Any]) -> EventDraft:
    data = (msg.get("params") or {}).get("data") or msg.get("data") or {}
    try:
        v, ts = float(data["volatility"]), int(data["timestamp"])
        coin = data["index_name"].split("_")[0].upper()
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(f"volatility index: {exc}") from None
    return EventDraft.of(
        VolIndex,
        ts,
        ts,
        VENUE,
        f"{coin}USDT",
        "deribit_volatility_index",
        open_pct=v,
        high_pct=v,
        low_pct=v,
        close_pct=v,
    )
