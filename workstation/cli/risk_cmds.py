"""Command-line verbs of the risk tools: liq-price, size, stress, positions.

Each ``cmd_*`` prints text or, with ``--json``, one JSON document (keys in the README). A bad
argument raises :class:`UsageError` naming it; the CLI turns that into exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from dataclasses import asdict
from typing import Any

from workstation.cli.validators import UsageError, non_negative_float, positive_float
from workstation.core.leverage import SIDES, leverage_x
from workstation.risk.brackets import VENUES, BracketError, load_table
from workstation.risk.liquidation import (
    OtherPosition,
    binance_liquidation_price,
    bybit_liquidation_price,
    check_leverage,
    okx_liquidation_price,
)
from workstation.risk.margin import APPROXIMATIONS
from workstation.risk.positions import (
    Position,
    PositionBook,
    PositionError,
    read_positions_csv,
    validate,
)
from workstation.rules.config import CHECKLIST_ITEMS


def _positive(name: str, value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise UsageError(f"{name} must be greater than 0 (got {value:g})")
    return value


def _table(venue: str, symbol: str):
    try:
        return load_table(venue, symbol)
    except BracketError as exc:
        raise UsageError(f"--symbol: {exc}") from None


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _dump(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=lambda o: None if o != o else str(o)))


# --- liq-price --------------------------------------------------------------------------------------
def parse_other(text: str, venue: str = "binance", taker_fee: float = 0.0) -> OtherPosition:
    """``SYMBOL:SIDE:QTY:ENTRY:MARK[:MMR:CUM]`` -> another position of the cross account; without
    MMR and CUM, its bracket on ``venue`` at the mark (OKX: MMR plus ``taker_fee``)."""
    parts = text.split(":")
    if len(parts) not in (5, 7):
        raise UsageError(f"--other must be SYMBOL:SIDE:QTY:ENTRY:MARK[:MMR:CUM] (got {text!r})")
    symbol, side = parts[0].upper(), parts[1].lower()
    if side not in ("long", "short"):
        raise UsageError(f"--other {text!r}: SIDE must be long or short")
    try:
        qty, entry, mark = (float(x) for x in parts[2:5])
        extra = [float(x) for x in parts[5:]]
    except ValueError:
        raise UsageError(
            f"--other {text!r}: QTY, ENTRY, MARK (and MMR, CUM) must be numbers"
        ) from None
    if qty <= 0 or entry <= 0 or mark <= 0:
        raise UsageError(f"--other {text!r}: QTY, ENTRY and MARK must be greater than 0")
    if extra:
        mmr, cum = extra
    else:
        try:
            b = _table(venue, symbol).for_position(qty, mark)
        except BracketError as exc:
            raise UsageError(f"--other {text!r}: {exc}") from None
        mmr, cum = b.mmr, b.maint_amount_usd
    if venue == "okx":
        mmr, cum = mmr + taker_fee, 0.0
    return OtherPosition(symbol, side, qty, entry, mark, mmr, cum)


def _liquidation(args: argparse.Namespace, table, margin: float | None, leverage: float | None):
    """The venue's LiqResult for the arguments (cross: the wallet and the --other positions)."""
    if args.margin_mode == "cross":
        if args.venue == "hyperliquid":
            raise UsageError(
                "--margin-mode cross: hyperliquid's cross account is read whole by "
                "`workstation account sync --venue hyperliquid --address 0x…`"
            )
        if args.wallet_balance is None:
            raise UsageError("--wallet-balance is needed for cross margin")
        others = [parse_other(o, args.venue, args.taker_fee) for o in args.other or []]
        note = APPROXIMATIONS.get((args.venue, "cross"), "")
        if args.venue == "okx":
            return okx_liquidation_price(
                args.side, args.qty, args.entry, args.wallet_balance, table=table,
                mmr=args.mmr, taker_fee=args.taker_fee, others=others, approximation=note,
            )  # fmt: skip
        return binance_liquidation_price(
            args.side, args.qty, args.entry, args.wallet_balance, table=table, mmr=args.mmr,
            maint_amount_usd=args.maint_amount, others=others, approximation=note,
        )  # fmt: skip
    if args.other:
        raise UsageError("--other belongs to cross margin (--margin-mode cross)")
    if args.venue == "binance":
        return binance_liquidation_price(
            args.side, args.qty, args.entry, margin, table=table, mmr=args.mmr,
            maint_amount_usd=args.maint_amount,
        )  # fmt: skip
    if args.venue == "bybit":
        return bybit_liquidation_price(
            args.side, args.qty, args.entry, leverage, table=table, mmr=args.mmr,
            deduction_usd=args.maint_amount,
        )  # fmt: skip
    if args.venue == "hyperliquid":
        from workstation.risk.brackets import Bracket, BracketTable
        from workstation.risk.hyperliquid_margin import liquidation_price

        if table is None:  # --mmr: one tier at that rate (its max leverage 1 / (2 × mmr))
            tier = Bracket(0.0, float("inf"), args.mmr, args.maint_amount or 0.0, 0.5 / args.mmr)
            table = BracketTable("hyperliquid", args.symbol.upper(), (tier,), "--mmr")
        return liquidation_price(args.side, args.qty, args.entry, margin, table)
    return okx_liquidation_price(
        args.side, args.qty, args.entry, margin, table=table, mmr=args.mmr,
        taker_fee=args.taker_fee,
    )  # fmt: skip


