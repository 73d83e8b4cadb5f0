"""Help > Diagnostics: how the window and the engine are keeping up (refresh and paint times,
events processed, engine lag and backlog live). Developer figures, kept out of the status bar,
which says what a trader needs. GUI thread only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QWidget


class DiagnosticsDialog(QDialog):
    """A non-modal window of named figures; :meth:`show_figures` replaces them."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Diagnostics")
        self.form = QFormLayout(self)
        self.values: dict[str, QLabel] = {}

    def show_figures(self, figures: dict[str, str]) -> None:
        for name, text in figures.items():
            label = self.values.get(name)
            if label is None:
                label = self.values[name] = QLabel()
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.form.addRow(name, label)
            label.setText(text)
