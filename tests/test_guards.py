"""Standing guards: Qt stays in workstation/ui, and the PySide6 version does not leak None."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "workstation"
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")


def test_only_the_ui_package_imports_qt() -> None:
    offenders = []
    for path in PKG.rglob("*.py"):
        if "ui" in path.relative_to(PKG).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] in QT_MODULES]
    assert offenders == []


def test_pyside6_keeps_the_none_refcount_level() -> None:
    """PySide6 6.12.0 on CPython 3.11 drops a reference to None on every void call and aborts the
    process ("deallocating None"); the pin keeps us below it. This fails if that comes back."""
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(10_000):
        obj.setObjectName("x")
    after = sys.getrefcount(None)
    assert abs(after - before) < 100, (before, after)


def test_the_running_timer_and_thread_guard_can_fail(qtbot) -> None:
    from conftest import running_qt_objects
    from PySide6.QtCore import QThread, QTimer

    timer = QTimer()
    timer.setObjectName("leaky")
    timer.start(1000)
    assert "QTimer leaky" in running_qt_objects()
    timer.stop()
    assert "QTimer leaky" not in running_qt_objects()

    import threading

    release = threading.Event()

    class Sleeper(QThread):
        def run(self) -> None:  # runs until released: a condition, not a time
            release.wait(60)

    thread = Sleeper()
    thread.setObjectName("sleeper")
    thread.start()
    try:
        assert "Sleeper sleeper" in running_qt_objects()
    finally:
        release.set()
        thread.wait()
    assert running_qt_objects() == []
