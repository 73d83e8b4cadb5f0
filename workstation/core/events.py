"""Events: the only input the engine understands — market data, and the trader's position
commands (so that a replay holds the book the trader held).

Every event is an immutable (frozen, slotted) dataclass with the same five header fields:

- ``ts_event_ms``: when the venue says it happened (ms since the Unix epoch, UTC);
- ``ts_recv_ms``: when the workstation received it (same unit); replay order is
  ``(ts_recv_ms, seq)``;
- ``seq``: a per-session sequence number, unique and increasing in the order the engine consumed;
- ``venue``: ``binance``, ``bybit``, ``okx``, ``deribit``, ``hyperliquid`` (lower case);
- ``symbol``: the desk's symbol for the underlying perpetual, e.g. ``BTCUSDT``. Options and dated
  futures are keyed by the same symbol so that metrics aggregate across venues.

Prices are USD (USDT treated as USD), quantities are coin, rates are fractions (0.0001 = 0.01%),
implied vols are percent (55.2 = 55.2%). Any thread may create and read events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

LiqSide = Literal["long", "short"]
OptionType = Literal["C", "P"]
VolumeMarket = Literal["spot", "perp"]
PositionAction = Literal["open", "edit", "close"]
FieldValue = str | float | None


@dataclass(frozen=True, slots=True)
class EventHeader:
    """The fields every event starts with (see the module docstring)."""

    ts_event_ms: int
    ts_recv_ms: int
    seq: int
    venue: str
    symbol: str


@dataclass(frozen=True, slots=True)
class MarkPrice(EventHeader):
    """Mark and index price with the funding rate for the next settlement.

    ``funding_rate`` is per interval as published (fraction); ``funding_interval_h`` is the
    settlement interval in hours (8, 4 or 1); ``next_funding_ts_ms`` the next settlement time.
    A source that does not carry a field (imported mark-price klines) leaves it None: unknown,
    never invented.
    """

    KIND: ClassVar[str] = "mark_price"
    mark_price_usd: float
    index_price_usd: float | None
    funding_rate: float | None
    funding_interval_h: float | None
    next_funding_ts_ms: int | None


@dataclass(frozen=True, slots=True)
class OpenInterest(EventHeader):
    """Open interest of the perpetual: ``oi_coin`` contracts in coin, ``oi_usd`` = coin × mark."""

    KIND: ClassVar[str] = "open_interest"
    oi_coin: float
    oi_usd: float


@dataclass(frozen=True, slots=True)
class Bar1m(EventHeader):
    """A closed 1-minute bar of the perpetual; ``ts_event_ms`` is the bar's open time."""

    KIND: ClassVar[str] = "bar_1m"
    open_usd: float
    high_usd: float
    low_usd: float
    close_usd: float
    volume_coin: float


@dataclass(frozen=True, slots=True)
class Liquidation(EventHeader):
    """A forced order. ``side`` is the side of the liquidated *position*: a long is liquidated by
    a SELL order. ``notional_usd`` = ``qty_coin`` × ``price_usd``."""

    KIND: ClassVar[str] = "liquidation"
    side: LiqSide
    qty_coin: float
    price_usd: float
    notional_usd: float


@dataclass(frozen=True, slots=True)
class OptionQuote:
    """One option of a chain: Deribit-style, priced on the forward ``underlying_price_usd``."""

    instrument: str
    expiry_ts_ms: int
    strike_usd: float
    option_type: OptionType
    mark_iv_pct: float
    underlying_price_usd: float


@dataclass(frozen=True, slots=True)
class OptionChain(EventHeader):
    """A snapshot of an option chain (all quotes taken at ``ts_event_ms``)."""

    KIND: ClassVar[str] = "option_chain"
    quotes: tuple[OptionQuote, ...]


@dataclass(frozen=True, slots=True)
class FuturePrice(EventHeader):
    """A dated (expiring) future's price with the index, for the annualised basis."""

    KIND: ClassVar[str] = "future_price"
    future_price_usd: float
    index_price_usd: float
    expiry_ts_ms: int


