"""The replay's seek slider with a tick for every alert the replay has met, coloured by
severity, so the trader sees where the session's trouble is and drags straight to it. GUI
thread only."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider

TICK_COLOURS = {"critical": "#c0392b", "warning": "#d68910", "info": "#5dade2"}


class AlertSlider(QSlider):
    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.marks: list[tuple[int, str]] = []  # (slider value, severity)

    def set_marks(self, marks: list[tuple[int, str]]) -> None:
        if marks != self.marks:
            self.marks = marks
            self.update()

    def mark_x(self, value: int) -> int:
        """Where (widget x, px) the tick of ``value`` is drawn: under the handle's centre."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        groove = self.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self
        )
        handle = self.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self
        )
        span = groove.width() - handle.width()
        offset = QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), value, span)
        return groove.x() + handle.width() // 2 + offset

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if not self.marks:
            return
        painter = QPainter(self)
        h = self.height()
        for value, severity in self.marks:
            painter.setPen(QPen(QColor(TICK_COLOURS.get(severity, "#7f8c8d")), 2))
            x = self.mark_x(value)
            painter.drawLine(x, h - 6, x, h - 1)
        painter.end()
