"""Read-only positions of any Hyperliquid account by its address: ``POST /info`` with
``{"type": "clearinghouseState", "user": "0x…"}`` (no key; weight 2). Nothing is signed or sent
but the address.

The answer (docs, "Info endpoint > Perpetuals"): ``assetPositions[].position`` with ``coin``,
``szi`` (signed size, coin: negative is a short), ``entryPx``, ``positionValue`` (USD at the
mark), ``unrealizedPnl``, ``leverage`` (``type`` cross or isolated, ``value``, ``rawUsd``),
``marginUsed`` (an isolated position's equity: its margin plus its PnL), ``liquidationPx``
(null when none) and ``maxLeverage``; ``crossMarginSummary.accountValue`` is the cross account's
value, PnL included. The mark is ``positionValue / |szi|``. Call from one thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from workstation.account.binance import AccountError, VenuePosition
from workstation.core.instruments import desk_symbol

DEFAULT_URL = "https://api.hyperliquid.xyz"
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def validate_address(text: str) -> str:
    """An account address: ``0x`` and 40 hex digits (any case; returned lower case)."""
    text = text.strip()
    if not _ADDRESS.match(text):
        raise ValueError(f"--address must be 0x and 40 hex digits (got {text!r})")
    return text.lower()


@dataclass(frozen=True)
class AccountState:
    positions: list[VenuePosition]
    cross_account_value_usd: float
    time_ms: int


def parse_state(payload: Any) -> AccountState:
    """A ``clearinghouseState`` answer -> positions (desk symbols) and the cross account value."""
    try:
        out = []
        for ap in payload["assetPositions"]:
            p = ap["position"]
            szi = float(p["szi"])
            if szi == 0:
                continue
            qty = abs(szi)
            isolated = p["leverage"]["type"] == "isolated"
            upnl = float(p["unrealizedPnl"])
            out.append(
                VenuePosition(
                    symbol=desk_symbol("hyperliquid", p["coin"]),
                    side="long" if szi > 0 else "short",
                    qty=qty,
                    entry_usd=float(p["entryPx"]),
                    mark_usd=float(p["positionValue"]) / qty,
                    leverage=float(p["leverage"]["value"]),
                    margin_mode="isolated" if isolated else "cross",
                    isolated_margin_usd=float(p["marginUsed"]) - upnl if isolated else 0.0,
                    unrealized_pnl_usd=upnl,
                    liquidation_price=None
                    if p.get("liquidationPx") is None
                    else float(p["liquidationPx"]),
                )
            )
        value = float(payload["crossMarginSummary"]["accountValue"])
        return AccountState(out, value, int(payload.get("time") or 0))
    except (KeyError, TypeError, ValueError) as exc:
        raise AccountError(f"hyperliquid clearinghouseState: unexpected answer ({exc})") from None


def _info(body: dict[str, Any], url: str, timeout_s: float) -> Any:
    try:
        r = httpx.post(url.rstrip("/") + "/info", json=body, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise AccountError(f"hyperliquid /info {body['type']}: {type(exc).__name__}") from None
    if r.status_code != 200:
        raise AccountError(f"hyperliquid /info {body['type']}: HTTP {r.status_code}")
    try:
        return r.json()
    except ValueError:
        raise AccountError(f"hyperliquid /info {body['type']}: the body is not JSON") from None


def fetch_state(address: str, url: str = DEFAULT_URL, timeout_s: float = 10.0) -> AccountState:
    """The account of ``address`` (validated) as the venue reports it now."""
    body = {"type": "clearinghouseState", "user": validate_address(address)}
    return parse_state(_info(body, url, timeout_s))


def fetch_meta(url: str = DEFAULT_URL, timeout_s: float = 10.0) -> dict[str, Any]:
    """The venue's ``meta`` (universe with max leverage, margin tables), for the tiers."""
    meta = _info({"type": "meta"}, url, timeout_s)
    if not isinstance(meta, dict) or "universe" not in meta:
        raise AccountError("hyperliquid /info meta: no universe in the answer")
    return meta
