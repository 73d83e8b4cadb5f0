"""The risk verbs of the command line: worked examples, bad input (exit 2), JSON keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workstation.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


FAQ = ["liq-price", "--venue", "binance", "--side", "long"]


@pytest.mark.parametrize(
    "args,expected",
    [
        (
            [
                *FAQ,
                "--entry",
                "1456.84",
                "--qty",
                "3683.979",
                "--margin",
                "1535443.01",
                "--symbol",
                "ETHUSDT",
                "--mmr",
                "0.10",
                "--maint-amount",
                "135365",
            ],
            1114.78,
        ),
        (
            [
                *FAQ,
                "--entry",
                "32481.98",
                "--qty",
                "109.488",
                "--margin",
                "1535443.01",
                "--mmr",
                "0.025",
                "--maint-amount",
                "16300",
            ],
            18778.73,
        ),
        (
            [
                *FAQ,
                "--entry",
                "1456.84",
                "--qty",
                "3683.979",
                "--symbol",
                "ETHUSDT",
                "--margin-mode",
                "cross",
                "--wallet-balance",
                "1535443.01",
                "--mmr",
                "0.10",
                "--maint-amount",
                "135365",
                "--other",
                "BTCUSDT:long:109.488:32481.98:31967.27:0.025:16300",
            ],
            1153.26,
        ),
        (
            [
                *FAQ,
                "--entry",
                "32481.98",
                "--qty",
                "109.488",
                "--margin-mode",
                "cross",
                "--wallet-balance",
                "1535443.01",
                "--mmr",
                "0.025",
                "--maint-amount",
                "16300",
                "--other",
                "ETHUSDT:long:3683.979:1456.84:1335.18:0.10:135365",
            ],
            26316.89,
        ),
        (
            [
                "liq-price",
                "--venue",
                "bybit",
                "--side",
                "long",
                "--entry",
                "20000",
                "--qty",
                "1",
                "--leverage",
                "50",
                "--mmr",
                "0.005",
                "--maint-amount",
                "0",
            ],
            19700.00,
        ),
    ],
)
def test_worked_examples_by_the_command_line(capsys, args: list[str], expected: float) -> None:
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["liquidation_price"] == expected
    assert {"liquidation_price", "mmr", "maint_amount"} <= set(data)


def test_bracket_lookup_when_no_mmr_is_given(capsys) -> None:
    code, out, _ = run(
        capsys,
        "liq-price",
        "--venue",
        "binance",
        "--side",
        "short",
        "--entry",
        "70000",
        "--qty",
        "1",
        "--leverage",
        "10",
        "--json",
    )
    d = json.loads(out)
    assert code == 0 and d["mmr"] == 0.005 and d["maint_amount"] == 50.0  # 70k: bracket 2
    assert d["liquidation_price"] == pytest.approx((7000 + 50 + 70000) / (0.005 + 1), abs=0.005)
    assert d["bracket_verified"] is True


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--entry", "0", "--qty", "1", "--leverage", "5"], "--entry must be greater than 0"),
        (["--entry", "100", "--qty", "-2", "--leverage", "5"], "--qty must be greater than 0"),
        (
            ["--entry", "66800", "--qty", "1.32", "--leverage", "150"],
            "--leverage: leverage 150x is above the binance maximum of 100x",
        ),
        (
            ["--entry", "5", "--qty", "1", "--leverage", "5", "--symbol", "DOGEUSDT"],
            "--symbol: no bracket table for DOGEUSDT (brackets refresh)",
        ),
        (
            [
                "--entry",
                "5",
                "--qty",
                "1",
                "--margin-mode",
                "cross",
                "--wallet-balance",
                "9",
                "--other",
                "BTC:long:1",
            ],
            "--other must be SYMBOL:SIDE:QTY:ENTRY:MARK",
        ),
        (
            [
                "--entry",
                "5",
                "--qty",
                "1",
                "--margin-mode",
                "cross",
                "--wallet-balance",
                "9",
                "--other",
                "BTCUSDT:up:1:2:3",
            ],
            "SIDE must be long or short",
        ),
        (["--entry", "5", "--qty", "1"], "--leverage or --margin"),
        (["--entry", "5", "--qty", "1", "--margin-mode", "cross"], "--wallet-balance is needed"),
        (["--entry", "abc", "--qty", "1", "--leverage", "2"], "--entry must be a number"),
    ],
)
def test_bad_input_exits_2_naming_the_argument(capsys, args: list[str], needle: str) -> None:
    code, _, err = run(capsys, "liq-price", "--venue", "binance", "--side", "long", *args)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_size_the_journey_trade(capsys) -> None:
    base = [
        "size",
        "--equity",
        "250000",
        "--risk-pct",
        "1",
        "--side",
        "long",
        "--entry",
        "66800",
        "--stop",
        "64900",
        "--ladder-max",
        "2.5",
        "--rv",
        "71",
    ]
    code, out, _ = run(capsys, *base)
    assert code == 0
    assert "ACCEPTED: long 1.3158 BTC (BTCUSDT) at 2.5x" in out
    assert "risk 2,500 USD (1% of 250,000) over a stop at 64,900.00" in out
    assert "max leverage   2.5x" in out
    code, out, _ = run(capsys, *base, "--leverage", "6")
    assert code == 3  # refused (not a usage error)
    assert "REFUSED" in out and "6x is above the ladder's 2.5x allowed now" in out
    assert "the largest size that fails no check at 2.5x is 1.3158 BTC" in out
    code, out, _ = run(capsys, *base, "--json")
    assert json.loads(out)["accepted"] is True


def test_size_reads_the_ladder_from_a_session(capsys, selloff_session: Path) -> None:
    _, out, _ = run(
        capsys,
        "size",
        "--equity",
        "100000",
        "--risk-pct",
        "1",
        "--side",
        "long",
        "--entry",
        "70000",
        "--stop",
        "68000",
        "--session",
        str(selloff_session),
        "--json",
    )
    d = json.loads(out)
    assert d["ladder_max_leverage"] is not None and 1.0 <= d["ladder_max_leverage"] <= 5.0
    assert d["rv_annual_pct"] is not None and d["leverage"] == d["ladder_max_leverage"]


def test_stress_from_a_csv(capsys, tmp_path: Path) -> None:
    csv = tmp_path / "book.csv"
    csv.write_text(
        "venue,symbol,side,qty,entry_usd,leverage,margin_mode,margin_usd,wallet_usd,mark_usd\n"
        "bybit,ETHUSDT,long,30,2600,8,isolated,,,2600\n"
        "binance,BTCUSDT,long,20,70000,10,cross,,260000,70000\n"
    )
    code, out, _ = run(capsys, "stress", "--positions", str(csv), "--shocks", "-20:0:2", "--json")
    assert code == 0
    shocks = {s["shock_pct"]: s for s in json.loads(out)["shocks"]}
    assert shocks[-12.0]["liquidated"] == ["bybit ETHUSDT long 30"]
    assert shocks[-18.0]["cross_accounts"][0]["margin_ratio_pct"] == pytest.approx(81.4, abs=0.01)
    code, out, _ = run(capsys, "stress", "--positions", str(csv), "--shocks", "-20:0:10")
    assert "binance margin ratio" in out and "-12" not in out
    code, _, err = run(capsys, "stress", "--positions", str(csv), "--shocks", "oops")
    assert code == 2 and "--shocks: shocks must be FROM:TO:STEP" in err


def test_positions_add_list_risk(capsys, tmp_path: Path) -> None:
    book = ["positions", "--book", str(tmp_path / "b.db")]
    code, out, _ = run(
        capsys,
        *book,
        "add",
        "--venue",
        "bybit",
        "--symbol",
        "ethusdt",
        "--side",
        "long",
        "--qty",
        "30",
        "--entry",
        "2600",
        "--leverage",
        "8",
        "--thesis",
        "reclaim 2,550",
    )
    assert code == 0 and "added #1 bybit ETHUSDT long 30" in out
    code, _, err = run(
        capsys,
        *book,
        "add",
        "--venue",
        "bybit",
        "--symbol",
        "ETHUSDT",
        "--side",
        "long",
        "--qty",
        "thirty",
        "--entry",
        "2600",
        "--leverage",
        "8",
    )
    assert code == 2 and "--qty: must be a number, not 'thirty'" in err
    code, out, _ = run(
        capsys,
        *book,
        "risk",
        "--mark",
        "ETHUSDT=2525",
        "--rv",
        "71",
        "--ladder-max",
        "20",
        "--verdict",
        "PROCEED",
        "--json",
    )
    (r,) = json.loads(out)
    assert r["exit_state"] == "TRIM" and round(r["distance_pct"], 1) == 9.4
    code, out, _ = run(capsys, *book, "list")
    assert "thesis: reclaim 2,550" in out


SIZE = ["size", "--equity", "250000", "--risk-pct", "1", "--side", "long", "--entry", "66800",
        "--stop", "64900", "--ladder-max", "2.5", "--rv", "71"]  # fmt: skip


def test_size_refuses_a_file_that_is_not_a_session(capsys, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a session\n")
    code, out, err = run(capsys, *SIZE, "--session", str(notes))  # every value given: still read
    assert code == 2 and out == ""
    assert f"--session: {notes}: not a session file" in err.splitlines()[0]
    assert "Traceback" not in err


def test_size_reads_the_book(capsys, tmp_path: Path) -> None:
    book = tmp_path / "b.db"
    add = ["positions", "--book", str(book), "add", "--venue", "binance", "--symbol", "BTCUSDT",
           "--side", "long", "--qty", "8", "--entry", "70000", "--leverage", "10"]  # fmt: skip
    assert run(capsys, *add)[0] == 0
    code, out, _ = run(capsys, *SIZE, "--book", str(book), "--funding-8h-pct", "0.01")
    assert code == 3  # (560,000 + 87,895) / 250,000 = 2.59x above the ladder's 2.5x
    assert "book: 1 open position, margin 56,000 USD, exposure 560,000 USD" in out
    assert "the largest size that fails no check at 2.5x is 0.9731 BTC" in out
    assert "funding to the 24h horizon: pays 26.37 USD at +0.0100% per 8h" in out
    assert "max drawdown   2,500 USD = 1% of equity (7.11% of this position's margin)" in out
    code, out, _ = run(capsys, *SIZE)  # the default book is empty here (a fresh data folder)
    assert code == 0 and "book: 0 open positions" in out
    code, _, err = run(capsys, *SIZE, "--book", str(tmp_path / "none.db"))
    assert code == 2 and "--book: " in err and "no such file" in err
