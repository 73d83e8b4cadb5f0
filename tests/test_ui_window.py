"""The main window's frame: File > Quit (Ctrl+Q), the application's name for the desktop, the
alert banner in a row of its own (never clipped, never narrowing the ladder), and the light theme
reaching the toolbar, menu bar, hint line and stress chart."""

from __future__ import annotations

import pytest
from conftest import DEMO
from PySide6.QtGui import QKeySequence


@pytest.fixture
def replay(qtbot, tmp_path):
    from workstation.risk.positions import PositionBook
    from workstation.ui.replay_window import ReplayController

    c = ReplayController(str(DEMO), PositionBook(tmp_path / "book.db"))
    qtbot.addWidget(c.window)
    c.window.resize(1400, 900)
    c.window.show()
    qtbot.waitExposed(c.window)
    yield c
    c.close()


def test_file_quit_with_ctrl_q_closes_the_window(replay) -> None:
    window = replay.window
    (file_menu,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&File"]
    assert window.quit_action in file_menu.actions()
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    window.quit_action.trigger()
    assert not window.isVisible()


def test_the_application_is_named_workstation(qtbot) -> None:
    from workstation.ui.qapp import application

    app = application()
    assert app.applicationName() == "workstation" and app.desktopFileName() == "workstation"


def test_a_long_alert_banner_is_neither_clipped_nor_narrowing_the_ladder(replay, qtbot) -> None:
    window = replay.window
    ladder_width = window.ladder.width()
    charts_top = window.charts.geometry().top()
    text = "CRITICAL skew_panic: 25d skew 15.2 vol pts above 15 for 10 minutes " * 6
    window.banner.show_alert("critical", text)
    qtbot.wait(50)
    banner = window.banner
    assert banner.isVisible()
    assert banner.sizeHint().height() <= banner.height()
    assert banner.text.sizeHint().height() <= banner.text.height()
    assert banner.text.text() == text == banner.text.toolTip()  # elided on screen, whole here
    assert window.ladder.width() == ladder_width  # the ladder keeps its line
    assert window.charts.geometry().top() == charts_top  # and the charts do not move


def test_the_light_theme_reaches_toolbar_menu_hint_and_stress(replay, qtbot) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QToolBar

    window = replay.window
    (toolbar,) = window.findChildren(QToolBar)
    shown = (toolbar, window.menuBar(), window.readout, window.positions.stress_box)
    role, text = QPalette.ColorRole.Window, QPalette.ColorRole.WindowText
    stress = window.positions.stress_plot
    replay.apply_display(dark=True, local_time=False)
    qtbot.wait(20)
    assert all(w.palette().color(role).lightness() < 80 for w in shown)
    assert stress.backgroundBrush().color().lightness() < 20
    replay.apply_display(dark=False, local_time=False)
    qtbot.wait(20)
    for widget in shown:
        assert widget.palette().color(role).lightness() > 200, widget
    assert window.readout.palette().color(text).lightness() < 60  # the hint line reads
    assert stress.backgroundBrush().color().lightness() > 240


def test_both_ladders_in_one_row_shared_reasons_said_once() -> None:
    """The ladder row: equal sides say their level once; a side's own cut (the funding it
    pays) is named as that side's."""
    from workstation.app.snapshot import LadderView
    from workstation.ui.window import ladder_text

    vol = "halved: 24h realized vol 82.9% > 60%"
    same = {"long": LadderView(2.5, (vol,)), "short": LadderView(2.5, (vol,))}
    assert ladder_text(same) == f"Max leverage now 2.5x, long and short  —  {vol}"
    funding = "x0.75: funding 0.0400%/8h >= 0.03% (longs pay)"
    apart = {"long": LadderView(1.8, (vol, funding)), "short": LadderView(2.5, (vol,))}
    assert ladder_text(apart) == (
        f"Max leverage now: long 1.8x, short 2.5x  —  {vol}; long only: {funding}"
    )