def cmd_liq_price(args: argparse.Namespace) -> int:
    _positive("--qty", args.qty)
    _positive("--entry", args.entry)
    _positive("--leverage", args.leverage)
    _positive("--margin", args.margin)
    if (args.leverage is None) == (args.margin is None) and args.margin_mode == "isolated":
        raise UsageError("--leverage or --margin: give exactly one for an isolated position")
    if args.mmr is not None and not 0 < args.mmr < 1:
        raise UsageError(f"--mmr must be a rate between 0 and 1, such as 0.005 (got {args.mmr:g})")
    symbol = args.symbol.upper()
    notional = args.qty * args.entry
    table = None if args.mmr is not None else _table(args.venue, symbol)
    if args.leverage is not None:
        leverage = args.leverage
    elif args.margin is not None:
        leverage = notional / args.margin
    else:
        leverage = None
    if table is not None and leverage:
        try:
            check_leverage(table, args.qty, args.entry, leverage)
        except BracketError as exc:
            raise UsageError(f"--leverage: {exc}") from None
    margin = args.margin if args.margin is not None else (notional / leverage if leverage else None)
    try:
        res = _liquidation(args, table, margin, leverage)
    except BracketError as exc:
        raise UsageError(f"--qty: {exc}") from None
    lp = res.liquidation_price
    out = {
        "venue": args.venue,
        "symbol": symbol,
        "side": args.side,
        "qty": args.qty,
        "entry": args.entry,
        "margin_mode": args.margin_mode,
        "margin_usd": res.margin_usd,
        "state": res.state,
        "liquidation_price": None if lp is None else round(lp, 2),
        "liquidation_price_exact": lp,
        "distance_pct": None if lp is None else round((lp - args.entry) / args.entry * 100, 4),
        "equity_usd": res.equity_usd,
        "maintenance_usd": res.maintenance_usd,
        "mmr": res.mmr,
        "maint_amount": res.maint_amount_usd,
        "bracket_source": "given" if table is None else table.source,
        "bracket_verified": res.bracket_verified if table is not None else None,
        "formula": res.formula,
        "approximation": res.approximation or None,
    }
    if args.json:
        _dump(out)
        return 0
    if res.state == "liquidated":
        print(
            f"already liquidated / insolvent: at the entry the equity {res.equity_usd:,.2f} USD "
            f"is at or below the maintenance margin {res.maintenance_usd:,.2f} USD"
        )
    elif res.state == "none":
        print(f"no liquidation price: no price liquidates this {args.side} (margin covers it)")
    else:
        pct = out["distance_pct"]
        where = "below" if pct < 0 else "above"
        print(
            f"liquidation price {lp:,.2f} USD ({-pct if pct < 0 else pct:.2f}% {where} the entry)"
        )
    print(
        f"  {args.venue} {args.margin_mode}, {symbol} {args.side} {args.qty} at {args.entry:,.2f}; "
        f"MMR {res.mmr * 100:g}%, maintenance amount {res.maint_amount_usd:,.2f} USD "
        f"({out['bracket_source']})"
    )
    if res.approximation:
        print(f"  {res.approximation}")
    if table is not None and not res.bracket_verified:
        print(
            "  note: this bracket is illustrative, not the venue's current table: pass --mmr, "
            "or refresh the brackets online"
        )
    return 0


