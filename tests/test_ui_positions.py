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


class FixedClock:
    """The wall clock, stood still at ``now_ms``."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = lambda: now_ms


WALL_MS = 1_795_000_000_000  # 2026-11-18 UTC: "now", months after the demo session's February


@pytest.fixture
def panel(qtbot, tmp_path: Path) -> PositionsPanel:
    p = _wired(PositionsPanel(_book(tmp_path, LONG_10X), FixedClock(WALL_MS)))
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


def test_a_position_past_its_liquidation_reads_liquidated(panel: PositionsPanel) -> None:
    # 1 BTC long at 60,000, 10x: equity at 53,000 is 6,000 - 7,000 = -1,000 USD, below the
    # maintenance 53,000 x 0.5% - 50 = 215: LIQUIDATED in both liquidation columns, never a
    # distance; DE-RISK.
    _engine(panel, Market("BTCUSDT", 53000.0, 60.0, 5.0, "PROCEED", (), 0))
    m = panel.model
    assert _text(m, 0, "Liq price") == "LIQUIDATED" and _text(m, 0, "To liq") == "LIQUIDATED"
    assert _text(m, 0, "Exit") == "DE-RISK"


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
    assert dialog.error.text() == "Quantity (coin) must be a number, not '1,5x'"
    assert "c0392b" in dialog.widgets["qty"].styleSheet()
    assert panel.book.open_positions() == []
    qtbot.keyClicks(dialog.widgets["thesis"], "dip")  # typing elsewhere: the error stays
    assert dialog.error.text().startswith("Quantity (coin)")
    qtbot.keyClick(dialog.widgets["qty"], Qt.Key.Key_Backspace)  # the trader fixes the field
    assert dialog.error.text() == "" and dialog.widgets["qty"].styleSheet() == ""
    dialog.widgets["thesis"].clear()
    dialog.widgets["qty"].setText("1.5")
    dialog.widgets["leverage"].setText("-3")
    dialog.accept()
    assert dialog.error.text() == "Leverage (x) must be greater than 0 (got -3)"
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
    # closed now (the wall clock), not at the market's moment (ts 0 here)
    assert closed.closed_ms == WALL_MS and closed.close_price_usd == 57000
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
    assert "ACCEPTED" in text and "1.3158 BTC (BTCUSDT) at 2.5x" in text
    assert "2-sigma buffer: <span style='color:#1e8449'><b>pass" in text
    assert "max leverage 2.5x" in text
    assert dialog.save.isEnabled()
    dialog.set_inputs(leverage="6")
    assert not dialog.result.accepted and not dialog.save.isEnabled()
    text = dialog.outcome.text()
    assert "REFUSED" in text and "6x is above the ladder's 2.5x allowed now" in text
    assert "the largest size that fails no check at 2.5x is 1.3158 BTC" in text
    dialog.set_inputs(leverage="", stop_usd="67000")
    assert dialog.result is None and "Stop (USD)</b>" in dialog.outcome.text()
    assert "stop_usd" not in dialog.outcome.text()  # the label, never the internal name
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
    # the money axis in k/M, never 1.8e+04 nor a bare 18000
    left = panel.stress_plot.getAxis("left")
    assert left.tickStrings([18000.0, 1_500_000.0, -250_000.0], 1.0, 1000.0) == [
        "18.0k",
        "1.50M",
        "-250.0k",
    ]
    assert (
        left.labelText == "USD" and panel.stress_plot.getAxis("bottom").labelText == "price shock %"
    )
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
    cautions = c.snapshot.verdicts["long"].cautions
    assert "price_structure" in cautions  # the lower lows of the cascade
    assert "price structure" in c.window.verdicts["long"].text()  # in words, not its id
    assert "price_structure" not in c.window.verdicts["long"].text()
    assert _text(m, 0, "Exit") in ("HEDGE", "DE-RISK")
    # a profitable short (entry 70,000) in the sell-off reads the short side's verdict: the
    # long side's WAIT never makes it HEDGE
    assert c.snapshot.verdicts["short"].verdict != "WAIT"
    short = c.snapshot.positions.rows[1].risk
    assert short.pnl_usd == pytest.approx(70000 - fresh["mark_price"]) and short.pnl_usd > 0
    assert _text(m, 1, "Exit") in ("HOLD", "TRIM") and _text(m, 1, "Exit") == short.exit_state
    assert not any("WAIT" in why for why in short.reasons), short.reasons
    c.close()


def test_every_form_field_shows_its_whole_hint(qtbot) -> None:
    """No placeholder is cut: each line edit is at least as wide as its hint's text."""
    from workstation.ui.sizing_dialog import SizingDialog

    dialog = PositionDialog(None, {})
    sizing = SizingDialog(None, "BTCUSDT", 2.5, 61.0, 66800.0)
    qtbot.addWidget(dialog)
    qtbot.addWidget(sizing)
    dialog.show()
    sizing.show()
    edits = [w for w in dialog.widgets.values() if hasattr(w, "placeholderText")]
    edits += list(sizing.inputs.values())
    for w in edits:
        hint = w.placeholderText()
        assert w.width() >= w.fontMetrics().horizontalAdvance(hint) + 12, w.objectName()


