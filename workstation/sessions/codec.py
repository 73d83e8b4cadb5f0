"""Event <-> session-file row. One row per event in the ``events`` table.

Row columns (see the README, "Session file format"): ``ts_recv_ms, seq, ts_event_ms, kind, stream,
x1..x5, txt``. ``kind`` is the event kind's code (stable, append-only), ``stream`` points into the
``streams`` table (venue, symbol). The meaning of ``x1..x5`` and ``txt`` per kind is in
:data:`LAYOUT`. Pure functions; any thread may call them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from workstation.core.events import (
    Bar1m,
    Event,
    FeedAlive,
    FundingRate,
    FuturePrice,
    Liquidation,
    LongShortRatio,
    MarkPrice,
    OpenInterest,
    OptionChain,
    OptionQuote,
    PositionCommand,
    PremiumIndex,
    VolIndex,
    Volume24h,
)
from workstation.core.instruments import coin_of, deribit_option_name

# kind code -> (event class, names of x1..x5 / txt). Codes are stable: only ever append.
LAYOUT: dict[int, tuple[type, tuple[str, ...], str | None]] = {
    1: (
        MarkPrice,
        (
            "mark_price_usd",
            "index_price_usd",
            "funding_rate",
            "funding_interval_h",
            "next_funding_ts_ms",
        ),
        None,
    ),
    2: (OpenInterest, ("oi_coin", "oi_usd"), None),
    3: (Bar1m, ("open_usd", "high_usd", "low_usd", "close_usd", "volume_coin"), None),
    4: (Liquidation, ("qty_coin", "price_usd", "notional_usd"), "side"),
    5: (OptionChain, (), "quotes (JSON, see encode_chain)"),
    6: (FuturePrice, ("future_price_usd", "index_price_usd", "expiry_ts_ms"), None),
    7: (LongShortRatio, ("long_short_ratio", "long_account_frac"), None),
    8: (Volume24h, ("volume_coin_24h", "volume_usd_24h"), "market"),
    9: (FundingRate, ("funding_rate", "funding_interval_h"), None),
    10: (PremiumIndex, ("premium_index",), None),
    11: (VolIndex, ("open_pct", "high_pct", "low_pct", "close_pct"), None),
    12: (
        PositionCommand,
        ("position_id", "price_usd"),
        "action and fields (JSON, see encode_command)",
    ),
    13: (FeedAlive, (), "channel"),
}
KIND_CODE: dict[type, int] = {cls: code for code, (cls, _, _) in LAYOUT.items()}
KIND_NAME: dict[int, str] = {code: cls.KIND for code, (cls, _, _) in LAYOUT.items()}

Row = tuple[Any, ...]


def _compact(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def _encode_strikes(strikes: list[float]) -> list[float | int] | dict[str, float | int]:
    """A regular grid as ``{"first", "step", "n"}``; anything else as the plain list."""
    if len(strikes) >= 3:
        step = strikes[1] - strikes[0]
        if step > 0 and all(strikes[i] == strikes[0] + i * step for i in range(len(strikes))):
            return {"first": _compact(strikes[0]), "step": _compact(step), "n": len(strikes)}
    return [_compact(k) for k in strikes]


def _decode_strikes(enc: list[float] | dict[str, float]) -> list[float]:
    if isinstance(enc, dict):
        return [float(enc["first"] + i * enc["step"]) for i in range(int(enc["n"]))]
    return [float(k) for k in enc]


def encode_chain(quotes: tuple[OptionQuote, ...], symbol: str) -> str:
    """Chain quotes as compact JSON: groups of one expiry and forward,
    ``[[expiry_ts_ms, underlying_price_usd, strikes, [mark_iv_pct...], "PPC..", names|null], ...]``
    where ``strikes`` is a list or, for a regular grid, ``{"first", "step", "n"}``.
    Names are stored only when they differ from Deribit's naming rule."""
    coin = coin_of(symbol)
    groups: dict[tuple[int, float], list[OptionQuote]] = {}
    for q in quotes:
        groups.setdefault((q.expiry_ts_ms, q.underlying_price_usd), []).append(q)
    out = []
    for (expiry, und), qs in groups.items():
        names = [q.instrument for q in qs]
        derived = [deribit_option_name(coin, expiry, q.strike_usd, q.option_type) for q in qs]
        out.append(
            [
                expiry,
                und,
                _encode_strikes([q.strike_usd for q in qs]),
                [_compact(q.mark_iv_pct) for q in qs],
                "".join(q.option_type for q in qs),
                None if names == derived else names,
            ]
        )
    return json.dumps(out, separators=(",", ":"))


