"""Rules files, the alert state machine, the checklist and the ladder."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workstation.core.clock import ReplayClock
from workstation.engine.engine import Engine
from workstation.rules.alerts import (
    ACTIVE,
    INACTIVE,
    UNKNOWN,
    AlertEvaluator,
    RuleState,
    format_message,
)
from workstation.rules.checklist import PROCEED, REDUCE_SIZE, WAIT, checklist_verdict
from workstation.rules.config import (
    CHECKLIST_ITEMS,
    DEFAULT_RULES,
    LadderConfig,
    RulesError,
    compile_expr,
    load_rules,
)
from workstation.rules.ladder import ladder


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "rules.toml"
    p.write_text(text)
    return p


# --- loading ----------------------------------------------------------------------------------
def test_defaults_encode_the_domain_numbers() -> None:
    cfg = load_rules(include_user_dir=False)
    rules = {r.id: r for r in cfg.rules}
    skew = rules["skew_fear"].conditions[0]
    assert (skew.source, skew.op, skew.enter) == ("skew_25d_30d_volpts", ">", 6.0)
    assert rules["skew_fomo"].conditions[0].enter == -6.0
    assert rules["futures_dominate"].conditions[0].enter == 0.2
    assert rules["liquidation_cluster"].conditions[0].enter == 4.0
    compound = {c.source: c.enter for c in rules["crowded_and_fearful"].conditions}
    assert compound == {
        "skew_25d_30d_volpts": 6.0,
        "funding_rate_8h_pct": 0.03,
        "oi_change_4h_pct": 5.0,
    }
    assert {r.checklist for r in cfg.rules} - {None} == set(CHECKLIST_ITEMS)
    assert cfg.ladder.rv_threshold_pct == 60 and cfg.ladder.liq_intensity_threshold == 4
    assert cfg.checklist_items == CHECKLIST_ITEMS


def test_user_file_overrides_by_id_disables_and_adds(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """
[ladder]
base_leverage = 3.0

[[rule]]
id = "skew_fear"
metric = "skew_25d_30d_volpts"
op = ">"
enter = 8.0
exit = 7.0
checklist = "skew"

[[rule]]
id = "basis_low"
enabled = false

