"""Liquidation prices: the venues' worked examples to the cent, brackets, and properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workstation.risk.brackets import VENUES, Bracket, BracketError, BracketTable, load_table
from workstation.risk.liquidation import (
    OtherPosition,
    binance_liquidation_price,
    bybit_liquidation_price,
    okx_liquidation_price,
)

WB = 1_535_443.01
ETH = dict(qty=3683.979, entry=1456.84, mmr=0.10, cum=135_365.0, mark=1335.18)
BTC = dict(qty=109.488, entry=32_481.98, mmr=0.025, cum=16_300.0, mark=31_967.27)


def test_binance_faq_isolated_to_the_cent() -> None:
    eth = binance_liquidation_price(
        "long", ETH["qty"], ETH["entry"], WB, mmr=ETH["mmr"], maint_amount_usd=ETH["cum"]
    )
    btc = binance_liquidation_price(
        "long", BTC["qty"], BTC["entry"], WB, mmr=BTC["mmr"], maint_amount_usd=BTC["cum"]
    )
    assert round(eth.liquidation_price, 2) == 1114.78
    assert round(btc.liquidation_price, 2) == 18778.73


def test_binance_faq_cross_to_the_cent() -> None:
    other_btc = OtherPosition(
        "BTCUSDT", "long", BTC["qty"], BTC["entry"], BTC["mark"], BTC["mmr"], BTC["cum"]
    )
    other_eth = OtherPosition(
        "ETHUSDT", "long", ETH["qty"], ETH["entry"], ETH["mark"], ETH["mmr"], ETH["cum"]
    )
    eth = binance_liquidation_price(
        "long",
        ETH["qty"],
        ETH["entry"],
        WB,
        mmr=ETH["mmr"],
        maint_amount_usd=ETH["cum"],
        others=[other_btc],
    )
    btc = binance_liquidation_price(
        "long",
        BTC["qty"],
        BTC["entry"],
        WB,
        mmr=BTC["mmr"],
        maint_amount_usd=BTC["cum"],
        others=[other_eth],
    )
    assert round(eth.liquidation_price, 2) == 1153.26
    assert round(btc.liquidation_price, 2) == 26316.89
    # the other position's maintenance margin and PnL, worked by hand
    assert other_btc.maintenance_margin == pytest.approx(109.488 * 31_967.27 * 0.025 - 16_300)
    assert other_btc.unrealized_pnl == pytest.approx(109.488 * (31_967.27 - 32_481.98))


def test_bybit_worked_example() -> None:
    r = bybit_liquidation_price("long", 1.0, 20_000.0, 50.0, mmr=0.005, deduction_usd=0.0)
    assert r.liquidation_price == pytest.approx(19_700.0)
    assert r.margin_usd == 400.0  # IM; MM = 100
    short = bybit_liquidation_price("short", 1.0, 20_000.0, 50.0, mmr=0.005, deduction_usd=0.0)
    assert short.liquidation_price == pytest.approx(20_300.0)
    extra = bybit_liquidation_price(
        "long", 1.0, 20_000.0, 50.0, mmr=0.005, deduction_usd=0.0, extra_margin_usd=100
    )
    assert extra.liquidation_price == pytest.approx(19_600.0)


def test_okx_formula_by_hand() -> None:
    r = okx_liquidation_price("long", 2.0, 50_000.0, 10_000.0, mmr=0.004, taker_fee=0.0005)
    assert r.liquidation_price == pytest.approx((50_000 - 10_000 / 2) / (1 - 0.0045))
    s = okx_liquidation_price("short", 2.0, 50_000.0, 10_000.0, mmr=0.004, taker_fee=0.0005)
    assert s.liquidation_price == pytest.approx((50_000 + 5_000) / 1.0045)


def test_negative_means_none() -> None:
    r = binance_liquidation_price("long", 1.0, 100.0, 200.0, mmr=0.004, maint_amount_usd=0.0)
    assert r.liquidation_price is None  # more margin than notional: nothing liquidates it


@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT"])
def test_shipped_tables_follow_the_cum_rule(venue: str, symbol: str) -> None:
    table = load_table(venue, symbol)
    table.check_cum_rule()
    floors = [b.floor for b in table.brackets]
    assert floors == sorted(floors) and floors[0] == 0
    assert all(a.cap == b.floor for a, b in zip(table.brackets, table.brackets[1:], strict=False))


def test_binance_brackets_match_domain_md() -> None:
    t = load_table("binance", "BTCUSDT")
    assert [(b.floor, b.mmr, b.maint_amount_usd) for b in t.brackets[:4]] == [
        (0, 0.004, 0),
        (50_000, 0.005, 50),
        (600_000, 0.0065, 950),
        (3_000_000, 0.01, 11_450),
    ]
    assert t.for_size(264_000).mmr == 0.005
    assert t.brackets[-1].maint_amount_usd == 421_481_450


def test_cum_rule_violation_is_named() -> None:
    bad = BracketTable(
        "binance", "X", (Bracket(0, 10, 0.01, 0, 100), Bracket(10, 20, 0.02, 5, 50)), "test"
    )
    with pytest.raises(BracketError, match="bracket 2"):
        bad.check_cum_rule()


def test_recompute_when_the_liquidation_notional_is_in_another_bracket() -> None:
    table = load_table("binance", "BTCUSDT")
    # 10 BTC at 70,000 = 700k (bracket 3, 0.65%); at 3x the liquidation notional is ~470k
    # (bracket 2, 0.5%): the price must come from bracket 2.
    r = binance_liquidation_price("long", 10.0, 70_000.0, 700_000 / 3, table=table)
    assert (r.mmr, r.maint_amount_usd) == (0.005, 50.0)
    expected = (700_000 / 3 + 50 - 10 * 70_000) / (10 * 0.005 - 10)
    assert r.liquidation_price == pytest.approx(expected)
    assert table.for_size(10 * r.liquidation_price).mmr == 0.005


def test_unknown_symbol_and_beyond_the_last_bracket() -> None:
    with pytest.raises(BracketError, match=r"no bracket table for DOGEUSDT \(brackets refresh\)"):
        load_table("binance", "DOGEUSDT")
    with pytest.raises(BracketError, match="beyond the last bracket"):
        load_table("binance", "BTCUSDT").for_size(5e9)


@settings(max_examples=200, deadline=None)
@given(
    entry=st.floats(100, 200_000),
    qty=st.floats(0.001, 50),
    lev=st.floats(1.1, 50),
    side=st.sampled_from(["long", "short"]),
)
def test_property_at_the_liquidation_price_margin_equals_maintenance(entry, qty, lev, side) -> None:
    table = load_table("binance", "BTCUSDT")
    margin = qty * entry / lev
    r = binance_liquidation_price(side, qty, entry, margin, table=table)
    assume(r.liquidation_price is not None)
    lp, s = r.liquidation_price, (1 if side == "long" else -1)
    equity = margin + s * qty * (lp - entry)
    maintenance = qty * lp * r.mmr - r.maint_amount_usd
    assert equity == pytest.approx(maintenance, rel=1e-9, abs=1e-6)
    if side == "long":
        assert lp < entry
    else:
        assert lp > entry


@settings(max_examples=150, deadline=None)
@given(
    entry=st.floats(1_000, 100_000),
    qty=st.floats(0.01, 5),
    lev=st.floats(1.5, 40),
    venue=st.sampled_from(["binance", "bybit", "okx"]),
)
def test_property_a_long_liquidates_closer_with_more_leverage(entry, qty, lev, venue) -> None:
    table = load_table(venue, "BTCUSDT")

    def lp(leverage: float) -> float | None:
        margin = qty * entry / leverage
        if venue == "binance":
            return binance_liquidation_price(
                "long", qty, entry, margin, table=table
            ).liquidation_price
        if venue == "bybit":
            return bybit_liquidation_price(
                "long", qty, entry, leverage, table=table
            ).liquidation_price
        return okx_liquidation_price("long", qty, entry, margin, table=table).liquidation_price

    low, high = lp(lev), lp(lev * 1.25)
    assert high is not None and high < entry
    assert low is None or low < high


@settings(max_examples=100, deadline=None)
@given(entry=st.floats(1_000, 100_000), qty=st.floats(0.01, 5), lev=st.floats(2, 80))
def test_property_bybit_margin_equals_maintenance_at_lp(entry, qty, lev) -> None:
    r = bybit_liquidation_price("long", qty, entry, lev, mmr=0.005, deduction_usd=0)
    assume(r.liquidation_price is not None)
    im, mm = qty * entry / lev, qty * entry * 0.005
    assert im + qty * (r.liquidation_price - entry) == pytest.approx(mm, rel=1e-9, abs=1e-6)
