"""Command-line verbs for the Parquet archive: ``archive SESSION... --to DIR`` (``archive add``),
``archive extract DIR ... --out S.session`` and ``query DIR "SQL"``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime
from pathlib import Path

from workstation.cli.validators import UsageError, non_negative_int, utc_time
from workstation.core.timefmt import fmt_utc


def rewrite_argv(argv: list[str]) -> list[str]:
    """``archive S1 S2 --to DIR`` -> ``archive add S1 S2 --to DIR`` (the README's short form)."""
    verb = argv[1] if len(argv) >= 2 and argv[0] == "archive" else "add"
    if verb not in ("add", "extract") and not verb.startswith("-"):
        return ["archive", "add", *argv[1:]]
    return argv


def _symbols(text: str) -> tuple[str, ...]:
    """``--symbols``: comma-separated desk symbols, upper-cased."""
    syms = tuple(s.strip().upper() for s in text.split(","))
    if not all(s.isalnum() for s in syms):
        raise argparse.ArgumentTypeError(
            f"--symbols must be comma-separated symbols such as BTCUSDT,ETHUSDT, not {text!r}"
        )
    return syms


def _needs_archive_libraries() -> None:
    """The desktop bundle leaves pyarrow and duckdb out: one line instead of a traceback."""
    import importlib.util

    missing = [m for m in ("pyarrow", "duckdb") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(
            f"the archive needs {' and '.join(missing)}, which the desktop bundle leaves out to "
            "stay small: use the Python install (pip install .)"
        )


def _fail(exc: Exception, verb: str) -> int:
    print(f"workstation {verb}: {exc}", file=sys.stderr)
    return 1


def cmd_archive_add(args: argparse.Namespace) -> int:
    _needs_archive_libraries()
    from workstation.sessions.archive import ArchiveError, archive_session

    total, t0 = 0, time.perf_counter()
    for path in args.sessions:
        try:
            done = archive_session(path, args.to)
        except ArchiveError as exc:
            return _fail(exc, "archive")
        total += done.events
        if done.skipped:
            print(f"{path}: already in the archive (session {done.session_id}), nothing added")
        else:
            print(f"{path}: {done.events:,} events archived (session {done.session_id})")
    dt = time.perf_counter() - t0
    print(f"{total:,} events into {args.to} in {dt:.1f} s", file=sys.stderr)
    return 0


def cmd_archive_extract(args: argparse.Namespace) -> int:
    _needs_archive_libraries()
    from workstation.sessions.archive import ArchiveError, extract

    if args.start is not None and args.end is not None and args.end <= args.start:
        raise UsageError(
            f"--to {fmt_utc(args.end)} UTC must be after --from {fmt_utc(args.start)} UTC"
        )
    out = Path(args.out)
    if not out.parent.exists():
        raise UsageError(f"--out: the folder {out.parent} does not exist")
    try:
        n = extract(args.dir, out, args.start, args.end, args.symbols, overwrite=args.force)
    except ArchiveError as exc:
        return _fail(exc, "archive extract")
    print(f"wrote {n:,} events to {out}")
    return 0


def _json_value(v: object) -> object:
    return v.isoformat() if isinstance(v, datetime | date) else str(v)


def cmd_query(args: argparse.Namespace) -> int:
    _needs_archive_libraries()
    from workstation.sessions.archive import ArchiveError, query

    try:
        result = query(args.dir, args.sql)
    except ArchiveError as exc:
        return _fail(exc, "query")
    if args.json:
        rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
        print(json.dumps(rows, indent=2, default=_json_value, ensure_ascii=False))
        return 0
    import pandas as pd

    frame = pd.DataFrame(result.rows, columns=result.columns)
    print(frame.to_string(index=False, max_rows=args.max_rows, max_colwidth=60))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser(
        "archive",
        help="append sessions to a Parquet archive, or extract a range of it as a session",
        description="`workstation archive SESSION... --to DIR` is short for `archive add`.",
    )
    verbs = a.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser(
        "add", help="append sessions to the archive (one already there adds nothing)"
    )
    add.add_argument("sessions", nargs="+", metavar="SESSION", help="the session files")
    add.add_argument(
        "--to", required=True, metavar="DIR", help="the archive folder (created if missing)"
    )
    add.set_defaults(func=cmd_archive_add)

    ex = verbs.add_parser("extract", help="write a time range of the archive as a session file")
    ex.add_argument("dir", metavar="DIR", help="the archive folder")
    ex.add_argument(
        "--from",
        dest="start",
        type=utc_time("--from"),
        default=None,
        help="first receive time, ISO 8601 UTC, inclusive (default: the archive's start)",
    )
    ex.add_argument(
        "--to",
        dest="end",
        type=utc_time("--to"),
        default=None,
        help="receive time to stop at, ISO 8601 UTC, exclusive (default: the archive's end)",
    )
    ex.add_argument(
        "--symbols",
        type=_symbols,
        default=None,
        help="comma-separated desk symbols, e.g. BTCUSDT,ETHUSDT (default: all)",
    )
    ex.add_argument("--out", required=True, metavar="S.session", help="the session file to write")
    ex.add_argument("--force", action="store_true", help="overwrite --out")
    ex.set_defaults(func=cmd_archive_extract)

    q = sub.add_parser(
        "query", help="run DuckDB SQL over an archive (each event kind is a table of its name)"
    )
    q.add_argument("dir", metavar="DIR", help="the archive folder")
    q.add_argument("sql", metavar="SQL", help='the query, e.g. "SELECT count(*) FROM bar_1m"')
    q.add_argument("--json", action="store_true", help="the rows as a JSON list of objects")
    q.add_argument(
        "--max-rows",
        type=non_negative_int("--max-rows"),
        default=200,
        help="table output: rows shown at most, the middle elided beyond (default 200)",
    )
    q.set_defaults(func=cmd_query)
