"""New-alert notifications: per-severity channels, coalescing (never a storm), a banner that
does not take focus, and no notification for alerts replayed by a seek."""

from __future__ import annotations

from conftest import DEMO

from workstation.core.records import AlertRecord
from workstation.ui.notify import COALESCE_S, Banner, Notifier


def _alert(ts: int, severity: str = "warning", rule: str = "skew_fear", state: str = "active"):
    return AlertRecord(ts, rule, "all", "BTCUSDT", state, severity, message=f"message {ts}")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _notifier(qtbot):
    banner = Banner()
    qtbot.addWidget(banner)
    trays, beeps, clock = [], [], Clock()
    n = Notifier(banner, tray=lambda t, x: trays.append((t, x)), beep=lambda: beeps.append(1),
                 clock=clock)  # fmt: skip
    return n, banner, trays, beeps, clock


def test_a_burst_of_alerts_is_one_notification(qtbot) -> None:
    n, banner, trays, beeps, clock = _notifier(qtbot)
    n.on_records(
        [_alert(1), _alert(2, "critical", "skew_panic")] + [_alert(i) for i in range(3, 21)]
    )
    assert len(trays) == 1 and len(beeps) == 1 and n.sent["banner"] == 1
    assert trays[0][0] == "workstation: 20 new alerts"
    # the banner shows the most severe, newest alert and how many more came
    assert not banner.isHidden()
    assert banner.text.text() == "CRITICAL skew_panic: message 2  (+19 more)"
    assert "#c0392b" in banner.styleSheet()
    # more alerts inside the quiet time are held, then go out together once it has passed
    clock.now += COALESCE_S / 2
    n.on_records([_alert(30), _alert(31)])
    assert len(trays) == 1 and len(beeps) == 1
    clock.now += COALESCE_S / 2
    n.flush()
    assert len(trays) == 2 and trays[1][0] == "workstation: 2 new alerts"
    assert banner.text.text() == "WARNING skew_fear: message 31  (+1 more)"


def test_channels_follow_the_severity_settings(qtbot) -> None:
    n, banner, trays, beeps, _ = _notifier(qtbot)
    n.on_records([_alert(1, "info", "basis_low")])  # info: nothing by default
    n.on_records([_alert(2, state="cleared")])  # a rule clearing is not news
    assert n.sent == {"banner": 0, "tray": 0, "sound": 0} and banner.isHidden()
    n.settings["warning"] = {"banner": True, "tray": False, "sound": False}
    n.on_records([_alert(3)])
    assert n.sent == {"banner": 1, "tray": 0, "sound": 0} and trays == [] and beeps == []


def test_the_banner_never_takes_focus(qtbot) -> None:
    from PySide6.QtCore import Qt

    n, banner, *_ = _notifier(qtbot)
    n.on_records([_alert(1)])
    assert banner.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert all(
        b.focusPolicy() == Qt.FocusPolicy.NoFocus for b in banner.findChildren(type(banner.text))
    )


def test_replay_notifies_while_playing_not_when_seeking(qtbot, tmp_path) -> None:
    from workstation.risk.positions import PositionBook
    from workstation.ui.replay_window import ReplayController

    c = ReplayController(str(DEMO), PositionBook(tmp_path / "book.db"))
    qtbot.addWidget(c.window)
    c.window.notifier.beep = lambda: None
    c.seek(c.span[0] + 60 * 3_600_000)  # 60 h in: alerts in the log, no notification
    c.sync()
    assert c.window.alerts.rowCount() > 0 and c.window.notifier.sent["banner"] == 0
    c.speed_box.setCurrentText("max")
    c.toggle()
    c.sync()
    qtbot.waitUntil(lambda: c.window.notifier.sent["banner"] >= 1, timeout=300_000)
    c.toggle()
    c.sync()
    assert not c.window.banner.isHidden()
    c.close()
