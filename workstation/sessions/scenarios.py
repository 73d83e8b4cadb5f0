"""Scenario scripts for the simulator: a market path as anchors at fractions of the session.

Between anchors every series moves linearly (price in log terms) and the simulator adds seeded
noise that is pinned to the anchors, so the script holds exactly at each phase boundary whatever
the seed: a test can derive *when* a signal must appear from the script alone.

Units: ``price_rel`` and ``oi_rel`` relative to the session start; ``funding_8h`` fraction per 8h;
``skew_volpts`` 25Δ put IV − call IV in vol points; ``atm_iv_pct`` percent; ``basis_apr`` fraction
per year; ``vol_ann`` annualised realized vol of the noise (fraction); ``liq_clusters_per_h``
liquidation clusters per hour per venue at rest; ``long_short_ratio``; ``spot_perp_ratio`` 24h
spot ÷ perp volume.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Anchor:
    frac: float
    phase: str  # the phase that *ends* at this anchor ("start" for the first)
    price_rel: float
    oi_rel: float
    funding_8h: float
    skew_volpts: float
    atm_iv_pct: float
    basis_apr: float
    vol_ann: float
    liq_clusters_per_h: float
    long_short_ratio: float
    spot_perp_ratio: float


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    start_utc: str  # default start, ISO 8601
    default_hours: float
    anchors: tuple[Anchor, ...]

    def phases(self, start_ms: int, hours: float) -> list[dict[str, object]]:
        """The script in session time: one dict per phase with its start/end ms and end values."""
        span = hours * 3_600_000
        out = []
        for prev, cur in itertools.pairwise(self.anchors):
            d = asdict(cur)
            d.pop("frac")
            d["start_ms"] = start_ms + round(prev.frac * span)
            d["end_ms"] = start_ms + round(cur.frac * span)
            out.append(d)
        return out


def _a(frac: float, phase: str, *values: float) -> Anchor:
    return Anchor(frac, phase, *values)


# fmt: off
#          frac  phase        price  oi    fund_8h   skew  atm  basis  vol   liq/h  L/S   spot/perp
SCENARIOS: dict[str, Scenario] = {
    "calm": Scenario(
        "calm",
        "Quiet range: modest funding, neutral skew, basis in the 5-10% band, rare liquidations.",
        "2026-03-02T00:00:00Z", 48,
        (
            _a(0.00, "start",    1.000, 1.00, 0.00010,  2.5, 40.0, 0.075, 0.30, 0.4, 1.90, 0.32),
            _a(0.50, "range",    1.012, 1.01, 0.00011,  3.0, 39.0, 0.078, 0.30, 0.4, 1.95, 0.31),
            _a(1.00, "drift",    1.006, 1.02, 0.00010,  2.8, 40.0, 0.074, 0.30, 0.4, 1.90, 0.32),
        ),
    ),
    "short-squeeze": Scenario(
        "short-squeeze",
        "Shorts crowd into a slow decline (negative funding, OI up), then a fast squeeze: price "
        "+12%, short liquidation clusters, OI falling, funding flips positive, skew turns to FOMO.",
        "2026-04-06T00:00:00Z", 48,
        (
            _a(0.00, "start",    1.000, 1.00, 0.00005,  3.0, 42.0, 0.060, 0.35, 0.4, 1.10, 0.30),
            _a(0.40, "crowding", 0.970, 1.07, -0.00020, 4.0, 44.0, 0.045, 0.40, 0.6, 0.80, 0.24),
            _a(0.60, "squeeze",  1.087, 0.92, 0.00030, -7.5, 55.0, 0.120, 0.85, 10.0, 1.40, 0.18),
            _a(1.00, "settle",   1.095, 0.93, 0.00015, -2.0, 46.0, 0.090, 0.45, 0.8, 1.60, 0.26),
        ),
    ),
    "feb-2026-selloff": Scenario(
        "feb-2026-selloff",
        "The February 2026 path (../shared/DOMAIN.md section 2): quiet drift, crowding (OI and "
        "funding rising), a cascade of -21% to 60,150 with long-liquidation clusters, OI "
        "flushed, funding negative, skew to ~20 vol pts and basis to ~2%, then a +17% rebound "
        "on soft derivatives (OI falling, basis low).",
        "2026-01-30T00:00:00Z", 168,
        (
            _a(0.00, "start",    0.992, 1.00, 0.00010,  2.5, 42.0, 0.075, 0.35, 0.3, 1.90, 0.30),
            _a(0.25, "quiet",    1.006, 1.01, 0.00010,  3.0, 41.0, 0.076, 0.35, 0.3, 1.95, 0.30),
            _a(0.45, "crowding", 1.000, 1.09, 0.00035,  5.0, 46.0, 0.095, 0.45, 0.6, 2.30, 0.22),
            _a(0.55, "breakdown", 0.930, 1.12, 0.00020, 9.0, 55.0, 0.070, 0.85, 6.0, 2.10, 0.18),
            _a(0.75, "cascade",  0.790, 0.90, -0.00005, 20.0, 75.0, 0.020, 1.00, 15.0, 1.50, 0.15),
            _a(1.00, "rebound",  0.9243, 0.87, 0.00003,  9.0, 55.0, 0.025, 0.60, 0.4, 1.70, 0.20),
        ),
    ),
}
# fmt: on

# Start prices (USD) so that feb-2026-selloff's cascade low lands on 60,150 for BTC.
BASE_PRICE_USD = {"BTCUSDT": 60_150 / 0.790, "ETHUSDT": 2_600.0, "SOLUSDT": 118.0}