# --- size --------------------------------------------------------------------------------------------
def _market_from_session(
    path: str, symbol: str, side: str
) -> tuple[float | None, float | None, float | None]:
    """(the ``side`` ladder's max x, 24h realized vol %, funding fraction per 8h) at the end of a
    recorded session, from a headless replay; a file that is not a session is a usage error
    naming it."""
    from workstation.app.run import run_session
    from workstation.metrics.market import AGG
    from workstation.sessions.store import SessionError, SessionReader

    try:
        with SessionReader(path) as reader:
            pipe = run_session(reader).pipeline
    except SessionError as exc:
        raise UsageError(f"--session: {exc}") from None
    ladder = pipe.rules.ladders.get((symbol, side))
    fresh = pipe.metrics.fresh_values.get((AGG, symbol), {})
    funding_pct = fresh.get("funding_rate_8h_pct")
    return (
        ladder.max_leverage if ladder else None,
        fresh.get("rv_24h_pct"),
        None if funding_pct is None else funding_pct / 100.0,
    )


def _open_book(path: str | None) -> tuple[Position, ...]:
    """The open positions of ``--book`` (a missing file is an error) or of the default book (a
    missing default book is an empty one, not created)."""
    from pathlib import Path

    from workstation.risk.positions import default_book_path

    file = Path(path) if path else default_book_path()
    if not file.is_file():
        if path:
            raise UsageError(f"--book: {path}: no such file")
        return ()
    try:
        with PositionBook(file) as book:
            return tuple(book.open_positions())
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"--book: {file}: not a position book ({exc})") from None


