"""Black-76 forward deltas against textbook values, and the 25Δ skew recipe round-tripped."""

from __future__ import annotations

import math

import pytest

from workstation.core.events import OptionQuote
from workstation.metrics.black76 import MS_PER_YEAR, forward_delta, price
from workstation.metrics.skew import chain_skew

DAY = 86_400_000
NOW = 1_770_000_000_000


def test_black76_matches_hulls_example() -> None:
    # Hull, Black's model for futures options: F = 620, K = 600, r = 5%, T = 0.5, σ = 20%:
    # the call is worth 44.19 (discounted). Our premium is undiscounted (r = 0 on the forward).
    undiscounted = price(620.0, 600.0, 0.5, 0.20, "C")
    assert undiscounted * math.exp(-0.05 * 0.5) == pytest.approx(44.19, abs=0.005)
    # put-call parity on the forward: C − P = F − K
    assert price(620.0, 600.0, 0.5, 0.2, "C") - price(620.0, 600.0, 0.5, 0.2, "P") == pytest.approx(
        20.0
    )


@pytest.mark.parametrize(
    "f,k,t,sigma,expected_call_delta",
    [
        (100.0, 100.0, 1.0, 0.20, 0.539828),  # d1 = 0.1, N(0.1) from the normal table
        (620.0, 600.0, 0.5, 0.20, 0.618889),  # Hull's example: d1 = 0.302570, table N = 0.618889
        (100.0, 130.0, 30 / 365, 0.60, None),  # far OTM call: checked by finite difference only
    ],
)
def test_forward_delta(f: float, k: float, t: float, sigma: float, expected_call_delta) -> None:
    call = forward_delta(f, k, t, sigma, "C")
    put = forward_delta(f, k, t, sigma, "P")
    if expected_call_delta is not None:
        assert call == pytest.approx(expected_call_delta, abs=1e-5)  # table precision
    assert put == pytest.approx(call - 1.0)
    h = f * 1e-5  # the delta is the premium's slope in the forward
    fd = (price(f + h, k, t, sigma, "C") - price(f - h, k, t, sigma, "C")) / (2 * h)
    assert call == pytest.approx(fd, abs=1e-6)


