"""OKX wire formats -> event drafts (pure). ``/api/v5/public/funding-rate`` (the interval is
``nextFundingTime − fundingTime``), ``/api/v5/public/open-interest`` (``oiCcy`` coin, ``oiUsd``),
``/api/v5/public/mark-price``. Instruments are ``BTC-USDT-SWAP``; the desk symbol is ``BTCUSDT``."""

from __future__ import annotations

from typing import Any

from workstation.core.drafts import EventDraft
from workstation.core.events import FundingRate, MarkPrice, OpenInterest
from workstation.feeds.binance import PayloadError

VENUE = "okx"


def desk_symbol(inst_id: str) -> str:
    parts = inst_id.split("-")
    if len(parts) < 2:
        raise PayloadError(f"instrument {inst_id!r}")
    return parts[0] + parts[1]


def _rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    if payload.get("code") not in ("0", 0) or not isinstance(payload.get("data"), list):
        raise PayloadError(f"OKX answered code {payload.get('code')!r}: {payload.get('msg', '')}")
    return payload["data"]


def funding_rate(payload: dict[str, Any], ts_ms: int) -> list[EventDraft]:
    out = []
    for d in _rows(payload):
        start, nxt = int(d["fundingTime"]), int(d["nextFundingTime"])
        hours = (nxt - start) / 3_600_000
        out.append(
            EventDraft(
                FundingRate,
                ts_ms,
                ts_ms,
                VENUE,
                desk_symbol(d["instId"]),
                (float(d["fundingRate"]), hours),
                "funding-rate",
            )
        )
    return out


def open_interest(payload: dict[str, Any]) -> list[EventDraft]:
    out = []
    for d in _rows(payload):
        ts = int(d["ts"])
        out.append(
            EventDraft(
                OpenInterest,
                ts,
                ts,
                VENUE,
                desk_symbol(d["instId"]),
                (float(d["oiCcy"]), float(d["oiUsd"])),
                "open-interest",
            )
        )
    return out


def mark_price(payload: dict[str, Any]) -> list[EventDraft]:
    out = []
    for d in _rows(payload):
        ts = int(d["ts"])
        out.append(
            EventDraft(
                MarkPrice,
                ts,
                ts,
                VENUE,
                desk_symbol(d["instId"]),
                (float(d["markPx"]), None, None, None, None),
                "mark-price",
            )
        )
    return out