[[rule]]
id = "my_ratio"
expr = "oi_usd / max(perp_volume_usd_24h, 1)"
op = ">"
enter = 2.5
""",
    )
    cfg = load_rules([user], include_user_dir=False)
    rules = {r.id: r for r in cfg.rules}
    assert rules["skew_fear"].conditions[0].enter == 8.0
    assert "basis_low" not in rules
    assert (
        rules["my_ratio"].conditions[0].value({"oi_usd": 30e9, "perp_volume_usd_24h": 10e9}) == 3.0
    )
    assert cfg.ladder.base_leverage == 3.0 and cfg.ladder.rv_threshold_pct == 60.0


def test_the_settings_folder_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workstation.rules.config import user_rules_path

    path = user_rules_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[ladder]\nbase_leverage = 4.0\n")
    assert load_rules().ladder.base_leverage == 4.0
    assert str(path) in load_rules().sources


@pytest.mark.parametrize(
    "text,line,key,needle",
    [
        (
            '[[rule]]\nid = "x"\nmetric = "skew_25d_30d_volpts"\nop = "="\nenter = 1\n',
            4,
            "op",
            'must be ">" or "<"',
        ),
        (
            '[[rule]]\nid = "x"\nmetric = "skew_25d_30d_volpts"\nop = ">"\nenter = 6\nexit = 7\n',
            6,
            "exit",
            "exit must be <= enter",
        ),
        (
            '[[rule]]\nid = "x"\nmetric = "skew"\nop = ">"\nenter = 6\n',
            3,
            "metric",
            "unknown metric 'skew'",
        ),
        (
            '[[rule]]\nid = "x"\nexpr = "__import__(1)"\nop = ">"\nenter = 6\n',
            3,
            "expr",
            "only abs(), min() and max()",
        ),
        (
            '[[rule]]\nid = "x"\nexpr = "oi_usd ** 2"\nop = ">"\nenter = 6\n',
            3,
            "expr",
            "Pow is not allowed",
        ),
        (
            '[[rule]]\nid = "x"\nmetric = "oi_usd"\nop = ">"\nenter = "high"\n',
            5,
            "enter",
            "must be a number",
        ),
        (
            '[[rule]]\nid = "x"\nmetric = "oi_usd"\nop = ">"\nenter = 1\nseverity = "loud"\n',
            6,
            "severity",
            "info, warning, critical",
        ),
        (
            '[[rule]]\nid = "x"\nmetric = "oi_usd"\nop = ">"\nenter = 1\ncolour = "red"\n',
            6,
            "colour",
            "unknown key",
        ),
        (
            '[[rule]]\nid = "x"\nmetric = "oi_usd"\nop = ">"\nenter = 1\ncooldown_s = -5\n',
            6,
            "cooldown_s",
            "0 or more",
        ),
        (
            '[[rule]]\nid = "x"\nmetric = "oi_usd"\nop = ">"\nenter = 1\nmessage = "OI {nope:.1f}"\n',
            6,
            "message",
            "unknown field {nope} (a metric name, or the rule's {enter}, {exit}",
        ),
        (
            '[[rule]]\nid = "x"\nmessage = "OI {oi_usd:,.0f} > {enter}"\nall = [\n'
            '  { metric = "oi_usd", op = ">", enter = 1 },\n'
            '  { metric = "price_change_4h_pct", op = "<", enter = -1 },\n]\n',
            3,
            "message",
            "{enter} is for a rule with one condition: name it, e.g. {enter_oi_usd}",
        ),
        (
            '[[rule]]\nid = "x"\nmetric = "oi_usd"\nop = ">"\nenter = 1\nmessage = "OI {oi_usd"\n',
            6,
            "message",
            "not a valid template",
        ),
        ("[ladder]\nbase_leverage = 0\n", 2, "base_leverage", "greater than 0"),
        ('[ladder]\nrv_metric = "rv_2h_pct"\n', 2, "rv_metric", "rv_24h_pct"),
        ('[[rule]]\nid = "x"\nmetric = "oi_usd"\nop = ">\nenter = 1\n', 4, "syntax", ""),
        ('[staleness_s]\n"oi_" = 60\n"fundng_" = 60\n', 3, "fundng_", "unknown metric or prefix"),
        ("[staleness_s]\noi_ = 0\n", 2, "oi_", "greater than 0"),
    ],
)
def test_invalid_files_name_the_line_and_the_key(
    tmp_path: Path, text: str, line: int, key: str, needle: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as info:
        load_rules([path], include_user_dir=False)
    err = info.value
    assert err.path == str(path)
    assert (err.line, err.key) == (line, key), str(err)
    assert needle in str(err)
    assert str(err).startswith(f"{path}:{line}: {key}:")


def test_staleness_overrides_by_prefix_and_name(tmp_path: Path) -> None:
    text = '[staleness_s]\n"oi_" = 600\n"liq_" = 30\nfunding_rate_8h_pct = 28800\n'
    cfg = load_rules([write(tmp_path, text)], include_user_dir=False).metrics
    assert cfg.limit_ms("oi_coin") == cfg.limit_ms("oi_change_4h_pct") == 600_000
    assert cfg.limit_ms("liq_long_usd_1h") == 30_000
    assert cfg.limit_ms("liq_long_usd_total") == 1e15  # a running total: never stale
    assert cfg.limit_ms("funding_rate_8h_pct") == 28_800_000
    assert cfg.limit_ms("funding_apr_pct") == 180_000  # the defaults' own: the catalogue's
    assert load_rules(include_user_dir=False).metrics.staleness_s == {}


def test_the_cli_refuses_a_bad_rules_file_with_exit_2(
    tmp_path: Path, selloff_session: Path
) -> None:
    from workstation.cli import main

    bad = write(tmp_path, '[[rule]]\nid = "x"\nmetric = "nope"\nop = ">"\nenter = 1\n')
    with pytest.raises(SystemExit) as info:
        main(["replay", str(selloff_session), "--rules", str(bad)])
    assert info.value.code == 2


def test_expressions_are_arithmetic_only() -> None:
    fn, names = compile_expr("abs(premium_bp) / 10 + min(oi_change_1h_pct, 2)")
    assert names == ("premium_bp", "oi_change_1h_pct")
    assert fn({"premium_bp": -30.0, "oi_change_1h_pct": 5.0}) == 5.0
    assert fn({"premium_bp": -30.0}) is None  # a missing input: no value, not a guess
    div, _ = compile_expr("oi_usd / perp_volume_usd_24h")
    assert div({"oi_usd": 1.0, "perp_volume_usd_24h": 0.0}) is None
    for bad in ("open('x')", "oi_usd.real", "[oi_usd]", "oi_usd if oi_usd else 1", "'a'"):
        with pytest.raises(ValueError):
            compile_expr(bad)


# --- the state machine --------------------------------------------------------------------------
def one_rule(tmp_path: Path, body: str):
    cfg = load_rules([write(tmp_path, '[[rule]]\nid = "r"\n' + body)], include_user_dir=False)
    rule = next(r for r in cfg.rules if r.id == "r")
    engine = Engine(ReplayClock())
    ev = AlertEvaluator(engine.emit, (rule,))
    return engine, ev


def run(
    engine: Engine, ev: AlertEvaluator, series: list[tuple[int, float | None]]
) -> list[tuple[int, str]]:
    out = []
    for ts, value in series:
        fresh = {} if value is None else {"skew_25d_30d_volpts": value}
        ev.evaluate(ts, {("all", "BTCUSDT"): fresh})
        out += [(r.ts_ms, r.state) for r in engine.drain()]
    return out


def test_hysteresis_min_duration_and_cooldown(tmp_path: Path) -> None:
    engine, ev = one_rule(
        tmp_path,
        """metric = "skew_25d_30d_volpts"
