"""The settings dialog: thresholds applied to the running replay without a restart (and saved),
notification switches, theme and time zone kept in QSettings, API keys only in the keyring (a
plain message where there is none), live venues validated."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from conftest import DEMO
from PySide6.QtCore import QSettings

from workstation.core.records import AlertRecord
from workstation.rules.config import load_rules


@pytest.fixture
def replay(qtbot, tmp_path: Path):
    from workstation.risk.positions import PositionBook
    from workstation.ui.replay_window import ReplayController

    settings = QSettings(str(tmp_path / "ws.ini"), QSettings.Format.IniFormat)
    c = ReplayController(str(DEMO), PositionBook(tmp_path / "book.db"), settings=settings)
    qtbot.addWidget(c.window)
    c.seek(1_770_012_000_000)  # 2026-02-02 06:00, skew about 14
    c.sync()
    yield c
    c.close()


def _row(dialog, rule_id: str) -> int:
    t = dialog.table
    return next(i for i in range(t.rowCount()) if t.item(i, 0).text() == rule_id)


def _fear_alerts(c) -> list[int]:
    return [r.ts_ms for r in c.records if isinstance(r, AlertRecord) and r.rule == "skew_fear"
            and r.state == "active"]  # fmt: skip


def test_thresholds_apply_to_the_running_replay_and_save(replay, tmp_path: Path) -> None:
    c = replay
    before = _fear_alerts(c)
    position = c.snapshot.ts_ms
    dialog = c.open_settings()
    dialog._rules_path = str(tmp_path / "rules.toml")
    row = _row(dialog, "skew_fear")
    dialog.table.item(row, 4).setText("9")  # exit above enter for a '>' rule
    assert not dialog.apply_thresholds(save=False)
    assert "skew_fear.exit: for op '>' exit must be <= enter (6)" in dialog.rules_message.text()
    assert c.rules is dialog.rules  # nothing applied
    dialog.table.item(row, 3).setText("10")
    dialog.table.item(row, 4).setText("8")
    assert dialog.apply_thresholds(save=True)
    c.sync()  # the window did not wait for the engine; the test does
    # the engine was rebuilt with skew_fear at 10 and replayed back to the same moment
    assert c.snapshot.ts_ms == position
    fear = next(r for r in c.rules.rules if r.id == "skew_fear")
    assert (fear.conditions[0].enter, fear.conditions[0].exit) == (10.0, 8.0)
    assert ("skew_fear", 10.0) in c.window.charts.thresholds("skew")
    after = _fear_alerts(c)
    assert after and before and after[0] > before[0]  # a higher level fires later in the slide
    saved = load_rules([tmp_path / "rules.toml"], include_user_dir=False)
    assert next(r for r in saved.rules if r.id == "skew_fear").conditions[0].enter == 10.0
    assert "saved to" in dialog.rules_message.text()
    dialog.close()


def test_a_rules_file_that_cannot_be_saved_says_so(replay, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nid = "skew_fear\n', encoding="utf-8")  # not TOML
    dialog = replay.open_settings()
    dialog._rules_path = str(path)
    dialog.table.item(_row(dialog, "skew_fear"), 3).setText("10")
    assert dialog.apply_thresholds(save=True)  # applied to the replay, not saved
    fear = next(r for r in replay.rules.rules if r.id == "skew_fear")
    assert fear.conditions[0].enter == 10.0
    assert f"Applied 1 change(s); not saved: {path}:2: syntax:" in dialog.rules_message.text()
    assert path.read_text(encoding="utf-8") == '[[rule]]\nid = "skew_fear\n'
    dialog.close()


def test_notifications_and_display_are_kept(replay, tmp_path: Path) -> None:
    from workstation.risk.positions import PositionBook
    from workstation.ui.replay_window import ReplayController

    c = replay
    dialog = c.open_settings()
    dialog.notify_boxes[("warning", "tray")].setChecked(False)
    dialog.notify_boxes[("info", "banner")].setChecked(True)
    assert c.window.notifier.settings["warning"]["tray"] is False
    dialog.theme.setCurrentText("light")
    dialog.time_zone.setCurrentText("local")
    assert c.window.charts.backgroundBrush().color().name() == "#ffffff"
    assert c.window.charts.local_time
    assert c.window.charts.plots["price"].getAxis("bottom").utcOffset is None
    dialog.close()
    # a new window with the same settings starts that way
    again = ReplayController(str(DEMO), PositionBook(tmp_path / "book2.db"), settings=c.settings)
    try:
        n = again.window.notifier.settings
        assert n["warning"]["tray"] is False and n["info"]["banner"] is True
        assert again.window.charts.backgroundBrush().color().name() == "#ffffff"
        assert again.window.charts.local_time
    finally:
        again.close()


def test_api_keys_go_to_the_keyring_only(replay, memory_keyring, tmp_path: Path) -> None:
    dialog = replay.open_settings()
    dialog.key_field.setText("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A")
    dialog.secret_field.setText("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    dialog.store_keys()
    assert memory_keyring.store[("workstation", "binance:api_secret")].startswith("NhqP")
    assert dialog.keys_message.text() == (
        "stored the binance API key ...Eh8A and its secret in the keyring"
    )
    assert dialog.secret_field.text() == "" and dialog.key_field.text() == ""
    # nothing of the secret in the settings file
    replay.settings.setValue("probe", "written")  # the settings file exists ...
    replay.settings.sync()
    assert "NhqP" not in Path(replay.settings.fileName()).read_text()  # ... without the secret
    dialog.secret_field.setText("")
    dialog.key_field.setText("abc")
    dialog.store_keys()
    assert "both the API key and the secret are needed" in dialog.keys_message.text()
    dialog.delete_keys()
    assert dialog.keys_message.text() == "binance: keys deleted"
    dialog.close()


def test_no_keyring_is_said_plainly(replay) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    before = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        dialog = replay.open_settings()
        assert "no system keyring is available" in dialog.keys_message.text()
        dialog.close()
    finally:
        keyring.set_keyring(before)


def test_live_venues_are_checked_before_saving(replay) -> None:
    from workstation.ui.settings_dialog import live_preferences

    dialog = replay.open_settings()
    for v, cb in dialog.venue_boxes.items():
        cb.setChecked(v in ("binance", "deribit"))
    dialog.symbols_field.setText("btcusdt, DOGEUSDT")
    dialog._save_live()
    assert "Not saved" in dialog.live_message.text() and "DOGEUSDT" in dialog.live_message.text()
    dialog.symbols_field.setText("btcusdt,ethusdt")
    dialog._save_live()
    assert live_preferences(replay.settings) == (("binance", "deribit"), ("BTCUSDT", "ETHUSDT"))
    dialog.close()


def test_first_run_creates_the_user_files_and_about_names_them(qtbot) -> None:
    from workstation.core.userdirs import ensure_user_dirs, user_paths
    from workstation.rules.config import load_rules
    from workstation.ui.about import about_text

    paths = user_paths()
    assert not paths["rules file"].exists()  # a machine with no settings (conftest's XDG dirs)
    ensure_user_dirs()
    assert paths["recordings"].is_dir() and paths["settings folder"].is_dir()
    assert paths["rules file"].read_text().startswith("# Your rules")
    # the template overrides nothing: the rules are the shipped ones
    from workstation.rules.thresholds import single_metric_rules

    mine, shipped = load_rules(), load_rules(include_user_dir=False)
    assert [r.id for r in mine.rules] == [r.id for r in shipped.rules]
    assert single_metric_rules(mine) == single_metric_rules(shipped)
    assert mine.ladder == shipped.ladder
    paths["rules file"].write_text("version = 1\n[ladder]\nbase_leverage = 3.0\n")
    ensure_user_dirs()  # never overwrites
    assert "base_leverage = 3.0" in paths["rules file"].read_text()
    text = about_text()
    from workstation import __version__

    assert f"workstation {__version__}" in text
    for key in ("rules file", "recordings", "position book"):
        assert str(paths[key]) in text