def _n(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def smile_iv(fwd: float, k: float, t: float, atm: float, skew: float) -> float:
    """The smile is known in delta space: IV(x) = atm + 2·skew·(x − 0.5), x the call-equivalent
    delta, so IV(25Δ put) − IV(25Δ call) = skew exactly. Solved for strike k by fixed point."""
    iv = atm
    for _ in range(200):
        s = iv / 100
        x = _n((math.log(fwd / k) + 0.5 * s * s * t) / (s * math.sqrt(t)))
        iv = atm + 2 * skew * (x - 0.5)
    return iv


def make_chain(
    expiry_days: float, fwd: float, atm: float, skew: float, step: float
) -> list[OptionQuote]:
    t = expiry_days / 365
    quotes = []
    k = step * math.ceil(0.5 * fwd / step)
    while k < 1.8 * fwd:
        iv = smile_iv(fwd, k, t, atm, skew)
        typ = "P" if k < fwd else "C"
        exp = NOW + round(expiry_days * DAY)
        quotes.append(OptionQuote(f"X-{k}-{typ}", exp, k, typ, iv, fwd))
        k += step
    return quotes


def test_round_trip_single_expiry_recovers_skew_and_atm() -> None:
    chain = make_chain(30, 70_000.0, 50.0, 7.5, 250)
    res = chain_skew(chain, NOW)
    assert res.skew_25d_30d_volpts == pytest.approx(7.5, abs=0.1)
    # ATM is at K = F, where the call delta is N(σ√T/2) > 0.5: not the smile's 0.5-delta level.
    assert res.atm_iv_30d_pct == pytest.approx(
        smile_iv(70_000.0, 70_000.0, 30 / 365, 50.0, 7.5), abs=0.1
    )
    assert len(res.deltas) == len(chain) - (1 if any(q.strike_usd == 70_000 for q in chain) else 0)


def test_round_trip_30_day_constant_maturity() -> None:
    near = make_chain(20, 70_000.0, 55.0, 9.0, 250)
    far = make_chain(45, 70_500.0, 50.0, 5.0, 250)
    res = chain_skew(near + far, NOW)
    # Expected, worked independently: interpolate total variance of each wing in T.
    t1, t2, t30 = 20 / 365, 45 / 365, 30 / 365

    def at30(v1: float, v2: float) -> float:
        w1, w2 = (v1 / 100) ** 2 * t1, (v2 / 100) ** 2 * t2
        return 100 * math.sqrt((w1 + (w2 - w1) * (t30 - t1) / (t2 - t1)) / t30)

    put30 = at30(55.0 + 9.0 / 2, 50.0 + 5.0 / 2)
    call30 = at30(55.0 - 9.0 / 2, 50.0 - 5.0 / 2)
    assert res.put25_iv_30d_pct == pytest.approx(put30, abs=0.1)
    assert res.call25_iv_30d_pct == pytest.approx(call30, abs=0.1)
    assert res.skew_25d_30d_volpts == pytest.approx(put30 - call30, abs=0.1)
    atm1 = smile_iv(70_000.0, 70_000.0, t1, 55.0, 9.0)
    atm2 = smile_iv(70_500.0, 70_500.0, t2, 50.0, 5.0)
    assert res.atm_iv_30d_pct == pytest.approx(at30(atm1, atm2), abs=0.1)
    assert [round(e.skew_volpts, 1) for e in res.expiries] == [9.0, 5.0]


def test_no_extrapolation_past_the_wings_or_the_expiries() -> None:
    narrow = [
        q
        for q in make_chain(30, 70_000.0, 50.0, 7.5, 250)
        if 0.97 * 70_000 < q.strike_usd < 1.03 * 70_000
    ]
    res = chain_skew(narrow, NOW)
    assert res.expiries[0].put25_iv_pct is None and res.skew_25d_30d_volpts is None
    only_far = make_chain(45, 70_000.0, 50.0, 5.0, 250)
    assert chain_skew(only_far, NOW).skew_25d_30d_volpts is None  # nothing below 30 days
    expired = make_chain(10, 70_000.0, 50.0, 5.0, 250)
    assert chain_skew(expired, NOW + 11 * DAY).expiries == ()


def test_in_the_money_and_zero_iv_quotes_are_ignored() -> None:
    chain = make_chain(30, 70_000.0, 50.0, 7.5, 250)
    t = 30 / 365
    itm = [
        OptionQuote("itm-call", chain[0].expiry_ts_ms, 50_000.0, "C", 99.0, 70_000.0),
        OptionQuote("zero", chain[0].expiry_ts_ms, 60_000.0, "P", 0.0, 70_000.0),
    ]
    res = chain_skew(chain + itm, NOW)
    assert res.skew_25d_30d_volpts == pytest.approx(7.5, abs=0.1)
    assert "itm-call" not in res.deltas and "zero" not in res.deltas
    assert MS_PER_YEAR * t == pytest.approx(30 * DAY)


# --- issue 13 item 10: option type and expiry --------------------------------------------------
def test_option_type_is_c_or_p_in_either_case_and_nothing_else() -> None:
    # A lowercase 'c' is a call (it was read as a put): F = 620, K = 600 call = the 'C' premium.
    assert price(620.0, 600.0, 0.5, 0.2, "c") == price(620.0, 600.0, 0.5, 0.2, "C")
    assert forward_delta(100.0, 100.0, 1.0, 0.2, "p") == pytest.approx(0.539828 - 1, abs=1e-5)
    for bad in ("X", "call", "", None):
        with pytest.raises(ValueError, match="option type must be 'C'"):
            price(620.0, 600.0, 0.5, 0.2, bad)
        with pytest.raises(ValueError, match="option type must be 'C'"):
            forward_delta(620.0, 600.0, 0.5, 0.2, bad)


@pytest.mark.parametrize("t,sigma", [(0.0, 0.2), (0.5, 0.0), (0.0, 0.0)])
def test_at_expiry_or_without_vol_intrinsic_value_and_a_step_delta(t: float, sigma: float) -> None:
    # F = 620, K = 600: the call is 20 in the money (delta 1), the put worthless (delta 0);
    # F = 580: the put is worth 20 (delta -1), the call 0; at the money the delta is 1/2.
    assert price(620.0, 600.0, t, sigma, "C") == 20.0 and price(620.0, 600.0, t, sigma, "P") == 0.0
    assert price(580.0, 600.0, t, sigma, "P") == 20.0 and price(580.0, 600.0, t, sigma, "C") == 0.0
    assert forward_delta(620.0, 600.0, t, sigma, "C") == 1.0
    assert forward_delta(620.0, 600.0, t, sigma, "P") == 0.0
    assert forward_delta(580.0, 600.0, t, sigma, "C") == 0.0
    assert forward_delta(580.0, 600.0, t, sigma, "P") == -1.0
    assert forward_delta(600.0, 600.0, t, sigma, "C") == 0.5


def test_just_before_expiry_the_price_tends_to_intrinsic() -> None:
    # a second method: the regular formula one minute before expiry is within a cent of intrinsic
    minute = 60_000 / MS_PER_YEAR
    assert price(620.0, 600.0, minute, 0.2, "C") == pytest.approx(20.0, abs=0.01)


def test_negative_time_or_vol_is_refused() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        price(620.0, 600.0, -0.1, 0.2, "C")
    with pytest.raises(ValueError, match="must be >= 0"):
        forward_delta(620.0, 600.0, 0.1, -0.2, "C")