op = ">"
enter = 6.0
exit = 5.0
min_duration_s = 60
cooldown_s = 600
""",
    )
    s = 1000
    series = [
        (0, 4.0),
        (10 * s, 6.5),
        (40 * s, 6.2),
        (70 * s, 6.1),  # held 60 s -> active at 70 s
        (80 * s, 5.5),  # between exit and enter: stays active (hysteresis)
        (90 * s, 4.9),  # below exit: cleared
        (100 * s, 7.0),
        (200 * s, 7.0),  # again for 100 s, but inside the cooldown: muted
        (210 * s, 4.0),  # clears silently (its activation was not announced)
        (800 * s, 7.0),
        (900 * s, 7.0),
    ]  # after the cooldown: a new alert
    # 800 s starts a new pending period: active (and announced) once it has held 60 s, at 900 s
    assert run(engine, ev, series) == [(70 * s, "active"), (90 * s, "cleared"), (900 * s, "active")]
    state = ev.states[("r", "all", "BTCUSDT")]
    assert state.suppressed == 1
    assert state.intervals == [(70 * s, 90 * s), (200 * s, 210 * s), (900 * s, None)]


def test_stale_inputs_make_the_rule_unknown_not_fine(tmp_path: Path) -> None:
    engine, ev = one_rule(tmp_path, 'metric = "skew_25d_30d_volpts"\nop = ">"\nenter = 6.0\n')
    out = run(engine, ev, [(0, None), (1000, 7.0), (2000, None), (3000, None), (4000, 4.0)])
    assert out == [(1000, "active"), (2000, "unknown")]  # start-up warm-up is silent
    assert ev.states[("r", "all", "BTCUSDT")].state == INACTIVE


def test_min_clear_keeps_a_rule_active_through_a_blip(tmp_path: Path) -> None:
    engine, ev = one_rule(
        tmp_path, 'metric = "skew_25d_30d_volpts"\nop = ">"\nenter = 6.0\nmin_clear_s = 30\n'
    )
    out = run(
        engine,
        ev,
        [(0, 7.0), (10_000, 4.0), (20_000, 7.0), (30_000, 4.0), (59_000, 4.0), (61_000, 4.0)],
    )
    assert out == [(0, "active"), (61_000, "cleared")]


def test_compound_all_and_any(tmp_path: Path) -> None:
    cfg = load_rules(
        [
            write(
                tmp_path,
                """
[[rule]]
id = "both"
all = [ { metric = "oi_change_4h_pct", op = ">", enter = 5, exit = 3 },
        { metric = "price_change_4h_pct", op = "<", enter = -1, exit = 0 } ]
