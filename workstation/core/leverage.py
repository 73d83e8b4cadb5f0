"""Sides of a position and the one rounding rule for leverage figures. Pure; any thread."""

from __future__ import annotations

import math

SIDES = ("long", "short")


def leverage_x(value: float) -> float:
    """A leverage (×) as shown and compared everywhere: floored to 0.1x, never rounded up
    (2.56x is 2.5x), with a 1e-9 tolerance so 2.5 stays 2.5 after float arithmetic; unbounded
    (no equity left) stays infinite."""
    if math.isinf(value):
        return value
    return math.floor(value * 10 + 1e-9) / 10
