"""Shared fixtures. Qt runs offscreen; real data is read from ../shared, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEMO = REPO / "resources" / "demo" / "feb-2026-selloff.session"


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
