"""The metric catalogue: the staleness limits it took over from the old prefix table, display
formats with real numbers, and the ``[staleness_s]`` overrides of a rules file."""

from __future__ import annotations

import re

import pytest
from conftest import REPO

from workstation.metrics.catalogue import CATALOGUE, fmt, markdown_table, metric, staleness_ms

# What metrics/market.py held before the catalogue (commit 93caed8): the names, and the staleness
# limits in seconds by prefix (a name's longest matching prefix won; 300 s without one).
RAW_NAMES = (
    "mark_price", "index_price", "funding_rate", "funding_interval_h", "next_funding_ts_ms",
    "oi_coin", "oi_usd", "close", "bar_volume_coin", "liq_long_usd_total", "liq_short_usd_total",
    "future_price", "future_expiry_ts_ms", "long_short_ratio", "spot_volume_usd_24h",
    "perp_volume_usd_24h", "option_quotes", "premium_index", "dvol_pct",
)  # fmt: skip
DERIVED_NAMES = (
    *(f"oi_change_{w}_pct" for w in ("1h", "4h", "24h")),
    *(f"price_change_{w}_pct" for w in ("1h", "4h", "24h")),
    "funding_rate_pct", "funding_rate_8h_pct", "funding_apr_pct", "premium_bp", "basis_apr_pct",
    "liq_long_usd_1m", "liq_short_usd_1m", "liq_long_usd_1h", "liq_short_usd_1h", "liq_intensity_x",
    "rv_1h_pct", "rv_24h_pct", "rv_7d_pct", "skew_25d_30d_volpts", "atm_iv_30d_pct",
    "spot_perp_volume_ratio", "price_structure_score", "swing_low_usd", "swing_high_usd",
    "liq_median_usd_1h", "liq_baseline_usd_1h",  # added with issue 13: intensity's divisor
)  # fmt: skip
OLD_STALENESS_S = {
    "mark_price": 120, "index_price": 120, "premium_bp": 120, "price_": 120, "funding_": 180,
    "next_funding_ts_ms": 180, "oi_": 300, "liq_": 120, "liq_long_usd_total": 1e12,
    "liq_short_usd_total": 1e12, "rv_": 180, "price_structure_score": 180, "swing_": 180,
    "close": 180, "bar_volume_coin": 180, "basis_apr_pct": 300, "future_": 300, "skew_": 300,
    "atm_iv_": 300, "option_quotes": 300, "long_short_ratio": 900, "spot_": 900, "perp_": 900,
    "premium_index": 120, "dvol_pct": 300,
}  # fmt: skip


def _old_limit_s(name: str) -> float:
    best = max((p for p in OLD_STALENESS_S if name.startswith(p)), key=len, default="")
    return OLD_STALENESS_S[best] if best else 300.0


def test_the_catalogue_holds_every_name_once_raw_or_derived() -> None:
    assert sorted(CATALOGUE) == sorted(RAW_NAMES + DERIVED_NAMES)
    assert {n for n, m in CATALOGUE.items() if not m.derived} == set(RAW_NAMES)
    assert {n for n, m in CATALOGUE.items() if m.derived} == set(DERIVED_NAMES)


@pytest.mark.parametrize("name", RAW_NAMES + DERIVED_NAMES)
def test_staleness_limits_are_those_of_the_old_prefix_table(name: str) -> None:
    assert metric(name).staleness_s == _old_limit_s(name)
    assert staleness_ms(name) == 1000.0 * _old_limit_s(name)


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("mark_price", 74534.789, "74,534.79 USD"),
        ("oi_usd", 11_204_000_000.0, "11.20B USD"),
        ("liq_long_usd_1h", 1_804_321.0, "1.80M USD"),
        ("liq_short_usd_1h", 167_166.0, "167.2k USD"),
        ("liq_long_usd_1m", 950.4, "950 USD"),
        ("liq_long_usd_1m", 999.6, "1.0k USD"),  # never "1000 USD" ...
        ("liq_short_usd_1m", 999_960.0, "1.00M USD"),  # ... nor "1000.0k USD"
        ("oi_coin", 150_291.4, "150,291 coin"),
        ("oi_change_4h_pct", 1.234, "+1.23%"),
        ("oi_change_4h_pct", -0.5, "-0.50%"),  # the sign kept, never "+-0.50%"
        ("price_change_1h_pct", -0.001, "0.00%"),  # rounds to zero: no sign
        ("funding_rate_8h_pct", 0.0115, "0.0115%/8h"),
        ("funding_rate_8h_pct", -0.0037, "-0.0037%/8h"),
        ("funding_apr_pct", 12.59, "12.6%/yr"),
        ("basis_apr_pct", 2.04, "2.0%/yr"),
        ("liq_intensity_x", 6.34, "6.3x"),
        ("skew_25d_30d_volpts", 7.24, "7.2 vol pts"),
        ("premium_bp", -3.26, "-3.3 bp"),
        ("rv_24h_pct", 71.4, "71%"),
        ("spot_perp_volume_ratio", 0.1849, "0.18"),
        ("price_structure_score", -1.0, "-1"),
        ("price_structure_score", 0.0, "0"),
        ("price_structure_score", 1.0, "+1"),
        ("funding_rate", 0.000115, "0.000115"),
        ("funding_interval_h", 8.0, "8 h"),
    ],
)
def test_display_formats(name: str, value: float, text: str) -> None:
    assert fmt(name, value) == text


def test_unknown_values_and_names() -> None:
    assert fmt("mark_price", None) == "—"
    assert metric("oi_usd").number(11_204_000_000.0) == "11.20B"  # the number alone
    with pytest.raises(KeyError):
        metric("oi_change_2h_pct")


def test_staleness_overrides_by_name_and_prefix() -> None:
    over = {"oi_": 600, "oi_change_4h_pct": 50, "liq_": 30, "price_": 15}
    assert staleness_ms("oi_coin", over) == 600_000  # the family prefix applies
    assert staleness_ms("oi_change_1h_pct", over) == 600_000
    assert staleness_ms("oi_change_4h_pct", over) == 50_000  # the longest key wins
    assert staleness_ms("liq_long_usd_1h", over) == 30_000
    assert staleness_ms("liq_long_usd_total", over) == 1e15  # a running total: by name only
    assert staleness_ms("liq_long_usd_total", {"liq_long_usd_total": 60}) == 60_000
    assert staleness_ms("price_structure_score", over) == 15_000
    assert staleness_ms("mark_price", over) == 120_000  # "price_" does not start "mark_price"
    assert staleness_ms("funding_rate", over) == 180_000  # no key: the catalogue's


def test_the_readme_lists_every_metric_of_the_catalogue_and_no_other() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Metrics\n") :]
    table = re.search(r"^\|.*?(?=\n\n)", section, re.S | re.M).group(0)
    names = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert set(names) - set(CATALOGUE) == set(), "in the README, not in the catalogue"
    assert set(CATALOGUE) - set(names) == set(), "in the catalogue, not in the README"
    # the same rows: regenerate with `python -m workstation.metrics.catalogue`
    assert table == markdown_table()
