"""Black-76 on the forward, r = 0 (Deribit's convention: options priced on the expiry's future).

``T`` is in years of 365 days, ``sigma`` is a fraction (0.55 = 55%). Deltas are forward,
undiscounted: call N(d1), put N(d1) − 1. At expiry (T = 0) or with no volatility (σ = 0) the
premium is the intrinsic value and the call delta a step: 1 in the money, 0 out of it, ½ at the
money (the limit of N(d1) as σ√T → 0). The option type is ``'C'`` or ``'P'`` in either case
(``'c'`` is a call, as Deribit's ``-C`` suffix is); anything else is refused with ValueError,
never read as a put. A negative T or σ is refused too. Pure functions; any thread may call them.
"""

from __future__ import annotations

import math

MS_PER_YEAR = 365 * 86_400_000


def norm_cdf(x: float) -> float:
    """Standard normal cumulative distribution."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _is_call(option_type: str) -> bool:
    kind = option_type.upper() if isinstance(option_type, str) else option_type
    if kind not in ("C", "P"):
        raise ValueError(f"option type must be 'C' (call) or 'P' (put), not {option_type!r}")
    return kind == "C"


def _degenerate(t_years: float, sigma: float) -> bool:
    """True at expiry or with no volatility (σ√T = 0); refuses a negative T or σ."""
    if t_years < 0 or sigma < 0:
        raise ValueError(f"T and sigma must be >= 0 (got T={t_years:g}, sigma={sigma:g})")
    return t_years == 0 or sigma == 0


def d1(forward: float, strike: float, t_years: float, sigma: float) -> float:
    """d1 = (ln(F/K) + σ²T/2) / (σ√T); needs σ√T > 0."""
    vol_sqrt_t = sigma * math.sqrt(t_years)
    return (math.log(forward / strike) + 0.5 * vol_sqrt_t * vol_sqrt_t) / vol_sqrt_t


def forward_delta(
    forward: float, strike: float, t_years: float, sigma: float, option_type: str
) -> float:
    """Forward delta: N(d1) for a call ('C'), N(d1) − 1 for a put ('P'); a step at expiry."""
    is_call = _is_call(option_type)
    if _degenerate(t_years, sigma):
        call = 1.0 if forward > strike else 0.0 if forward < strike else 0.5
    else:
        call = norm_cdf(d1(forward, strike, t_years, sigma))
    return call if is_call else call - 1.0


def price(forward: float, strike: float, t_years: float, sigma: float, option_type: str) -> float:
    """Undiscounted Black-76 premium in the forward's currency; intrinsic at expiry."""
    is_call = _is_call(option_type)
    if _degenerate(t_years, sigma):
        return max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    x1 = d1(forward, strike, t_years, sigma)
    x2 = x1 - sigma * math.sqrt(t_years)
    if is_call:
        return forward * norm_cdf(x1) - strike * norm_cdf(x2)
    return strike * norm_cdf(-x2) - forward * norm_cdf(-x1)
