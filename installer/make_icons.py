"""Render workstation/resources/icons/workstation.svg to the usual PNG sizes and a Windows .ico
and macOS .icns (Qt's image plugins), next to it in this checkout (not in an installed copy of the
package). Run after editing the SVG: python installer/make_icons.py"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
HERE = Path(__file__).resolve().parent.parent / "workstation" / "resources" / "icons"


def render(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(HERE / "workstation.svg")).render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    for size in SIZES:
        render(size).save(str(HERE / f"workstation-{size}.png"))
    ok = render(256).save(str(HERE / "workstation.ico")) and render(512).save(
        str(HERE / "workstation.icns")
    )
    print(f"wrote {len(SIZES)} PNGs, workstation.ico and workstation.icns to {HERE}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
