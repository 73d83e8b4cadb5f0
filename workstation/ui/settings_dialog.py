"""Settings: rule thresholds (checked, applied at once, optionally saved to rules.toml),
notifications per severity, theme and time zone, API keys through the OS keyring, and the live
venues and symbols. Choices other than rules and keys live in QSettings. GUI thread only."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workstation.account.secrets import (
    SUPPORTED,
    KeyringUnavailable,
    delete_keys,
    key_hint,
    load_keys,
    store_keys,
)
from workstation.feeds.live import VENUES
from workstation.rules.config import RulesConfig, RulesError
from workstation.rules.thresholds import save_user_thresholds, single_metric_rules, with_thresholds
from workstation.ui.notify import CHANNELS, Notifier

SEVERITIES = ("critical", "warning", "info")


def load_preferences(settings: QSettings, notifier: Notifier) -> dict[str, object]:
    """Put the saved notification switches into ``notifier``; returns theme and time zone."""
    for sev in SEVERITIES:
        for ch in CHANNELS:
            v = settings.value(f"notify/{sev}/{ch}")
            if v is not None:
                notifier.settings[sev][ch] = str(v).lower() == "true"
    return {
        "dark": str(settings.value("display/dark", "true")).lower() == "true",
        "local_time": str(settings.value("display/local_time", "false")).lower() == "true",
    }


class SettingsDialog(QDialog):
    """``rules``: the configuration in use; ``apply_rules(config)`` puts a new one to work;
    ``apply_display(dark, local_time)`` restyles the window."""

    def __init__(
        self,
        parent: QWidget | None,
        settings: QSettings,
        rules: RulesConfig,
        notifier: Notifier,
        apply_rules: Callable[[RulesConfig], None],
        apply_display: Callable[[bool, bool], None],
        rules_path: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings, self.rules, self.notifier = settings, rules, notifier
        self._apply_rules, self._apply_display = apply_rules, apply_display
        self._rules_path = rules_path
        tabs = QTabWidget()
        tabs.addTab(self._rules_tab(), "Rules")
        tabs.addTab(self._notify_tab(), "Notifications")
        tabs.addTab(self._display_tab(), "Display")
        tabs.addTab(self._keys_tab(), "API keys")
        tabs.addTab(self._live_tab(), "Live feeds")
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(close, alignment=Qt.AlignmentFlag.AlignRight)
        self.resize(760, 520)

    # --- rules ---------------------------------------------------------------------------------
    def _rules_tab(self) -> QWidget:
        rows = single_metric_rules(self.rules)
        self.table = QTableWidget(len(rows), 6)
        self.table.setHorizontalHeaderLabels(["Rule", "Metric", "Op", "Enter", "Exit", "Severity"])
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                item = QTableWidgetItem(f"{value:g}" if isinstance(value, float) else str(value))
                if j not in (3, 4):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(i, j, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.rules_message = QLabel(
            "Edit Enter and Exit, then Apply (the engine is rebuilt with them at once)."
        )
        self.rules_message.setWordWrap(True)
        apply = QPushButton("Apply")
        apply.clicked.connect(lambda: self.apply_thresholds(save=False))
        save = QPushButton("Apply and save to my rules.toml")
        save.clicked.connect(lambda: self.apply_thresholds(save=True))
        buttons = QHBoxLayout()
        buttons.addWidget(apply)
        buttons.addWidget(save)
        buttons.addStretch(1)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.table)
        layout.addWidget(self.rules_message)
        layout.addLayout(buttons)
        return box

    def _changes(self) -> dict[str, tuple[str, str]]:
        current = {r[0]: r for r in single_metric_rules(self.rules)}
        changes = {}
        for i in range(self.table.rowCount()):
            rid = self.table.item(i, 0).text()
            enter, exit_ = self.table.item(i, 3).text(), self.table.item(i, 4).text()
            if (enter, exit_) != (f"{current[rid][3]:g}", f"{current[rid][4]:g}"):
                changes[rid] = (enter, exit_)
        return changes

    def apply_thresholds(self, save: bool) -> bool:
        """Check every edited row; apply (and save) all of them, or none with the reason. Returns
        whether they were applied (a file that cannot be saved is said in the message)."""
        changes = self._changes()
        try:
            new = with_thresholds(self.rules, changes)
        except RulesError as exc:
            self.rules_message.setStyleSheet("color:#c0392b;")
            self.rules_message.setText(f"Not applied: {exc.key}: {exc.problem}")
            return False
        checked = {
            r.id: (r.conditions[0].enter, r.conditions[0].exit)
            for r in new.rules
            if r.id in changes
        }
        self.rules = new
        self._apply_rules(new)
        text = f"Applied {len(changes)} change(s)" if changes else "Nothing changed"
        colour = "#1e8449"
        if save and changes:
            try:
                text += f"; saved to {save_user_thresholds(checked, self._rules_path)}"
            except RulesError as exc:  # the file is left as it was
                text, colour = f"{text}; not saved: {exc}", "#c0392b"
        self.rules_message.setStyleSheet(f"color:{colour};")
        self.rules_message.setText(text + ".")
        return True

    # --- notifications -------------------------------------------------------------------------
    def _notify_tab(self) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        for j, ch in enumerate(CHANNELS):
            grid.addWidget(QLabel(f"<b>{ch}</b>"), 0, j + 1)
        self.notify_boxes: dict[tuple[str, str], QCheckBox] = {}
        for i, sev in enumerate(SEVERITIES):
            grid.addWidget(QLabel(sev), i + 1, 0)
            for j, ch in enumerate(CHANNELS):
                cb = QCheckBox()
                cb.setChecked(self.notifier.settings[sev][ch])
                cb.toggled.connect(lambda on, s=sev, c=ch: self._set_notify(s, c, on))
                grid.addWidget(cb, i + 1, j + 1)
                self.notify_boxes[(sev, ch)] = cb
        note = QLabel(
            "New alerts of a severity notify on the channels ticked: a banner in the window, a "
            "tray message, the system beep. A burst is gathered into one (at most one every 10 s)."
        )
        note.setWordWrap(True)
        grid.addWidget(note, len(SEVERITIES) + 1, 0, 1, len(CHANNELS) + 1)
        grid.setRowStretch(len(SEVERITIES) + 2, 1)
        return box

    def _set_notify(self, severity: str, channel: str, on: bool) -> None:
        self.notifier.settings[severity][channel] = on
        self.settings.setValue(f"notify/{severity}/{channel}", on)

    # --- display -------------------------------------------------------------------------------
    def _display_tab(self) -> QWidget:
        prefs = {
            "dark": str(self.settings.value("display/dark", "true")).lower() == "true",
            "local": str(self.settings.value("display/local_time", "false")).lower() == "true",
        }
        self.theme = QComboBox()
        self.theme.addItems(["dark", "light"])
        self.theme.setCurrentText("dark" if prefs["dark"] else "light")
        self.time_zone = QComboBox()
        self.time_zone.addItems(["UTC", "local"])
        self.time_zone.setCurrentText("local" if prefs["local"] else "UTC")
        self.theme.currentTextChanged.connect(self._display_changed)
        self.time_zone.currentTextChanged.connect(self._display_changed)
        box = QWidget()
        form = QFormLayout(box)
        form.addRow("Theme", self.theme)
        form.addRow("Chart time zone", self.time_zone)
        form.addRow(QLabel("Tables, the alert log and CSV exports stay in UTC."))
        return box

    def _display_changed(self) -> None:
        dark, local = self.theme.currentText() == "dark", self.time_zone.currentText() == "local"
        self.settings.setValue("display/dark", dark)
        self.settings.setValue("display/local_time", local)
        self._apply_display(dark, local)

    # --- API keys ------------------------------------------------------------------------------
    def _keys_tab(self) -> QWidget:
        self.key_venue = QComboBox()
        self.key_venue.addItems(list(SUPPORTED))
        self.key_field = QLineEdit()
        self.key_field.setPlaceholderText("API key (read-only permissions)")
        self.secret_field = QLineEdit()
        self.secret_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_field.setPlaceholderText("API secret")
        self.keys_message = QLabel()
        self.keys_message.setWordWrap(True)
        store = QPushButton("Store in the keyring")
        store.clicked.connect(self.store_keys)
        forget = QPushButton("Delete from the keyring")
        forget.clicked.connect(self.delete_keys)
        buttons = QHBoxLayout()
        buttons.addWidget(store)
        buttons.addWidget(forget)
        buttons.addStretch(1)
        box = QWidget()
        form = QFormLayout(box)
        form.addRow("Venue", self.key_venue)
        form.addRow("API key", self.key_field)
        form.addRow("Secret", self.secret_field)
        form.addRow(buttons)
        form.addRow(self.keys_message)
        self.show_key_status()
        return box

    def _keyring(self, action: Callable[[], str]) -> None:
        try:
            text, colour = action(), "#1e8449"
        except KeyringUnavailable as exc:
            text, colour = str(exc), "#c0392b"
        except ValueError as exc:
            text, colour = str(exc), "#c0392b"
        self.keys_message.setStyleSheet(f"color:{colour};")
        self.keys_message.setText(text)

    def show_key_status(self) -> None:
        def status() -> str:
            venue = self.key_venue.currentText()
            keys = load_keys(venue)
            if keys is None:
                return f"{venue}: no key in the keyring"
            return f"{venue}: API key {key_hint(keys.api_key)} and its secret are in the keyring"

        self._keyring(status)

    def store_keys(self) -> None:
        def store() -> str:
            venue, key = self.key_venue.currentText(), self.key_field.text()
            store_keys(venue, key, self.secret_field.text())
            self.secret_field.clear()
            self.key_field.clear()
            return (
                f"stored the {venue} API key {key_hint(key.strip())} and its secret in the keyring"
            )

        self._keyring(store)

    def delete_keys(self) -> None:
        def forget() -> str:
            venue = self.key_venue.currentText()
            found = delete_keys(venue)
            return f"{venue}: keys deleted" if found else f"{venue}: there were no keys"

        self._keyring(forget)

    # --- live feeds ----------------------------------------------------------------------------
    def _live_tab(self) -> QWidget:
        saved = live_preferences(self.settings)
        self.venue_boxes = {}
        row = QHBoxLayout()
        for v in VENUES:
            cb = QCheckBox(v)
            cb.setChecked(v in saved[0])
            cb.toggled.connect(self._save_live)
            row.addWidget(cb)
            self.venue_boxes[v] = cb
        self.symbols_field = QLineEdit(",".join(saved[1]))
        self.symbols_field.editingFinished.connect(self._save_live)
        self.live_message = QLabel(
            "Used by `workstation gui --live` when --venues or --symbols is not given."
        )
        self.live_message.setWordWrap(True)
        box = QWidget()
        form = QFormLayout(box)
        form.addRow("Venues", row)
        form.addRow("Symbols", self.symbols_field)
        form.addRow(self.live_message)
        return box

    def _save_live(self) -> None:
        from workstation.sessions.simulator import SYMBOLS

        venues = [v for v, cb in self.venue_boxes.items() if cb.isChecked()]
        symbols = [s.strip().upper() for s in self.symbols_field.text().split(",") if s.strip()]
        bad = [s for s in symbols if s not in SYMBOLS]
        if not venues or not symbols or bad:
            self.live_message.setStyleSheet("color:#c0392b;")
            self.live_message.setText(
                "Not saved: "
                + (
                    "tick at least one venue"
                    if not venues
                    else f"symbols must be among {', '.join(SYMBOLS)}"
                    + (f" (not {', '.join(bad)})" if bad else "")
                )
            )
            return
        self.settings.setValue("live/venues", ",".join(venues))
        self.settings.setValue("live/symbols", ",".join(symbols))
        self.live_message.setStyleSheet("color:#1e8449;")
        self.live_message.setText(f"Saved: {', '.join(venues)}; {', '.join(symbols)}.")


def live_preferences(settings: QSettings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The saved live venues and symbols (all venues and BTCUSDT when none are saved)."""
    venues = str(settings.value("live/venues", ",".join(VENUES)))
    symbols = str(settings.value("live/symbols", "BTCUSDT"))
    return (
        tuple(v for v in venues.split(",") if v in VENUES) or VENUES,
        tuple(s for s in symbols.split(",") if s) or ("BTCUSDT",),
    )
