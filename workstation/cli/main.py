"""The ``workstation`` command. Bad arguments exit 2 with a message naming the argument; a bad
session file exits 1 with one line naming the file and the problem; never a traceback for either."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from workstation import __version__
from workstation.app.feed_config import SettingsError
from workstation.cli import (
    account_cmds,
    archive_cmds,
    history_cmds,
    notify_cmds,
    record_cmd,
    risk_cmds,
)
from workstation.cli.record_cmd import add_url_options
from workstation.cli.validators import (
    Parser,
    UsageError,
    csv_choice,
    non_negative_int,
    positive_float,
    see_help,
    speed,
    utc_time,
    window_size,
)
from workstation.core.resources import demo_session_path
from workstation.core.timefmt import fmt_utc
from workstation.rules.config import RulesError
from workstation.sessions.store import SessionError

DEMO_SESSION = demo_session_path()


# --- commands ----------------------------------------------------------------------------------
def cmd_simulate(args: argparse.Namespace) -> int:
    from workstation.sessions.scenarios import SCENARIOS
    from workstation.sessions.simulator import parse_start, simulate
    from workstation.sessions.store import SessionWriter

    scenario = SCENARIOS[args.scenario]
    hours = args.hours if args.hours is not None else scenario.default_hours
    start_ms = args.start if args.start is not None else parse_start(scenario.start_utc)
    out = Path(args.out)
    if not out.parent.exists():
        raise SessionError(out, f"the folder {out.parent} does not exist")
    t0 = time.perf_counter()
    extra = {
        "scenario": scenario.name,
        "seed": args.seed,
        "hours": hours,
        "tick_seconds": args.tick_seconds,
        "phases": scenario.phases(start_ms - start_ms % 60_000, hours),
    }
    with SessionWriter(
        out,
        source="simulated",
        venues=args.venues,
        symbols=args.symbols,
        notes=args.notes or f"simulated {scenario.name}: {scenario.description}",
        extra=extra,
        overwrite=args.force,
    ) as writer:
        for ev in simulate(
            scenario,
            seed=args.seed,
            hours=hours,
            venues=args.venues,
            symbols=args.symbols,
            start_ms=start_ms,
            tick_s=args.tick_seconds,
        ):
            writer.append(ev)
        n = writer.count
    dt = time.perf_counter() - t0
    size = out.stat().st_size
    print(
        f"wrote {n:,} events ({size / 1e6:.1f} MB) of simulated {scenario.name} "
        f"(seed {args.seed}, {hours:g} h) to {out} in {dt:.1f} s"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from workstation.sessions.info import format_info, session_info

    info = session_info(args.file)
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0


def _rules(args: argparse.Namespace):
    """The defaults, the settings folder's rules.toml, then --rules (RulesError exits 2)."""
    from workstation.rules.config import load_rules

    return load_rules([args.rules] if args.rules else [])


def cmd_backtest(args: argparse.Namespace) -> int:
    from workstation.app.backtest import backtest, format_backtest

    report = backtest(args.file, _rules(args))
    print(json.dumps(report, indent=2) if args.json else format_backtest(report))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from workstation.app.run import Pacing, run_session
    from workstation.cli.output import JsonlPrinter, TablePrinter
    from workstation.sessions.info import recorded_summary
    from workstation.sessions.store import SessionReader

    rules = _rules(args)
    printer = JsonlPrinter(sys.stdout) if args.format == "jsonl" else TablePrinter(sys.stdout)
    wall0 = time.perf_counter()
    with SessionReader(args.file) as reader:
        meta = reader.meta
        if meta.source == "simulated":
            extra = meta.extra
            label = (
                f"REPLAY - simulated (scenario {extra.get('scenario')}, seed {extra.get('seed')}),"
                " not market data"
            )
        else:
            label = f"REPLAY - {recorded_summary(meta, reader.counts())}"
        printer.header(f"{label}\n{args.file}")
        pacing = (
            None
            if args.speed is None
            else Pacing(args.speed, lambda: int((time.perf_counter() - wall0) * 1000), time.sleep)
        )
        run = run_session(
            reader,
            printer.write,
            rules=rules,
            report_every_ms=int(args.every * 1000),
            pacing=pacing,
        )
    if run.first_ts_ms is None:
        printer.footer(["the session holds no events"])
        return 0
    dt = time.perf_counter() - wall0
    n = run.events
    printer.footer(
        [
            f"replayed {n:,} events, {fmt_utc(run.first_ts_ms)} -> {fmt_utc(run.end_ts_ms)} UTC "
            f"({(run.end_ts_ms - run.first_ts_ms) / 3.6e6:.1f} h of session)"
        ]
    )
    print(
        f"replay: {n:,} events in {dt:.2f} s ({n / max(dt, 1e-9):,.0f} events/s)", file=sys.stderr
    )
    return 0