def decode_chain(txt: str, symbol: str) -> tuple[OptionQuote, ...]:
    coin = coin_of(symbol)
    quotes: list[OptionQuote] = []
    for expiry, und, strikes, ivs, types, names in json.loads(txt):
        for i, (strike, iv, typ) in enumerate(
            zip(_decode_strikes(strikes), ivs, types, strict=True)
        ):
            name = names[i] if names else deribit_option_name(coin, expiry, strike, typ)
            quotes.append(OptionQuote(name, int(expiry), float(strike), typ, float(iv), float(und)))
    return tuple(quotes)


def encode_command(action: str, fields: tuple[tuple[str, Any], ...]) -> str:
    """A position command's action and fields as JSON ``{"action": ..., "fields": {name: value}}``
    (unicode kept as is, fields in their order)."""
    return json.dumps(
        {"action": action, "fields": dict(fields)}, ensure_ascii=False, separators=(",", ":")
    )


def decode_command(txt: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    d = json.loads(txt)
    return d["action"], tuple(d["fields"].items())


def _f(x: float | None) -> float | None:
    return None if x is None else float(x)


def _i(x: int | None) -> int | None:
    return None if x is None else int(x)


def encode(ev: Event, stream: int) -> Row:
    """The row for ``ev`` (the ``stream`` id of its venue and symbol is the caller's)."""
    head = (ev.ts_recv_ms, ev.seq, ev.ts_event_ms, KIND_CODE[type(ev)], stream)
    match ev:
        case MarkPrice():
            return (
                *head,
                float(ev.mark_price_usd),
                _f(ev.index_price_usd),
                _f(ev.funding_rate),
                _f(ev.funding_interval_h),
                _i(ev.next_funding_ts_ms),
                None,
            )
        case OpenInterest():
            return (*head, float(ev.oi_coin), float(ev.oi_usd), None, None, None, None)
        case Bar1m():
            return (
                *head,
                float(ev.open_usd),
                float(ev.high_usd),
                float(ev.low_usd),
                float(ev.close_usd),
                float(ev.volume_coin),
                None,
            )
        case Liquidation():
            return (
                *head,
                float(ev.qty_coin),
                float(ev.price_usd),
                float(ev.notional_usd),
                None,
                None,
                ev.side,
            )
        case OptionChain():
            return (*head, None, None, None, None, None, encode_chain(ev.quotes, ev.symbol))
        case FuturePrice():
            return (
                *head,
                float(ev.future_price_usd),
                float(ev.index_price_usd),
                int(ev.expiry_ts_ms),
                None,
                None,
                None,
            )
        case LongShortRatio():
            return (
                *head,
                float(ev.long_short_ratio),
                float(ev.long_account_frac),
                None,
                None,
                None,
                None,
            )
        case Volume24h():
            return (
                *head,
                float(ev.volume_coin_24h),
                float(ev.volume_usd_24h),
                None,
                None,
                None,
                ev.market,
            )
        case FundingRate():
            return (
                *head,
                float(ev.funding_rate),
                _f(ev.funding_interval_h),
                None,
                None,
                None,
                None,
            )
        case PremiumIndex():
            return (*head, float(ev.premium_index), None, None, None, None, None)
        case VolIndex():
            return (
                *head,
                float(ev.open_pct),
                float(ev.high_pct),
                float(ev.low_pct),
                float(ev.close_pct),
                None,
                None,
            )
        case FeedAlive():
            return (*head, None, None, None, None, None, ev.channel)
        case PositionCommand():
            return (
                *head,
                int(ev.position_id),
                _f(ev.price_usd),
                None,
                None,
                None,
                encode_command(ev.action, ev.fields),
            )
    raise TypeError(f"not an event: {type(ev).__name__}")


def values_encoder(cls: type) -> Callable[[tuple, str], tuple]:
    """For ``cls``, a function (field values after the header, symbol) -> (x1..x5, txt), from
    :data:`LAYOUT`: the same column meaning as :func:`encode`, without building the event
    (importers write millions of rows this way)."""
    code = KIND_CODE[cls]
    _, xs, txt = LAYOUT[code]
    names = [f.name for f in dataclasses.fields(cls)][5:]
    x_pos = [names.index(n) for n in xs]
    ints = {i for i, n in enumerate(xs) if n.endswith(("_ts_ms", "_id"))}
    t_pos = None if txt is None else names.index(txt.split(" ")[0])
    chain = cls is OptionChain
    command = cls is PositionCommand

    def enc(values: tuple, symbol: str) -> tuple:
        x: list[Any] = [None] * 5
        for slot, pos in enumerate(x_pos):
            v = values[pos]
            x[slot] = None if v is None else (int(v) if slot in ints else float(v))
        t = None if t_pos is None else values[t_pos]
        if chain:
            t = encode_chain(t, symbol)
        elif command:
            t = encode_command(t, values[names.index("fields")])
        return (*x, t)

    return enc


# Decoders take the row as selected by the reader:
# (kind, ts_event_ms, ts_recv_ms, seq, stream, x1, x2, x3, x4, x5, txt) and the stream's names.
Decoder = Callable[[Row, str, str], Event]


def _fast_constructor(cls: type, exprs: list[str], extra: dict[str, Any] | None = None) -> Decoder:
    """A decoder that builds the frozen dataclass ``cls`` by setting its slots directly.

    Equivalent to calling ``cls(*values)`` (the result is the same immutable object) but about
    2.5x faster, because a frozen dataclass's ``__init__`` pays for ``object.__setattr__`` on every
    field. Only for rows this module wrote: nothing is validated here. ``exprs`` gives each
    field's value as an expression of ``r`` (the row), ``v`` (venue) and ``s`` (symbol).
    """
    names = [f.name for f in dataclasses.fields(cls)]
    if len(names) != len(exprs):
        raise ValueError(f"{cls.__name__}: {len(names)} fields, {len(exprs)} expressions")
    ns: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **(extra or {})}
    lines = ["def make(r, v, s):", "    o = _new(_cls)"]
    for i, (name, expr) in enumerate(zip(names, exprs, strict=True)):
        ns[f"_set{i}"] = getattr(cls, name).__set__  # the slot's descriptor, wherever defined
        lines.append(f"    _set{i}(o, {expr})")
    lines.append("    return o")
    exec("\n".join(lines), ns)  # generated from the dataclass's own field list
    return ns["make"]