def cmd_size(args: argparse.Namespace) -> int:
    from workstation.risk.sizing import SizingRequest, size_position

    for name in (
        "equity",
        "risk_pct",
        "entry",
        "stop",
        "stop_sigmas",
        "leverage",
        "ladder_max",
        "rv",
        "horizon_h",
    ):
        _positive(f"--{name.replace('_', '-')}", getattr(args, name))
    if (args.stop is None) == (args.stop_sigmas is None):
        raise UsageError("--stop or --stop-sigmas: give exactly one")
    if args.risk_pct > 100:
        raise UsageError(
            f"--risk-pct is a percentage of equity: at most 100 (got {args.risk_pct:g})"
        )
    symbol = args.symbol.upper()
    _table(args.venue, symbol)
    ladder_max, rv = args.ladder_max, args.rv
    funding = None if args.funding_8h_pct is None else args.funding_8h_pct / 100.0
    if args.session:  # read even when every value is given: a wrong file is refused
        s_ladder, s_rv, s_funding = _market_from_session(args.session, symbol, args.side)
        ladder_max = ladder_max if ladder_max is not None else s_ladder
        rv = rv if rv is not None else s_rv
        funding = funding if funding is not None else s_funding
    book = _open_book(args.book)
    try:
        res = size_position(
            SizingRequest(
                equity_usd=args.equity,
                risk_pct=args.risk_pct,
                side=args.side,
                entry_usd=args.entry,
                stop_usd=args.stop,
                stop_sigmas=args.stop_sigmas,
                venue=args.venue,
                symbol=symbol,
                leverage=args.leverage,
                ladder_max_leverage=ladder_max,
                rv_annual_pct=rv,
                horizon_h=args.horizon_h,
                margin_mode=args.margin_mode,
                book=book,
                funding_rate_8h=funding,
            )
        )
    except PositionError as exc:
        raise UsageError(
            f"--{exc.field.replace('_usd', '').replace('_', '-')}: {exc.problem}"
        ) from None
    if args.json:
        _dump({**asdict(res), "ladder_max_leverage": ladder_max, "rv_annual_pct": rv})
        return 0
    verdict = "ACCEPTED" if res.accepted else "REFUSED"
    print(
        f"{verdict}: {args.side} {res.qty:,.4f} {res.coin} ({symbol}) at {res.leverage:g}x, "
        f"notional {res.notional_usd:,.0f} USD, margin {res.margin_usd:,.0f} USD"
    )
    print(
        f"  risk {res.risk_usd:,.0f} USD ({args.risk_pct:g}% of {args.equity:,.0f}) over a stop "
        f"at {res.stop_usd:,.2f} ({res.stop_distance_pct:.2f}% away"
        + ("" if res.stop_distance_sigmas is None else f", {res.stop_distance_sigmas:.2f} sigma")
        + ")"
    )
    u = res.book
    print(
        f"  book: {u.positions} open position{'s' if u.positions != 1 else ''}, margin "
        f"{u.margin_usd:,.0f} USD, exposure {u.exposure_usd:,.0f} USD (at entry); free equity "
        f"{u.free_equity_usd:,.0f} USD; account exposure with this trade {res.account_leverage:.2f}x"
    )
    lp = (
        "none"
        if res.liquidation_price is None
        else f"{res.liquidation_price:,.2f} ({res.liq_distance_pct:.1f}% away)"
    )
    print(
        f"  liquidation {lp}; ladder max {'unknown' if ladder_max is None else f'{ladder_max:g}x'}, "
        f"24h realized vol {'unknown' if rv is None else f'{rv:.1f}%'}"
    )
    if res.funding_cost_usd is None:
        print(f"  funding to the {args.horizon_h:g}h horizon: unknown (give --funding-8h-pct)")
    else:
        paid = "pays" if res.funding_cost_usd >= 0 else "receives"
        print(
            f"  funding to the {args.horizon_h:g}h horizon: {paid} "
            f"{abs(res.funding_cost_usd):,.2f} USD at {res.funding_rate_8h * 100:+.4f}% per 8h"
        )
    for name, ok in res.checks.items():
        print(
            f"  {'pass' if ok else 'FAIL' if ok is False else 'unknown'}: {name.replace('_', ' ')}"
        )
    for why in res.refusals:
        print(f"  - {why}")
    for warning in res.warnings:
        print(f"  ! {warning}")
    for note in res.notes:
        print(f"  > {note}")
    j = res.journal
    print("three numbers to write before the trade:")
    print(
        f"  max drawdown   {res.risk_usd:,.0f} USD = {res.max_drawdown_pct_of_equity:g}% of equity "
        f"({j.max_drawdown_pct:g}% of this position's margin)"
    )
    print(f"  max leverage   {j.max_leverage:g}x")
    print(
        f"  reduce at      {j.reduce_price_usd:,.2f} if funding or OI worsen (suggested: halfway to the stop)"
    )
    return 0 if res.accepted else 3


# --- stress -----------------------------------------------------------------------------------------
def cmd_stress(args: argparse.Namespace) -> int:
    import csv

    from workstation.risk.stress import parse_shocks, split_by_table, stress

    try:
        shocks = parse_shocks(args.shocks)
    except ValueError as exc:
        raise UsageError(f"--shocks: {exc}") from None
    try:
        positions, problems = read_positions_csv(args.positions)
    except PositionError as exc:
        raise UsageError(f"--positions: {exc.problem}") from None
    if problems:
        raise UsageError("--positions: " + "; ".join(problems))
    if not positions:
        raise UsageError(f"--positions: {args.positions} holds no positions")
    with open(args.positions, newline="", encoding="utf-8") as fh:
        marks = {
            r["symbol"].upper(): float(r["mark_usd"])
            for r in csv.DictReader(fh)
            if r.get("mark_usd")
        }
    positions, excluded = split_by_table(positions)
    if not positions:
        raise UsageError("--positions: no position has a bracket table: " + "; ".join(excluded))
    try:
        results = stress(positions, marks, shocks)
    except (PositionError, BracketError) as exc:
        raise UsageError(f"--positions: {exc}") from None
    if args.json:
        _dump(
            {
                "marks": marks,
                "excluded": excluded,
                "shocks": [
                    {
                        "shock_pct": r.shock_pct,
                        "equity_usd": r.equity_usd,
                        "liquidated": list(r.liquidated),
                        "cross_accounts": [asdict(a) for a in r.cross_accounts],
                        "positions": [asdict(p) for p in r.positions],
                    }
                    for r in results
                ],
            }
        )
        return 0
    venues = [a.venue for a in results[0].cross_accounts]
    head = (
        f"{'shock':>7} {'equity USD':>14} "
        + "".join(f"{v + ' margin ratio':>22}" for v in venues)
        + "  liquidated"
    )
    print(head)
    for r in results:
        ratios = "".join(
            f"{('inf' if a.margin_ratio_pct == float('inf') else f'{a.margin_ratio_pct:.1f}%'):>22}"
            for a in r.cross_accounts
        )
        print(
            f"{r.shock_pct:>+6.1f}% {r.equity_usd:>14,.0f} {ratios}  {', '.join(r.liquidated) or '-'}"
        )
    for a in results[0].cross_accounts:
        if a.approximation:
            print(f"{a.venue} cross: {a.approximation}")
    for line in excluded:
        print(f"left out: {line}")
    return 0


