"""Chart axes that print the catalogue's numbers (thousands separators, k/M/B, never scientific
notation), and the placement of threshold labels so that none overlaps another or leaves its
pane. GUI thread only."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

import pyqtgraph as pg

from workstation.metrics.catalogue import CATALOGUE, compact_number


class MetricAxis(pg.AxisItem):
    """An axis whose tick labels are ``metric``'s numbers (times the axis' scale), with no more
    decimals than the tick spacing needs: 75,000 rather than 75,000.00."""

    def __init__(self, orientation: str, metric: str) -> None:
        super().__init__(orientation)
        self.metric = CATALOGUE[metric]
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        m = self.metric
        step = spacing * scale
        precision = re.search(r"\.(\d+)f$", m.spec)
        if m.compact or precision is None or not step > 0:
            return [m.number(v * scale) for v in values]
        decimals = min(int(precision[1]), max(0, -math.floor(math.log10(step) + 1e-9)))
        spec = m.spec[: precision.start()] + f".{decimals}f"
        return [replace(m, spec=spec).number(v * scale) for v in values]


class MoneyAxis(pg.AxisItem):
    """An axis of USD amounts: 250.0k, 1.50M, -2.00M (the unit goes in the axis' title)."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [compact_number(v * scale) for v in values]


def spread(wanted: Sequence[float], height: float, size: float) -> list[float | None]:
    """Centres for labels ``size`` high wanted at ``wanted`` (pixels from the top) in a pane
    ``height`` high: each as near its wish as it can be with none overlapping another or leaving
    the pane. Labels beyond what the pane holds (the later ones) get None."""
    room = max(0, int(height // size)) if size > 0 else 0
    kept = sorted(range(min(room, len(wanted))), key=lambda i: wanted[i])
    lo, hi = size / 2, height - size / 2
    centres = [min(max(wanted[i], lo), hi) for i in kept]
    for j in range(1, len(centres)):  # push down below the one above ...
        centres[j] = max(centres[j], centres[j - 1] + size)
    for j in range(len(centres) - 1, -1, -1):  # ... and back up from the bottom edge
        centres[j] = min(centres[j], hi if j == len(centres) - 1 else centres[j + 1] - size)
    out: list[float | None] = [None] * len(wanted)
    for i, c in zip(kept, centres, strict=True):
        out[i] = c
    return out