[[rule]]
id = "either"
any = [ { metric = "oi_change_4h_pct", op = ">", enter = 5 },
        { metric = "price_change_4h_pct", op = "<", enter = -1 } ]
""",
            )
        ],
        include_user_dir=False,
    )
    rules = tuple(r for r in cfg.rules if r.id in ("both", "either"))
    engine = Engine(ReplayClock())
    ev = AlertEvaluator(engine.emit, rules)
    ev.evaluate(0, {("all", "X"): {"oi_change_4h_pct": 6.0, "price_change_4h_pct": 0.5}})
    assert [(r.rule, r.state) for r in engine.drain()] == [("either", "active")]
    ev.evaluate(1, {("all", "X"): {"oi_change_4h_pct": 6.0, "price_change_4h_pct": -2.0}})
    assert [(r.rule, r.state) for r in engine.drain()] == [("both", "active")]
    # "both" stays within its exits; "either" has no exit levels: neither condition holds
    ev.evaluate(2, {("all", "X"): {"oi_change_4h_pct": 4.0, "price_change_4h_pct": -0.5}})
    assert [(r.rule, r.state) for r in engine.drain()] == [("either", "cleared")]
    ev.evaluate(3, {("all", "X"): {"oi_change_4h_pct": 2.0, "price_change_4h_pct": -0.5}})
    assert [(r.rule, r.state) for r in engine.drain()] == [("both", "cleared")]


def fire(rule, values: dict[str, float], cleared: dict[str, float] | None = None) -> list[str]:
    """The messages of ``rule`` held on ``values`` past its min_duration, then on ``cleared``."""
    engine = Engine(ReplayClock())
    ev = AlertEvaluator(engine.emit, (rule,))
    hold = rule.min_duration_ms
    for ts, vals in ((0, values), (hold, values), (hold + rule.min_clear_ms + 1, cleared)):
        if vals is not None:
            ev.evaluate(ts, {("all", "BTCUSDT"): vals})
    return [f"{r.state}: {r.message}" for r in engine.drain()]


def test_messages_take_their_thresholds_from_the_rule() -> None:
    from workstation.rules.thresholds import with_thresholds

    base = load_rules(include_user_dir=False)
    fear = next(r for r in base.rules if r.id == "skew_fear")
    assert fire(fear, {"skew_25d_30d_volpts": 6.5}) == [
        "active: 25d skew 6.5 vol pts > 6: steep downside premium"
    ]
    mine = next(r for r in with_thresholds(base, {"skew_fear": (7, 5)}).rules if r.id == fear.id)
    assert fire(mine, {"skew_25d_30d_volpts": 6.5}) == []  # below the new level
    assert fire(mine, {"skew_25d_30d_volpts": 7.5}) == [
        "active: 25d skew 7.5 vol pts > 7: steep downside premium"
    ]


def test_compound_messages_name_each_conditions_thresholds(tmp_path: Path) -> None:
    body = """message = "OI {oi_change_4h_pct:.1f}% > {enter_oi_change_4h_pct:g}% (clears at \
{exit_oi_change_4h_pct:g}), price {price_change_4h_pct:+.1f}% < {enter_price_change_4h_pct:.1f}%"
all = [ { metric = "oi_change_4h_pct", op = ">", enter = 5, exit = 3 },
        { metric = "price_change_4h_pct", op = "<", enter = -1, exit = 0 } ]
