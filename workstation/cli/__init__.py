"""The ``workstation`` command: :func:`main` parses the arguments and runs one command family's
verb (``*_cmds`` modules); validators and :class:`UsageError` live in :mod:`.validators`."""

from workstation.cli.main import main

__all__ = ["main"]
