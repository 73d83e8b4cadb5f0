"""``workstation gui --session FILE --at TIME --screenshot OUT.png``: replay a session to a moment
through the real engine in the interactive window, save a PNG of it, exit. Works offscreen."""

from __future__ import annotations

import argparse


def run_screenshot(args: argparse.Namespace) -> int:
    from workstation.risk.positions import PositionBook
    from workstation.rules.config import RulesError, load_rules
    from workstation.sessions.store import SessionError
    from workstation.ui.qapp import application
    from workstation.ui.replay_window import ReplayController

    app = application()
    try:
        rules = load_rules([args.rules] if args.rules else [])
        controller = ReplayController(
            args.session, PositionBook(args.book) if args.book else None, rules
        )
    except (SessionError, ValueError, RulesError) as exc:
        print(f"workstation gui: {exc}")
        return 1
    w, h = args.size
    win = controller.window
    win.resize(w, h)
    controller.seek(controller.span[1] if args.at is None else args.at)
    controller.sync(timeout=None)  # however long the replay to that moment takes here
    win.show()
    app.processEvents()
    ok = win.grab().save(args.screenshot)
    controller.close()
    if not ok:
        print(f"workstation gui: could not write {args.screenshot}")
        return 1
    print(f"saved {args.screenshot} ({w}x{h})")
    return 0