"""
    cfg = load_rules([write(tmp_path, '[[rule]]\nid = "r"\n' + body)], include_user_dir=False)
    rule = next(r for r in cfg.rules if r.id == "r")
    fired = fire(
        rule,
        {"oi_change_4h_pct": 6.0, "price_change_4h_pct": -2.0},
        {"oi_change_4h_pct": 2.0, "price_change_4h_pct": 0.5},
    )
    assert fired == [
        "active: OI 6.0% > 5% (clears at 3), price -2.0% < -1.0%",
        # its own words: both conditions let go (OI 2.0 under its exit 3, price 0.5 over its 0)
        "cleared: OI 4h back below +3.00% (now +2.00%); price 4h back above 0.00% (now +0.50%)",
    ]


def test_a_cleared_alert_says_what_let_go() -> None:
    rules = {r.id: r for r in load_rules(include_user_dir=False).rules}
    # skew_fear: active above 6, clears below its exit 5
    assert fire(rules["skew_fear"], {"skew_25d_30d_volpts": 6.5}, {"skew_25d_30d_volpts": 4.8}) == [
        "active: 25d skew 6.5 vol pts > 6: steep downside premium",
        "cleared: skew back below 5.0 vol pts (now 4.8 vol pts)",
    ]
    # an all-rule clears on the condition that failed; the one still past its exit is not named
    both = {"skew_25d_30d_volpts": 7.0, "funding_rate_8h_pct": 0.04, "oi_change_4h_pct": 6.0}
    out = fire(rules["crowded_and_fearful"], both, {**both, "oi_change_4h_pct": -0.5})
    assert out[1] == "cleared: OI 4h back below +3.00% (now -0.50%)"


def test_messages_keep_the_sign_of_their_numbers() -> None:
    rules = {r.id: r for r in load_rules(include_user_dir=False).rules}
    out = fire(
        rules["oi_up_price_down"],
        {"oi_change_4h_pct": 5.0, "price_change_4h_pct": -3.0},
    )
    assert out == ["active: OI +5.0% in 4h while price -3.0%: new positions into weakness"]
    # a user's template with a literal "+" before a negative number: "-0.5", never "+-0.5"
    fields = {"oi_change_4h_pct": -0.5}
    user = dataclasses.replace(rules["oi_up_price_down"], message="OI +{oi_change_4h_pct:.1f}%")
    assert format_message(user, fields) == "OI -0.5%"


def test_a_critical_alert_on_a_checklist_input_is_never_proceed() -> None:
    cfg = load_rules(include_user_dir=False)
    panic = next(r for r in cfg.rules if r.id == "skew_panic")  # critical, not a checklist item
    assert panic.severity == "critical" and panic.checklist is None
    sts = states(skew=ACTIVE, oi=INACTIVE, funding=INACTIVE, liquidations=INACTIVE,
                 price_structure=INACTIVE)  # fmt: skip
    assert checklist_verdict(CHECKLIST_ITEMS, sts, "long").verdict == PROCEED  # one caution
    v = checklist_verdict(
        CHECKLIST_ITEMS, [*sts, RuleState(panic, "all", "BTCUSDT", ACTIVE)], "long"
    )
    assert v.verdict == REDUCE_SIZE and "critical: skew_panic" in v.details
    calm = checklist_verdict(CHECKLIST_ITEMS, [*sts, RuleState(panic, "all", "BTCUSDT")], "long")
    assert calm.verdict == PROCEED  # the critical rule not active: no change


def test_no_default_message_copies_a_threshold() -> None:
    """A number the rule holds is shown from the rule ({enter}, {exit}), never written again."""
    import re
    import string

    for rule in load_rules(include_user_dir=False).rules:
        text = "".join(lit for lit, *_ in string.Formatter().parse(rule.message))
        for c in rule.conditions:
            for number in (c.enter, c.exit):
                copy = re.search(rf"(?<![\d.]){re.escape(f'{number:g}')}(?![\d.])", text)
                assert copy is None, f"{rule.id}: {rule.message!r} repeats {number:g}"


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-20, 30, allow_nan=False)), min_size=1, max_size=120
    ),
    cooldown_s=st.integers(0, 300),
    step_s=st.integers(1, 60),
)
def test_property_never_two_alerts_within_a_cooldown(
    tmp_path_factory, values, cooldown_s, step_s
) -> None:
    engine, ev = one_rule(
        tmp_path_factory.mktemp("p"),
        'metric = "skew_25d_30d_volpts"\nop = ">"\nenter = 6.0\nexit = 5.0\n'
        f"cooldown_s = {cooldown_s}\n",
    )
    out = run(engine, ev, [(i * step_s * 1000, v) for i, v in enumerate(values)])
    fired = [ts for ts, state in out if state == "active"]
    assert all(b - a >= cooldown_s * 1000 for a, b in itertools.pairwise(fired))


# --- checklist ----------------------------------------------------------------------------------
def states(side: str = "long", **item_states: str) -> list[RuleState]:
    """One of the ``side``'s checklist rules per item, in the given state."""
    cfg = load_rules(include_user_dir=False)
    rules = {r.checklist: r for r in cfg.rules if r.checklist and r.side == side}
    return [RuleState(rules[item], "all", "BTCUSDT", state=s) for item, s in item_states.items()]


