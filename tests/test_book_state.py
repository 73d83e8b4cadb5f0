"""Positions as engine inputs: BookState follows PositionCommand events, a replay holds exactly
the positions open at each moment, and their risk is what the trader saw. Numbers by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from workstation.app.pipeline import build_pipeline
from workstation.app.run import run_session
from workstation.core.clock import ReplayClock
from workstation.core.events import MarkPrice, PositionCommand
from workstation.engine.replay import ReplayDriver
from workstation.risk.book_state import BookState, apply_to_book, commands_for_book
from workstation.risk.live import MarketState
from workstation.risk.positions import PositionBook, PositionError, position_fields, validate
from workstation.risk.stress import stress_summary
from workstation.sessions.store import SessionReader, SessionWriter

T0 = 1_769_731_200_000  # 2026-01-30 00:00 UTC
BTC = {
    "venue": "binance",
    "symbol": "BTCUSDT",
    "side": "long",
    "qty": 1.0,
    "entry_usd": 70_000.0,
    "leverage": 5.0,
    "margin_mode": "isolated",
    "margin_usd": None,
    "wallet_usd": None,
    "max_drawdown_pct": 50.0,
    "max_leverage": 5.0,
    "reduce_price_usd": 66_500.0,
    "thesis": "range → breakout ✓ 多头",
    "risk_invalidation": "OI +5% while price falls",
}
SOL = {**BTC, "symbol": "SOLUSDT", "qty": 10.0, "entry_usd": 150.0, "thesis": ""}
ETH = {**BTC, "symbol": "ETHUSDT", "qty": 2.0, "entry_usd": 2_600.0, "thesis": ""}


def cmd(seq: int, action: str, pid: int, fields: dict | None = None, price=None, ts=None):
    f = fields or {}
    ts = T0 + seq * 1_000 if ts is None else ts
    venue, symbol = f.get("venue", "binance"), f.get("symbol", "BTCUSDT")
    return PositionCommand(ts, ts, seq, venue, symbol, action, pid, tuple(f.items()), price)


def mark(ts: int, seq: int, px: float) -> MarkPrice:
    return MarkPrice(ts, ts, seq, "binance", "BTCUSDT", px, px, 0.0001, 8.0, None)


def book_of(*commands: PositionCommand) -> BookState:
    state = BookState()
    apply = state.handlers()[PositionCommand]
    for c in commands:
        apply(c)
    return state


# --- the replay -------------------------------------------------------------------------------------
# (ts_recv_ms offset, event, open positions after it as (id, qty))
TIMELINE = [
    (0, mark(T0, 1, 70_000.0), []),
    (10_000, cmd(2, "open", 1, BTC, ts=T0 + 10_000), [(1, 1.0)]),
    (60_000, mark(T0 + 60_000, 3, 66_000.0), [(1, 1.0)]),
    (70_000, cmd(4, "open", 2, {**BTC, "qty": "abc"}, ts=T0 + 70_000), [(1, 1.0)]),
    (120_000, cmd(5, "edit", 1, {"qty": 0.5}, ts=T0 + 120_000), [(1, 0.5)]),
    (180_000, mark(T0 + 180_000, 6, 66_000.0), [(1, 0.5)]),
    (240_000, cmd(7, "close", 1, price=69_000.0, ts=T0 + 240_000), []),
    (300_000, mark(T0 + 300_000, 8, 69_000.0), []),
]


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "book.session"
    with SessionWriter(path, source="live", venues=["binance"], symbols=["BTCUSDT"]) as w:
        for _, ev, _ in TIMELINE:
            w.append(ev)
    return path


def test_a_replay_holds_exactly_the_positions_open_at_each_moment(session: Path) -> None:
    pipe = build_pipeline(ReplayClock(T0))
    seen, risks = [], {}
    with SessionReader(session) as reader:
        for ev in reader.events():
            pipe.engine.process(ev)  # a malformed command must not raise here
            seen.append([(p.id, p.qty) for p in pipe.book.positions])
            mark_now = pipe.latest.values[("binance", "BTCUSDT")]["mark_price"]
            risks[ev.seq] = pipe.book.risk({}, {"BTCUSDT": mark_now})
    assert seen == [after for _, _, after in TIMELINE]
    # After the open, at 66,000: 1 BTC isolated 5x -> margin 70,000 / 5 = 14,000; PnL -4,000.
    # Notional 70,000 is in Binance's 2nd BTCUSDT bracket (50k-600k: MMR 0.5%, cum 50), so
    # LP = (14,000 + 50 - 70,000) / (1 x 0.005 - 1) = 55,950 / 0.995 = 56,231.1558 (56,231 of
    # notional: still the 2nd bracket).
    opened = risks[3].rows[0].risk
    assert opened.pnl_usd == pytest.approx(-4_000.0)
    assert opened.pnl_pct_of_margin == pytest.approx(-4_000 / 14_000 * 100)
    assert opened.liquidation_price == pytest.approx(56_231.1558, abs=1e-4)
    # After the edit to 0.5 BTC: margin 35,000 / 5 = 7,000; PnL 0.5 x -4,000 = -2,000; notional
    # 35,000 is in the 1st bracket (MMR 0.4%, cum 0): LP = (7,000 - 35,000) / (0.5 x 0.004 - 0.5)
    # = 28,000 / 0.498 = 56,224.8996 (28,112 of notional: still the 1st).
    edited = risks[6].rows[0].risk
    assert edited.position.qty == 0.5 and edited.pnl_usd == pytest.approx(-2_000.0)
    assert edited.liquidation_price == pytest.approx(56_224.8996, abs=1e-4)
    assert risks[8].rows == () and risks[8].stress == ()
    assert len(pipe.book.errors) == 1 and "qty" in pipe.book.errors[0]
    assert "'abc'" in pipe.book.errors[0]


def test_seeking_and_the_headless_run_give_the_book_of_that_moment(session: Path) -> None:
    built = []

    def factory(clock: ReplayClock):
        built.append(build_pipeline(clock))
        return built[-1].engine

    def held() -> list[tuple]:
        return [(p.id, p.qty, p.journal.thesis) for p in built[-1].book.positions]

    with SessionReader(session) as reader:
        driver = ReplayDriver(reader.events, factory, T0, T0 + 300_000)
        driver.seek(T0 + 200_000)
        assert held() == [(1, 0.5, BTC["thesis"])]
        driver.seek(T0 + 300_000)
        assert held() == []
        driver.seek(T0 + 100_000)  # backwards: a fresh engine, replayed from the start
        assert len(built) == 2 and held() == [(1, 1.0, BTC["thesis"])]
    with SessionReader(session) as reader:
        book = run_session(reader).pipeline.book
    assert book.positions == () and len(book.errors) == 1


# --- risk of the book -------------------------------------------------------------------------------
def test_a_position_without_brackets_has_an_error_row_and_the_rest_computes() -> None:
    state = book_of(cmd(1, "open", 1, BTC), cmd(2, "open", 2, SOL))
    market = {
        ("BTCUSDT", "long"): MarketState(
            1.0, rv_annual_pct=60.0, ladder_max_leverage=10, verdict="PROCEED"
        )
    }
    risk = state.risk(market, {"BTCUSDT": 66_000.0, "SOLUSDT": 140.0})
    btc, sol = risk.rows
    # The mark comes from ``marks`` (66,000), the rest of the market state from ``market``.
    assert btc.error is None and btc.mark_usd == 66_000.0
    assert btc.risk.liquidation_price == pytest.approx(56_231.1558, abs=1e-4)
    assert btc.risk.sigma_h_pct == pytest.approx(60.0 * (24 / 8760) ** 0.5)
    # distance (66,000 - 56,231.16) / 66,000 = 14.80%; effective leverage 66,000 / 10,000 = 6.6
    assert btc.risk.distance_pct == pytest.approx(14.8013, abs=1e-4)
    assert btc.risk.effective_leverage == pytest.approx(6.6)
    assert sol.risk is None and sol.mark_usd == 140.0
    assert sol.error == "liquidation unknown: no bracket table for SOLUSDT (brackets refresh)"
    # The stress leaves SOL out, and says so: BTC alone, shocked from 66,000. At -14% (56,760)
    # equity = 14,000 + 56,760 - 70,000 = 760; at -15% (56,100, under 56,231) it is liquidated.
    assert len(risk.stress_excluded) == 1 and "SOLUSDT" in risk.stress_excluded[0]
    by_shock = {r.shock_pct: r for r in risk.stress}
    assert len(by_shock) == 81 and risk.stress_error is None
    assert by_shock[0.0].equity_usd == pytest.approx(10_000.0)
    assert by_shock[-14.0].equity_usd == pytest.approx(760.0)
    assert by_shock[-15.0].liquidated == ("#1 binance BTCUSDT long 1",)
    assert by_shock[-15.0].equity_usd == 0.0
    assert by_shock[10.0].equity_usd == pytest.approx(14_000 + 72_600 - 70_000)
    assert stress_summary(risk.stress) == (
        "down: at -15% #1 binance BTCUSDT long 1 liquidated   |   up: nothing liquidated to +40%"
    )


def test_a_symbol_without_a_mark_says_so_and_gives_no_number() -> None:
    state = book_of(cmd(1, "open", 1, BTC), cmd(2, "open", 3, ETH))
    btc, eth = state.risk({}, {"BTCUSDT": 66_000.0}).rows
    # No market state for BTC: its mark alone, every other input unknown (never read as safe).
    assert btc.error is None and btc.risk.exit_state != "HOLD"
    assert "TRIM: the checklist verdict is unknown" in btc.risk.reasons
    assert (eth.position.id, eth.mark_usd, eth.risk) == (3, None, None)
    assert eth.error == "no mark for ETHUSDT"


def test_cross_positions_that_disagree_on_the_wallet_give_a_stress_error() -> None:
    a = {**BTC, "margin_mode": "cross", "wallet_usd": 100_000.0}
    b = {**ETH, "margin_mode": "cross", "wallet_usd": 50_000.0}
    risk = book_of(cmd(1, "open", 1, a), cmd(2, "open", 2, b)).risk(
        {}, {"BTCUSDT": 70_000.0, "ETHUSDT": 2_600.0}
    )
    assert risk.stress == () and "disagree on the wallet" in risk.stress_error
    assert all(r.risk is not None for r in risk.rows)  # the rows still compute


def test_risk_is_immutable() -> None:
    risk = book_of(cmd(1, "open", 1, BTC)).risk({}, {"BTCUSDT": 66_000.0})
    assert isinstance(risk.rows, tuple) and isinstance(risk.stress, tuple)
    with pytest.raises(AttributeError):
        risk.rows = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        risk.rows[0].error = "x"  # type: ignore[misc]
    hash(risk.rows[0].position)


# --- commands the state refuses -------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad,needle",
    [
        (cmd(2, "open", 2, {**BTC, "qty": "abc"}), "qty: must be a number, not 'abc'"),
        (cmd(2, "open", 1, BTC), "#1 is already open"),
        (cmd(2, "edit", 1, {"leverage": "500"}), "leverage: must be at most 200x"),
        (cmd(2, "edit", 9, {"qty": 2.0}), "no open position #9"),
        (cmd(2, "close", 1), "price_usd: is required"),
        (cmd(2, "close", 1, price=-5.0), "price_usd: must be greater than 0"),
        (cmd(2, "reopen", 1), "action: must be open, edit or close"),
    ],
)
def test_a_bad_command_is_ignored_with_an_error(bad: PositionCommand, needle: str) -> None:
    state = book_of(cmd(1, "open", 1, BTC))
    before = state.positions
    state.handlers()[PositionCommand](bad)  # never raises
    assert state.positions == before
    assert len(state.errors) == 1 and needle in state.errors[0]
    assert state.errors[0].startswith(f"seq 2: {bad.action} #{bad.position_id}: ")


def test_positions_are_ordered_by_id_and_edits_keep_the_open_time() -> None:
    state = book_of(
        cmd(1, "open", 5, BTC), cmd(2, "open", 2, ETH), cmd(3, "edit", 5, {"thesis": "ü"})
    )
    assert [p.id for p in state.positions] == [2, 5]
    assert state.positions[1].opened_ms == T0 + 1_000 and state.positions[1].journal.thesis == "ü"
    assert state.positions[1].qty == 1.0  # an edit changes only what it names


# --- the book file ---------------------------------------------------------------------------------
def test_commands_for_book_load_its_open_positions(tmp_path: Path) -> None:
    with PositionBook(tmp_path / "b.db") as book:
        book.add(validate(BTC), 1_000)
        book.add(validate(ETH), 2_000)
        book.add(validate(SOL), 3_000)
        book.close_position(2, 2_700.0, 4_000)
        cmds = commands_for_book(book, T0, first_seq=10)
        expected = book.open_positions()
    assert [(c.action, c.position_id, c.seq, c.ts_recv_ms) for c in cmds] == [
        ("open", 1, 10, T0),
        ("open", 3, 11, T0),
    ]
    assert [c.ts_event_ms for c in cmds] == [1_000, 3_000]  # when the book opened them
    assert dict(cmds[0].fields) == position_fields(expected[0])
    assert (cmds[1].venue, cmds[1].symbol, cmds[1].price_usd) == ("binance", "SOLUSDT", None)
    assert list(book_of(*cmds).positions) == expected  # the same positions, ids and times


def test_apply_to_book_keeps_the_engine_and_the_book_in_step(tmp_path: Path) -> None:
    script = [
        cmd(1, "open", 4, BTC),
        cmd(2, "open", 7, ETH),
        cmd(3, "edit", 4, {"qty": 0.5}),
        cmd(4, "close", 7, price=2_700.0),
    ]
    state = book_of(*script)
    with PositionBook(tmp_path / "b.db") as book:
        assert book.next_id() == 1
        for c in script:
            apply_to_book(book, c)
        assert book.open_positions() == list(state.positions)
        assert [p.id for p in book.all_positions()] == [4, 7]  # the commands' ids, kept
        closed = book.get(7)
        assert (closed.close_price_usd, closed.closed_ms) == (2_700.0, T0 + 4_000)
        assert book.next_id() == 8
        with pytest.raises(PositionError, match="#4 already exists"):
            apply_to_book(book, cmd(5, "open", 4, BTC))
        with pytest.raises(PositionError, match="action: must be open, edit or close"):
            apply_to_book(book, cmd(5, "reopen", 4))
