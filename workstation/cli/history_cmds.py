"""Command-line verbs for history: import, export, skew."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workstation.cli.validators import UsageError, positive_float, utc_time
from workstation.core.timefmt import fmt_utc

FORMATS = ("binance-vision", "binance-rest", "deribit-chain", "deribit-dvol", "hyperliquid", "csv")


def cmd_import(args: argparse.Namespace) -> int:
    from workstation.sessions.importers.common import (
        ImportError_,
        ImportReport,
        Progress,
        text_only,
        write_import,
    )

    paths = [Path(p) for p in args.paths]
    for p in paths:
        if not p.is_file():
            raise UsageError(f"PATH: {p} is not a file")
    if Path(args.out).exists() and not args.force:
        raise UsageError(f"--out: {args.out} already exists (choose another name or --force)")
    report = ImportReport()
    try:
        rows = _rows(args, paths, report)
        progress = Progress()

        def counted():
            for i, r in enumerate(rows, start=1):
                progress.update(args.format, i)
                yield r

        with text_only(report):
            write_import(counted(), args.out, report, fmt=args.format, overwrite=args.force)
        progress.done()
    except ImportError_ as exc:
        print(f"workstation import: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(f"imported {report.events:,} events from {report.rows_read:,} rows into {args.out}")
        for kind, n in sorted(report.counts.items()):
            print(f"  {kind:<17}{n:>10,}")
        if report.first_ts_ms is not None:
            print(f"  from {fmt_utc(report.first_ts_ms)} to {fmt_utc(report.last_ts_ms)} UTC")
        print(
            f"  duplicates dropped: {report.duplicates:,}; rows that did not parse: {report.bad_rows:,}; "
            f"gaps: {len(report.gaps):,}"
        )
        for p in report.problems[:10]:
            print(f"  bad row  {p}")
        for g in report.gaps[:10]:
            print(f"  gap      {g}")
        for n in report.notes:
            print(f"  note     {n}")
    return 0 if report.events else 1


def _rows(args: argparse.Namespace, paths: list[Path], report):
    from workstation.sessions.importers import binance, deribit, generic_csv, hyperliquid

    symbol = args.symbol.upper() if args.symbol else None
    if args.format == "binance-vision":
        return binance.read_vision(paths, args.venue or "binance", symbol, args.kind, report)
    if args.format == "binance-rest":
        return binance.read_rest(paths, args.venue or "binance", symbol, args.rate_unit, report)
    if args.format == "deribit-chain":
        return deribit.read_chains(paths, report)
    if args.format == "deribit-dvol":
        return deribit.read_dvol(paths, symbol, report)
    if args.format == "hyperliquid":
        return hyperliquid.read_info(paths, report)
    if not args.map:
        raise UsageError("--map is needed for csv, e.g. --map ts=timestamp,price=close")
    try:
        mapping = generic_csv.parse_mapping(args.map)
    except ValueError as exc:
        raise UsageError(f"--map: {exc}") from None
    return generic_csv.read_csv(
        paths,
        mapping,
        venue=args.venue,
        symbol=symbol,
        funding_interval_h=args.funding_interval_h,
        rate_unit=args.rate_unit,
        time_format=args.time_format,
        report=report,
    )


def cmd_export(args: argparse.Namespace) -> int:
    import importlib.util

    from workstation.sessions.export import export_session

    if args.format == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise UsageError(
            "--format parquet needs pyarrow, which the desktop bundle leaves out to stay small: "
            "use --format csv here, or the Python install (pip install .) for Parquet"
        )
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} is a file, not a folder (export writes one file per kind)")
    counts = export_session(args.session, out, args.format)
    for kind, n in counts.items():
        print(f"{kind:<17}{n:>10,} rows -> {out / f'{kind}.{args.format}'}")
    return 0


def cmd_skew(args: argparse.Namespace) -> int:
    from workstation.app.skew_report import format_skew, last_chains, skew_report
    from workstation.sessions.importers.common import ImportError_

    try:
        chains = last_chains(args.file, args.at)
    except ImportError_ as exc:
        print(f"workstation skew: {exc}", file=sys.stderr)
        return 1
    if not chains:
        print(f"workstation skew: {args.file} holds no option chain", file=sys.stderr)
        return 1
    reports = [skew_report(c) for c in chains]
    if args.json:
        print(json.dumps(reports if len(reports) > 1 else reports[0], indent=2))
    else:
        print("\n\n".join(format_skew(r) for r in reports))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    im = sub.add_parser("import", help="import public market history as a session")
    im.add_argument("format", choices=FORMATS, help="what the files are (see the README)")
    im.add_argument("paths", nargs="+", metavar="PATH", help="the files to read")
    im.add_argument("--out", required=True, help="the session file to write")
    im.add_argument("--venue", help="venue of the data (binance formats: binance)")
    im.add_argument("--symbol", help="desk symbol, e.g. BTCUSDT (else from the file)")
    im.add_argument(
        "--kind",
        choices=("klines", "markPriceKlines", "premiumIndexKlines", "fundingRate", "metrics"),
        help="binance-vision: the dataset (else from the path)",
    )
    im.add_argument("--map", help="csv: TARGET=COLUMN,... (see the README)")
    im.add_argument(
        "--rate-unit",
        choices=("fraction", "percent"),
        help="unit of funding rates that do not say (default: refused if unknown)",
    )
    im.add_argument(
        "--funding-interval-h",
        type=positive_float("--funding-interval-h"),
        help="funding settlement interval, hours (default: from the file)",
    )
    im.add_argument("--time-format", help="csv: auto (default), s, ms, us, or a strftime pattern")
    im.add_argument("--force", action="store_true", help="overwrite --out")
    im.add_argument("--json", action="store_true", help="the report as JSON")
    im.set_defaults(func=cmd_import)

    ex = sub.add_parser("export", help="export a session: one table per event kind")
    ex.add_argument("session", help="the session file")
    ex.add_argument(
        "--format", choices=("parquet", "csv"), default="parquet", help="(default parquet)"
    )
    ex.add_argument("--out", required=True, help="a folder")
    ex.set_defaults(func=cmd_export)

    sk = sub.add_parser("skew", help="25-delta skew of an option chain, per expiry and at 30 days")
    sk.add_argument("file", help="a session, or a raw deribit-chain file")
    sk.add_argument(
        "--at",
        type=utc_time("--at"),
        help="the chain at or before this time, ISO 8601 UTC (default: the last)",
    )
    sk.add_argument("--json", action="store_true", help="one JSON document instead of text")
    sk.set_defaults(func=cmd_skew)
