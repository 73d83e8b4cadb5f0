"""The metric catalogue: every value the engine writes per stream, once, with its unit, label,
display format, staleness limit and the views that show it. Everything else (the staleness of
:class:`~workstation.metrics.market.MetricsConfig`, the rules' list of names, the signal table, the
chart panes, the CLI table, the README's Metrics table) derives from :data:`CATALOGUE`.

Definitions are those of ../shared/DOMAIN.md section 1. Immutable: any thread may read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

NEVER_STALE_S = 1e12  # running totals: unchanged in a quiet market, never "old"
_GLUED = ("%", "%/8h", "%/yr", "x")  # written against the number: "6.3x", "+1.20%"
_BARE = ("ratio", "score", "fraction", "count")  # no unit after the number


@dataclass(frozen=True)
class Signal:
    """A row of the signal table (DOMAIN section 2): the checklist item the metric stands for
    (None: not a checklist item) and what to do while it is in caution: ``action`` when the value
    has the sign ``sign`` (or is zero), ``opposite`` when it has the other (negative funding is
    about crowded shorts, not longs); an empty ``opposite`` keeps ``action``."""

    item: str | None
    action: str
    opposite: str = ""
    sign: int = 1

    def advice(self, value: float) -> str:
        return self.opposite if self.opposite and value * self.sign < 0 else self.action


def compact_number(value: float) -> str:
    """``value`` in the smallest unit under 1000 of it: 950, 167.2k, 1.00M (not 1000.0k), -2.50B."""
    text = format(value, ".0f")
    for scale, letter, spec in ((1e3, "k", ".1f"), (1e6, "M", ".2f"), (1e9, "B", ".2f")):
        if abs(float(text.rstrip("kMB"))) < 1000:
            break
        text = format(value / scale, spec) + letter
    return text


@dataclass(frozen=True)
class Metric:
    """One metric. ``spec`` formats the number (a format spec; ``compact`` instead scales it by
    k, M, B); ``pane`` is the chart pane it belongs to (drawn there if charted; a rule reading it
    shades there); ``signal`` a signal-table row; ``column`` a column of the CLI's table."""

    name: str
    label: str  # for people: "OI change 4h"
    short: str  # column headers, chart readouts: "OI 4h"
    unit: str  # "USD", "%", "%/8h", "%/yr", "vol pts", "x", "bp", "coin", "ratio", "h", "ms", ...
    spec: str
    staleness_s: float
    derived: bool
    definition: str
    pane: str
    compact: bool = False
    signal: Signal | None = None
    column: bool = False

    def number(self, value: float) -> str:
        """``value`` as shown, without its unit: ``+1.20``, ``11.20B``; a value that rounds to
        zero has no sign."""
        text = compact_number(value) if self.compact else format(value, self.spec)
        if text[0] in "+-" and not text.strip("+-0.,"):
            text = text[1:]
        return text

    def text(self, value: float) -> str:
        """``value`` with its unit: ``6.3x``, ``0.0115%/8h``, ``74,534.79 USD``, ``0.35``."""
        if self.unit in _GLUED:
            return self.number(value) + self.unit
        if self.unit in _BARE:
            return self.number(value)
        return f"{self.number(value)} {self.unit}"


_WINDOWS = ("1h", "4h", "24h")


