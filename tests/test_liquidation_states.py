"""Liquidation states, the bracket search, OKX tiers by contracts, one margin model per venue and
mode, and no tracebacks (issue 13, items 2-6). Every expected figure is worked out by hand in the
comments from ../shared/DOMAIN.md §3, or by an independent formula written in the test."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workstation.cli import main
from workstation.risk.brackets import BracketError, load_table
from workstation.risk.liquidation import STATES, binance_liquidation_price, okx_liquidation_price
from workstation.risk.live import MarketState, position_risk
from workstation.risk.margin import liquidation, requirement_usd
from workstation.risk.positions import Position, PositionBook, validate
from workstation.risk.stress import stress

OKX_FEE = 0.0005


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


LIQ = ["liq-price", "--venue", "binance"]


# --- item 2: states ----------------------------------------------------------------------------
def test_long_at_500x_with_mmr_half_a_percent_is_already_liquidated(capsys) -> None:
    # 1 BTC at 66,800, 500x: margin 133.60 USD; maintenance at the entry 66,800 x 0.5% = 334.
    # 133.60 <= 334: already liquidated (the old formula gave 66,934.20, "below" the entry).
    args = [*LIQ, "--side", "long", "--entry", "66800", "--qty", "1", "--leverage", "500"]
    code, out, _ = run(capsys, *args, "--mmr", "0.005", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["state"] == "liquidated" and doc["liquidation_price"] is None
    assert doc["equity_usd"] == pytest.approx(133.6) and doc["maintenance_usd"] == pytest.approx(
        334
    )
    code, out, _ = run(capsys, *args, "--mmr", "0.005")
    assert code == 0 and out.startswith("already liquidated / insolvent")
    assert "below the entry" not in out and "above the entry" not in out


def test_binance_cross_long_with_a_100_usd_wallet_is_insolvent(capsys) -> None:
    # 1 BTC at 66,800 = 66,800 notional, bracket 2 (0.5%, cum 50): maintenance 334 - 50 = 284 USD;
    # the wallet is 100 < 284 (the old formula printed 66,884.40, above the entry of a long).
    code, out, _ = run(
        capsys, *LIQ, "--side", "long", "--entry", "66800", "--qty", "1",
        "--margin-mode", "cross", "--wallet-balance", "100", "--json",
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 0 and doc["state"] == "liquidated"
    assert doc["maintenance_usd"] == pytest.approx(284.0)


def test_cross_short_with_negative_equity_is_liquidated_not_safe(capsys) -> None:
    # Short 0.1 BTC at 66,800 with a 1,000 USD wallet and an ETH long of 10 at 3,000 marked 2,500:
    # UPNL1 = 10 x (2,500 - 3,000) = -5,000, so the account equity is 1,000 - 5,000 = -4,000 USD
    # before any maintenance: already insolvent (never "no price liquidates this short").
    base = [*LIQ, "--side", "short", "--entry", "66800", "--qty", "0.1", "--margin-mode", "cross"]
    cross = [*base, "--wallet-balance", "1000", "--other", "ETHUSDT:long:10:3000:2500"]
    code, out, _ = run(capsys, *cross)
    assert code == 0 and "already liquidated / insolvent" in out
    assert "no price liquidates" not in out
    doc = json.loads(run(capsys, *cross, "--json")[1])
    # ETH 25,000 notional, bracket 1 (0.4%, 0): TMM1 = 100; equity = 1,000 - 100 - 5,000 = -4,100
    assert doc["state"] == "liquidated" and doc["equity_usd"] == pytest.approx(-4_100.0)


def test_above_or_below_the_entry_follows_the_sign(capsys) -> None:
    # Bybit's worked example: 1 BTC long at 20,000, 50x, MMR 0.5% -> 19,700 (1.50% below);
    # the short mirror -> 20,300 (1.50% above).
    common = ["--entry", "20000", "--qty", "1", "--leverage", "50", "--mmr", "0.005"]
    code, out, _ = run(capsys, "liq-price", "--venue", "bybit", "--side", "long", *common)
    assert code == 0 and "19,700.00 USD (1.50% below the entry)" in out
    code, out, _ = run(capsys, "liq-price", "--venue", "bybit", "--side", "short", *common)
    assert code == 0 and "20,300.00 USD (1.50% above the entry)" in out
    doc = json.loads(run(capsys, "liq-price", "--venue", "bybit", "--side", "short", *common,
                         "--json")[1])  # fmt: skip
    assert doc["state"] == "price" and doc["distance_pct"] == pytest.approx(1.5)


def test_no_price_liquidates_a_fully_margined_long() -> None:
    # 1 coin at 100 with 200 of margin: E(P) = 200 - 100 + P = 100 + P > 0.4% P for every P > 0.
    r = binance_liquidation_price("long", 1.0, 100.0, 200.0, mmr=0.004, maint_amount_usd=0.0)
    assert r.state == "none" and r.liquidation_price is None


def test_position_risk_of_a_liquidated_position_is_de_risk_at_zero_distance() -> None:
    # 1 BTC long at 60,000, 10x isolated (6,000 margin) marked at 53,000: equity 6,000 - 7,000 =
    # -1,000 USD, below the maintenance 53,000 x 0.5% - 50 = 215: liquidated, 0% away.
    pos = Position("binance", "BTCUSDT", "long", 1.0, 60_000.0, 10.0)
    r = position_risk(pos, MarketState(53_000.0, 60.0, 5.0, "PROCEED"))
    assert r.liquidation_state == "liquidated" and r.liquidation_price is None
    assert r.distance_pct == 0.0 and r.exit_state == "DE-RISK"
    assert any("already liquidated / insolvent" in why for why in r.reasons)
    assert math.isinf(r.effective_leverage)  # no equity left: unbounded, not 53,000 / 1e-9


# --- item 3: every bracket is tried --------------------------------------------------------------
def test_binance_a_huge_long_at_low_leverage_finds_its_bracket_below() -> None:
    # 20,000 BTC long at 60,000 = 1.2B (bracket 12: 50%, cum 421,481,450), 1.1x: WB = 1.2B/1.1 =
    # 1,090,909,090.91. Bracket 12: (WB + 421,481,450 - 1.2B) / (20,000 x (0.5 - 1)) = -31,239 <= 0
    # (the old search stopped there: "none"). Bracket 7 (5%, cum 2,981,450):
    # (1,090,909,090.91 + 2,981,450 - 1.2B) / (20,000 x (0.05 - 1)) = -106,109,459.09 / -19,000
    # = 5,584.7084; its notional 111.69M lies in bracket 7 (100M-230M): that is the answer.
    table = load_table("binance", "BTCUSDT")
    r = binance_liquidation_price("long", 20_000.0, 60_000.0, 1.2e9 / 1.1, table=table)
    assert r.state == "price"
    assert r.liquidation_price == pytest.approx(106_109_459.0909 / 19_000, rel=1e-9)
    assert (r.mmr, r.maint_amount_usd) == (0.05, 2_981_450)


def test_bybit_cross_a_huge_long_at_low_leverage_finds_its_tier_below() -> None:
    # Bybit cross (approximated), 300 BTC long at 50,000 = 15M (tier 8: 4%, deduction 280,000),
    # wallet 14.8M. Tier 8: (14.8M - 15M + 280,000) / (300 x (0.04 - 1)) < 0. Tier 1 (0.5%, 0):
    # -200,000 / (300 x (0.005 - 1)) = 670.0168; its notional 201,005 lies in tier 1 (0-2M).
    pos = Position("bybit", "BTCUSDT", "long", 300.0, 50_000.0, 1.0, "cross", wallet_usd=14.8e6)
    r = liquidation(pos)
    assert r.state == "price"
    assert r.liquidation_price == pytest.approx(200_000 / 298.5, rel=1e-9)
    assert r.approximation.startswith("approximated:")


# --- item 4: no tracebacks -----------------------------------------------------------------------
def test_short_whose_liquidation_notional_is_beyond_the_last_bracket_is_one_line(capsys) -> None:
    # 20,000 BTC short at 80,000 = 1.6B at 1x. For any bracket, the root notional is
    # (3.2B + cum) / (1 + MMR) >= 3.2B / 1.5 = 2.13B, beyond the last cap of 1.8B.
    code, out, err = run(
        capsys, *LIQ, "--side", "short", "--entry", "80000", "--qty", "20000", "--leverage", "1"
    )
    assert code == 2 and out == ""
    assert "beyond the last bracket (1,800,000,000 USD)" in err
    assert "Traceback" not in err and err.startswith("workstation liq-price: error: --qty: ")
    assert "beyond the last bracket" in err.splitlines()[0]  # one line, then the --help pointer


def test_size_beyond_the_last_bracket_is_refused_not_a_traceback(capsys) -> None:
    # 5% of 5e9 = 250M USD over a 100 USD stop: 2.5M BTC = 167B USD notional, beyond 1.8B.
    code, out, err = run(
        capsys, "size", "--equity", "5e9", "--risk-pct", "5", "--side", "long", "--entry", "66800",
        "--stop", "66700",
    )  # fmt: skip
    assert code == 3 and out.startswith("REFUSED") and "Traceback" not in err
    assert "beyond the last bracket" in out


def _book_with_sol(tmp_path: Path) -> list[str]:
    book = PositionBook(tmp_path / "b.db")
    for row in (
        dict(venue="binance", symbol="BTCUSDT", side="long", qty=1, entry_usd=60000, leverage=10),
        dict(venue="binance", symbol="BTCUSDT", side="short", qty=1, entry_usd=70000, leverage=5),
        dict(venue="binance", symbol="SOLUSDT", side="long", qty=100, entry_usd=150, leverage=5),
    ):
        book.add(validate(row), 0)
    book.close()
    return ["positions", "--book", str(tmp_path / "b.db"), "risk"]


def test_positions_risk_with_a_symbol_without_brackets(capsys, tmp_path: Path) -> None:
    risk = [*_book_with_sol(tmp_path), "--mark", "BTCUSDT=62000", "--mark", "SOLUSDT=140"]
    code, out, err = run(capsys, *risk)
    assert code == 0 and "Traceback" not in err
    assert "liquidation unknown: no bracket table for SOLUSDT (brackets refresh)" in out
    # at 53,000 the long (6,000 margin, 1 BTC from 60,000) has equity -1,000: LIQUIDATED
    code, out, err = run(capsys, *risk[:-4], "--mark", "BTCUSDT=53000", "--mark", "SOLUSDT=140")
    assert code == 0 and "Traceback" not in err
    long_line = next(line for line in out.splitlines() if "BTCUSDT long" in line)
    assert "liq   LIQUIDATED" in long_line and "0.0%" in long_line and "DE-RISK" in long_line
    assert "already liquidated / insolvent" in out
    doc = json.loads(run(capsys, *risk, "--json")[1])
    long_, short, sol = doc
    # long: 6,000 margin, bracket 2 (0.5%, cum 50; ~54k notional):
    # LP = (6,000 + 50 - 60,000) / (0.005 - 1) = 53,950 / 0.995 = 54,221.11
    assert long_["liquidation_state"] == "price"
    assert long_["liquidation_price"] == pytest.approx(53_950 / 0.995)
    # short: 14,000 margin, bracket 2: LP = (14,000 + 50 + 70,000) / 1.005 = 83,631.84
    assert short["liquidation_state"] == "price"
    assert short["liquidation_price"] == pytest.approx(84_050 / 1.005)
    assert sol["liquidation_state"] == "unknown" and "SOLUSDT" in sol["error"]


def test_stress_leaves_out_a_symbol_without_brackets(capsys, tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text(
        "venue,symbol,side,qty,entry_usd,leverage,mark_usd\n"
        "binance,BTCUSDT,long,1,60000,10,60000\n"
        "binance,SOLUSDT,long,100,150,5,150\n"
    )
    code, out, err = run(capsys, "stress", "--positions", str(csv), "--shocks", "-10:0:5")
    assert code == 0 and "Traceback" not in err
    assert "left out: binance SOLUSDT long 100: liquidation unknown: no bracket table" in out
    # BTC alone: at -10% (54,000) equity 6,000 - 6,000 = 0 <= maintenance: liquidated
    assert "binance BTCUSDT long 1" in out.splitlines()[1]


# --- item 5: OKX tiers by contracts --------------------------------------------------------------
def test_okx_tier_is_picked_by_contracts_not_by_usd() -> None:
    # 9.9 BTC = 990 contracts of 0.01 BTC: tier 1 (0-1,000 contracts, MMR 0.4%) at any price;
    # the old USD table put its 594,000 USD notional in tier 2 (0.6%). 10x at 60,000: M = 59,400,
    # M/Q = 6,000; LP = (60,000 - 6,000) / (1 - (0.004 + 0.0005)) = 54,000 / 0.9955 = 54,244.10.
    table = load_table("okx", "BTCUSDT")
    r = okx_liquidation_price("long", 9.9, 60_000.0, 59_400.0, table=table)
    assert r.mmr == 0.004 and r.maint_amount_usd == 0.0
    assert r.liquidation_price == pytest.approx(54_000 / 0.9955)
    # the stress's requirement: 9.9 x 50,000 x 0.45% = 2,227.50 USD, no deduction
    pos = Position("okx", "BTCUSDT", "long", 9.9, 60_000.0, 10.0)
    assert requirement_usd(pos, 50_000.0) == pytest.approx(2_227.5)


def test_shipped_okx_tables_are_in_contracts_without_deductions() -> None:
    for symbol, ct_val in (("BTCUSDT", 0.01), ("ETHUSDT", 0.1)):
        t = load_table("okx", symbol)
        assert t.size_unit == "contracts" and t.contract_value_coin == ct_val
        assert all(b.maint_amount_usd == 0 for b in t.brackets)


# --- item 6: one model per venue and mode, the same in position risk and stress -----------------
@pytest.mark.parametrize(
    "venue,rate",
    [("bybit", 0.005), ("okx", 0.004 + OKX_FEE)],  # tier 1: Bybit 0.5%; OKX 0.4% + fee
)
def test_cross_position_risk_and_stress_agree(venue: str, rate: float) -> None:
    # 1 BTC cross long at 60,000, wallet 10,000 (leverage 10 is not its margin: the wallet is).
    # LP = (10,000 - 60,000) / (rate - 1): bybit 50,251.26 (16.25% away), okx 50,226.02.
    # Computed isolated it would be 60,000 - (6,000 - 300) = 54,300: 9.5% away (the old reading).
    pos = Position(venue, "BTCUSDT", "long", 1.0, 60_000.0, 10.0, "cross", wallet_usd=10_000.0)
    r = position_risk(pos, MarketState(60_000.0, 60.0, 5.0, "PROCEED"))
    lp = 50_000 / (1 - rate)
    assert r.liquidation_price == pytest.approx(lp)
    assert r.liquidation_approximation.startswith("approximated:")
    # Stress at -16% (50,400): equity 10,000 - 9,600 = 400 > 50,400 x rate (252 or 226.8): alive.
    # At -17% (49,800): equity -200: liquidated. The liquidation price lies between the two.
    by = {s.shock_pct: s for s in stress([pos], {"BTCUSDT": 60_000.0}, [-16.0, -17.0])}
    assert by[-16.0].cross_accounts[0].equity_usd == pytest.approx(400.0)
    assert by[-16.0].cross_accounts[0].maintenance_usd == pytest.approx(50_400 * rate)
    assert not by[-16.0].liquidated and by[-17.0].liquidated
    assert 49_800 < lp < 50_400


def test_isolated_stress_uses_the_position_risk_model() -> None:
    # Bybit isolated, 1 BTC long at 20,000, 50x: IM 400, MM fixed at the entry 100 -> LP 19,700.
    # Stress at -1.4% (19,720): equity 400 - 280 = 120 > 100: alive; at -1.6% (19,680): 80: dead.
    pos = Position("bybit", "BTCUSDT", "long", 1.0, 20_000.0, 50.0)
    assert liquidation(pos).liquidation_price == pytest.approx(19_700.0)
    by = {s.shock_pct: s for s in stress([pos], {"BTCUSDT": 20_000.0}, [-1.4, -1.6])}
    assert not by[-1.4].liquidated and by[-1.6].liquidated
    assert by[-1.4].equity_usd == pytest.approx(120.0)


# --- properties ----------------------------------------------------------------------------------
CT_VAL = {"BTCUSDT": 0.01, "ETHUSDT": 0.1}  # OKX contract values, coin


def _independent_requirement(
    venue: str, mode: str, symbol: str, qty: float, entry: float, price: float
) -> float:
    """DOMAIN.md §3 written out again: the maintenance requirement the equity is held against."""
    table = load_table(venue, symbol)
    if venue == "okx":  # tier by contracts, no deduction, plus the taker fee
        return qty * price * (table.for_size(qty / CT_VAL[symbol]).mmr + OKX_FEE)
    at = entry if (venue, mode) == ("bybit", "isolated") else price  # Bybit: MM at the entry
    b = table.for_size(qty * at)
    return qty * at * b.mmr - b.maint_amount_usd


@settings(max_examples=400, deadline=None)
@given(
    venue=st.sampled_from(["binance", "bybit", "okx"]),
    mode=st.sampled_from(["isolated", "cross"]),
    side=st.sampled_from(["long", "short"]),
    entry=st.floats(1_000, 150_000),
    qty=st.floats(0.001, 20),
    lev=st.floats(1.0, 100),
    move=st.floats(-0.6, 0.6),
    eth_mark=st.floats(500, 6_000),
)
def test_property_states_and_equity_equals_maintenance(
    venue, mode, side, entry, qty, lev, move, eth_mark
) -> None:
    """At the reported price the equity equals the maintenance requirement (isolated and cross,
    every venue); a position whose equity is already below it is never reported as ``price``."""
    s = 1 if side == "long" else -1
    mark = entry * (1 + move)
    margin = qty * entry / lev
    if mode == "cross":
        # the account also holds a cross ETH long of 5 from 3,000, marked at eth_mark
        other = Position(venue, "ETHUSDT", "long", 5.0, 3_000.0, 5.0, "cross", wallet_usd=margin,
                         id=2)  # fmt: skip
        pos = Position(venue, "BTCUSDT", side, qty, entry, lev, "cross", wallet_usd=margin, id=1)
        other_req = _independent_requirement(venue, "cross", "ETHUSDT", 5.0, 3_000.0, eth_mark)
        collateral = margin + 5.0 * (eth_mark - 3_000.0) - other_req
        account = [pos, other]
    else:
        pos = Position(venue, "BTCUSDT", side, qty, entry, lev)
        collateral, account = margin, []
    try:
        res = liquidation(pos, {"BTCUSDT": mark, "ETHUSDT": eth_mark}, account)
    except BracketError:  # a short whose liquidation notional is past the last bracket
        assume(False)

    def equity(p: float) -> float:
        return collateral + s * qty * (p - entry)

    def req(p: float) -> float:
        return _independent_requirement(venue, mode, "BTCUSDT", qty, entry, p)

    tol = 1e-7 * qty * entry + 1e-6
    assert res.state in STATES
    if equity(mark) < req(mark) - tol:
        assert res.state == "liquidated"
    if res.state == "price":
        lp = res.liquidation_price
        assert s * (mark - lp) > 0  # on the losing side of the mark
        assert equity(lp) == pytest.approx(req(lp), abs=tol)
    elif res.state == "none":
        assert s > 0 and equity(1e-9) > req(1e-9) - tol  # only a long, out of reach as P -> 0
    else:
        assert equity(mark) <= req(mark) + tol


def test_liq_price_bybit_cross_is_computed_and_says_approximated(capsys) -> None:
    # 1 BTC long at 60,000, wallet 10,000, tier 1 (0.5%, 0): LP = -50,000 / (0.005 - 1) = 50,251.26
    args = ["liq-price", "--venue", "bybit", "--side", "long", "--entry", "60000", "--qty", "1",
            "--margin-mode", "cross", "--wallet-balance", "10000"]  # fmt: skip
    code, out, _ = run(capsys, *args)
    assert code == 0 and "50,251.26 USD (16.25% below the entry)" in out
    assert "approximated: Bybit's cross (unified) margin as USDT collateral only" in out
    doc = json.loads(run(capsys, *args, "--json")[1])
    assert doc["state"] == "price" and doc["approximation"].startswith("approximated:")


def test_stress_says_where_a_cross_account_is_approximated(capsys, tmp_path: Path) -> None:
    # okx cross long 1 BTC at 60,000, wallet 10,000: at -10% (54,000) equity 10,000 - 6,000 =
    # 4,000, requirement 54,000 x (0.4% + 0.05%) = 243: margin ratio 243 / 4,000 = 6.1%.
    csv = tmp_path / "p.csv"
    csv.write_text(
        "venue,symbol,side,qty,entry_usd,leverage,margin_mode,wallet_usd,mark_usd\n"
        "okx,BTCUSDT,long,1,60000,10,cross,10000,60000\n"
    )
    code, out, _ = run(capsys, "stress", "--positions", str(csv), "--shocks", "-10:0:10")
    assert code == 0 and "okx cross: approximated: OKX's cross margin" in out
    assert "6.1%" in out.splitlines()[1]


def test_cross_short_in_an_insolvent_account_reads_liquidated_not_infinitely_far() -> None:
    # Binance cross: a short of 0.1 BTC from 70,000 marked 62,000 (+800) and an ETH long of 10
    # from 3,000 marked 2,400 (-6,000), wallet 1,000: equity 1,000 + 800 - 6,000 = -4,200 USD.
    # Before, the short read "no price liquidates it" (an infinite distance); now LIQUIDATED.
    short = Position("binance", "BTCUSDT", "short", 0.1, 70_000.0, 5.0, "cross",
                     wallet_usd=1_000.0, id=1)  # fmt: skip
    eth = Position("binance", "ETHUSDT", "long", 10.0, 3_000.0, 5.0, "cross",
                   wallet_usd=1_000.0, id=2)  # fmt: skip
    marks = {"BTCUSDT": 62_000.0, "ETHUSDT": 2_400.0}
    r = position_risk(short, MarketState(62_000.0, 60.0, 5.0, "PROCEED"), marks, [short, eth])
    assert r.liquidation_state == "liquidated" and r.distance_pct == 0.0
    assert r.exit_state == "DE-RISK"
    # ETH: 24,000 notional, bracket 1 (0.4%): TMM1 = 96; equity -4,200 - 96 = -4,296 (the
    # short's own maintenance, 6,200 x 0.4% = 24.80, is the requirement it is held against)
    res = liquidation(short, marks, [short, eth])
    assert res.equity_usd == pytest.approx(-4_296.0) and res.maintenance_usd == pytest.approx(24.8)