@pytest.mark.parametrize(
    "active,verdict",
    [(0, PROCEED), (1, PROCEED), (2, REDUCE_SIZE), (3, WAIT), (5, WAIT)],
)
def test_checklist_counts_cautions(active: int, verdict: str) -> None:
    items = list(CHECKLIST_ITEMS)
    sts = states(**{item: (ACTIVE if i < active else INACTIVE) for i, item in enumerate(items)})
    v = checklist_verdict(CHECKLIST_ITEMS, sts, "long")
    assert v.verdict == verdict
    assert v.cautions == tuple(items[:active])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([ACTIVE, INACTIVE, UNKNOWN]), min_size=5, max_size=5))
def test_property_a_stale_input_never_yields_proceed(item_states: list[str]) -> None:
    v = checklist_verdict(
        CHECKLIST_ITEMS, states(**dict(zip(CHECKLIST_ITEMS, item_states, strict=True))), "long"
    )
    if UNKNOWN in item_states:
        assert v.verdict != PROCEED
        assert v.unknown
    # never more optimistic than counting every unknown as a caution
    worst = item_states.count(ACTIVE) + item_states.count(UNKNOWN)
    rank = {PROCEED: 0, REDUCE_SIZE: 1, WAIT: 2}
    assert rank[v.verdict] >= rank[PROCEED if worst <= 1 else REDUCE_SIZE if worst == 2 else WAIT]


# --- ladder --------------------------------------------------------------------------------------
CFG = LadderConfig()
QUIET = {"rv_24h_pct": 40.0, "liq_intensity_x": 1.0, "funding_rate_8h_pct": 0.01}
SQRT_DAY = math.sqrt(24 / 8760)  # 0.0523424: a 24h sigma per 1.00 of annual vol


def both(cfg: LadderConfig, metrics: dict) -> tuple[float, float]:
    return ladder(cfg, metrics, "long").max_leverage, ladder(cfg, metrics, "short").max_leverage


def test_ladder_cuts_each_crossed_input_separately() -> None:
    assert both(CFG, QUIET) == (5.0, 5.0)
    assert ladder(CFG, QUIET, "long").reasons == ("base 5x: quiet conditions",)
    r = ladder(CFG, {**QUIET, "rv_24h_pct": 61.0}, "long")
    assert r.max_leverage == 2.5  # 5 x 0.5: one cut at 61%
    assert r.reasons == ("halved: 24h realized vol 61.0% > 60%",)
    # a value just past its level is not shown as the level itself ("60.0% > 60%")
    r = ladder(CFG, {**QUIET, "rv_24h_pct": 60.04}, "long")
    assert r.reasons == ("halved: 24h realized vol 60.04% > 60%",)
    r = ladder(CFG, {**QUIET, "rv_24h_pct": 71.0, "liq_intensity_x": 6.3}, "long")
    assert r.max_leverage == 1.2  # 5 x 0.5 x 0.5 = 1.25: a quarter, floored to 0.1x
    assert r.reasons == (
        "halved: 24h realized vol 71.0% > 60%",
        "halved: liquidation intensity 6.3x > 4x",
    )
    # Extreme levels cut again: seen at base 20x, so the 1x floor does not hide the steps.
    # (The cap at 95%: 1 / (2 x 0.95 x 0.0523 + 0.005) = 9.57x, above what the cuts leave.)
    cfg20 = LadderConfig(base_leverage=20.0)
    assert both(cfg20, {**QUIET, "rv_24h_pct": 95.0}) == (5.0, 5.0)  # 20 x 0.5 x 0.5
    r = ladder(cfg20, {**QUIET, "rv_24h_pct": 95.0, "liq_intensity_x": 12.0}, "short")
    assert r.max_leverage == 1.2  # 20 / 16 = 1.25
    assert r.reasons[1] == "halved again: 24h realized vol 95.0% > 90% (extreme)"
    assert r.reasons[3] == "halved again: liquidation intensity 12.0x > 10x (extreme)"