# --- positions ----------------------------------------------------------------------------------------
_FIELD_ARGS = {
    "venue": "venue",
    "symbol": "symbol",
    "side": "side",
    "qty": "qty",
    "entry": "entry_usd",
    "leverage": "leverage",
    "margin": "margin_usd",
    "margin_mode": "margin_mode",
    "wallet": "wallet_usd",
    "max_drawdown_pct": "max_drawdown_pct",
    "max_leverage": "max_leverage",
    "reduce_price": "reduce_price_usd",
    "thesis": "thesis",
    "risk_invalidation": "risk_invalidation",
}


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    return {
        f: getattr(args, a) for a, f in _FIELD_ARGS.items() if getattr(args, a, None) is not None
    }


def _position_row(p) -> dict[str, Any]:
    d = {
        k: getattr(p, k)
        for k in (
            "id",
            "venue",
            "symbol",
            "side",
            "qty",
            "entry_usd",
            "leverage",
            "margin_mode",
            "margin_usd",
            "wallet_usd",
            "opened_ms",
            "closed_ms",
            "close_price_usd",
        )
    }
    d["journal"] = asdict(p.journal)
    return d


def cmd_positions(args: argparse.Namespace) -> int:
    book = PositionBook(args.book)
    try:
        return _positions(args, book)
    except PositionError as exc:
        if exc.field == "id":  # the positional ID, not an option
            raise UsageError(f"{exc.problem} (`workstation positions list` shows them)") from None
        arg = {v: k for k, v in _FIELD_ARGS.items()}.get(exc.field, exc.field)
        raise UsageError(f"--{arg.replace('_', '-')}: {exc.problem}") from None
    finally:
        book.close()


def _positions(args: argparse.Namespace, book: PositionBook) -> int:
    action = args.action
    if action == "add":
        pos = book.add(validate(_fields(args)), _now_ms())
        print(f"added {pos.label} at {pos.entry_usd:,.2f}, {pos.leverage:g}x {pos.margin_mode}")
    elif action == "edit":
        pos = book.edit(args.id, _fields(args))
        print(f"edited {pos.label}")
    elif action == "close":
        pos = book.close_position(args.id, args.price, _now_ms())
        print(f"closed {pos.label} at {args.price:,.2f}")
    elif action == "import":
        added, problems = book.import_csv(args.file, _now_ms())
        print(f"imported {len(added)} positions from {args.file}")
        for p in problems:
            print(f"  skipped {p}", file=sys.stderr)
        return 0 if not problems else 1
    elif action == "export":
        n = book.export_csv(args.file)
        print(f"exported {n} positions to {args.file}")
    elif action == "list":
        rows = book.all_positions() if args.all else book.open_positions()
        if args.json:
            _dump([_position_row(p) for p in rows])
            return 0
        for p in rows:
            state = "open" if p.closed_ms is None else f"closed at {p.close_price_usd:,.2f}"
            print(
                f"#{p.id:<4} {p.venue:<11} {p.symbol:<9} {p.side:<5} {p.qty:>12g} @ {p.entry_usd:>12,.2f} "
                f"{p.leverage:>5g}x {p.margin_mode:<8} {state}"
            )
            if p.journal.thesis or p.journal.risk_invalidation:
                print(
                    f"      thesis: {p.journal.thesis}  |  risk invalidation: {p.journal.risk_invalidation}"
                )
    elif action == "risk":
        return _positions_risk(args, book)
    return 0


VERDICTS = ("PROCEED", "REDUCE_SIZE", "WAIT")


