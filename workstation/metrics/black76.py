"""Black-76 on the forward, r = 0 (Deribit's convention: options priced on the expiry's future).

``T`` is in years of 365 days, ``sigma`` is a fraction (0.55 = 55%). Deltas are forward,
undiscounted: call N(d1), put N(d1) − 1. Pure functions; any thread may call them.
"""

from __future__ import annotations

import math

MS_PER_YEAR = 365 * 86_400_000


def norm_cdf(x: float) -> float:
    """Standard normal cumulative distribution."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def d1(forward: float, strike: float, t_years: float, sigma: float) -> float:
    """d1 = (ln(F/K) + σ²T/2) / (σ√T)."""
    vol_sqrt_t = sigma * math.sqrt(t_years)
    return (math.log(forward / strike) + 0.5 * vol_sqrt_t * vol_sqrt_t) / vol_sqrt_t


def forward_delta(
    forward: float, strike: float, t_years: float, sigma: float, option_type: str
) -> float:
    """Forward delta: N(d1) for a call ('C'), N(d1) − 1 for a put ('P')."""
    call = norm_cdf(d1(forward, strike, t_years, sigma))
    return call if option_type == "C" else call - 1.0


def price(forward: float, strike: float, t_years: float, sigma: float, option_type: str) -> float:
    """Undiscounted Black-76 premium in the forward's currency."""
    x1 = d1(forward, strike, t_years, sigma)
    x2 = x1 - sigma * math.sqrt(t_years)
    if option_type == "C":
        return forward * norm_cdf(x1) - strike * norm_cdf(x2)
    return strike * norm_cdf(-x2) - forward * norm_cdf(-x1)
