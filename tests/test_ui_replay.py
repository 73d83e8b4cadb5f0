"""The interactive replay window: play, pause, speed, seek, next alert, and no timer left behind."""

from __future__ import annotations

import pytest
from conftest import DEMO

pytest.importorskip("PySide6")


@pytest.fixture
def controller(qtbot):
    from workstation.ui.replay_window import ReplayController

    c = ReplayController(str(DEMO))
    qtbot.addWidget(c.window)
    yield c
    c.close()
    assert not c.timer.isActive()  # nothing keeps ticking after the window closes


def test_badge_says_simulated(controller) -> None:
    assert controller.window.badge.text().startswith(
        "REPLAY - simulated (feb-2026-selloff) - not market data"
    )


def test_play_at_max_fills_the_panels_and_pause_holds(controller, qtbot) -> None:
    controller.speed_box.setCurrentText("max")
    controller.toggle()
    assert controller.play_button.text() == "Pause"
    qtbot.waitUntil(
        lambda: controller.driver.position_ms > controller.driver.start_ms + 30 * 3_600_000,
        timeout=60_000,
    )
    controller.toggle()
    held = controller.driver.position_ms
    qtbot.wait(300)
    assert controller.driver.position_ms == held  # paused: time does not move
    assert controller.window.alerts.rowCount() > 0
    assert controller.window.verdict.text() != "VERDICT —"
    x, _ = controller.series.column("mark_price")
    assert len(x) > 1_000 and controller.window.curves["mark_price"].xData is not None


def test_seek_and_next_alert(controller) -> None:
    target = controller.driver.start_ms + 50 * 3_600_000
    controller.seek(target)
    assert controller.driver.position_ms == target
    assert controller.slider.value() == 50 * 60
    before = len(controller.alert_times)
    controller.jump_to_next_alert()
    assert len(controller.alert_times) == before + 1
    assert not controller.driver.playing and controller.play_button.text() == "Play"
    back = controller.driver.start_ms + 10 * 3_600_000
    controller.seek(back)  # backwards: the engine is rebuilt
    assert controller.driver.position_ms == back