def _by_side(
    option: str, values: list[str] | None, choices: tuple[str, ...], many: bool
) -> dict[str, tuple[str, ...]]:
    """``[SIDE=]VALUE`` options by side (a bare VALUE is the long side's): VALUE is one of
    ``choices``, or with ``many`` a comma-separated list of them."""
    out: dict[str, tuple[str, ...]] = {}
    for item in values or []:
        side, _, value = item.rpartition("=")
        side = side.strip().lower() or "long"
        parts = tuple(v for v in value.split(",") if v) if many else (value.upper(),)
        if side not in SIDES or not all(v in choices for v in parts):
            raise UsageError(
                f"{option} must be [SIDE=]{'ITEM,ITEM' if many else 'VERDICT'}, SIDE long or "
                f"short, among {', '.join(choices)} (got {item!r})"
            )
        if side in out:
            raise UsageError(f"{option}: the {side} side is given twice")
        out[side] = parts
    return out


def _positions_risk(args: argparse.Namespace, book: PositionBook) -> int:
    from workstation.risk.live import MarketState, position_risk

    marks: dict[str, float] = {}
    for item in args.mark or []:
        sym, _, price = item.partition("=")
        try:
            marks[sym.upper()] = float(price)
        except ValueError:
            raise UsageError(f"--mark must be SYMBOL=PRICE (got {item!r})") from None
    verdicts = {s: v[0] for s, v in _by_side("--verdict", args.verdict, VERDICTS, False).items()}
    cautions = _by_side("--cautions", args.cautions, CHECKLIST_ITEMS, True)
    positions = book.open_positions()
    out = []
    for p in positions:
        if p.symbol not in marks:
            raise UsageError(f"--mark: no mark for {p.symbol} (give --mark {p.symbol}=PRICE)")
        market = MarketState(
            marks[p.symbol],
            args.rv,
            args.ladder_max,
            verdicts.get(p.side),
            cautions.get(p.side, ()),
        )
        try:
            out.append(position_risk(p, market, marks, positions))
        except BracketError as exc:  # this row is unknown; the rest of the book still computes
            out.append((p, f"liquidation unknown: {exc}"))
    if args.json:
        _dump(
            [
                {"position": _position_row(r[0]), "liquidation_state": "unknown", "error": r[1]}
                if isinstance(r, tuple)
                else {
                    **{k: v for k, v in asdict(r).items() if k != "position"},
                    "position": _position_row(r.position),
                }
                for r in out
            ]
        )
        return 0
    for r in out:
        if isinstance(r, tuple):
            print(f"{r[0].label:<32} {r[1]}")
            continue
        liq = (
            f"{r.liquidation_price:,.2f}"
            if r.liquidation_state == "price"
            else r.liquidation_state.upper()
        )
        sig = "-" if r.distance_sigmas is None else f"{r.distance_sigmas:.1f}σ"
        print(
            f"{r.position.label:<32} PnL {r.pnl_usd:>+12,.2f}  liq {liq:>12}  {r.distance_pct:>6.1f}% ({sig})  "
            f"{leverage_x(r.effective_leverage):g}x  {r.exit_state}"
        )
        for why in r.reasons:
            print(f"    {why}")
        if r.liquidation_approximation:
            print(f"    liquidation {r.liquidation_approximation}")
    return 0


