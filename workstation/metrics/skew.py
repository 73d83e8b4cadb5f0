"""25-delta skew and ATM IV from an option chain, per expiry and at 30-day constant maturity.

The recipe of ../shared/DOMAIN.md section 1: Black-76 forward deltas (r = 0) on each expiry's
``underlying_price`` with σ = mark_iv/100 and T in 365-day years; out-of-the-money quotes only
(puts K < F, calls K > F) with mark_iv > 0; IV interpolated linearly against delta at −0.25 and
+0.25, never extrapolated past the quoted wings; ATM IV at K = F (linear in strike between the
nearest OTM put below and call above). The 30-day figure interpolates total variance σ²T linearly
in T between the two expiries around 30 days (no extrapolation).

Skew is IV(25Δ put) − IV(25Δ call) in vol points: positive means puts are richer (fear). This is
the opposite sign of the FX "risk reversal". Pure functions; any thread may call them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from workstation.core.events import OptionQuote
from workstation.metrics.black76 import MS_PER_YEAR, forward_delta

TARGET_DAYS = 30.0


@dataclass(frozen=True, slots=True)
class ExpirySkew:
    expiry_ts_ms: int
    t_years: float
    forward_usd: float
    put25_iv_pct: float | None
    call25_iv_pct: float | None
    atm_iv_pct: float | None

    @property
    def skew_volpts(self) -> float | None:
        if self.put25_iv_pct is None or self.call25_iv_pct is None:
            return None
        return self.put25_iv_pct - self.call25_iv_pct


@dataclass(frozen=True, slots=True)
class SkewResult:
    """Per expiry (sorted by expiry) and the 30-day constant-maturity figures (None when the
    chain has no pair of expiries around 30 days with both wings quoted)."""

    expiries: tuple[ExpirySkew, ...]
    deltas: dict[str, float]  # instrument -> forward delta the workstation computed
    skew_25d_30d_volpts: float | None
    atm_iv_30d_pct: float | None
    put25_iv_30d_pct: float | None
    call25_iv_30d_pct: float | None


def _interp(x: float, pts: list[tuple[float, float]]) -> float | None:
    """Linear interpolation of y at x over points sorted by x; None outside their range."""
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    if len(pts) == 1 and pts[0][0] == x:
        return pts[0][1]
    return None


def expiry_skew(
    quotes: list[OptionQuote], now_ms: int, deltas: dict[str, float] | None = None
) -> ExpirySkew | None:
    """The 25Δ put/call IVs and ATM IV of one expiry's quotes (None if it has expired)."""
    expiry = quotes[0].expiry_ts_ms
    t = (expiry - now_ms) / MS_PER_YEAR
    if t <= 0:
        return None
    fwd = quotes[0].underlying_price_usd
    puts: list[tuple[float, float]] = []
    calls: list[tuple[float, float]] = []
    strike_iv: list[tuple[float, float]] = []
    for q in quotes:
        if q.mark_iv_pct <= 0:
            continue
        f = q.underlying_price_usd
        if q.option_type == "P" and q.strike_usd < f:
            d = forward_delta(f, q.strike_usd, t, q.mark_iv_pct / 100.0, "P")
            puts.append((d, q.mark_iv_pct))
        elif q.option_type == "C" and q.strike_usd > f:
            d = forward_delta(f, q.strike_usd, t, q.mark_iv_pct / 100.0, "C")
            calls.append((d, q.mark_iv_pct))
        else:
            continue
        strike_iv.append((q.strike_usd, q.mark_iv_pct))
        if deltas is not None:
            deltas[q.instrument] = d
    puts.sort()
    calls.sort()
    strike_iv.sort()
    below = [p for p in strike_iv if p[0] < fwd]
    above = [p for p in strike_iv if p[0] > fwd]
    atm = _interp(fwd, [below[-1], above[0]]) if below and above else None
    return ExpirySkew(expiry, t, fwd, _interp(-0.25, puts), _interp(0.25, calls), atm)


def _var_interp(near: ExpirySkew, far: ExpirySkew, attr: str, t_target: float) -> float | None:
    a, b = getattr(near, attr), getattr(far, attr)
    if a is None or b is None:
        return None
    w_near = (a / 100.0) ** 2 * near.t_years
    w_far = (b / 100.0) ** 2 * far.t_years
    w = w_near + (w_far - w_near) * (t_target - near.t_years) / (far.t_years - near.t_years)
    return 100.0 * math.sqrt(max(w, 0.0) / t_target)


def chain_skew(quotes: tuple[OptionQuote, ...] | list[OptionQuote], now_ms: int) -> SkewResult:
    """Skew and ATM IV per expiry and at 30 days for a chain snapshot taken at ``now_ms``."""
    by_expiry: dict[int, list[OptionQuote]] = {}
    for q in quotes:
        by_expiry.setdefault(q.expiry_ts_ms, []).append(q)
    deltas: dict[str, float] = {}
    rows = [
        r
        for exp in sorted(by_expiry)
        if (r := expiry_skew(by_expiry[exp], now_ms, deltas)) is not None
    ]
    t30 = TARGET_DAYS / 365.0
    near = [r for r in rows if r.t_years <= t30 and r.skew_volpts is not None]
    far = [r for r in rows if r.t_years >= t30 and r.skew_volpts is not None]
    put30 = call30 = atm30 = None
    if near and far:
        n, f = near[-1], far[0]
        if n.expiry_ts_ms == f.expiry_ts_ms:  # an expiry exactly at 30 days
            put30, call30, atm30 = n.put25_iv_pct, n.call25_iv_pct, n.atm_iv_pct
        else:
            put30 = _var_interp(n, f, "put25_iv_pct", t30)
            call30 = _var_interp(n, f, "call25_iv_pct", t30)
            atm30 = _var_interp(n, f, "atm_iv_pct", t30)
    skew30 = None if put30 is None or call30 is None else put30 - call30
    return SkewResult(tuple(rows), deltas, skew30, atm30, put30, call30)
