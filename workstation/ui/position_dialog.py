"""Add or edit a position, with the journal written before the trade. OK validates every field
through the book's rules; a bad value keeps the dialog open, names the field and the expected
form, and puts the cursor in it. GUI thread only."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from workstation.risk.brackets import VENUES
from workstation.risk.positions import MARGIN_MODES, Position, PositionError, validate

# (field, label, placeholder); a tuple of choices instead of a placeholder makes a combo box
FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("venue", "Venue", VENUES),
    ("symbol", "Symbol", "BTCUSDT"),
    ("side", "Side", ("long", "short")),
    ("qty", "Quantity (coin)", "e.g. 1.5"),
    ("entry_usd", "Entry (USD)", "e.g. 66800"),
    ("leverage", "Leverage (x)", "e.g. 2.5 (or leave empty and give the margin)"),
    ("margin_mode", "Margin mode", MARGIN_MODES),
    ("margin_usd", "Isolated margin (USD)", "default: notional / leverage"),
    ("wallet_usd", "Cross wallet (USD)", "the account's wallet, for cross margin"),
    ("max_drawdown_pct", "1. Max drawdown (% of margin)", "written before the trade"),
    ("max_leverage", "2. Max leverage (x)", "written before the trade"),
    ("reduce_price_usd", "3. Reduce size at (USD)", "if funding or OI worsen"),
    ("thesis", "Thesis", "why this trade"),
    ("risk_invalidation", "Risk invalidation", "e.g. funding back above 0.03% or OI +5%"),
)
ERROR_STYLE = "border:2px solid #c0392b;"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


class PositionDialog(QDialog):
    """``initial``: field values to start from (an existing position, or the sizing result)."""

    def __init__(self, parent: QWidget | None = None, initial: dict[str, Any] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Position")
        self.widgets: dict[str, QLineEdit | QComboBox] = {}
        self.result_position: Position | None = None
        form = QFormLayout()
        for name, label, hint in FIELDS:
            if isinstance(hint, tuple):
                w: QLineEdit | QComboBox = QComboBox()
                w.addItems(list(hint))
            else:
                w = QLineEdit()
                w.setPlaceholderText(hint)
                # wide enough for its whole hint (padding for the frame and the cursor)
                w.setMinimumWidth(w.fontMetrics().horizontalAdvance(hint) + 24)
                w.textEdited.connect(lambda _text, field=name: self._fixing(field))
            w.setObjectName(name)
            self.widgets[name] = w
            form.addRow(label, w)
        self.error_field: str | None = None  # the field the error line is about
        self.error = QLabel()
        self.error.setStyleSheet("color:#c0392b;font-weight:bold;")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.set_values(initial or {})

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            w = self.widgets.get(name)
            if isinstance(w, QComboBox):
                w.setCurrentText(str(value))
            elif w is not None:
                w.setText(_text(value))

    def values(self) -> dict[str, str]:
        return {
            name: w.currentText() if isinstance(w, QComboBox) else w.text()
            for name, w in self.widgets.items()
        }

    def _fixing(self, field: str) -> None:
        """The trader is changing the field the error is about: the old error goes (OK checks
        the new value again)."""
        if field == self.error_field:
            self._clear_error()

    def _clear_error(self) -> None:
        for w in self.widgets.values():
            w.setStyleSheet("")
        self.error.clear()
        self.error_field = None

    def accept(self) -> None:
        self._clear_error()
        try:
            self.result_position = validate(self.values())
        except PositionError as exc:
            label = next((lab for name, lab, _ in FIELDS if name == exc.field), exc.field)
            self.error.setText(f"{label} {exc.problem}")
            self.error_field = exc.field
            w = self.widgets.get(exc.field)
            if w is not None:
                w.setStyleSheet(ERROR_STYLE)
                w.setFocus()
            return
        super().accept()