# --- parser ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from workstation.sessions.scenarios import SCENARIOS
    from workstation.sessions.simulator import SYMBOLS, TICK_SECONDS, VENUES

    p = Parser(
        prog="workstation",
        description="Trading-risk workstation for crypto derivatives desks.",
    )
    p.add_argument("--version", action="version", version=f"workstation {__version__}")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen on the demo, replay it a few seconds, check, exit",
    )
    p.add_argument(
        "--self-test-out", default=None, metavar="OUT.png", help="where --self-test saves its PNG"
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("simulate", help="write a simulated session from a seeded scenario")
    s.add_argument(
        "--scenario", required=True, choices=sorted(SCENARIOS), help="the scenario to simulate"
    )
    s.add_argument("--out", required=True, help="the session file to write")
    s.add_argument(
        "--seed",
        type=non_negative_int("--seed"),
        default=1,
        help="random seed: the same seed writes the same file (default 1)",
    )
    s.add_argument(
        "--hours",
        type=positive_float("--hours", 24 * 90),
        default=None,
        help="length of the session in hours, at most 2160 (default: the scenario's own)",
    )
    s.add_argument(
        "--venues",
        type=csv_choice("--venues", VENUES),
        default=("binance", "bybit", "deribit"),
        help=f"comma-separated, of {','.join(VENUES)} (default binance,bybit,deribit)",
    )
    s.add_argument(
        "--symbols",
        type=csv_choice("--symbols", tuple(SYMBOLS)),
        default=("BTCUSDT",),
        help=f"comma-separated, of {','.join(SYMBOLS)} (default BTCUSDT)",
    )
    s.add_argument(
        "--start",
        type=utc_time("--start"),
        default=None,
        help="ISO 8601 UTC start time (default: the scenario's own)",
    )
    s.add_argument(
        "--tick-seconds",
        type=int,
        choices=TICK_SECONDS,
        default=60,
        help="seconds between mark-price/OI updates (default 60)",
    )
    s.add_argument("--notes", default=None, help="free notes stored in the session")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")
    s.set_defaults(func=cmd_simulate)

    i = sub.add_parser("info", help="show a session's metadata, time range and event counts")
    i.add_argument("file", help="the session file")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=cmd_info)

    r = sub.add_parser("replay", help="run the engine over a session and print its outputs")
    r.add_argument("file", help="the session file")
    r.add_argument(
        "--speed", type=speed, default=None, help="x1, x10, x60, x600 or max (default max)"
    )
    r.add_argument(
        "--every",
        type=positive_float("--every"),
        default=60.0,
        help="seconds of session time between metrics lines (default 60)",
    )
    r.add_argument(
        "--format",
        choices=("jsonl", "table"),
        default="jsonl",
        help="JSON lines (keys in the README) or a table for people (default jsonl)",
    )
    r.add_argument("--rules", default=None, help="a rules TOML file over the defaults")
    r.set_defaults(func=cmd_replay)

    b = sub.add_parser(
        "backtest-rules", help="how often each rule fires, flaps and how early it warned"
    )
    b.add_argument("file", help="the session file")
    b.add_argument("--rules", default=None, help="a rules TOML file over the defaults")
    b.add_argument("--json", action="store_true", help="machine-readable output")
    b.set_defaults(func=cmd_backtest)

    for family in (risk_cmds, account_cmds, history_cmds, record_cmd, notify_cmds, archive_cmds):
        family.add_commands(sub)
    from workstation.feeds.live import VENUES as LIVE_VENUES

    g = sub.add_parser(
        "gui", help="the desktop window: replay a session, or save a screenshot of a moment"
    )
    g.add_argument(
        "--session", default=str(DEMO_SESSION), help="the session to replay (default: the demo)"
    )
    g.add_argument(
        "--at",
        type=utc_time("--at"),
        default=None,
        help="replay up to this time (ISO 8601 UTC, within the session; default: the end)",
    )
    g.add_argument(
        "--screenshot",
        default=None,
        metavar="OUT.png",
        help="save a PNG of the window at --at and exit",
    )
    g.add_argument(
        "--live",
        action="store_true",
        help="connect to the venues live (record with the toolbar's Record button)",
    )
    g.add_argument(
        "--venues",
        type=csv_choice("--venues", LIVE_VENUES),
        default=None,
        help="with --live: the venues (default: the settings' choice, else all five)",
    )
    g.add_argument(
        "--symbols",
        type=csv_choice("--symbols", tuple(SYMBOLS)),
        default=None,
        help="with --live: the symbols (the window charts the first; default: the settings')",
    )
    g.add_argument(
        "--rules", default=None, help="a rules TOML file over the defaults (replay or --live)"
    )
    add_url_options(g)
    g.add_argument(
        "--book",
        default=None,
        help="the position book's SQLite file (default: yours, in the user data folder)",
    )
    g.add_argument(
        "--size",
        type=window_size,
        default="1600x1000",
        help="window size WIDTHxHEIGHT, at least 800x500 (default 1600x1000)",
    )
    g.set_defaults(func=_cmd_gui)
    return p


