"""Where the live feeds connect: the venues' default URLs, the ``[urls]`` table of the user's
settings.toml, and command-line overrides, checked. Any thread."""

from __future__ import annotations

import tomllib
from pathlib import Path

from workstation.core.userdirs import user_paths
from workstation.feeds.live import DEFAULT_URLS, FeedConfig


class SettingsError(ValueError):
    """A bad settings file or URL option: the message names the file or option and the key."""


URL_OPTIONS = {
    "binance_url": "binance",
    "binance_ws_url": "binance_ws",
    "binance_spot_url": "binance_spot",
    "bybit_url": "bybit",
    "bybit_ws_url": "bybit_ws",
    "okx_url": "okx",
    "okx_ws_url": "okx_ws",
    "deribit_url": "deribit",
    "deribit_ws_url": "deribit_ws",
    "hyperliquid_url": "hyperliquid",
    "hyperliquid_ws_url": "hyperliquid_ws",
}


def settings_path() -> Path:
    """settings.toml in the user's settings folder (platformdirs)."""
    return user_paths()["settings folder"] / "settings.toml"


def read_settings() -> dict:
    """The whole of settings.toml (none: empty); a bad file is a SettingsError naming it."""
    path = settings_path()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from None


def settings_urls() -> dict[str, str]:
    """``[urls]`` of settings.toml (keys as the URL options without ``_url``: binance, binance_ws,
    binance_spot, bybit, bybit_ws, okx, okx_ws, deribit, deribit_ws, hyperliquid, hyperliquid_ws).
    A bad file is an error naming it and the key."""
    path = settings_path()
    urls = read_settings().get("urls", {})
    known = set(URL_OPTIONS.values())
    for key, value in urls.items():
        if key not in known:
            raise SettingsError(
                f"{path}: [urls] {key}: unknown (known: {', '.join(sorted(known))})"
            )
        if not isinstance(value, str) or not value.startswith(
            ("http://", "https://", "ws://", "wss://")
        ):
            raise SettingsError(f"{path}: [urls] {key}: must be an http(s):// or ws(s):// URL")
    return dict(urls)


def feed_config(
    venues: tuple[str, ...], symbols: tuple[str, ...], overrides: dict[str, str | None]
) -> FeedConfig:
    """The feeds' venues, symbols and URLs: the defaults, then settings.toml's ``[urls]``, then
    ``overrides`` (URL option name such as ``okx_url`` -> URL, None for not given)."""

    urls = {**DEFAULT_URLS, **settings_urls()}  # defaults, then settings.toml, then the options
    for opt, key in URL_OPTIONS.items():
        value = overrides.get(opt)
        if value:
            if not value.startswith(("http://", "https://", "ws://", "wss://")):
                raise SettingsError(
                    f"--{opt.replace('_', '-')} must be an http(s):// or ws(s):// URL (got {value!r})"
                )
            urls[key] = value
    return FeedConfig(venues=venues, symbols=symbols, urls=urls)