def test_ladder_at_the_demos_low_allows_much_less_than_at_61_pct_vol() -> None:
    # The demo's low: 24h vol 99.5% (past 60 and 90), intensity 80x (past 4 and 10), skew 20.
    low = {"rv_24h_pct": 99.5, "liq_intensity_x": 80.0, "funding_rate_8h_pct": 0.01}
    low["skew_25d_30d_volpts"] = 20.0
    # 5 x 0.5^4 = 0.3125x, floored at the 1x minimum; the cap, 1 / (2 x 0.995 x 0.0523 +
    # 0.005) = 9.16x, does not bind.
    for side in ("long", "short"):
        r = ladder(CFG, low, side)
        assert r.max_leverage == 1.0
        assert r.reasons == (
            "halved: 24h realized vol 99.5% > 60%",
            "halved again: 24h realized vol 99.5% > 90% (extreme)",
            "halved: liquidation intensity 80.0x > 4x",
            "halved again: liquidation intensity 80.0x > 10x (extreme)",
            "floored at 1x",
        )
    assert both(CFG, {**QUIET, "rv_24h_pct": 61.0}) == (2.5, 2.5)


def test_ladder_funding_cuts_the_side_that_pays_it() -> None:
    hot = {**QUIET, "rv_24h_pct": 71.0}
    # positive 0.035%/8h: longs pay. 5 x 0.5 x 0.75 = 1.875 -> 1.8 for longs; shorts 2.5
    assert both(CFG, {**hot, "funding_rate_8h_pct": 0.035}) == (1.8, 2.5)
    r = ladder(CFG, {**hot, "funding_rate_8h_pct": 0.035}, "long")
    assert r.reasons[1] == "cut x0.75: funding 0.0350%/8h >= 0.03%: longs pay it"
    # negative -0.035%/8h: shorts pay
    assert both(CFG, {**hot, "funding_rate_8h_pct": -0.035}) == (2.5, 1.8)
    r = ladder(CFG, {**hot, "funding_rate_8h_pct": -0.035}, "short")
    assert r.reasons[1] == "cut x0.75: funding -0.0350%/8h <= -0.03%: shorts pay it"
    assert both(CFG, {**hot, "funding_rate_8h_pct": -0.01}) == (2.5, 2.5)  # mild: neither


def test_ladder_volatility_cap_binds_with_the_output_in_its_reason() -> None:
    cfg = LadderConfig(base_leverage=20.0, rv_threshold_pct=500.0, rv_extreme_pct=600.0)
    r = ladder(cfg, {**QUIET, "rv_24h_pct": 150.0}, "long")
    # sigma_h = 1.5 x 0.0523424 = 7.851%; 1 / (0.15703 + 0.005) = 6.17x, floored to 6.1x
    assert r.max_leverage == 6.1
    assert r.reasons[-1].startswith("capped at 6.1x: a 2-sigma 24h move (15.7%)")
    r = ladder(
        LadderConfig(base_leverage=1.5),
        {**QUIET, "rv_24h_pct": 90.0, "funding_rate_8h_pct": 0.05},
        "long",
    )
    assert r.max_leverage == 1.0 and "floored at 1x" in r.reasons


def test_ladder_cap_for_a_short_uses_the_shorts_distance_to_liquidation() -> None:
    # Binance isolated, MMR m = 0.4%: a short at leverage L liquidates (1/L - m)/(1 + m) above
    # the entry, a long (1/L - m)/(1 - m) below. At 187.2% vol, 2 sigma_h = 2 x 1.872 x
    # 0.0523424 = 19.597%. Long cap 1/(0.19597 + 0.004) = 5.0008 -> 5.0x; short cap
    # 1/(0.19597 x 1.004 + 0.004) = 4.981 -> 4.9x (at 5.0x a short is 19.52% from liquidation).
    cfg = LadderConfig(
        base_leverage=20.0, rv_threshold_pct=500.0, rv_extreme_pct=600.0, maint_margin_rate=0.004
    )
    assert both(cfg, {**QUIET, "rv_24h_pct": 187.2}) == (5.0, 4.9)
    assert (
        ladder(cfg, {**QUIET, "rv_24h_pct": 187.2}, "short")
        .reasons[-1]
        .startswith("capped at 4.9x")
    )