def _entries() -> tuple[Metric, ...]:
    M = Metric
    return (
        # --- price ------------------------------------------------------------------------------
        M("mark_price", "Mark price", "mark", "USD", ",.2f", 120, False,
          "perpetual mark price (a stream without a mark feed: its 1-minute closes)", "price",
          column=True),
        M("index_price", "Index price", "index", "USD", ",.2f", 120, False,
          "index (spot) price published with the mark", "price"),
        M("close", "Last 1m close", "close", "USD", ",.2f", 180, False,
          "close of the last 1-minute bar", "price"),
        M("bar_volume_coin", "Last 1m volume", "1m vol", "coin", ",.2f", 180, False,
          "volume of the last 1-minute bar", "price"),
        *(M(f"price_change_{w}_pct", f"Price change {w}", f"price {w}", "%", "+.2f", 120, True,
            f"% change of the mark over the last {w}", "price") for w in _WINDOWS),
        # --- funding ----------------------------------------------------------------------------
        M("funding_rate", "Funding rate (published)", "funding", "fraction", ".6f", 180, False,
          "next settlement's rate per interval, as published (0.0001 = 0.01%)", "funding"),
        M("funding_interval_h", "Funding interval", "interval", "h", ".0f", 180, False,
          "settlement interval", "funding"),
        M("next_funding_ts_ms", "Next funding", "next funding", "ms", ".0f", 180, False,
          "next settlement, ms since the epoch (UTC)", "funding"),
        M("funding_rate_pct", "Funding rate", "funding", "%", ".4f", 180, True,
          "the published rate in % per interval", "funding"),
        M("funding_rate_8h_pct", "Funding per 8h", "funding", "%/8h", ".4f", 180, True,
          "the rate scaled to 8 hours (venues with 1h or 4h intervals compare)", "funding",
          signal=Signal("funding", "Cut longs faster; avoid carry drag.",
                        "Crowded shorts pay: cut shorts faster; a squeeze can run."), column=True),
        M("funding_apr_pct", "Funding APR", "funding APR", "%/yr", ".1f", 180, True,
          "rate × (24 / interval h) × 365 (0.01%/8h = 10.95%)", "funding"),
        M("premium_index", "Premium index", "premium index", "fraction", ".6f", 120, False,
          "the perpetual's premium index, from premium-index bars", "funding"),
        M("premium_bp", "Perp premium", "premium", "bp", ".1f", 120, True,
          "mark / index − 1 (or the premium index where there is no index)", "funding"),
        # --- open interest ----------------------------------------------------------------------
        M("oi_coin", "Open interest (coin)", "OI", "coin", ",.0f", 300, False,
          "open interest of the perpetual, in coin", "oi", column=True),
        M("oi_usd", "Open interest (USD)", "OI", "USD", "", 300, False,
          "open interest, coin × mark", "oi", compact=True, column=True),
        *(M(f"oi_change_{w}_pct", f"OI change {w}", f"OI {w}", "%", "+.2f", 300, True,
            f"% change of OI (coin) over the last {w}", "oi",
            signal=Signal("oi", "Assume crowding; tighten risk limits.") if w == "4h" else None,
            column=w == "4h") for w in _WINDOWS),
        # --- dated futures ----------------------------------------------------------------------
        M("future_price", "Dated future", "future", "USD", ",.2f", 300, False,
          "the nearest dated future", "basis"),
        M("future_expiry_ts_ms", "Future expiry", "expiry", "ms", ".0f", 300, False,
          "its expiry, ms since the epoch (UTC)", "basis"),
        M("basis_apr_pct", "Basis (annualised)", "basis", "%/yr", ".1f", 300, True,
          "(F / S − 1) × 365 / days to expiry, simple annualised, S = index", "basis",
          signal=Signal(None, "Below 5%: bulls not paying for leverage.")),
        # --- liquidations -----------------------------------------------------------------------
        *(M(f"liq_{side}_usd_total", f"{side.title()} liquidations, session", f"liq {side} total",
            "USD", "", NEVER_STALE_S, False,
            f"{side} liquidations since the session began (a running total)",
            "liquidations", compact=True) for side in ("long", "short")),
        *(M(f"liq_{side}_usd_{w}", f"{side.title()} liquidations {w}", f"liq {side} {w}", "USD",
            "", 120, True, f"liquidated {side} positions in the last {span}, notional",
            "liquidations", compact=True, column=w == "1h")
          for w, span in (("1m", "minute"), ("1h", "hour")) for side in ("long", "short")),
        M("liq_intensity_x", "Liquidation intensity", "liq intensity", "x", ".1f", 120, True,
          "long liquidations in the last hour ÷ liq_baseline_usd_1h (warming up for the first "
          "6 hours)", "liquidations",
          signal=Signal("liquidations", "Reduce leverage; avoid chasing dips.")),
        M("liq_median_usd_1h", "Long liquidations, 7-day hourly median", "liq median 1h", "USD",
          "", 120, True, "the median of the hourly long liquidations of the last 7 days",
          "liquidations", compact=True),
        M("liq_baseline_usd_1h", "Liquidation intensity divisor", "liq divisor", "USD", "", 120,
          True, "what liquidation intensity divides by: the 7-day hourly median, or the floor "
          "([metrics] liq_baseline_floor_usd, 250k USD/h) when the median is smaller",
          "liquidations", compact=True),
        # --- options ----------------------------------------------------------------------------
        M("option_quotes", "Option quotes", "quotes", "count", ",.0f", 300, False,
          "quotes in the last option-chain snapshot", "skew"),
        M("skew_25d_30d_volpts", "25d skew (30d)", "skew", "vol pts", ".1f", 300, True,
          "IV(25Δ put) − IV(25Δ call) at 30 days, Black-76 forward deltas (positive = puts "
          "richer = fear; the FX risk reversal has the other sign)", "skew",
          signal=Signal("skew", "Hedge or smaller gross exposure.",
                        "Calls bid (FOMO): do not chase; trim into strength."), column=True),
        M("atm_iv_30d_pct", "ATM IV (30d)", "ATM IV", "%", ".1f", 300, True,
          "ATM implied vol (K = F) at 30 days, total variance interpolated in T", "skew"),
        M("dvol_pct", "DVOL", "DVOL", "%", ".1f", 300, False,
          "Deribit's implied-volatility index", "skew"),
        # --- realized vol -----------------------------------------------------------------------
        *(M(f"rv_{w}_pct", f"Realized vol {w}", f"rv {w}", "%", ".0f", 180, True,
            f"realized vol of 1-minute log returns of the mark over {w}, sample stdev, "
            f"× √(365·1440); warming up (no value) until 90% of the {w} holds returns", "price",
            signal=Signal(None, "Above 60% the ladder halves, above 90% again.") if w == "24h" else None,
            column=w == "24h") for w in ("1h", "24h", "7d")),
        # --- positioning ------------------------------------------------------------------------
        M("long_short_ratio", "Long/short ratio", "long/short", "ratio", ".2f", 900, False,
          "accounts long ÷ accounts short", "positioning"),
        M("spot_volume_usd_24h", "Spot volume 24h", "spot vol", "USD", "", 900, False,
          "spot volume over 24 hours", "positioning", compact=True),
        M("perp_volume_usd_24h", "Perp volume 24h", "perp vol", "USD", "", 900, False,
          "perpetual volume over 24 hours", "positioning", compact=True),
        M("spot_perp_volume_ratio", "Spot/perp volume 24h", "spot/perp vol", "ratio", ".2f", 900,
          True, "24h spot ÷ 24h perp volume (≤ 0.2: futures dominate)", "positioning",
          signal=Signal(None, "Below 0.2: lower confidence.")),
        # --- price structure --------------------------------------------------------------------
        M("price_structure_score", "Price structure", "structure", "score", "+.0f", 180, True,
          "−1 lower lows (price under the last hourly swing low, or descending swing lows), +1 "
          "higher lows and higher highs, 0 otherwise", "price",
          signal=Signal("price_structure", "Lower lows: wait for confirmation.",
                        "Higher highs with fast breaks up: shorts wait for confirmation.", -1)),
        *(M(f"swing_{kind}_usd", f"Swing {kind}", f"swing {kind}", "USD", ",.2f", 180, True,
            f"the last confirmed hourly swing {kind}", "price") for kind in ("low", "high")),
    )  # fmt: skip