def test_sizing_names_fields_by_label_and_says_why_a_refused_trade_cannot_be_saved(qtbot) -> None:
    from workstation.ui.sizing_dialog import SizingDialog

    dialog = SizingDialog(None, "BTCUSDT", 2.5, 61.0, 66800.0)
    qtbot.addWidget(dialog)
    assert "Equity (USD)</b> is required" in dialog.outcome.text()
    assert "equity_usd" not in dialog.outcome.text()
    assert not dialog.save.isEnabled() and "Fill in" in dialog.save_why.text()
    # 50x against a 2.5x ladder: refused, and the button says why it is off
    dialog.set_inputs(equity_usd=250000, risk_pct=1, stop_usd=64900, leverage=50)
    assert dialog.result is not None and not dialog.result.accepted
    assert not dialog.save.isEnabled()
    assert dialog.save_why.text() == "A refused trade is not saved: change it until ACCEPTED."
    assert dialog.save.toolTip() == dialog.save_why.text()
    dialog.set_inputs(leverage="")
    assert dialog.result.accepted and dialog.save.isEnabled() and dialog.save_why.text() == ""


def test_a_position_added_while_a_replay_plays_is_opened_now(qtbot, tmp_path: Path) -> None:
    """The book is the trader's real book: a position added while the February 2026 demo plays
    is dated by the wall clock, not by the replay's moment (the engine still gets it at the
    replay's moment, which is its own business)."""
    from workstation.ui.replay_window import ReplayController

    book = PositionBook(tmp_path / "book.db")
    c = ReplayController(str(DEMO), book)
    qtbot.addWidget(c.window)
    panel = c.window.positions
    panel.clock = FixedClock(WALL_MS)
    c.seek(1770012000000)  # 2026-02-02 06:00 UTC
    c.sync()
    dialog = panel.add_position()
    dialog.widgets["qty"].setText("0.5")
    dialog.widgets["leverage"].setText("3")
    dialog.accept()
    c.sync()
    (pos,) = book.open_positions()
    assert pos.opened_ms == WALL_MS
    assert panel.model.rowCount() == 1 and panel.model.position(0).id == pos.id
    # `workstation positions add` in a terminal while the window is open: the window's own
    # timer finds it within a second or so, and the engine computes its risk
    cli = PositionBook(book.path)
    cli.add(validate(dict(LONG_10X, side="short", qty=2)), WALL_MS)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=20_000)
    c.sync()
    assert [r.position.side for r in c.snapshot.positions.rows] == ["long", "short"]
    cli.close()
    c.close()


def test_the_panel_picks_up_changes_the_command_line_made_to_the_book(
    qtbot, panel: PositionsPanel
) -> None:
    """Another process (the command line) adds, edits and closes positions in the same book
    file: the watch sends the engine each change and the table shows it, with no click."""
    sent: list[PositionCommand] = []
    engine = panel.send
    panel.send = lambda cmd: (sent.append(cmd), engine(cmd))
    _engine(panel, Market("BTCUSDT", 57000.0, 60.0, 5.0, "PROCEED", (), 0))
    assert panel.check_book() == 0 and sent == []  # nothing changed elsewhere yet
    cli = PositionBook(panel.book.path)  # a second connection, as `workstation positions` opens
    cli.add(validate(dict(LONG_10X, side="short", qty=2, entry_usd=58000, leverage=4)), 5)
    cli.edit(1, {"qty": 3})
    assert panel.check_book() == 2
    assert [(c.action, c.position_id) for c in sent] == [("edit", 1), ("open", 2)]
    assert dict(sent[0].fields)["qty"] == 3
    m = panel.model
    assert m.rowCount() == 2 and _text(m, 0, "Qty") == "3" and _text(m, 1, "Side") == "short"
    # PnL by hand: long 3 x (57,000 - 60,000) = -9,000; short 2 x (58,000 - 57,000) = +2,000
    assert _text(m, 0, "PnL (USD)") == "-9,000.00" and _text(m, 1, "PnL (USD)") == "+2,000.00"
    sent.clear()
    cli.close_position(2, 56500, 9)
    assert panel.check_book() == 1
    assert [(c.action, c.position_id, c.price_usd) for c in sent] == [("close", 2, 56500)]
    assert m.rowCount() == 1
    # the panel's own change is not read back as one made elsewhere
    panel.close_at_mark(0)
    sent.clear()
    assert panel.check_book() == 0 and sent == []
    cli.close()


