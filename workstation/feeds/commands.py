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

from workstation.risk.commands import UsageError

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
}


def add_url_options(p: argparse.ArgumentParser) -> None:
    for opt in URL_OPTIONS:
        p.add_argument(f"--{opt.replace('_', '-')}", default=None, metavar="URL")


def settings_path():  # -> Path
    """settings.toml in the user's settings folder (platformdirs)."""
    from workstation.core.userdirs import user_paths

    return user_paths()["settings folder"] / "settings.toml"


def settings_urls() -> dict[str, str]:
    """``[urls]`` of settings.toml (keys as the URL options without ``_url``: binance, binance_ws,
    binance_spot, bybit, bybit_ws, okx, okx_ws, deribit, deribit_ws). A bad file is an error
    naming it and the key."""
    import tomllib

    path = settings_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    urls = data.get("urls", {})
    known = set(URL_OPTIONS.values())
    for key, value in urls.items():
        if key not in known:
            raise UsageError(f"{path}: [urls] {key}: unknown (known: {', '.join(sorted(known))})")
        if not isinstance(value, str) or not value.startswith(
            ("http://", "https://", "ws://", "wss://")
        ):
            raise UsageError(f"{path}: [urls] {key}: must be an http(s):// or ws(s):// URL")
    return dict(urls)


def feed_config(args: argparse.Namespace):
    from workstation.feeds.live import DEFAULT_URLS, FeedConfig

    urls = {**DEFAULT_URLS, **settings_urls()}  # defaults, then settings.toml, then the options
    for opt, key in URL_OPTIONS.items():
        value = getattr(args, opt, None)
        if value:
            if not value.startswith(("http://", "https://", "ws://", "wss://")):
                raise UsageError(
                    f"--{opt.replace('_', '-')} must be an http(s):// or ws(s):// URL (got {value!r})"
                )
            urls[key] = value
    return FeedConfig(venues=args.venues, symbols=args.symbols, urls=urls)


def cmd_record(args: argparse.Namespace) -> int:
    from workstation.core.clock import LiveClock
    from workstation.engine.pipeline import build_pipeline
    from workstation.feeds.live import LiveFeeds
    from workstation.feeds.pump import LivePump
    from workstation.rules.config import load_rules
    from workstation.sessions.store import SessionWriter

    cfg = feed_config(args)
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
                if not args.quiet and rec["type"] != "metrics":
                    print(json.dumps(rec, separators=(",", ":")), flush=True)
    finally:
        feeds.stop()
        pump.pump()
        writer.close()
    print(f"recorded {writer.count:,} events to {args.out}", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction, pos_float, csv_choice) -> None:
    from workstation.feeds.live import VENUES
    from workstation.sessions.simulator import SYMBOLS

    r = sub.add_parser("record", help="record the live feeds to a session file (headless)")
    r.add_argument("--out", required=True)
    r.add_argument("--venues", type=csv_choice("--venues", VENUES), default=VENUES)
    r.add_argument("--symbols", type=csv_choice("--symbols", tuple(SYMBOLS)), default=("BTCUSDT",))
    r.add_argument(
        "--duration",
        type=pos_float("--duration"),
        default=None,
        help="seconds (default: until stopped)",
    )
    r.add_argument("--rules", default=None, help="a rules TOML file over the defaults")
    r.add_argument("--notes", default=None)
    r.add_argument("--force", action="store_true", help="overwrite --out")
    r.add_argument("--quiet", action="store_true", help="print nothing but the summary")
    add_url_options(r)
    r.set_defaults(func=cmd_record)