CATALOGUE: Mapping[str, Metric] = MappingProxyType({m.name: m for m in _entries()})
METRIC_NAMES = frozenset(CATALOGUE)


def metric(name: str) -> Metric:
    """The catalogue entry of ``name``; KeyError for a name that is no metric."""
    return CATALOGUE[name]


def fmt(name: str, value: float | None) -> str:
    """``value`` of metric ``name`` as shown to people, with its unit; "—" when unknown."""
    return "—" if value is None else CATALOGUE[name].text(value)


def staleness_ms(name: str, overrides: Mapping[str, float] | None = None) -> float:
    """The staleness limit of ``name`` in ms. ``overrides`` (the ``[staleness_s]`` table of a
    rules file) maps metric names or name prefixes to seconds: the longest key that ``name``
    starts with wins over the catalogue; a running total only changes when named exactly."""
    m = CATALOGUE[name]
    overrides = overrides or {}
    keys = [
        k for k in overrides if name.startswith(k) and (k == name or m.staleness_s < NEVER_STALE_S)
    ]
    return 1000.0 * (overrides[max(keys, key=len)] if keys else m.staleness_s)


def markdown_table() -> str:
    """The README's Metrics table: one row per metric, in catalogue order."""
    rows = ["| name | shown as | meaning | unit | stale after |", "|---|---|---|---|---|"]
    for m in CATALOGUE.values():
        stale = "never" if m.staleness_s >= NEVER_STALE_S else f"{m.staleness_s:g} s"
        rows.append(f"| `{m.name}` | {m.label} | {m.definition} | {m.unit} | {stale} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
