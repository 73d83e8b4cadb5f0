"""Deribit wire formats -> event drafts (pure). ``public/get_book_summary_by_currency``
(kind=option): one chain snapshot per answer; ``public/get_volatility_index_data`` and the
``deribit_volatility_index.<index>`` channel: DVOL (percent; the docs' REST example is in fractions,
converted when every value is below 3)."""

from __future__ import annotations

from typing import Any

from workstation.core.drafts import EventDraft
from workstation.core.events import OptionChain, OptionQuote, VolIndex
from workstation.feeds.wire import PayloadError
from workstation.sessions.importers.deribit import parse_instrument

VENUE = "deribit"


def book_summary(payload: dict[str, Any], ts_ms: int) -> list[EventDraft]:
    result = payload.get("result")
    if not isinstance(result, list):
        raise PayloadError("book summary without a result list")
    chains: dict[str, dict[str, OptionQuote]] = {}
    for r in result:
        parsed = parse_instrument(r.get("instrument_name", ""))
        if parsed is None or r.get("mark_iv") is None or r.get("underlying_price") is None:
            continue
        coin, expiry, strike, typ = parsed
        q = OptionQuote(
            r["instrument_name"],
            expiry,
            strike,
            typ,
            float(r["mark_iv"]),
            float(r["underlying_price"]),
        )
        chains.setdefault(f"{coin}USDT", {})[q.instrument] = q
    return [
        EventDraft(
            OptionChain,
            ts_ms,
            ts_ms,
            VENUE,
            symbol,
            (
                tuple(
                    sorted(qs.values(), key=lambda q: (q.expiry_ts_ms, q.strike_usd, q.option_type))
                ),
            ),
            "book_summary",
        )
        for symbol, qs in sorted(chains.items())
    ]


def volatility_index(msg: dict[str, Any]) -> EventDraft:
    data = (msg.get("params") or {}).get("data") or msg.get("data") or {}
    try:
        v, ts = float(data["volatility"]), int(data["timestamp"])
        coin = data["index_name"].split("_")[0].upper()
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(f"volatility index: {exc}") from None
    return EventDraft(
        VolIndex, ts, ts, VENUE, f"{coin}USDT", (v, v, v, v), "deribit_volatility_index"
    )
