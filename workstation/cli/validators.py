"""Argument validators of the ``workstation`` command and :class:`UsageError`, in one place.

Each validator raises ``argparse.ArgumentTypeError`` with the argument's name and the expected
form (argparse turns it into exit 2); a command that finds a wrong argument later raises
:class:`UsageError`, which the entry point turns into exit 2 as well."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import NoReturn


class UsageError(Exception):
    """A wrong argument: the message starts with its name."""


class Parser(argparse.ArgumentParser):
    """An argument error is one line and a pointer to ``--help``, not the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n{see_help(self.prog)}\n")


def see_help(prog: str) -> str:
    return f"(see `{prog} --help`)"


def _finite(name: str, text: str) -> float:
    """``text`` as a finite number; inf and nan are refused like words."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be a number, not {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"{name} must be a finite number (got {text})")
    return v


def positive_float(name: str, max_value: float | None = None) -> Callable[[str], float]:
    def parse(text: str) -> float:
        v = _finite(name, text)
        if v <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be greater than 0 (got {text})")
        if max_value is not None and v > max_value:
            raise argparse.ArgumentTypeError(f"{name} must be at most {max_value:g} (got {text})")
        return v

    return parse


def non_negative_float(name: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        v = _finite(name, text)
        if v < 0:
            raise argparse.ArgumentTypeError(f"{name} must be 0 or more (got {text})")
        return v

    return parse


def non_negative_int(name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, not {text!r}"
            ) from None
        if v < 0:
            raise argparse.ArgumentTypeError(f"{name} must be 0 or more (got {text})")
        return v

    return parse


def csv_choice(name: str, allowed: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
        if not items:
            raise argparse.ArgumentTypeError(f"{name} needs at least one of: {', '.join(allowed)}")
        bad = [s for s in items if s not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(
                f"{name}: unknown {', '.join(bad)} (expected a comma-separated list of: "
                f"{', '.join(allowed)})"
            )
        return items

    return parse


def speed(text: str) -> float | None:
    from workstation.engine.replay import parse_speed

    try:
        return parse_speed(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--speed: {exc}") from None


def utc_time(name: str) -> Callable[[str], int]:
    """A time argument (ISO 8601 UTC, a date, or epoch s/ms) -> ms since the epoch."""

    def parse(text: str) -> int:
        from workstation.sessions.importers.common import epoch_ms

        try:
            return epoch_ms(text)
        except (ValueError, OverflowError, OSError):
            raise argparse.ArgumentTypeError(
                f"{name} must be an ISO 8601 UTC time such as 2026-01-30T00:00:00Z, not {text!r}"
            ) from None

    return parse


MIN_WINDOW = (800, 500)  # px: below this the panes and the side panel no longer fit


def window_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` in pixels, at least :data:`MIN_WINDOW` (and at most 10000 a side)."""
    width, sep, height = text.lower().partition("x")
    if not (sep and width.strip().isdigit() and height.strip().isdigit()):
        raise argparse.ArgumentTypeError(
            f"--size must be WIDTHxHEIGHT such as 1600x1000, not {text!r}"
        )
    w, h = int(width), int(height)
    lo_w, lo_h = MIN_WINDOW
    if not (lo_w <= w <= 10_000 and lo_h <= h <= 10_000):
        raise argparse.ArgumentTypeError(
            f"--size must be at least {lo_w}x{lo_h} and at most 10000x10000 (got {text})"
        )
    return w, h
