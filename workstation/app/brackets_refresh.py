"""Fetching a venue's maintenance-margin brackets (``workstation brackets refresh``): Binance's
signed endpoint through the account client, Bybit's and OKX's public ones over HTTPS (TLS
verified). Any thread; blocking I/O."""

from __future__ import annotations

from typing import Any

from workstation.risk.brackets import BracketError


def _public_json(base_url: str, path: str, params: dict[str, str]) -> Any:
    import httpx

    try:
        r = httpx.get(base_url.rstrip("/") + path, params=params, timeout=10.0)
        r.raise_for_status()
        return r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise BracketError(f"{base_url}{path}: {type(exc).__name__}: {exc}") from None


def fetch_bracket_rows(venue: str, symbol: str, url: str | None) -> list[dict[str, Any]]:
    """The venue's current brackets of ``symbol`` as table rows; ``url`` overrides the venue's
    REST base. Binance's endpoint is signed (keys from the keyring). Raises BracketError."""
    from workstation.risk.brackets import from_binance, from_bybit, from_okx

    if venue == "binance":
        from workstation.account.binance import AccountError, BinanceAccount
        from workstation.account.secrets import KeyringUnavailable, load_keys

        try:
            keys = load_keys("binance")
        except KeyringUnavailable as exc:
            raise BracketError(str(exc)) from None
        if keys is None:
            raise BracketError(
                "binance brackets need API keys (a signed endpoint): `workstation keys set binance`"
            )
        try:
            with BinanceAccount(keys, url or "https://fapi.binance.com") as acct:
                acct.sync_time()
                return from_binance(acct.leverage_brackets(), symbol)
        except AccountError as exc:
            raise BracketError(str(exc)) from None
    if venue == "bybit":
        url = url or "https://api.bybit.com"
        return from_bybit(
            _public_json(url, "/v5/market/risk-limit", {"category": "linear", "symbol": symbol}),
            symbol,
        )
    if venue == "hyperliquid":  # public: POST /info {"type": "meta"}, the margin tables
        from workstation.account.binance import AccountError
        from workstation.account.hyperliquid import DEFAULT_URL, fetch_meta
        from workstation.risk.brackets import from_hyperliquid

        try:
            return from_hyperliquid(fetch_meta(url or DEFAULT_URL), symbol)
        except AccountError as exc:
            raise BracketError(str(exc)) from None
    url = url or "https://www.okx.com"
    inst = f"{symbol[:-4]}-USDT-SWAP" if symbol.endswith("USDT") else symbol
    spec = _public_json(url, "/api/v5/public/instruments", {"instType": "SWAP", "instId": inst})
    tiers = _public_json(
        url,
        "/api/v5/public/position-tiers",
        {"instType": "SWAP", "tdMode": "isolated", "instFamily": inst[:-5]},
    )
    return from_okx(tiers, float(spec["data"][0]["ctVal"]))
