"""OKX wire formats -> event drafts (pure). ``/api/v5/public/funding-rate`` (the interval is
``nextFundingTime − fundingTime``), ``/api/v5/public/open-interest`` (``oiCcy`` coin, ``oiUsd``),
``/api/v5/public/mark-price``, ``/api/v5/public/liquidation-orders`` (contracts, converted with
the instrument's ``ctVal``). Instruments are ``BTC-USDT-SWAP``; the desk symbol is ``BTCUSDT``.

What it accepts (OKX's docs examples, the liquidation capture): numbers as strings or numbers;
``code`` as ``"0"`` or 0, any other code (``{"code": "51001", "msg": ..., "data": []}``) is a
PayloadError with OKX's message; an empty ``data`` list is no event; a liquidation's side is
``posSide`` when it is long/short, else ``side`` (sell = a long liquidated, one-way mode); its
size is in contracts (ETH-USDT-SWAP: 0.1 ETH each, which the capture's OI row confirms). A row
missing a field the parser reads is dropped and counted; the poller goes on."""

from __future__ import annotations

from typing import Any

from workstation.core.drafts import EventDraft
from workstation.core.events import FeedAlive, FundingRate, Liquidation, MarkPrice, OpenInterest
from workstation.feeds.wire import PayloadError

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
            EventDraft.of(
                FundingRate,
                ts_ms,
                ts_ms,
                VENUE,
                desk_symbol(d["instId"]),
                "funding-rate",
                funding_rate=float(d["fundingRate"]),
                funding_interval_h=hours,
            )
        )
    return out


def open_interest(payload: dict[str, Any]) -> list[EventDraft]:
    out = []
    for d in _rows(payload):
        ts = int(d["ts"])
        out.append(
            EventDraft.of(
                OpenInterest,
                ts,
                ts,
                VENUE,
                desk_symbol(d["instId"]),
                "open-interest",
                oi_coin=float(d["oiCcy"]),
                oi_usd=float(d["oiUsd"]),
            )
        )
    return out


def mark_price(payload: dict[str, Any]) -> list[EventDraft]:
    out = []
    for d in _rows(payload):
        ts = int(d["ts"])
        out.append(
            EventDraft.of(
                MarkPrice,
                ts,
                ts,
                VENUE,
                desk_symbol(d["instId"]),
                "mark-price",
                mark_price_usd=float(d["markPx"]),
                index_price_usd=None,
                funding_rate=None,
                funding_interval_h=None,
                next_funding_ts_ms=None,
            )
        )
    return out


def contract_value(payload: dict[str, Any]) -> dict[str, float]:
    """``/api/v5/public/instruments`` -> {instId: coin per contract (ctVal)}."""
    return {d["instId"]: float(d["ctVal"]) for d in _rows(payload)}


def liquidation_orders(payload: dict[str, Any], ct_val: dict[str, float]) -> list[EventDraft]:
    """``/api/v5/public/liquidation-orders`` (SWAP, filled): ``posSide`` is the liquidated
    position (or, in one-way mode, ``side`` sell = a long liquidated); ``sz`` in contracts, at the
    bankruptcy price ``bkPx``."""
    out = []
    for d in _rows(payload):
        inst = d.get("instId") or f"{d.get('uly', '')}-SWAP"
        per = ct_val.get(inst)
        if per is None:
            raise PayloadError(f"no contract value for {inst}")
        for x in d.get("details") or []:
            side = (
                x.get("posSide")
                if x.get("posSide") in ("long", "short")
                else ({"sell": "long", "buy": "short"}.get(x.get("side")))
            )
            if side is None:
                raise PayloadError(f"liquidation side {x.get('side')!r}/{x.get('posSide')!r}")
            qty, px, ts = float(x["sz"]) * per, float(x["bkPx"]), int(x["ts"])
            out.append(
                EventDraft.of(
                    Liquidation,
                    ts,
                    ts,
                    VENUE,
                    desk_symbol(inst),
                    "liquidation-orders",
                    side=side,
                    qty_coin=qty,
                    price_usd=px,
                    notional_usd=qty * px,
                )
            )
    return out


def alive(now_ms: int, inst_id: str, where: str, channel: str) -> EventDraft:
    """A poll of ``channel`` for ``inst_id`` answered at ``now_ms`` (wall ms)."""
    return EventDraft.of(
        FeedAlive, now_ms, now_ms, VENUE, desk_symbol(inst_id), where, channel=channel
    )