def _cmd_gui(args: argparse.Namespace) -> int:
    from workstation.core.userdirs import ensure_user_dirs

    if args.at is not None and not args.live:
        _check_at(args.session, args.at)
    ensure_user_dirs()  # the first start creates the settings and data folders and rules.toml
    if args.screenshot:
        from workstation.ui.snapshot import run_screenshot

        return run_screenshot(args)
    from workstation.ui.app import run_window

    return run_window(args, record_cmd.url_overrides(args))


def _check_at(session: str, at_ms: int) -> None:
    """``--at`` within the session's span (UsageError naming the span otherwise)."""
    from workstation.sessions.store import SessionReader

    with SessionReader(session) as reader:
        span = reader.time_range()
    if span is None:
        raise SessionError(session, "holds no events")
    if not span[0] <= at_ms <= span[1]:
        raise UsageError(
            f"--at {fmt_utc(at_ms)} UTC is outside the session, which runs from "
            f"{fmt_utc(span[0])} to {fmt_utc(span[1])} UTC"
        )


def _join_negative_values(argv: list[str], options: tuple[str, ...] = ("--shocks",)) -> list[str]:
    """``--shocks -30:30:5`` -> ``--shocks=-30:30:5``: argparse would read ``-30:30:5`` as an
    option of its own."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in options and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(archive_cmds.rewrite_argv(_join_negative_values(words)))
    if args.self_test:
        from workstation.ui.selftest import run_self_test

        return run_self_test(str(DEMO_SESSION), args.self_test_out)
    if args.command is None:  # `workstation` alone: the window, replaying the demo
        args = parser.parse_args(["gui"])
    try:
        return args.func(args)
    except SessionError as exc:
        print(f"workstation: {exc}", file=sys.stderr)
        return 1
    except RulesError as exc:
        parser.exit(2, f"workstation: error: --rules: {exc}\n")
    except (UsageError, SettingsError) as exc:
        prog = f"workstation {args.command}"
        parser.exit(2, f"{prog}: error: {exc}\n{see_help(prog)}\n")
    except BrokenPipeError:  # e.g. `workstation replay ... | head`
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file the command reads or writes: missing, forbidden, disk full
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"workstation {args.command}: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
