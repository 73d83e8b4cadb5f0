"""``workstation record``: live feeds -> engine -> session file, headless.

SIGINT and SIGTERM close the file cleanly; SIGKILL loses at most the last second (the writer
commits at least every 0.5 s). Alerts, verdicts, ladder and health lines are printed as JSON lines
(``--quiet`` for none).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time

from workstation.app.feed_config import URL_OPTIONS, feed_config
from workstation.cli.validators import csv_choice, positive_float
from workstation.core.records import MetricsRecord


def cmd_record(args: argparse.Namespace) -> int:
    from workstation.app.pipeline import build_pipeline
    from workstation.app.pump import LivePump
    from workstation.core.clock import LiveClock
    from workstation.feeds.live import LiveFeeds
    from workstation.rules.config import load_rules
    from workstation.sessions.store import SessionWriter

    cfg = feed_config(args.venues, args.symbols, url_overrides(args))
    rules = load_rules([args.rules] if args.rules else [])
    stop = {"flag": False}

    def on_signal(signum: int, _frame: object) -> None:
        stop["flag"] = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    clock = LiveClock()
    pipe = build_pipeline(clock, rules=rules)
    writer = SessionWriter(
        args.out,
        source="live",
        venues=cfg.venues,
        symbols=cfg.symbols,
        overwrite=args.force,
        notes=args.notes or "",
        extra={"urls": {k: v for k, v in cfg.urls.items()}},
    )
    pipe.engine.add_tap(writer.append)
    feeds = LiveFeeds(cfg)
    pump = LivePump(pipe.engine, clock, feeds.queue, feeds.health, note=writer.add_note)
    feeds.start()
    t_end = None if args.duration is None else time.monotonic() + args.duration
    try:
        while not stop["flag"] and (t_end is None or time.monotonic() < t_end):
            pump.pump(wait_s=0.05)
            writer.flush_if_due()
            for rec in pipe.engine.drain():
                if not args.quiet and not isinstance(rec, MetricsRecord):
                    print(json.dumps(rec.to_json(), separators=(",", ":")), flush=True)
    finally:
        feeds.stop()
        pump.pump()
        writer.close()
    print(f"recorded {writer.count:,} events to {args.out}", file=sys.stderr)
    return 0


def add_url_options(p: argparse.ArgumentParser) -> None:
    """``--binance-url`` … ``--hyperliquid-ws-url``: a venue's REST or websocket base URL."""
    for opt in URL_OPTIONS:
        venue, kind = opt.split("_", 1)
        what = {"url": "REST", "ws_url": "websocket", "spot_url": "spot REST"}[kind]
        p.add_argument(
            f"--{opt.replace('_', '-')}",
            default=None,
            metavar="URL",
            help=f"{venue}'s {what} base URL (default: the venue's public one)",
        )


def url_overrides(args: argparse.Namespace) -> dict[str, str | None]:
    """The URL options given on the command line (option name without dashes -> URL or None)."""
    return {opt: getattr(args, opt, None) for opt in URL_OPTIONS}


def add_commands(sub: argparse._SubParsersAction) -> None:
    from workstation.feeds.live import VENUES
    from workstation.sessions.simulator import SYMBOLS

    r = sub.add_parser("record", help="record the live feeds to a session file (headless)")
    r.add_argument("--out", required=True, help="the session file to write")
    r.add_argument(
        "--venues",
        type=csv_choice("--venues", VENUES),
        default=VENUES,
        help=f"comma-separated (default {','.join(VENUES)})",
    )
    r.add_argument(
        "--symbols",
        type=csv_choice("--symbols", tuple(SYMBOLS)),
        default=("BTCUSDT",),
        help=f"comma-separated, of {','.join(SYMBOLS)} (default BTCUSDT)",
    )
    r.add_argument(
        "--duration",
        type=positive_float("--duration"),
        default=None,
        help="seconds (default: until stopped)",
    )
    r.add_argument("--rules", default=None, help="a rules TOML file over the defaults")
    r.add_argument("--notes", default=None, help="free notes stored in the session")
    r.add_argument("--force", action="store_true", help="overwrite --out")
    r.add_argument("--quiet", action="store_true", help="print nothing but the summary")
    add_url_options(r)
    r.set_defaults(func=cmd_record)
