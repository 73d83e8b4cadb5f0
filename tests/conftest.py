"""Shared fixtures. Qt runs offscreen; real data is read from ../shared, never copied."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEMO = REPO / "workstation" / "resources" / "demo" / "feb-2026-selloff.session"


@pytest.fixture(autouse=True)
def _no_user_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read the developer's own settings folder (rules.toml, positions)."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


@pytest.fixture(scope="session")
def selloff_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 48-hour feb-2026-selloff session on binance, bybit and deribit (seed 3)."""
    from workstation.cli import main

    out = tmp_path_factory.mktemp("sim") / "selloff.session"
    assert (
        main(
            [
                "simulate",
                "--scenario",
                "feb-2026-selloff",
                "--seed",
                "3",
                "--hours",
                "48",
                "--venues",
                "binance,bybit,deribit",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


def running_qt_objects() -> list[str]:
    """QTimers still active and QThreads still running (Python-side objects), by class name."""
    if "PySide6.QtCore" not in sys.modules:
        return []
    import gc
    import warnings

    import shiboken6
    from PySide6.QtCore import QThread, QTimer

    with warnings.catch_warnings():  # finalizers of closed sockets (the fake exchange) run here
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    found = []
    for obj in gc.get_objects():
        try:
            if not isinstance(obj, QTimer | QThread) or not shiboken6.isValid(obj):
                continue
        except ReferenceError:  # a weak proxy whose object is gone
            continue
        if obj.isActive() if isinstance(obj, QTimer) else obj.isRunning():
            found.append(f"{type(obj).__name__} {obj.objectName() or hex(id(obj))}")
    return found


def running_engine_threads() -> list[str]:
    """Engine threads (workstation.app.engine_host) still alive, by name."""
    import threading

    return [t.name for t in threading.enumerate() if t.name == "engine" and t.is_alive()]


@pytest.fixture(autouse=True)
def _no_qt_timer_or_thread_left_running():
    """Every test leaves no QTimer ticking, no QThread and no engine thread running behind it."""
    yield
    left = running_qt_objects() + running_engine_threads()
    assert not left, f"left running after the test: {', '.join(left)}"


@pytest.fixture
def fake():
    """A fake exchange (REST and websockets) on 127.0.0.1; ``fake.faults[venue]`` injects faults."""
    from fake_exchange import FakeExchange

    with FakeExchange() as f:
        yield f
    # The fake's handler threads and sockets die with finalizers that warn (ResourceWarning). Run
    # them here, at a safe point: CPython 3.11 reports "AST constructor recursion depth mismatch"
    # when such a finalizer runs in the middle of a later ast.parse (pytest's assertion rewriting).
    import gc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


class MemoryKeyring(KeyringBackend):
    """A keyring in a dict: tests never touch the machine's own (or find none)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.store:
            raise PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture
def memory_keyring():
    before = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(before)
