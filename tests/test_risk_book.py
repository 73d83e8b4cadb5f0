"""The position book, live risk and the exit ladder, stress, sizing: numbers worked by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from workstation.risk.live import MarketState, position_risk, sigma_h_pct
from workstation.risk.positions import PositionBook, PositionError, read_positions_csv, validate
from workstation.risk.sizing import SizingRequest, size_position
from workstation.risk.stress import SHOCKS_PCT, parse_shocks, stress, stress_summary

ETH_8X = {
    "venue": "bybit",
    "symbol": "ETHUSDT",
    "side": "long",
    "qty": "30",
    "entry_usd": "2600",
    "leverage": "8",
}
BTC_CROSS = {
    "venue": "binance",
    "symbol": "BTCUSDT",
    "side": "long",
    "qty": 20,
    "entry_usd": 70_000,
    "leverage": 10,
    "margin_mode": "cross",
    "wallet_usd": 260_000,
}


# --- the book --------------------------------------------------------------------------------------
def test_add_edit_close_and_journal(tmp_path: Path) -> None:
    with PositionBook(tmp_path / "book.db") as book:
        p = book.add(
            validate(
                {
                    **ETH_8X,
                    "max_drawdown_pct": "25",
                    "max_leverage": "8",
                    "reduce_price_usd": "2450",
                    "thesis": "reclaim of 2,550",
                    "risk_invalidation": "funding back above 0.03% or OI +5% while price falls",
                }
            ),
            1_000,
        )
        assert p.id == 1 and p.isolated_margin_usd == pytest.approx(9_750.0)
        assert book.get(1).journal.risk_invalidation.startswith("funding back above")
        q = book.edit(1, {"qty": "20"})
        assert q.qty == 20 and q.journal.max_drawdown_pct == 25
        with pytest.raises(PositionError, match="qty: must be greater than 0"):
            book.edit(1, {"qty": "-1"})
        assert book.get(1).qty == 20  # a refused edit changes nothing
        book.close_position(1, 2700.0, 2_000)
        assert book.open_positions() == []
        assert book.all_positions()[0].close_price_usd == 2700.0


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("venue", "ftx", "venue: must be one of"),
        ("side", "up", "side: must be long or short"),
        ("qty", "abc", "qty: must be a number"),
        ("entry_usd", "0", "entry_usd: must be greater than 0"),
        ("leverage", "500", "leverage: must be at most 200x"),
        ("symbol", "btc usdt", "symbol: must be a symbol"),
        ("margin_mode", "portfolio", "margin_mode: must be isolated or cross"),
    ],
)
def test_every_field_is_validated(field: str, value: str, needle: str) -> None:
    with pytest.raises(PositionError) as info:
        validate({**ETH_8X, field: value})
    assert needle in str(info.value) and info.value.field == field


def test_csv_round_trip_and_bad_rows_reported(tmp_path: Path) -> None:
    with PositionBook(tmp_path / "a.db") as a:
        a.add(validate({**ETH_8X, "thesis": 'a, b and "c"'}), 1)
        a.add(validate(BTC_CROSS), 2)
        assert a.export_csv(tmp_path / "out.csv") == 2
    with PositionBook(tmp_path / "b.db") as b:
        added, problems = b.import_csv(tmp_path / "out.csv", 3)
        assert problems == [] and len(added) == 2
        assert b.get(1).journal.thesis == 'a, b and "c"'
        assert b.get(2).wallet_usd == 260_000
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "venue,symbol,side,qty,entry_usd,leverage\nbinance,BTCUSDT,long,1,70000,5\n"
        "binance,BTCUSDT,sideways,1,70000,5\nokx,ETHUSDT,short,2,-3,5\n"
    )
    positions, problems = read_positions_csv(bad)
    assert len(positions) == 1
    assert problems == [
        f"{bad}:3: side: must be long or short (got 'sideways')",
        f"{bad}:4: entry_usd: must be greater than 0 (got -3)",
    ]


# --- live risk and the exit ladder -----------------------------------------------------------------
def test_exit_ladder_follows_the_journey() -> None:
    eth = validate(ETH_8X)
    # Bybit: IM 9,750, MM 78,000 x 0.5% = 390 -> liquidation 2600 - 9360/30 = 2288.
    quiet = position_risk(
        eth, MarketState(2600.0, rv_annual_pct=40.0, ladder_max_leverage=10, verdict="PROCEED")
    )
    assert quiet.liquidation_price == pytest.approx(2288.0)
    assert quiet.distance_pct == pytest.approx(12.0)
    assert quiet.exit_state == "HOLD"
    # 10:12 - the mark falls to 2,525: liquidation 9.4% away; 24h vol 71% -> 2 sigma = 7.4%.
    m = MarketState(2525.0, rv_annual_pct=71.0, ladder_max_leverage=20, verdict="PROCEED")
    r = position_risk(eth, m)
    assert r.distance_pct == pytest.approx((2525 - 2288) / 2525 * 100)
    assert round(r.distance_pct, 1) == 9.4
    sig = 71 * math.sqrt(24 / 8760)
    assert r.sigma_h_pct == pytest.approx(sig) and r.distance_sigmas == pytest.approx(
        r.distance_pct / sig
    )
    assert r.buffer_2sigma_ok is True and r.adverse_10pct_ok is False
    assert r.exit_state == "TRIM"
    assert r.reasons == ("TRIM: a 10% adverse move reaches liquidation (9.4% away)",)
    assert r.pnl_usd == pytest.approx(30 * (2525 - 2600))
    hedge = position_risk(
        eth, MarketState(2525.0, 71.0, 20, "WAIT", ("liquidations", "skew", "price_structure"))
    )
    assert hedge.exit_state == "HEDGE"
    derisk = position_risk(eth, MarketState(2360.0, 71.0, 20, "WAIT"))  # 3.05% away < 1 sigma 3.7%
    assert derisk.exit_state == "DE-RISK"


def test_unknown_inputs_never_read_as_safe() -> None:
    r = position_risk(validate(ETH_8X), MarketState(2600.0))
    assert r.buffer_2sigma_ok is None and r.leverage_ok is None
    assert r.exit_state != "HOLD"


def test_journal_reduce_price_fires_on_worsening_funding() -> None:
    pos = validate({**ETH_8X, "leverage": "4", "reduce_price_usd": "2550"})  # liquidation 1,963
    ok = position_risk(pos, MarketState(2540.0, 40.0, 10, "PROCEED", ()))
    assert ok.exit_state == "HOLD"  # below the reduce price, but nothing is worsening
    r = position_risk(pos, MarketState(2540.0, 40.0, 10, "PROCEED", ("funding",)))
    assert r.exit_state == "TRIM" and "reduce price 2,550.00 with funding worsening" in r.reasons[0]


def test_sigma_h() -> None:
    assert sigma_h_pct(60.0, 8760) == 60.0
    assert sigma_h_pct(60.0, 24) == pytest.approx(60 / math.sqrt(365))


# --- stress ----------------------------------------------------------------------------------------
def test_stress_isolated_and_cross() -> None:
    eth, btc = validate(ETH_8X), validate(BTC_CROSS)
    res = {
        r.shock_pct: r
        for r in stress(
            [eth, btc], {"ETHUSDT": 2600.0, "BTCUSDT": 70_000.0}, parse_shocks("-20:0:1")
        )
    }
    assert "bybit ETHUSDT long 30" not in res[-11.0].liquidated[0:1]
    assert res[-11.0].liquidated == ()
    assert res[-12.0].liquidated == (
        "bybit ETHUSDT long 30",
    )  # 2600 x 0.88 = 2288 = its liquidation
    cross = {s: r.cross_accounts[0] for s, r in res.items()}
    # -18%: equity 260,000 - 1.4M x 0.18 = 8,000; MM = 1,148,000 x 0.65% - 950 = 6,512 -> 81.4%
    assert cross[-18.0].equity_usd == pytest.approx(8_000.0)
    assert cross[-18.0].maintenance_usd == pytest.approx(6_512.0)
    assert cross[-18.0].margin_ratio_pct == pytest.approx(81.4, abs=0.01)
    assert cross[-17.0].margin_ratio_pct < 80
    assert cross[-19.0].liquidated and "binance BTCUSDT long 20" in res[-19.0].liquidated
    assert res[0.0].equity_usd == pytest.approx(9_750 + 260_000)
    assert res[-12.0].equity_usd == pytest.approx(0 + 260_000 - 168_000)


def test_stress_summary_says_where_it_breaks_each_way() -> None:
    results = stress(
        [validate(ETH_8X), validate(BTC_CROSS)],
        {"ETHUSDT": 2600.0, "BTCUSDT": 70_000.0},
        SHOCKS_PCT,
    )
    assert [r.shock_pct for r in results] == list(range(-40, 41))  # 1% steps, as the chart
    # Down: ETH's 2288 is 12% under 2600; the cross ratio is 81.4% at -18% (worked above).
    # Up: both are long, nothing is liquidated and the cross ratio only falls.
    assert stress_summary(results) == (
        "down: at -12% bybit ETHUSDT long 30 liquidated; at -18% the binance cross margin ratio "
        "passes 80%   |   up: nothing liquidated to +40%"
    )


def test_parse_shocks() -> None:
    assert parse_shocks("-30:30:5") == [-30, -25, -20, -15, -10, -5, 0, 5, 10, 15, 20, 25, 30]
    for bad in ("-30:30", "a:b:c", "10:-10:5", "-30:30:0", "-100:0:10"):
        with pytest.raises(ValueError):
            parse_shocks(bad)


def test_cross_wallets_must_agree() -> None:
    other = validate(
        {**BTC_CROSS, "symbol": "ETHUSDT", "qty": 1, "entry_usd": 2600, "wallet_usd": 1}
    )
    with pytest.raises(PositionError, match="disagree on the wallet"):
        stress([validate(BTC_CROSS), other], {}, [0.0])


# --- sizing ----------------------------------------------------------------------------------------
JOURNEY = dict(
    equity_usd=250_000,
    risk_pct=1.0,
    side="long",
    entry_usd=66_800,
    stop_usd=64_900,
    ladder_max_leverage=2.5,
    rv_annual_pct=71.0,
)


def test_sizing_the_journey_trade() -> None:
    r = size_position(SizingRequest(**JOURNEY))
    assert r.accepted
    assert r.qty == pytest.approx(2_500 / 1_900) and round(r.qty, 2) == 1.32
    assert r.leverage == 2.5 and r.risk_usd == 2_500
    assert r.margin_usd == pytest.approx(r.qty * 66_800 / 2.5)
    # isolated Binance, bracket 2 (notional 87,895): (M + 50 - Q*EP) / (Q*0.005 - Q)
    q = r.qty
    assert r.liquidation_price == pytest.approx(
        (q * 66_800 / 2.5 + 50 - q * 66_800) / (q * 0.005 - q)
    )
    assert all(r.checks.values())
    assert r.journal.max_leverage == 2.5 and r.journal.reduce_price_usd == 65_850.0


def test_sizing_refuses_above_the_ladder_and_says_what_passes() -> None:
    r = size_position(SizingRequest(**{**JOURNEY, "leverage": 6.0}))
    assert not r.accepted
    assert r.refusals == ("6x is above the ladder's 2.5x allowed now",)
    assert r.max_passing_qty == pytest.approx(2_500 / 1_900)


def test_sizing_finds_the_highest_passing_leverage() -> None:
    r = size_position(SizingRequest(**{**JOURNEY, "leverage": 12.0, "ladder_max_leverage": 20.0}))
    assert not r.accepted and r.checks["adverse_10pct"] is False
    q = 2_500 / 1_900
    margin_at_10pct = q * 66_800 * (1 - 0.9 * (1 - 0.005)) - 50
    assert r.max_passing_leverage == pytest.approx(q * 66_800 / margin_at_10pct, rel=1e-6)
    assert r.notes == (
        f"every size fails a check at 12x; this size fails none up to {r.max_passing_leverage:.2f}x",
    )


def test_sizing_with_a_sigma_stop_and_unknown_vol() -> None:
    r = size_position(SizingRequest(**{**JOURNEY, "stop_usd": None, "stop_sigmas": 1.0}))
    assert r.stop_usd == pytest.approx(66_800 * (1 - 71 * math.sqrt(24 / 8760) / 100))
    unknown = size_position(SizingRequest(**{**JOURNEY, "rv_annual_pct": None}))
    assert unknown.checks["buffer_2sigma"] is None
    assert not unknown.accepted  # an unchecked buffer is not a passed one
    assert "realized vol is unknown" in unknown.refusals[0]
    with pytest.raises(PositionError, match="stop_usd"):
        size_position(SizingRequest(**{**JOURNEY, "stop_usd": 67_000}))


def _book_long(qty: float, entry: float, **kw: object):
    return validate(
        {"venue": "binance", "symbol": "BTCUSDT", "side": "long", "qty": qty, "entry_usd": entry}
        | kw
    )


def test_sizing_counts_the_books_exposure_against_the_ladder() -> None:
    # book: 8 BTC long at 70,000 (10x): exposure 560,000 USD, margin 56,000 USD.
    book = (_book_long(8, 70_000, leverage=10),)
    r = size_position(SizingRequest(**JOURNEY, book=book))
    # with the trade: (560,000 + 1.315789 * 66,800 = 87,894.74) / 250,000 = 2.5916x > 2.5x
    assert not r.accepted and r.checks["ladder"] is False
    assert r.account_leverage == pytest.approx(647_894.74 / 250_000, rel=1e-6)
    assert r.book.margin_usd == 56_000 and r.book.exposure_usd == 560_000
    assert r.book.free_equity_usd == 194_000
    assert "the account's exposure with this trade, 2.59x equity" in r.refusals[0]
    # the room the ladder leaves: (2.5 * 250,000 - 560,000) / 66,800 = 0.973054 BTC
    assert r.max_passing_qty == pytest.approx(65_000 / 66_800, rel=1e-6)
    assert "the largest size that fails no check at 2.5x is 0.9731 BTC" in r.notes


def test_sizing_counts_the_books_margin_against_equity() -> None:
    # equity 50,000, risk 1% = 500 over 1,900 -> 0.263158 BTC, margin 17,578.95 / 2.5 = 7,031.58;
    # the book's isolated margin 45,000 leaves 5,000 free.
    book = (_book_long(1, 60_000, margin_usd=45_000),)
    r = size_position(SizingRequest(**{**JOURNEY, "equity_usd": 50_000}, book=book))
    assert r.checks["margin"] is False and r.checks["ladder"] is True  # 1.55x of equity
    assert r.refusals == (
        "the margin 7,032 USD is more than the equity left free, 5,000 USD "
        "(50,000 less 45,000 used by the book)",
    )
    assert r.max_passing_qty == pytest.approx(5_000 * 2.5 / 66_800, rel=1e-6)  # 0.187126 BTC


def test_sizing_states_drawdown_of_equity_quantity_in_coin_and_funding() -> None:
    r = size_position(SizingRequest(**JOURNEY, funding_rate_8h=0.0001))
    assert r.coin == "BTC"
    assert r.max_drawdown_pct_of_equity == pytest.approx(1.0)  # 2,500 / 250,000
    assert r.journal.max_drawdown_pct == pytest.approx(7.11)  # 2,500 / 35,157.89, of margin
    # a long pays 87,894.74 USD * 0.0001 * (24h / 8h) = 26.37 USD over the horizon
    assert r.funding_cost_usd == pytest.approx(26.368421, rel=1e-6)
    # a short at -0.03%/8h pays too over 12h: 87,894.74 * 0.0003 * 1.5 = 39.55 USD
    short = size_position(
        SizingRequest(
            **{**JOURNEY, "side": "short", "stop_usd": 68_700, "horizon_h": 12.0},
            funding_rate_8h=-0.0003,
        )
    )
    assert short.funding_cost_usd == pytest.approx(39.552632, rel=1e-6)
    assert size_position(SizingRequest(**JOURNEY)).funding_cost_usd is None
    eth = size_position(
        SizingRequest(**{**JOURNEY, "symbol": "ETHUSDT", "entry_usd": 2_600, "stop_usd": 2_500})
    )
    assert eth.coin == "ETH"


def test_sizing_flags_a_stop_inside_one_sigma() -> None:
    # sigma over 24h at 71%: 71 * sqrt(24 / 8760) = 3.7163%; a stop at 66,000 is 1.1976% away
    near = size_position(SizingRequest(**{**JOURNEY, "stop_usd": 66_000}))
    assert near.stop_distance_sigmas == pytest.approx(1.19760 / 3.71633, rel=1e-4)  # 0.322
    assert near.accepted and len(near.warnings) == 1
    assert "inside the 24h normal move (1 sigma = 3.72%)" in near.warnings[0]
    far = size_position(SizingRequest(**{**JOURNEY, "stop_usd": 64_000}))  # 4.19% = 1.13 sigma
    assert far.stop_distance_sigmas == pytest.approx(4.19162 / 3.71633, rel=1e-4)
    assert far.warnings == ()


def test_sizing_refused_on_unknowns_suggests_no_passing_size() -> None:
    r = size_position(SizingRequest(**{**JOURNEY, "rv_annual_pct": None}))
    assert not r.accepted and r.max_passing_qty is None and r.max_passing_leverage is None
    assert r.notes == ("no check failed; refused because unknown: buffer 2sigma",)
    assert not any("passes" in n for n in r.notes)
    assert r.stop_distance_sigmas is None and r.warnings == ()
