"""The one QApplication, named so that the desktop knows the window: its class and desktop file
are "workstation" (the installer's workstation.desktop). GUI thread only."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

NAME = "workstation"


def application(argv: Sequence[str] = ()) -> QApplication:
    """The running QApplication, else a new one; named either way."""
    app = QApplication.instance() or QApplication(list(argv))
    app.setApplicationName(NAME)
    app.setDesktopFileName(NAME)
    return app