def _decode_position_command(r: Row, v: str, s: str) -> PositionCommand:
    action, fields = decode_command(r[10])
    return PositionCommand(r[1], r[2], r[3], v, s, action, r[5], fields, r[6])


_HEAD = ["r[1]", "r[2]", "r[3]", "v", "s"]
DECODERS: dict[int, Decoder] = {
    1: _fast_constructor(MarkPrice, [*_HEAD, "r[5]", "r[6]", "r[7]", "r[8]", "r[9]"]),
    2: _fast_constructor(OpenInterest, [*_HEAD, "r[5]", "r[6]"]),
    3: _fast_constructor(Bar1m, [*_HEAD, "r[5]", "r[6]", "r[7]", "r[8]", "r[9]"]),
    4: _fast_constructor(Liquidation, [*_HEAD, "r[10]", "r[5]", "r[6]", "r[7]"]),
    5: _fast_constructor(OptionChain, [*_HEAD, "_chain(r[10], s)"], {"_chain": decode_chain}),
    6: _fast_constructor(FuturePrice, [*_HEAD, "r[5]", "r[6]", "r[7]"]),
    7: _fast_constructor(LongShortRatio, [*_HEAD, "r[5]", "r[6]"]),
    8: _fast_constructor(Volume24h, [*_HEAD, "r[10]", "r[5]", "r[6]"]),
    9: _fast_constructor(FundingRate, [*_HEAD, "r[5]", "r[6]"]),
    10: _fast_constructor(PremiumIndex, [*_HEAD, "r[5]"]),
    11: _fast_constructor(VolIndex, [*_HEAD, "r[5]", "r[6]", "r[7]", "r[8]"]),
    12: _decode_position_command,  # rare: the plain constructor is fast enough
    13: _fast_constructor(FeedAlive, [*_HEAD, "r[10]"]),
}
