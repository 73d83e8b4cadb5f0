"""The one place that knows where the shipped files are: package data of
:mod:`workstation.resources`, read through :mod:`importlib.resources`, so a source checkout, an
installed wheel and the PyInstaller bundle find them the same way, whatever the working directory.

Every caller needs a real file, not a :class:`~importlib.resources.abc.Traversable`: SQLite opens
the demo session by name, Qt loads the icon by name, the bracket cache stats its files and rules
errors name the file. :func:`importlib.resources.as_file` gives one: where the package is a plain
folder (a checkout, a wheel installed by pip, the bundle) it is the file itself; where the package
is imported from a zip archive it is a temporary copy, kept until the process exits because the
callers hold these paths for the whole run. Any thread.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path

# The package object, not its name: PyInstaller's analysis sees this import and bundles the
# package (given only the name, the frozen app finds it merely as a namespace package over its
# data folder).
import workstation.resources

_copies = ExitStack()  # the temporary copies made by as_file (zip imports only)
atexit.register(_copies.close)


@cache
def _file(folder: str, name: str) -> Path:
    return _copies.enter_context(as_file(files(workstation.resources) / folder / name))


def demo_session_path() -> Path:
    """The bundled demo session (simulated ``feb-2026-selloff``), a file SQLite can open."""
    return _file("demo", "feb-2026-selloff.session")


def default_rules_path() -> Path:
    """The default rules file (TOML), which documents every key."""
    return _file("rules", "default.toml")


def shipped_brackets(venue: str) -> Path:
    """The bracket table shipped for ``venue`` (``binance``, ``bybit``, ``okx``; ``hyperliquid``:
    its meta answer)."""
    return _file("brackets", f"{venue}.json")


def icon_path(name: str) -> Path:
    """An icon: ``workstation.svg``, ``workstation-<16…512>.png``, ``.ico`` or ``.icns``."""
    return _file("icons", name)
