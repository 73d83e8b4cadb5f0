"""Inputs a new user gets wrong (issue 16): each is one line naming the problem, exit 1 or 2, no
traceback, and nothing written; bad rows of an import are reported and the good rows kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import SHARED
from test_cli_help import SKIP, TREE

from workstation.cli.main import main
from workstation.core.events import Bar1m
from workstation.core.resources import demo_session_path
from workstation.sessions.store import SessionReader

DEMO = demo_session_path()


def fails(argv: list[str], capsys) -> tuple[int, str]:
    """(exit code, the one line of stderr) of a command that must fail."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code in (1, 2), err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if not ln.startswith("(see `")]
    assert len(lines) == 1, err
    return code, lines[0]


def bars_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("time,open,high,low,close,volume_usd\n" + "".join(f"{r}\n" for r in rows))
    return path


def import_bars(src: Path, out: Path) -> int:
    return main(
        [
            "import",
            "csv",
            str(src),
            "--map",
            "ts=time,open=open,high=high,low=low,close=close,volume_usd=volume_usd",
            "--venue",
            "binance",
            "--symbol",
            "BTCUSDT",
            "--out",
            str(out),
        ]
    )


# --- 1: tracebacks that become one line ----------------------------------------------------------
@pytest.mark.parametrize("command", ["gui", "skew"])
def test_at_that_is_not_a_time_exits_2(command: str, capsys) -> None:
    argv = ["gui", "--at", "notatime"] if command == "gui" else ["skew", str(DEMO), "--at", "x"]
    code, line = fails(argv, capsys)
    assert code == 2 and "--at must be an ISO 8601 UTC time" in line


def test_export_onto_a_file_refuses_and_leaves_it_alone(tmp_path: Path, capsys) -> None:
    target = tmp_path / "passwd"
    target.write_text("root:x:0:0\n")
    code, line = fails(["export", str(DEMO), "--format", "csv", "--out", str(target)], capsys)
    assert code == 2 and f"{target} is a file, not a folder" in line
    assert target.read_text() == "root:x:0:0\n"


def test_a_bar_with_close_0_is_a_bad_row_and_the_good_rows_are_kept(tmp_path: Path, capsys) -> None:
    src = bars_csv(
        tmp_path / "bars.csv",
        [
            "2024-01-01T00:00:00Z,100,102,99,101,1010",  # volume 1010 USD / close 101 = 10 coin
            "2024-01-01T00:01:00Z,101,102,99,0,1010",  # line 3: close 0
            "2024-01-01T00:02:00Z,101,103,100,102,2040",  # 2040 / 102 = 20 coin
        ],
    )
    assert import_bars(src, tmp_path / "b.session") == 0  # still 1-minute bars, with a hole
    out = capsys.readouterr().out
    assert f"bad row  {src}:3: close must be greater than 0 (got 0)" in out
    with SessionReader(tmp_path / "b.session") as r:
        bars = list(r.events())
    assert [(b.close_usd, b.volume_coin) for b in bars] == [(101, 10), (102, 20)]


def test_binance_vision_klines_of_a_non_csv_file_is_one_line(tmp_path: Path, capsys) -> None:
    src = tmp_path / "passwd"
    src.write_text("root:x:0:0:root:/root:/bin/bash\n" * 3 + "a,b,c,d\n")
    out = tmp_path / "bv.session"
    argv = ["import", "binance-vision", str(src), "--kind", "klines", "--symbol", "BTCUSDT"]
    code, line = fails([*argv, "--out", str(out)], capsys)
    assert code == 1 and f"{src}: not a Binance CSV" in line and "line 4" in line
    assert not out.exists()


def test_skew_on_an_sqlite_file_of_another_kind_or_a_garbage_session(
    tmp_path: Path, capsys
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE t (x BLOB)")
        con.execute("INSERT INTO t VALUES (?)", (bytes(range(256)) * 8,))
    code, line = fails(["skew", str(other)], capsys)
    assert code == 1 and "not a session file (an SQLite database of another kind)" in line
    garbage = tmp_path / "garbage.session"
    garbage.write_text("instrument,price\nx,1\n")
    code, line = fails(["skew", str(garbage)], capsys)
    assert (
        code == 1 and line == f"workstation: {garbage}: not a session file (not an SQLite database)"
    )


def test_skew_on_a_binary_file_that_is_not_a_session(tmp_path: Path, capsys) -> None:
    blob = tmp_path / "chain.csv"
    blob.write_bytes(b"instrument_name\n\xff\xfe\x00\x01")
    code, line = fails(["skew", str(blob)], capsys)
    assert code == 1 and f"{blob}: not UTF-8 text (byte 0xff)" in line


def test_rules_that_are_not_utf8_name_the_file_and_line(tmp_path: Path, capsys) -> None:
    rules = tmp_path / "r.toml"
    rules.write_bytes(b"version = 1\n# caf\xe9\n")  # latin-1 on line 2
    code, line = fails(["backtest-rules", str(DEMO), "--rules", str(rules)], capsys)
    assert code == 2 and f"{rules}:2: file: not UTF-8 text (byte 0xe9)" in line


# --- 2: bad data refused -------------------------------------------------------------------------
def test_a_mapping_that_makes_no_event_fails_and_says_why(tmp_path: Path, capsys) -> None:
    src = SHARED / "datasets/oi-daily-unverified/open_interest.csv"
    out = tmp_path / "oi.session"
    argv = ["import", "csv", str(src), "--map", "ts=Date,oi_usd=Data", "--venue", "binance"]
    code, line = fails([*argv, "--symbol", "BTCUSDT", "--out", str(out)], capsys)
    assert code == 1 and "oi_usd is only read with oi_coin" in line
    assert not out.exists()


def test_rows_that_all_fail_write_nothing_and_say_why(tmp_path: Path, capsys) -> None:
    src = tmp_path / "p.csv"
    src.write_text("Date,Data\n30/03/2019,605258083\n31/03/2019,618514013\n")
    out = tmp_path / "p.session"
    argv = ["import", "csv", str(src), "--map", "ts=Date,price=Data", "--venue", "binance"]
    code, line = fails([*argv, "--symbol", "BTCUSDT", "--out", str(out)], capsys)
    assert code == 1 and "no events from 2 rows (every row was bad, e.g." in line
    assert f"{src}:2: Date: not a time" in line
    assert not out.exists()


@pytest.mark.parametrize(
    "row,why",
    [
        ("100,102,-99,101,1010", "low must be greater than 0 (got -99)"),
        ("100,98,99,99,1010", "high 98 is below the bar's open, low or close"),
        ("100,102,100.5,101,1010", "low 100.5 is above the bar's open or close"),
        ("100,102,99,101,-5", "volume must be 0 or more (got -0.049505)"),  # -5 / 101
    ],
)
def test_impossible_bars_are_bad_rows(tmp_path: Path, capsys, row: str, why: str) -> None:
    src = bars_csv(
        tmp_path / "bars.csv",
        ["2024-01-01T00:00:00Z,100,102,99,101,1010", f"2024-01-01T00:01:00Z,{row}"],
    )
    assert import_bars(src, tmp_path / "b.session") == 0
    assert f"bad row  {src}:3: {why}" in capsys.readouterr().out
    with SessionReader(tmp_path / "b.session") as r:
        assert [type(e) for e in r.events()] == [Bar1m]


def test_binance_klines_with_high_below_low_are_bad_rows(tmp_path: Path, capsys) -> None:
    src = tmp_path / "BTCUSDT-1m-2024-01-01.csv"
    t0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
    src.write_text(
        f"{t0},100,102,99,101,10,{t0 + 59_999},0,0,0,0,0\n"
        f"{t0 + 60_000},100,98,99,99,10,{t0 + 119_999},0,0,0,0,0\n"
    )
    out = tmp_path / "k.session"
    assert main(["import", "binance-vision", str(src), "--out", str(out)]) == 0
    assert f"{src}:2: high 98 is below" in capsys.readouterr().out
    with SessionReader(out) as r:
        assert [e.close_usd for e in r.events()] == [101.0]


@pytest.mark.parametrize(
    "line,text,needle",
    [
        (6, "enter = nan", "enter: rule 'x', must be a finite number, not nan"),
        (7, "exit = inf", "exit: rule 'x', must be a finite number, not inf"),
        (8, 'message = "m {nope:.1f}"', "message: rule 'x', unknown field {nope}"),
    ],
)
def test_rules_with_nan_or_a_placeholder_naming_nothing_are_errors_with_file_line(
    tmp_path: Path, capsys, line: int, text: str, needle: str
) -> None:
    body = [
        "version = 1",
        "[[rule]]",
        'id = "x"',
        'metric = "liq_intensity_x"',
        'op = ">"',
        "enter = 4.0",
        "exit = 2.0",
        'message = "m {enter:g}"',
    ]
    body[line - 1] = text
    rules = tmp_path / "r.toml"
    rules.write_text("\n".join(body) + "\n")
    code, err = fails(["backtest-rules", str(DEMO), "--rules", str(rules)], capsys)
    assert code == 2 and f"{rules}:{line}: {needle}" in err


def test_export_of_a_bad_session_leaves_no_folder(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.session"
    bad.write_text("not a session\n")
    out = tmp_path / "out"
    code, line = fails(["export", str(bad), "--format", "csv", "--out", str(out)], capsys)
    assert code == 1 and "not a session file" in line
    assert not out.exists()


@pytest.mark.parametrize("size", ["10x10", "799x1000", "1600x499", "big", "1600x"])
def test_gui_size_below_the_minimum_or_malformed_is_refused(
    tmp_path: Path, capsys, size: str
) -> None:
    shot = tmp_path / "x.png"
    code, line = fails(["gui", "--size", size, "--screenshot", str(shot)], capsys)
    assert code == 2 and "--size must be" in line
    assert not shot.exists()


def test_gui_at_past_the_sessions_end_names_its_span(tmp_path: Path, capsys) -> None:
    shot = tmp_path / "x.png"
    argv = ["gui", "--session", str(DEMO), "--at", "2027-01-01T00:00:00Z", "--screenshot"]
    code, line = fails([*argv, str(shot)], capsys)
    # the demo: 120 h of simulated feb-2026-selloff (see the Makefile's demo target)
    assert code == 2
    assert "--at 2027-01-01 00:00:00 UTC is outside the session, which runs from 2026-" in line
    assert not shot.exists()


# --- 5 (part): every sub-command with garbage arguments ------------------------------------------
def _positionals(parser) -> list:
    return [a for a in parser._actions if not a.option_strings and not isinstance(a, SKIP)]


LEAVES = [words for words, parser, _ in TREE if _positionals(parser)]


@pytest.mark.parametrize("words", [words for words, _, _ in TREE], ids=" ".join)
def test_every_subcommand_refuses_an_unknown_option_in_one_line(words, capsys) -> None:
    code, line = fails([*words, "--garbage=\x7f"], capsys)
    assert code == 2 and line.startswith("workstation") and ": error: " in line


@pytest.mark.parametrize("words", LEAVES, ids=" ".join)
def test_every_subcommand_with_garbage_positionals_fails_in_one_line(
    words, tmp_path: Path, capsys, monkeypatch
) -> None:
    """Each positional is a path in a folder that does not exist (read or written)."""
    monkeypatch.chdir(tmp_path)  # nothing it might write lands in the checkout
    parser = dict((w, p) for w, p, _ in TREE)[words]
    n = sum(1 if a.nargs in (None, "+") else 0 for a in _positionals(parser))
    _, line = fails([*words, *["no-such-folder/garbage"] * max(n, 1)], capsys)
    assert "garbage" in line or "required" in line or "invalid" in line, line


@pytest.mark.parametrize(
    "argv",
    [
        ["positions", "--book", "b.db", "import"],
        ["import", "csv", "--map", "ts=a,price=b", "--venue", "x", "--symbol", "Y", "--out", "o"],
        ["import", "deribit-chain", "--out", "o"],
        ["info"],
        ["skew"],
    ],
    ids=" ".join,
)
def test_a_binary_file_given_as_text_fails_in_one_line(
    argv, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "garbage").write_bytes(b"a,b\n\x00\xffgarbage\n" * 10)
    split = 2 if argv[0] == "import" else len(argv)
    _, line = fails([*argv[:split], "garbage", *argv[split:]], capsys)
    assert "garbage" in line and ("not UTF-8" in line or "not a session" in line), line
    written = {p.name for p in tmp_path.iterdir()} - {"garbage", "b.db"}  # the book may be made
    assert written == set()