@dataclass(frozen=True, slots=True)
class LongShortRatio(EventHeader):
    """Accounts long ÷ accounts short (Binance ``globalLongShortAccountRatio``);
    ``long_account_frac`` is the long share of accounts (0–1)."""

    KIND: ClassVar[str] = "long_short_ratio"
    long_short_ratio: float
    long_account_frac: float


@dataclass(frozen=True, slots=True)
class Volume24h(EventHeader):
    """Rolling 24h traded volume of the ``spot`` pair or the ``perp`` of the same coin."""

    KIND: ClassVar[str] = "volume_24h"
    market: VolumeMarket
    volume_coin_24h: float
    volume_usd_24h: float


@dataclass(frozen=True, slots=True)
class FundingRate(EventHeader):
    """A settled (or published) funding rate: ``funding_rate`` per interval (fraction) over
    ``funding_interval_h`` hours (None when the source does not say). ``ts_event_ms`` is the
    settlement time. History imports produce these."""

    KIND: ClassVar[str] = "funding_rate"
    funding_rate: float
    funding_interval_h: float | None


@dataclass(frozen=True, slots=True)
class PremiumIndex(EventHeader):
    """The perpetual's premium index (fraction, Binance premiumIndexKlines close) for a period
    that ended at ``ts_event_ms``."""

    KIND: ClassVar[str] = "premium_index"
    premium_index: float


@dataclass(frozen=True, slots=True)
class VolIndex(EventHeader):
    """An implied-volatility index (Deribit DVOL) candle, percent, that opened at
    ``ts_event_ms`` (it is received, final, at its close)."""

    KIND: ClassVar[str] = "vol_index"
    open_pct: float
    high_pct: float
    low_pct: float
    close_pct: float


@dataclass(frozen=True, slots=True)
class FeedAlive(EventHeader):
    """A venue's ``channel`` answered at ``ts_recv_ms`` with nothing new (a poll that came back
    empty): its data is current then even without an event. ``channel`` is ``liquidations``
    (a polled liquidation feed, whose quiet is normal): its metrics take their freshness from
    this, not from the venue's marks."""

    KIND: ClassVar[str] = "feed_alive"
    channel: str


@dataclass(frozen=True, slots=True)
class PositionCommand(EventHeader):
    """The trader opened, edited or closed position ``position_id`` (the position book's id).

    ``venue`` and ``symbol`` are the position's. ``fields`` are the position's fields as the book
    takes them (``risk.positions.position_fields``: venue, symbol, side, qty coin, entry_usd,
    leverage ×, margin_mode, margin_usd and wallet_usd USD, and the journal's max_drawdown_pct
    (% of the margin), max_leverage ×, reduce_price_usd USD, thesis, risk_invalidation) as
    (name, value) pairs, names unique: loosely typed, as a form gives them, and validated by the
    engine, not here. An ``open`` carries every field, an ``edit`` those it changes (or all), a
    ``close`` none. ``price_usd`` is the close price (USD), None for open and edit.
    ``ts_event_ms`` is when the trader gave the command (for a book loaded at a session's start,
    when the book opened the position).
    """

    KIND: ClassVar[str] = "position_command"
    action: PositionAction
    position_id: int
    fields: tuple[tuple[str, FieldValue], ...]
    price_usd: float | None


Event = (
    MarkPrice
    | OpenInterest
    | Bar1m
    | Liquidation
    | OptionChain
    | FuturePrice
    | LongShortRatio
    | Volume24h
    | FundingRate
    | PremiumIndex
    | VolIndex
    | PositionCommand
    | FeedAlive
)

EVENT_TYPES: tuple[type, ...] = (
    MarkPrice,
    OpenInterest,
    Bar1m,
    Liquidation,
    OptionChain,
    FuturePrice,
    LongShortRatio,
    Volume24h,
    FundingRate,
    PremiumIndex,
    VolIndex,
    PositionCommand,
    FeedAlive,
)
