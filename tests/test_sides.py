"""Side-aware advice: the checklist's verdict per side of a new trade, the ladder per side, and
the exit ladder of a position reading its own side's. Numbers worked by hand in each test."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from workstation.cli import main
from workstation.core.events import PositionCommand
from workstation.core.records import ChecklistRecord, LadderRecord
from workstation.risk.book_state import BookState
from workstation.risk.live import MarketState, position_risk
from workstation.risk.positions import validate
from workstation.rules.config import CHECKLIST_ITEMS, LadderConfig, RulesError, load_rules
from workstation.rules.ladder import ladder
from workstation.rules.runner import RulesRunner

SHORT = dict(venue="binance", symbol="BTCUSDT", side="short", qty=1, entry_usd=70000, leverage=2)
LONG = {**SHORT, "side": "long"}


def test_the_rules_file_says_whose_caution_each_rule_is() -> None:
    cfg = load_rules(include_user_dir=False)
    by_side = {
        side: {r.id for r in cfg.rules if r.checklist and r.side in (side, "both")}
        for side in ("long", "short")
    }
    assert {"liquidation_cluster", "skew_fear", "funding_elevated", "lower_lows"} <= by_side["long"]
    assert {"skew_fomo", "funding_negative", "short_liquidation_cluster", "oi_up_price_up"} <= (
        by_side["short"]
    )
    assert not by_side["long"] & by_side["short"]
    for side in ("long", "short"):  # every item has a caution of each side (else: unknown)
        items = {r.checklist for r in cfg.rules if r.id in by_side[side]}
        assert items == set(CHECKLIST_ITEMS), side


def test_a_rules_side_is_checked_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nid = "mine"\nchecklist = "skew"\nside = "sideways"\n'
        'metric = "skew_25d_30d_volpts"\nop = ">"\nenter = 9.0\n'
    )
    with pytest.raises(RulesError) as exc:
        load_rules([path], include_user_dir=False)
    assert str(exc.value).startswith(f"{path}:4: side: rule 'mine', must be one of long")


# A sell-off an hour in: skew 20 (put skew), long liquidations 80x, OI +3% in 4h while price -5%,
# lower lows, funding +0.01%/8h (not negative), 200k USD of shorts liquidated in the hour.
SELLOFF = {
    "skew_25d_30d_volpts": 20.0,
    "liq_intensity_x": 80.0,
    "liq_long_usd_1h": 20_000_000.0,
    "liq_short_usd_1h": 200_000.0,
    "oi_change_4h_pct": 3.0,
    "price_change_4h_pct": -5.0,
    "price_change_24h_pct": -8.0,
    "price_structure_score": -1.0,
    "funding_rate_8h_pct": 0.01,
    "rv_24h_pct": 99.5,
    "mark_price": 62_000.0,
}


def test_the_runner_gives_each_side_its_own_verdict_and_ladder() -> None:
    records: list = []
    runner = RulesRunner(records.append, load_rules(include_user_dir=False))
    for minute in range(20):  # long enough for every min_duration (lower_lows: 10 min)
        runner.evaluate(minute * 60_000, {("all", "BTCUSDT"): SELLOFF})
    long_v, short_v = (runner.verdicts[("BTCUSDT", s)] for s in ("long", "short"))
    # long: liquidations, oi, skew, price_structure (4 cautions; funding +0.01 < 0.02) -> WAIT
    assert long_v.verdict == "WAIT"
    assert set(long_v.cautions) == {"liquidations", "oi", "skew", "price_structure"}
    # skew 20 > 15 for 20 minutes: the critical skew_panic (a long-side rule) reaches the
    # engine's verdict, not only the function's
    assert "critical: skew_panic" in long_v.details
    # short: funding positive, 200k < 1M of shorts liquidated, skew not < -6, OI rising into a
    # fall (not a rally), lower lows (not higher highs): no caution -> PROCEED
    assert (short_v.verdict, short_v.cautions, short_v.unknown) == ("PROCEED", (), ())
    last = {(type(r), r.side): r for r in records if isinstance(r, ChecklistRecord | LadderRecord)}
    assert last[(ChecklistRecord, "long")].verdict == "WAIT"
    assert last[(ChecklistRecord, "short")].to_json()["side"] == "short"
    # the ladder at 99.5% vol and 80x: 5 x 0.5^4 = 0.31, floored at 1x, for both sides
    assert last[(LadderRecord, "long")].max_leverage == last[(LadderRecord, "short")].max_leverage
    assert last[(LadderRecord, "short")].max_leverage == 1.0


def markets(long_verdict: str, short_verdict: str, ladder_max: float = 2.5) -> dict:
    """(symbol, side) -> state: 80% vol (sigma_24h = 0.8 x 0.0523 = 4.19%)."""
    cautions = {"WAIT": ("liquidations", "oi", "skew"), "PROCEED": ()}
    return {
        ("BTCUSDT", side): MarketState(62_000.0, 80.0, ladder_max, verdict, cautions[verdict])
        for side, verdict in (("long", long_verdict), ("short", short_verdict))
    }


def test_a_profitable_short_in_a_selloff_is_not_hedged_for_the_long_sides_wait() -> None:
    book = BookState()
    for i, fields in enumerate((SHORT, LONG), 1):
        book.handlers()[PositionCommand](
            PositionCommand(0, 0, i, "binance", "BTCUSDT", "open", i, tuple(fields.items()), None)
        )
    risk = book.risk(markets("WAIT", "PROCEED"), {"BTCUSDT": 62_000.0})
    short, long_ = (row.risk for row in risk.rows)
    # The short: isolated margin 35,000; Binance 50k-600k bracket (0.5%, cum 50): liquidation
    # (35,000 + 50 + 70,000) / (1 x 1.005) = 104,527.36, 68.6% above the mark; PnL +8,000;
    # leverage 62,000 / 43,000 = 1.44x (1.4x) within 2.5x; 2 sigma = 8.4%: every check passes.
    assert short.liquidation_price == pytest.approx(105_050 / 1.005)
    assert short.pnl_usd == pytest.approx(8_000.0)
    assert short.exit_state == "HOLD", short.reasons
    # The long beside it reads the long side's WAIT: HEDGE.
    assert long_.exit_state == "HEDGE"
    assert "HEDGE: checklist says WAIT (liquidations, oi, skew)" in long_.reasons


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_verdict_on_the_command_line_is_per_side(capsys, tmp_path: Path) -> None:
    book = ["positions", "--book", str(tmp_path / "b.db")]
    add = ["add", "--venue", "binance", "--symbol", "BTCUSDT", "--qty", "1", "--entry", "70000"]
    add += ["--leverage", "2"]
    assert run(capsys, *book, *add, "--side", "short")[0] == 0
    assert run(capsys, *book, *add, "--side", "long")[0] == 0
    risk = [*book, "risk", "--mark", "BTCUSDT=62000", "--rv", "80", "--ladder-max", "2.5"]
    # a bare WAIT is the long side's: the short's verdict is unknown (TRIM), never HEDGE
    code, out, _ = run(capsys, *risk, "--verdict", "WAIT", "--json")
    short, long_ = json.loads(out)
    assert code == 0 and long_["exit_state"] == "HEDGE"
    assert short["exit_state"] == "TRIM"
    assert short["reasons"] == ["TRIM: the checklist verdict is unknown"]
    code, out, _ = run(
        capsys, *risk, "--verdict", "long=WAIT", "--verdict", "short=PROCEED",
        "--cautions", "liquidations,skew", "--cautions", "short=funding",
    )  # fmt: skip
    lines = out.splitlines()
    assert code == 0 and lines[0].endswith("1.4x  HOLD") and lines[2].endswith("HEDGE")
    assert "HEDGE: checklist says WAIT (liquidations, skew)" in out
    for bad in ("sideways=WAIT", "short=MAYBE"):
        code, _, err = run(capsys, *risk, "--verdict", bad)
        assert code == 2 and "--verdict must be [SIDE=]VERDICT" in err and bad in err
    code, _, err = run(capsys, *risk, "--verdict", "WAIT", "--verdict", "long=PROCEED")
    assert code == 2 and "--verdict: the long side is given twice" in err


def test_a_short_at_its_ladders_cap_passes_its_own_2_sigma_check() -> None:
    # 187.2% vol, MMR 0.4% (the Binance bracket of a 31,000 USD notional): 2 sigma_24h =
    # 2 x 1.872 x 0.0523424 = 19.597%. The short's cap is 4.9x (test_rules works it out).
    cfg = LadderConfig(
        base_leverage=20.0, rv_threshold_pct=500.0, rv_extreme_pct=600.0, maint_margin_rate=0.004
    )
    metrics = {"rv_24h_pct": 187.2, "liq_intensity_x": 1.0, "funding_rate_8h_pct": 0.01}
    cap = ladder(cfg, metrics, "short").max_leverage
    assert cap == 4.9
    two_sigma = 2 * 187.2 * math.sqrt(24 / 8760)
    for lev, ok in ((cap, True), (5.0, False)):  # 5.0x: the long's cap, given to both before
        pos = validate({**SHORT, "qty": 0.5, "entry_usd": 62_000, "leverage": lev})
        r = position_risk(pos, MarketState(62_000.0, 187.2, cap, "PROCEED"))
        # liquidation (31,000 / L + 31,000) / (0.5 x 1.004): 4.9x 74,355.64 (19.93% away);
        # 5.0x 74,103.59 (19.52% away)
        liq = (31_000 / lev + 31_000) / 0.502
        assert r.liquidation_price == pytest.approx(liq)
        assert r.distance_pct == pytest.approx((liq / 62_000 - 1) * 100)
        assert (r.distance_pct > two_sigma) is ok and r.buffer_2sigma_ok is ok


@pytest.mark.parametrize(
    "leverage,trim",
    [(2.54, None), (2.6, "TRIM: leverage 2.6x is above the ladder's 2.5x")],
)
def test_leverage_is_compared_with_one_rounding_rule(leverage: float, trim: str | None) -> None:
    # A long at 2.54x (margin 60,000 / 2.54 = 23,622.05) shows as 2.5x: not "2.5x above 2.5x".
    pos = validate({**LONG, "entry_usd": 60_000, "leverage": leverage})
    r = position_risk(pos, MarketState(60_000.0, 40.0, 2.5, "PROCEED"))
    assert r.effective_leverage == pytest.approx(leverage)
    leverage_reasons = [w for w in r.reasons if "leverage" in w]
    assert leverage_reasons == ([trim] if trim else [])
    assert r.leverage_ok is (trim is None)
