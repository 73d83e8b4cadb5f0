"""Dark (the default) and light themes: the Fusion style with a matching palette for the widgets,
and the charts' background and axis colours. GUI thread only."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_DARK = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e0e0e0",
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.AlternateBase: "#2b2b2b",
    QPalette.ColorRole.Text: "#e0e0e0",
    QPalette.ColorRole.Button: "#3a3a3a",
    QPalette.ColorRole.ButtonText: "#e0e0e0",
    QPalette.ColorRole.Highlight: "#2e86c1",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#3a3a3a",
    QPalette.ColorRole.ToolTipText: "#e0e0e0",
    QPalette.ColorRole.PlaceholderText: "#8a8a8a",
}
CHARTS = {True: ("#000000", "#b0b0b0", "#2e2e2e"), False: ("#ffffff", "#404040", "#dddddd")}


def apply_theme(app: QApplication, dark: bool) -> None:
    """Widgets: Fusion, with the dark palette or Fusion's own light one."""
    app.setStyle("Fusion")
    palette = app.style().standardPalette()
    if dark:
        for role, colour in _DARK.items():
            palette.setColor(role, QColor(colour))
    app.setPalette(palette)


def chart_colours(dark: bool) -> tuple[str, str, str]:
    """(background, axis text, grid) for the charts."""
    return CHARTS[dark]
