"""Command-line verbs for exchange accounts: keys (the OS keyring), account sync, brackets.

A bad argument raises :class:`UsageError`; network and keyring failures print one line and exit 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import asdict

from workstation.cli.risk_cmds import _dump, _now_ms, _table
from workstation.cli.validators import UsageError
from workstation.risk.brackets import VENUES, BracketError
from workstation.risk.positions import PositionBook, validate


def cmd_keys(args: argparse.Namespace) -> int:
    from workstation.account.secrets import (
        KeyringUnavailable,
        delete_keys,
        key_hint,
        load_keys,
        store_keys,
    )

    try:
        if args.action == "set":
            if sys.stdin.isatty():
                key = getpass.getpass(f"{args.venue} API key: ")
                secret = getpass.getpass(f"{args.venue} API secret: ")
            else:  # piped: the key, then the secret, one a line
                key, secret = (sys.stdin.readline().strip() for _ in range(2))
            try:
                store_keys(args.venue, key, secret)
            except ValueError as exc:
                raise UsageError(f"keys set: {exc}") from None
            print(
                f"stored the {args.venue} API key {key_hint(key)} and its secret in the system keyring"
            )
        elif args.action == "status":
            keys = load_keys(args.venue)
            print(
                f"{args.venue}: "
                + (
                    f"API key {key_hint(keys.api_key)} and secret in the keyring"
                    if keys
                    else "no keys"
                )
            )
        else:
            print(
                f"{args.venue}: "
                + ("keys deleted" if delete_keys(args.venue) else "there were no keys")
            )
    except KeyringUnavailable as exc:
        print(f"workstation: {exc}", file=sys.stderr)
        return 1
    return 0


def _sync_hyperliquid(args: argparse.Namespace) -> int:
    """``account sync --venue hyperliquid --address 0x…``: the account's positions read (no key),
    the venue's liquidation price beside ours, a difference beyond rounding flagged."""
    from workstation.account import hyperliquid as hl
    from workstation.account.binance import AccountError
    from workstation.risk import hyperliquid_margin as hm
    from workstation.risk.positions import Position

    if not args.address:
        raise UsageError("account sync --venue hyperliquid needs --address 0x… (the account)")
    try:
        address = hl.validate_address(args.address)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        state = hl.fetch_state(address, args.hyperliquid_url)
        meta = hl.fetch_meta(args.hyperliquid_url)
    except AccountError as exc:
        print(f"workstation: {exc}", file=sys.stderr)
        return 1
    marks = {p.symbol: p.mark_usd for p in state.positions}
    cross_pnl = sum(p.unrealized_pnl_usd for p in state.positions if p.margin_mode == "cross")
    wallet = state.cross_account_value_usd - cross_pnl  # the value with no PnL at the entries
    book = [
        Position(
            "hyperliquid", v.symbol, v.side, v.qty, v.entry_usd, v.leverage, v.margin_mode,
            margin_usd=v.isolated_margin_usd if v.margin_mode == "isolated" else None,
            wallet_usd=wallet if v.margin_mode == "cross" else None,
        )
        for v in state.positions
    ]  # fmt: skip
    rows = []
    for v, pos in zip(state.positions, book, strict=True):
        try:
            ours = hm.liquidation(
                pos, marks, book, None, lambda s: hm.table_from_meta(meta, s)
            ).liquidation_price
        except BracketError:
            ours = None
        rows.append(
            {
                **asdict(v),
                "our_liquidation_price": ours,
                "differs": hm.differs(ours, v.liquidation_price),
            }
        )
    if args.import_positions:
        with PositionBook(args.book) as pbook:
            for pos in book:
                pbook.add(pos, _now_ms())
    if args.json:
        _dump({"address": address, "positions": rows,
               "cross_account_value_usd": state.cross_account_value_usd})  # fmt: skip
        return 0
    print(f"{address}: cross account value {state.cross_account_value_usd:,.2f} USD")
    for r in rows:
        venue_liq = "-" if r["liquidation_price"] is None else f"{r['liquidation_price']:,.2f}"
        ours = "-" if r["our_liquidation_price"] is None else f"{r['our_liquidation_price']:,.2f}"
        flag = "  DIFFERS (beyond rounding)" if r["differs"] else ""
        print(
            f"{r['symbol']:<10} {r['side']:<5} {r['qty']:>10g} @ {r['entry_usd']:,.2f}  "
            f"{r['leverage']:g}x {r['margin_mode']:<8} liq {venue_liq} (venue) / {ours} "
            f"(workstation){flag}"
        )
    if args.import_positions:
        print(f"imported {len(rows)} positions into the book")
    return 0


