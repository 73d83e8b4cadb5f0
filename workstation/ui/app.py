"""Starting the window: ``workstation``, ``workstation gui [--session FILE]`` or
``workstation gui --live [--venues ...] [--symbols ...] [URL options]``."""

from __future__ import annotations

import argparse
import os
import sys


def run_window(args: argparse.Namespace, url_overrides: dict[str, str | None]) -> int:
    """The window for ``workstation gui``'s arguments; ``url_overrides``: the URL options
    given (live mode)."""
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if (
        sys.platform.startswith("linux")
        and headless
        and os.environ.get("QT_QPA_PLATFORM") != "offscreen"
    ):
        print(
            "workstation gui: no display here (neither DISPLAY nor WAYLAND_DISPLAY is set). Start it from a "
            "desktop session, or use `workstation replay FILE --format table` or `gui --screenshot OUT.png`.",
            file=sys.stderr,
        )
        return 1
    from workstation.risk.positions import PositionBook
    from workstation.rules.config import RulesError, load_rules
    from workstation.sessions.store import SessionError
    from workstation.ui.qapp import application
    from workstation.ui.replay_window import ReplayController

    app = application(sys.argv[:1])
    book = PositionBook(args.book) if args.book else None
    try:
        rules = load_rules([args.rules] if args.rules else [])
        controller = (
            _live(args, url_overrides, book, rules)
            if args.live
            else ReplayController(args.session, book, rules)
        )
    except (SessionError, ValueError, RulesError) as exc:
        print(f"workstation gui: {exc}", file=sys.stderr)
        return 1
    settings = controller.settings
    if not controller.window.restore_layout(settings):
        controller.window.resize(1600, 1000)
    controller.window.show()
    if not args.live:
        controller.toggle()  # start playing at x60
    code = app.exec()
    controller.window.save_layout(settings)
    controller.close()
    return code


def _live(args: argparse.Namespace, url_overrides: dict[str, str | None], book, rules):
    from PySide6.QtCore import QSettings

    from workstation.app.feed_config import feed_config
    from workstation.ui.live_window import LiveController
    from workstation.ui.settings_dialog import live_preferences

    venues, symbols = live_preferences(QSettings("workstation", "workstation"))
    cfg = feed_config(args.venues or venues, args.symbols or symbols, url_overrides)
    return LiveController(cfg, book, rules)
