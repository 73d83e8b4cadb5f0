"""New-alert notifications: a banner in the window that never blocks or takes focus, a tray
message and a sound (the system beep), each switched per severity. Never a storm: alerts that
arrive within ``COALESCE_S`` of the last notification are gathered into the next one, and the
banner shows the newest with how many more came. GUI thread only."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from workstation.core.records import AlertRecord, Record

COALESCE_S = 10.0  # at most one tray message and one sound per this many seconds
BANNER_S = 20  # the banner hides itself after this long
CHANNELS = ("banner", "tray", "sound")
DEFAULTS: dict[str, dict[str, bool]] = {
    "critical": {"banner": True, "tray": True, "sound": True},
    "warning": {"banner": True, "tray": True, "sound": True},
    "info": {"banner": False, "tray": False, "sound": False},
}
BANNER_STYLE = {
    "critical": "background:#c0392b;color:white;",
    "warning": "background:#f5b041;color:black;",
    "info": "background:#5dade2;color:black;",
}
_RANK = {"info": 0, "warning": 1, "critical": 2}


class ElidedLabel(QLabel):
    """One line that ends in "…" where it does not fit (the whole text in its tooltip): never
    wrapped, never clipped, never wider than it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), shown
        )


class Banner(QWidget):
    """A strip in the window: the alert, how many more, Dismiss. Shown without focus."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.text = ElidedLabel()
        dismiss = QPushButton("Dismiss")
        dismiss.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        dismiss.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.text, stretch=1)
        layout.addWidget(dismiss)
        self._hide = QTimer(self)
        self._hide.setSingleShot(True)
        self._hide.timeout.connect(self.dismiss)
        self.hide()

    def dismiss(self) -> None:
        """Hide now (the button, the time-out, or the window closing)."""
        self._hide.stop()
        self.hide()

    def show_alert(self, severity: str, text: str) -> None:
        self.setStyleSheet(BANNER_STYLE.get(severity, ""))
        self.text.setText(text)
        self.show()
        self._hide.start(BANNER_S * 1000)


@dataclass
class Notifier:
    """``tray(title, text)`` and ``beep()`` are injected (the window passes its tray icon's
    showMessage, or nothing when the system has no tray); ``clock`` is monotonic seconds."""

    banner: Banner
    tray: Callable[[str, str], None] | None = None
    beep: Callable[[], None] = QApplication.beep
    clock: Callable[[], float] = time.monotonic
    settings: dict[str, dict[str, bool]] = field(
        default_factory=lambda: {s: dict(c) for s, c in DEFAULTS.items()}
    )
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    _held: list[dict[str, Any]] = field(default_factory=list)
    _last_s: float | None = None

    def on_records(self, records: Iterable[Record]) -> None:
        """Notify of the alerts that became active (the ones their severity asks for)."""
        new = [
            r.to_json()
            for r in records
            if isinstance(r, AlertRecord)
            and r.state == "active"
            and any(self.settings.get(r.severity, {}).values())
        ]
        self._held += new
        self.flush()

    def flush(self) -> None:
        """Send what is held unless the last notification was under COALESCE_S ago (the owner
        calls this from its timer, so held alerts go out when the quiet time has passed)."""
        if not self._held:
            return
        now = self.clock()
        if self._last_s is not None and now - self._last_s < COALESCE_S:
            return
        held, self._held = self._held, []
        self._last_s = now
        top = max(held, key=lambda r: (_RANK.get(r["severity"], 0), r["ts_ms"]))
        more = f"  (+{len(held) - 1} more)" if len(held) > 1 else ""
        text = f"{top['severity'].upper()} {top['rule']}: {top['message']}{more}"
        wanted = {c for r in held for c, on in self.settings.get(r["severity"], {}).items() if on}
        if "banner" in wanted:
            self.banner.show_alert(top["severity"], text)
            self.sent["banner"] += 1
        if "tray" in wanted and self.tray is not None:
            self.tray(f"workstation: {len(held)} new alert{'s' if len(held) > 1 else ''}", text)
            self.sent["tray"] += 1
        if "sound" in wanted:
            self.beep()
            self.sent["sound"] += 1