def test_ladder_treats_unknown_inputs_as_crossed() -> None:
    r = ladder(CFG, {"funding_rate_8h_pct": 0.01}, "long")
    assert r.max_leverage == 1.2  # vol and intensity unknown: 5 x 0.5 x 0.5 = 1.25
    assert "unknown" in r.reasons[0] and "unknown" in r.reasons[1]
    # funding unknown too: 1.25 x 0.75 = 0.94, floored at 1x; both sides
    assert both(CFG, {}) == (1.0, 1.0)
    assert both(CFG, {"rv_24h_pct": 40.0, "liq_intensity_x": 1.0}) == (3.7, 3.7)  # 3.75


def test_ladder_hysteresis_and_hold() -> None:
    hour = 3_600_000
    r1 = ladder(CFG, {**QUIET, "liq_intensity_x": 5.0}, "long", now_ms=0)
    assert r1.max_leverage == 2.5
    r2 = ladder(CFG, {**QUIET, "liq_intensity_x": 1.0}, "long", now_ms=hour // 2, on=r1.on)
    assert r2.max_leverage == 2.5 and "recently > 4x" in r2.reasons[0]  # held for an hour
    r3 = ladder(CFG, {**QUIET, "liq_intensity_x": 3.5}, "long", now_ms=2 * hour, on=r2.on)
    assert r3.max_leverage == 2.5  # 3.5 is above the exit level (85% of 4 = 3.4)
    r4 = ladder(CFG, {**QUIET, "liq_intensity_x": 3.0}, "long", now_ms=2 * hour + 1, on=r3.on)
    assert r4.max_leverage == 5.0
    # the extreme level holds the same way: 12x then 9x (above 85% of 10) stays a sixteenth
    e1 = ladder(CFG, {**QUIET, "liq_intensity_x": 12.0}, "long", now_ms=0)
    e2 = ladder(CFG, {**QUIET, "liq_intensity_x": 9.0}, "long", now_ms=2 * hour, on=e1.on)
    assert e1.max_leverage == e2.max_leverage == 1.2  # 5 / 4 = 1.25


@pytest.mark.parametrize(
    "text,key,problem",
    [
        ("[ladder]\nrv_extreme_pct = 50.0\n", "rv_extreme_pct", "above rv_threshold_pct (60)"),
        ("[ladder]\ncut_factor = 1.5\n", "cut_factor", "at most 1"),
        (
            "[ladder]\nliq_intensity_threshold = 12.0\n",
            "liq_intensity_extreme",
            "above liq_intensity_threshold (12)",
        ),
    ],
)
def test_ladder_levels_are_validated_with_file_and_line(tmp_path, text, key, problem) -> None:
    path = write(tmp_path, "# my ladder\n" + text)
    with pytest.raises(RulesError) as exc:
        load_rules([path], include_user_dir=False)
    assert exc.value.key == key and problem in exc.value.problem
    assert str(exc.value).startswith(f"{path}:3: {key}:")


def test_set_config_keeps_the_state_of_unchanged_rules(tmp_path: Path) -> None:
    from workstation.app.pipeline import build_pipeline

    pipe = build_pipeline(ReplayClock())
    fresh = {("all", "BTCUSDT"): {**QUIET, "skew_25d_30d_volpts": 8.0}}
    for t in range(0, 20 * 60_000, 60_000):  # skew_fear holds 8 > 6 long enough to be active
        pipe.rules.evaluate(t, fresh)
    states = pipe.rules.alerts.states
    assert states[("skew_fear", "all", "BTCUSDT")].state == "active"
    good = write(tmp_path, "[ladder]\nbase_leverage = 3.0\n")
    pipe.rules.set_config(load_rules([good], include_user_dir=False))
    assert pipe.rules.config.ladder.base_leverage == 3.0
    # the rules themselves did not change: their instances keep their state (no re-alerting)
    assert pipe.rules.alerts.states[("skew_fear", "all", "BTCUSDT")].state == "active"
    assert DEFAULT_RULES.is_file()
