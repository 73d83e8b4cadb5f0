"""Help > About: the version (the same string as ``workstation --version`` and the bundle's
archive name), Qt and Python, and where the user's files are. GUI thread only."""

from __future__ import annotations

import platform

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from workstation import __version__
from workstation.core.userdirs import user_paths


def about_text() -> str:
    rows = "".join(
        f"<tr><td>{k}</td><td><code>{v}</code></td></tr>" for k, v in user_paths().items()
    )
    return (
        f"<h3>workstation {__version__}</h3>"
        "<p>Trading-risk workstation for crypto derivatives desks.</p>"
        f"<p>Qt {qVersion()}, Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}</p><p>Your files:</p><table>{rows}</table>"
        "<p>API keys are kept only in the system keyring.</p>"
    )


def show_about(parent: QWidget) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle("About workstation")
    box.setText(about_text())
    box.open()
    return box
