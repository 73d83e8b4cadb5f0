"""The positions dock: live risk per position, in-place edits, the validated dialog, the sizing
calculator and the stress chart. Expected figures are worked out by hand in each test."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import DEMO
from PySide6.QtCore import Qt

from workstation.core.events import PositionCommand
from workstation.risk.positions import PositionBook, validate
from workstation.ui.position_dialog import PositionDialog
from workstation.ui.positions_model import EXIT_COLOURS, PositionsModel
from workstation.ui.positions_panel import Market, PositionsPanel

DISPLAY = Qt.ItemDataRole.DisplayRole


def _book(tmp_path: Path, *rows: dict) -> PositionBook:
    book = PositionBook(tmp_path / "book.db")
    for r in rows:
        book.add(validate(r), 0)
    return book


LONG_10X = dict(venue="binance", symbol="BTCUSDT", side="long", qty=1, entry_usd=60000, leverage=10)


def _engine(panel: PositionsPanel, market: Market) -> None:
    """What the engine does for the panel: the book file's open positions loaded by their
    commands into a BookState, and its risk at ``market`` (the panel computes none itself)."""
    from workstation.risk.book_state import BookState, commands_for_book
    from workstation.risk.live import MarketState

    panel.set_market(market)
    state = BookState()
    apply = state.handlers()[PositionCommand]
    for cmd in commands_for_book(panel.book, 0, 0):
        apply(cmd)
    marks = {} if market.mark_usd is None else {market.symbol: market.mark_usd}
    states = {
        (s, side): MarketState(m, market.rv_annual_pct, market.ladder_max_leverage,
                               market.verdict, market.cautions)
        for s, m in marks.items()
        for side in ("long", "short")
    }  # fmt: skip
    panel.set_book_risk(state.risk(states, marks) if state.positions else None)


def _wired(panel: PositionsPanel) -> PositionsPanel:
    """A change the panel sends goes to the (stand-in) engine, which answers with new risk."""
    panel.send = lambda _cmd: _engine(panel, panel.market)
    return panel


def _text(model: PositionsModel, row: int, header: str) -> str:
    return model.data(model.index(row, model.HEADERS.index(header)), DISPLAY)


@pytest.fixture
def panel(qtbot, tmp_path: Path) -> PositionsPanel:
    p = _wired(PositionsPanel(_book(tmp_path, LONG_10X)))
    qtbot.addWidget(p)
    yield p
    p.book.close()


def test_model_passes_qtmodeltester(qtmodeltester, panel: PositionsPanel) -> None:
    _engine(panel, Market("BTCUSDT", 57000.0, 60.0, 5.0, "PROCEED", (), 0))
    qtmodeltester.check(panel.model, force_py=True)


def test_live_risk_of_a_10x_long_by_hand(panel: PositionsPanel) -> None:
    # Binance isolated long, 1 BTC at 60,000, 10x: wallet 6,000; the liquidation notional sits in
    # the 50k-600k bracket (mmr 0.5%, cum = 50,000 x (0.5% - 0.4%) = 50):
    # LP = (6000 + 50 - 60000) / (0.005 - 1) = 54,221.11.
    _engine(panel, Market("BTCUSDT", 57000.0, 60.0, 5.0, "PROCEED", (), 0))
    m = panel.model
    lp = (6000 + 50 - 60000) / (0.005 - 1)
    distance = (57000 - lp) / 57000 * 100  # 4.80%
    sigma = 60 * math.sqrt(24 / 8760)  # 3.14% a day
    assert _text(m, 0, "Mark") == "57,000.00"
    assert _text(m, 0, "PnL (USD)") == "-3,000.00"
    assert _text(m, 0, "PnL % margin") == "-50.0%"
    assert _text(m, 0, "Liq price") == f"{lp:,.2f}" == "54,221.11"
    assert _text(m, 0, "To liq") == f"{distance:.1f}%"
    assert _text(m, 0, "σ to liq") == f"{distance / sigma:.1f}σ"
    # 4.8% < 2σ (6.3%) and < 10%: both fail; 57,000 / (6,000 - 3,000) = 19x against the 5x ladder
    assert _text(m, 0, "2σ buffer") == "FAIL" and _text(m, 0, "10% move") == "FAIL"
    assert _text(m, 0, "Lev / ladder") == "19x / 5x"  # both leverage figures (0.1x, floored)
    # a failed 2-sigma buffer is the second threshold: HEDGE, coloured as such, reasons in the tip
    exit_index = m.index(0, m.HEADERS.index("Exit"))
    assert m.data(exit_index, DISPLAY) == "HEDGE"
    assert m.data(exit_index, Qt.ItemDataRole.BackgroundRole) == EXIT_COLOURS["HEDGE"]
    assert "2-sigma" in m.data(exit_index, Qt.ItemDataRole.ToolTipRole)
    # the mark recovers to 64,000: 6.7% in profit... every check passes, HOLD
    _engine(panel, Market("BTCUSDT", 64000.0, 60.0, 15.0, "PROCEED", (), 0))
    assert _text(m, 0, "PnL (USD)") == "+4,000.00"
    assert _text(m, 0, "Exit") == "HOLD"
    assert _text(m, 0, "2σ buffer") == "pass"


def test_unknown_inputs_never_read_as_safe(panel: PositionsPanel) -> None:
    _engine(panel, Market("BTCUSDT", 64000.0, None, None, None, (), 0))
    m = panel.model
    assert _text(m, 0, "2σ buffer") == "unknown"
    assert _text(m, 0, "Exit") == "TRIM"  # unknown ladder and verdict move the ladder
    _engine(panel, Market("ETHUSDT", 3000.0, 60.0, 5.0, "PROCEED", (), 0))
    assert _text(m, 0, "Exit") == "NO MARK" and _text(m, 0, "PnL (USD)") == "—"


def test_in_place_edit_is_validated_by_the_book(qtbot, panel: PositionsPanel) -> None:
    _engine(panel, Market("BTCUSDT", 57000.0, 60.0, 5.0, "PROCEED", (), 0))
    m = panel.model
    lev = m.index(0, m.HEADERS.index("Lev"))
    with qtbot.waitSignal(m.error) as refused:
        assert not m.setData(lev, "500")
    assert "leverage: must be at most 200x" in refused.args[0]
    assert not m.setData(m.index(0, m.HEADERS.index("Qty")), "one")
    assert panel.book.get(1).leverage == 10  # nothing written
    assert m.setData(lev, "5")
    assert panel.book.get(1).leverage == 5
    # at 5x the wallet is 12,000 and the liquidation notional falls under 50k, in the first
    # bracket (mmr 0.4%, cum 0): LP = (12000 - 60000) / (0.004 - 1) = 48,192.77, recomputed
    assert _text(m, 0, "Liq price") == f"{(12000 - 60000) / (0.004 - 1):,.2f}" == "48,192.77"
    assert not m.flags(m.index(0, m.HEADERS.index("Mark"))) & Qt.ItemFlag.ItemIsEditable


def test_position_dialog_refuses_bad_input_and_names_the_field(qtbot, tmp_path: Path) -> None:
    panel = _wired(PositionsPanel(_book(tmp_path)))
    qtbot.addWidget(panel)
    _engine(panel, Market("BTCUSDT", 66800.0, 60.0, 2.5, "PROCEED", (), 0))
    dialog = panel.add_position()
    assert dialog.widgets["entry_usd"].text() == "66800"  # the mark, pre-filled
    dialog.widgets["qty"].setText("1,5x")
    dialog.accept()
    assert dialog.isVisible() and dialog.result() == 0
    assert "Quantity (coin) (qty) must be a number" in dialog.error.text()
    assert "c0392b" in dialog.widgets["qty"].styleSheet()
    assert panel.book.open_positions() == []
    dialog.widgets["qty"].setText("1.5")
    dialog.widgets["leverage"].setText("-3")
    dialog.accept()
    assert "leverage" in dialog.error.text() and "greater than 0" in dialog.error.text()
    assert dialog.widgets["qty"].styleSheet() == ""  # the fixed field is no longer marked
    dialog.widgets["leverage"].setText("2.5")
    dialog.widgets["thesis"].setText("dip buy")
    dialog.accept()
    assert not dialog.isVisible()
    (pos,) = panel.book.open_positions()
    assert (pos.qty, pos.entry_usd, pos.leverage, pos.journal.thesis) == (
        1.5,
        66800,
        2.5,
        "dip buy",
    )
    assert panel.model.rowCount() == 1 and _text(panel.model, 0, "PnL (USD)") == "+0.00"
    panel.book.close()


def test_edit_and_close_at_mark(qtbot, panel: PositionsPanel) -> None:
    _engine(panel, Market("BTCUSDT", 57000.0, 60.0, 5.0, "PROCEED", (), 0))
    dialog = panel.edit_position(0)
    assert dialog.widgets["leverage"].text() == "10"
    dialog.widgets["reduce_price_usd"].setText("58000")
    dialog.accept()
    assert panel.book.get(1).journal.reduce_price_usd == 58000
    assert panel.edit_position(-1) is None and "select a position" in panel.message.text()
    panel.close_at_mark(0)
    closed = panel.book.get(1)
    assert closed.closed_ms == 0 and closed.close_price_usd == 57000
    assert panel.model.rowCount() == 0
    assert panel.stress_text.text() == "No open positions."
    assert not panel.stress_plot.getAxis("left").style["showValues"]  # no 0-to-1 defaults


def test_sizing_dialog_follows_the_journey(qtbot, tmp_path: Path) -> None:
    """JOURNEYS 10:40: equity 250k, risk 1%, entry 66,800, stop 64,900, ladder 2.5x."""
    panel = _wired(PositionsPanel(_book(tmp_path)))
    qtbot.addWidget(panel)
    _engine(panel, Market("BTCUSDT", 66800.0, 60.0, 2.5, "REDUCE_SIZE", ("oi",), 0))
    dialog = panel.open_sizing()
    dialog.set_inputs(equity_usd="250,000", risk_pct="1", stop_usd="64900")
    r = dialog.result
    assert r is not None and r.accepted
    assert r.qty == pytest.approx(2500 / 1900)  # 1.3158 BTC
    assert r.leverage == 2.5
    text = dialog.outcome.text()
    assert "ACCEPTED" in text and "1.3158 BTCUSDT at 2.5x" in text
    assert "2-sigma buffer: <span style='color:#1e8449'><b>pass" in text
    assert "max leverage 2.5x" in text
    assert dialog.save.isEnabled()
    dialog.set_inputs(leverage="6")
    assert not dialog.result.accepted and not dialog.save.isEnabled()
    text = dialog.outcome.text()
    assert "REFUSED" in text and "6x is above the ladder's 2.5x allowed now" in text
    assert "the largest size that passes at 2.5x" in text
    dialog.set_inputs(leverage="", stop_usd="67000")
    assert dialog.result is None and "stop_usd" in dialog.outcome.text()
    assert "c0392b" in dialog.inputs["stop_usd"].styleSheet()
    dialog.set_inputs(stop_usd="64900")
    dialog.save.click()
    (form,) = [d for d in panel.findChildren(PositionDialog) if d.isVisible()]
    assert form.widgets["qty"].text() == f"{round(2500 / 1900, 6):g}"
    assert form.widgets["max_leverage"].text() == "2.5"
    form.widgets["risk_invalidation"].setText(
        "funding back above 0.03% or OI +5% while price falls"
    )
    form.accept()
    (pos,) = panel.book.open_positions()
    assert pos.leverage == 2.5 and pos.journal.reduce_price_usd == (66800 + 64900) / 2
    panel.book.close()


def test_stress_chart_marks_where_each_position_is_liquidated(qtbot, tmp_path: Path) -> None:
    book = _book(tmp_path, LONG_10X, dict(LONG_10X, side="short", leverage=5))
    panel = _wired(PositionsPanel(book))
    qtbot.addWidget(panel)
    _engine(panel, Market("BTCUSDT", 60000.0, 60.0, 5.0, "PROCEED", (), 0))
    # the long liquidates at 54,221.11: -9.63% from the mark, so at the -10% step;
    # the short (5x, wallet 12,000): LP = (12000 + 50 + 60000) / (0.005 + 1) = 71,691.54, +19.5%,
    # so at the +20% step
    lp_short = (12000 + 50 + 60000) / 1.005
    assert math.floor((54221.11 / 60000 - 1) * 100) == -10
    assert math.ceil((lp_short / 60000 - 1) * 100) == 20
    text = panel.stress_text.text()
    assert "down: at -10% #1 binance BTCUSDT long 1 liquidated" in text
    assert "up: at +20% #2 binance BTCUSDT short 1 liquidated" in text
    x, _ = panel.stress_liq.getData()
    assert list(x) == [-10.0, 20.0]
    assert panel.stress_plot.getAxis("left").style["showValues"]
    cx, cy = panel.stress_curve.getData()
    at = {float(a): float(b) for a, b in zip(cx, cy, strict=True)}
    # at -5%: long 6,000 - 3,000, short 12,000 + 3,000 = 18,000; at -10% the long is gone: 18,000
    assert at[-5.0] == pytest.approx(18000) and at[-10.0] == pytest.approx(12000 + 6000)
    assert at[0.0] == pytest.approx(18000)
    book.close()


def test_the_window_feeds_positions_from_the_replay(qtbot, tmp_path: Path) -> None:
    from workstation.ui.replay_window import ReplayController

    book = _book(
        tmp_path,
        dict(LONG_10X, entry_usd=70000, leverage=8, qty=1.5),
        dict(LONG_10X, side="short", entry_usd=70000, leverage=2, qty=1),
    )
    c = ReplayController(str(DEMO), book)
    qtbot.addWidget(c.window)
    c.seek(1770012000000)  # 2026-02-02 06:00 UTC, in the cascade
    c.sync()
    fresh = c.snapshot.fresh
    m = c.window.positions.model
    assert _text(m, 0, "Mark") == f"{fresh['mark_price']:,.2f}"
    assert _text(m, 0, "PnL (USD)") == f"{1.5 * (fresh['mark_price'] - 70000):+,.2f}"
    # the long side's checklist says WAIT then: a long is at least HEDGE, whatever the price
    assert c.window.verdicts["long"].text().startswith("LONG  WAIT")
    assert _text(m, 0, "Exit") in ("HEDGE", "DE-RISK")
    # a profitable short (entry 70,000) in the sell-off reads the short side's verdict: the
    # long side's WAIT never makes it HEDGE
    assert c.snapshot.verdicts["short"].verdict != "WAIT"
    short = c.snapshot.positions.rows[1].risk
    assert short.pnl_usd == pytest.approx(70000 - fresh["mark_price"]) and short.pnl_usd > 0
    assert _text(m, 1, "Exit") in ("HOLD", "TRIM") and _text(m, 1, "Exit") == short.exit_state
    assert not any("WAIT" in why for why in short.reasons), short.reasons
    c.close()