def cmd_account(args: argparse.Namespace) -> int:
    if args.venue == "hyperliquid":
        return _sync_hyperliquid(args)
    from workstation.account.binance import AccountError, BinanceAccount
    from workstation.account.secrets import KeyringUnavailable, load_keys
    from workstation.risk.margin import liquidation
    from workstation.risk.positions import Position

    try:
        keys = load_keys("binance")
    except KeyringUnavailable as exc:
        print(f"workstation: {exc}", file=sys.stderr)
        return 1
    if keys is None:
        print(
            "workstation: no binance keys in the keyring: run `workstation keys set binance`",
            file=sys.stderr,
        )
        return 1
    try:
        with BinanceAccount(keys, args.binance_url) as acct:
            acct.sync_time()
            positions = acct.positions()
            balances = acct.balances()
    except AccountError as exc:
        print(f"workstation: {exc}", file=sys.stderr)
        return 1
    usdt = next((b for b in balances if b.asset == "USDT"), None)
    rows = []
    for v in positions:
        pos = Position(
            "binance",
            v.symbol,
            v.side,
            v.qty,
            v.entry_usd,
            v.leverage,
            v.margin_mode,
            margin_usd=v.isolated_margin_usd if v.margin_mode == "isolated" else None,
            wallet_usd=usdt.cross_wallet if (usdt and v.margin_mode == "cross") else None,
        )
        try:
            ours = liquidation(
                pos,
                {p.symbol: p.mark_usd for p in positions},
                [
                    Position(
                        "binance", o.symbol, o.side, o.qty, o.entry_usd, o.leverage, o.margin_mode
                    )
                    for o in positions
                    if o is not v
                ],
            ).liquidation_price
        except BracketError:
            ours = None
        rows.append({**asdict(v), "our_liquidation_price": ours})
    if args.import_positions:
        with PositionBook(args.book) as book:
            for r in rows:
                book.add(
                    validate(
                        {
                            **r,
                            "entry_usd": r["entry_usd"],
                            "venue": "binance",
                            "margin_usd": r["isolated_margin_usd"] or None,
                            "wallet_usd": usdt.cross_wallet
                            if usdt and r["margin_mode"] == "cross"
                            else None,
                        }
                    ),
                    _now_ms(),
                )
    if args.json:
        _dump(
            {
                "positions": rows,
                "balances": [asdict(b) for b in balances],
                "server_offset_ms": acct.offset_ms,
            }
        )
        return 0
    for b in balances:
        print(
            f"{b.asset}: wallet {b.wallet:,.2f}, cross wallet {b.cross_wallet:,.2f}, available {b.available:,.2f}"
        )
    for r in rows:
        venue_liq = "-" if r["liquidation_price"] is None else f"{r['liquidation_price']:,.2f}"
        ours = "-" if r["our_liquidation_price"] is None else f"{r['our_liquidation_price']:,.2f}"
        print(
            f"{r['symbol']:<10} {r['side']:<5} {r['qty']:>10g} @ {r['entry_usd']:,.2f}  {r['leverage']:g}x "
            f"{r['margin_mode']:<8} liq {venue_liq} (venue) / {ours} (workstation)"
        )
    if args.import_positions:
        print(f"imported {len(rows)} positions into the book")
    return 0


def cmd_brackets(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from workstation.risk.brackets import write_user_table

    symbol = args.symbol.upper()
    if args.action == "show":
        table = _table(args.venue, symbol)
        print(f"{args.venue} {symbol}: {table.source}")
        for b in table.brackets:
            flag = "" if b.verified else "  (illustrative)"
            print(
                f"  {b.floor:>14,.0f} - {b.cap:>14,.0f} {table.size_unit}  MMR {b.mmr * 100:6.3f}%  "
                f"amount {b.maint_amount_usd:>14,.2f}  max {b.max_leverage:g}x{flag}"
            )
        return 0
    try:
        from workstation.app.brackets_refresh import fetch_bracket_rows

        rows = fetch_bracket_rows(args.venue, symbol, args.url)
        path = write_user_table(
            args.venue, symbol, rows, datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        )
    except (BracketError, KeyError, IndexError, TypeError, ValueError) as exc:
        print(f"workstation: brackets refresh: {exc}", file=sys.stderr)
        return 1
    print(f"refreshed {args.venue} {symbol}: {len(rows)} brackets written to {path}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the account verbs on the CLI's subparsers."""
    br = sub.add_parser(
        "brackets", help="maintenance-margin brackets: show, or refresh from the venue"
    )
    actions = br.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, what in (
        ("show", "the bracket table in use for a symbol"),
        ("refresh", "fetch the venue's current brackets into the settings folder"),
    ):
        a = actions.add_parser(name, help=what, description=what)
        a.add_argument(
            "--venue", choices=VENUES, default="binance", help="the venue (default binance)"
        )
        a.add_argument(
            "--symbol", default="BTCUSDT", help="the perpetual, such as BTCUSDT (default BTCUSDT)"
        )
        if name == "refresh":
            a.add_argument(
                "--url",
                default=None,
                help="the venue's REST base URL, for a testnet or proxy (default: its public one)",
            )
    br.set_defaults(func=cmd_brackets, url=None)

    ky = sub.add_parser("keys", help="exchange API keys in the OS keyring")
    actions = ky.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, what in (
        ("set", "store an API key and secret (asked for, never on the command line)"),
        ("status", "whether a key is stored, and whether the venue accepts it"),
        ("delete", "remove the stored key and secret"),
    ):
        a = actions.add_parser(name, help=what, description=what)
        a.add_argument(
            "venue",
            nargs="?",
            default="binance",
            choices=("binance",),
            help="the venue (default binance)",
        )
    ky.set_defaults(func=cmd_keys)

    ac = sub.add_parser(
        "account", help="read-only account sync (Binance USD-M with keys; Hyperliquid by address)"
    )
    ac.add_argument("action", choices=("sync",), help="sync: read the account's open positions")
    ac.add_argument(
        "--venue",
        choices=("binance", "hyperliquid"),
        default="binance",
        help="the venue (default binance)",
    )
    ac.add_argument("--address", default=None, help="hyperliquid: the account's 0x… address")
    ac.add_argument(
        "--hyperliquid-url",
        default="https://api.hyperliquid.xyz",
        help="Hyperliquid REST base URL (default https://api.hyperliquid.xyz)",
    )
    ac.add_argument(
        "--binance-url",
        default="https://fapi.binance.com",
        help="Binance USD-M REST base URL (default https://fapi.binance.com)",
    )
    ac.add_argument(
        "--import", dest="import_positions", action="store_true", help="add them to the book"
    )
    ac.add_argument(
        "--book",
        default=None,
        help="the position book's SQLite file (default: yours, in the user data folder)",
    )
    ac.add_argument("--json", action="store_true", help="one JSON document instead of text")
    ac.set_defaults(func=cmd_account)