SIDE_HELP = "long or short"
ENTRY_HELP = "entry price, USD"
QTY_HELP = "quantity, in coin"
SYMBOL_HELP = "the perpetual, such as BTCUSDT (default BTCUSDT)"
MODE_HELP = "isolated or cross (default isolated)"
JSON_HELP = "one JSON document (keys in the README) instead of text"
ID_HELP = "the position's number (#, in `positions list`)"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the risk verbs on the CLI's subparsers."""
    lp = sub.add_parser("liq-price", help="liquidation price of a linear perpetual position")
    lp.add_argument("--venue", required=True, choices=VENUES, help="the venue's formula")
    lp.add_argument("--side", required=True, choices=("long", "short"), help=SIDE_HELP)
    lp.add_argument("--entry", required=True, type=positive_float("--entry"), help=ENTRY_HELP)
    lp.add_argument("--qty", required=True, type=positive_float("--qty"), help=QTY_HELP)
    lp.add_argument(
        "--leverage",
        type=positive_float("--leverage"),
        help="leverage, x (isolated: give it or --margin)",
    )
    lp.add_argument(
        "--margin", type=positive_float("--margin"), help="isolated margin, USD (or --leverage)"
    )
    lp.add_argument("--symbol", default="BTCUSDT", help=SYMBOL_HELP)
    lp.add_argument(
        "--margin-mode", choices=("isolated", "cross"), default="isolated", help=MODE_HELP
    )
    lp.add_argument(
        "--wallet-balance",
        type=positive_float("--wallet-balance"),
        help="cross: the wallet balance, USD (needed for cross)",
    )
    lp.add_argument(
        "--other",
        action="append",
        metavar="SYMBOL:SIDE:QTY:ENTRY:MARK[:MMR:CUM]",
        help="cross: another position in the same wallet (prices USD, MMR a rate, CUM USD); "
        "repeat for each (default: none)",
    )
    lp.add_argument(
        "--mmr",
        type=positive_float("--mmr"),
        help="maintenance margin rate, a fraction such as 0.005 (default: the bracket's)",
    )
    lp.add_argument(
        "--maint-amount",
        type=non_negative_float("--maint-amount"),
        help="maintenance amount (Binance cum, Bybit deduction), USD (default: the bracket's)",
    )
    lp.add_argument(
        "--taker-fee",
        type=non_negative_float("--taker-fee"),
        default=0.0005,
        help="OKX: taker fee rate, a fraction (default 0.0005)",
    )
    lp.add_argument("--json", action="store_true", help=JSON_HELP)
    lp.set_defaults(func=cmd_liq_price)

    sz = sub.add_parser(
        "size", help="size a trade from the risk budget, with the ladder as the ceiling"
    )
    sz.add_argument(
        "--equity", required=True, type=positive_float("--equity"), help="account equity, USD"
    )
    sz.add_argument(
        "--risk-pct",
        required=True,
        type=positive_float("--risk-pct"),
        help="the loss at the stop, %% of equity (at most 100)",
    )
    sz.add_argument("--side", required=True, choices=("long", "short"), help=SIDE_HELP)
    sz.add_argument("--entry", required=True, type=positive_float("--entry"), help=ENTRY_HELP)
    sz.add_argument(
        "--stop", type=positive_float("--stop"), help="stop price, USD (or --stop-sigmas)"
    )
    sz.add_argument(
        "--stop-sigmas",
        type=positive_float("--stop-sigmas"),
        help="stop this many realized-vol sigmas over --horizon-h away (or --stop)",
    )
    sz.add_argument(
        "--venue", choices=VENUES, default="binance", help="brackets of (default binance)"
    )
    sz.add_argument("--symbol", default="BTCUSDT", help=SYMBOL_HELP)
    sz.add_argument(
        "--leverage", type=positive_float("--leverage"), help="x (default: the ladder's maximum)"
    )
    sz.add_argument(
        "--ladder-max",
        type=positive_float("--ladder-max"),
        help="the ladder's allowed leverage now, x (default: from --session, else none)",
    )
    sz.add_argument(
        "--rv",
        type=positive_float("--rv"),
        help="realized vol, %% a year (default: from --session)",
    )
    sz.add_argument(
        "--horizon-h",
        type=positive_float("--horizon-h"),
        default=24.0,
        help="holding horizon of the 2-sigma buffer, --stop-sigmas and the funding cost, "
        "hours (default 24)",
    )
    sz.add_argument(
        "--funding-8h-pct",
        type=float,
        help="funding rate, %% per 8h, positive: longs pay (default: from --session, else unknown)",
    )
    sz.add_argument(
        "--book",
        help="the position book whose open positions use margin and exposure "
        "(default: the book in the user data folder, if any)",
    )
    sz.add_argument(
        "--margin-mode", choices=("isolated", "cross"), default="isolated", help=MODE_HELP
    )
    sz.add_argument(
        "--session",
        help="take the ladder, realized vol and funding from the end of this session "
        "(default: none)",
    )
    sz.add_argument("--json", action="store_true", help=JSON_HELP)
    sz.set_defaults(func=cmd_size)

    st = sub.add_parser("stress", help="shock every position at once, cross margin included")
    st.add_argument(
        "--positions", required=True, help="CSV of positions (the book's export; mark_usd optional)"
    )
    st.add_argument(
        "--shocks", default="-30:30:5", help="FROM:TO:STEP in percent (default -30:30:5)"
    )
    st.add_argument("--json", action="store_true", help=JSON_HELP)
    st.set_defaults(func=cmd_stress)

    ps = sub.add_parser(
        "positions", help="the position book: list, add, edit, close, import, export, risk"
    )
    ps.add_argument(
        "--book", default=None, help="the book's SQLite file (default: in the user data folder)"
    )
    acts = ps.add_subparsers(
        dest="action", required=True, metavar="ACTION", title="actions (ACTION --help for each)"
    )
    ls = acts.add_parser("list", help="the open positions (--all: closed ones too)")
    ls.add_argument("--all", action="store_true", help="closed positions too")
    ls.add_argument("--json", action="store_true", help=JSON_HELP)
    for name, what in (("add", "add a position"), ("edit", "change fields of a position")):
        a = acts.add_parser(name, help=what)
        if name == "edit":
            a.add_argument("id", type=int, help=ID_HELP)
        keep = " (default: unchanged)" if name == "edit" else ""
        need = name == "add"
        a.add_argument("--venue", choices=VENUES, required=need, help="the venue" + keep)
        a.add_argument("--symbol", required=need, help="such as BTCUSDT" + keep)
        a.add_argument("--side", choices=("long", "short"), required=need, help=SIDE_HELP + keep)
        a.add_argument("--qty", required=need, help=QTY_HELP + keep)
        a.add_argument("--entry", required=need, help=ENTRY_HELP + keep)
        for option, text in (
            ("--leverage", "leverage, x (default: from --margin)"),
            ("--margin", "isolated margin, USD (default: from --leverage)"),
            ("--wallet", "cross: the wallet balance, USD (default: none)"),
            ("--max-drawdown-pct", "the most you will lose, %% of margin (default: none)"),
            ("--max-leverage", "your leverage limit, x (default: none)"),
            ("--reduce-price", "reduce size here if funding or OI worsen, USD (default: none)"),
            ("--thesis", "journal: why you are in the trade (default: empty)"),
            ("--risk-invalidation", "journal: what proves it wrong (default: empty)"),
        ):
            a.add_argument(option, help=text if name == "add" else text.split(" (")[0] + keep)
        a.add_argument(
            "--margin-mode",
            choices=("isolated", "cross"),
            help="isolated or cross" + (keep or " (default isolated)"),
        )
    cl = acts.add_parser("close", help="close a position at a price")
    cl.add_argument("id", type=int, help=ID_HELP)
    cl.add_argument(
        "--price", required=True, type=positive_float("--price"), help="the exit price, USD"
    )
    for name, what in (("import", "add the positions of a CSV"), ("export", "write a CSV")):
        acts.add_parser(name, help=f"{what} (the book's columns)").add_argument(
            "file", help="the CSV file"
        )
    rk = acts.add_parser("risk", help="live risk of the open positions at given marks")
    rk.add_argument(
        "--mark",
        action="append",
        metavar="SYMBOL=PRICE",
        help="a mark price, USD; repeat per symbol (default: the entry)",
    )
    rk.add_argument(
        "--rv", type=positive_float("--rv"), help="realized vol, %% a year (default: none)"
    )
    rk.add_argument(
        "--ladder-max",
        type=positive_float("--ladder-max"),
        help="the ladder's allowed leverage now, x (default: none)",
    )
    rk.add_argument(
        "--verdict",
        action="append",
        metavar="[SIDE=]VERDICT",
        help="the checklist's verdict for a side: long=WAIT, short=PROCEED (PROCEED, REDUCE_SIZE "
        "or WAIT; a bare WAIT is the long side's); repeat per side; a position reads its own "
        "side's (default: none, unknown)",
    )
    rk.add_argument(
        "--cautions",
        action="append",
        metavar="[SIDE=]ITEMS",
        help="a side's checklist cautions, comma-separated: short=funding,oi (a bare list is the "
        "long side's); repeat per side (default: none)",
    )
    rk.add_argument("--json", action="store_true", help=JSON_HELP)
    ps.set_defaults(func=cmd_positions)