def test_double_click_edits_in_place_where_a_cell_can_and_opens_the_form_elsewhere(
    qtbot, panel: PositionsPanel
) -> None:
    _engine(panel, Market("BTCUSDT", 57000.0, 60.0, 5.0, "PROCEED", (), 0))
    m = panel.model
    qty = m.index(0, m.HEADERS.index("Qty"))
    exit_cell = m.index(0, m.HEADERS.index("Exit"))
    panel.view.doubleClicked.emit(qty)
    assert [d for d in panel.findChildren(PositionDialog) if d.isVisible()] == []
    panel.view.doubleClicked.emit(exit_cell)
    (form,) = [d for d in panel.findChildren(PositionDialog) if d.isVisible()]
    assert form.widgets["leverage"].text() == "10"
    form.reject()


def test_the_stress_pane_says_why_it_is_empty_from_the_start(qtbot, tmp_path: Path) -> None:
    """Before any risk arrives (a new window): an empty book says so; a book with positions
    says the engine's risk is on its way; neither draws pyqtgraph's 0-to-1 axes."""
    empty = PositionsPanel(_book(tmp_path))
    qtbot.addWidget(empty)
    assert empty.stress_text.text() == "No open positions."
    (tmp_path / "b").mkdir()
    held = PositionsPanel(_book(tmp_path / "b", LONG_10X))
    qtbot.addWidget(held)
    assert held.stress_text.text() == "Stress: waiting for the engine's risk of the book."
    assert not held.stress_plot.getAxis("left").style["showValues"]
    empty.book.close()
    held.book.close()


def test_sizing_takes_the_chosen_sides_ladder_and_the_books_margin(qtbot, tmp_path: Path) -> None:
    """The ladder differs by side (the long side pays elevated funding: cut to 1.8x, the short
    keeps 2.5x); an open 1 BTC long at 60,000, 10x, uses 6,000 USD of margin and 60,000 of
    exposure. Equity 100,000, risk 1%, entry 66,800, stop 64,900 (1,900 away):
    qty = 1,000 / 1,900 = 0.5263 BTC; at 1.8x the margin is 0.5263 x 66,800 / 1.8 = 19,532."""
    from workstation.ui.sizing_dialog import SizingDialog

    book = (validate(dict(LONG_10X)),)
    dialog = SizingDialog(
        None, "BTCUSDT", 1.8, 60.0, 66800.0, ladders={"long": 1.8, "short": 2.5}, book=book,
        funding_rate_8h=0.0003,
    )  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.set_inputs(equity_usd=100000, risk_pct=1, stop_usd=64900)
    r = dialog.result
    assert r is not None and r.leverage == 1.8 and r.qty == pytest.approx(1000 / 1900)
    assert r.margin_usd == pytest.approx(1000 / 1900 * 66800 / 1.8)
    assert r.book.margin_usd == pytest.approx(6000) and r.book.exposure_usd == pytest.approx(60000)
    text = dialog.outcome.text()
    assert "The book: 1 open, margin 6,000 USD used, exposure 60,000 USD" in text
    # funding 0.03%/8h on 35,158 USD for 24 h: 3 x 0.0003 x 35,158 = 31.64 USD paid by a long
    assert "Funding to the horizon: pays 31.64 USD at +0.0300% per 8h" in text
    dialog.set_inputs(side="short", stop_usd=68700)  # the short side's ladder: 2.5x
    assert dialog.result.leverage == 2.5


def test_a_position_left_out_of_the_stress_is_not_also_said_to_be_shocked(
    qtbot, tmp_path: Path
) -> None:
    """SOLUSDT has no bracket table and no mark: the stress leaves it out, and says only that."""
    book = _book(tmp_path, LONG_10X, dict(LONG_10X, symbol="SOLUSDT", qty=100, entry_usd=150))
    panel = _wired(PositionsPanel(book))
    qtbot.addWidget(panel)
    _engine(panel, Market("BTCUSDT", 60000.0, 60.0, 5.0, "PROCEED", (), 0))
    text = panel.stress_text.text()
    assert "left out: #2 binance SOLUSDT long 100" in text and "no bracket table" in text
    assert "shocked from entry" not in text
    book.close()
