"""Editing single-metric rule thresholds: applied as a new config, checked like the rules file,
and saved into the user's rules.toml without losing what else it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from workstation.rules.config import RulesError, load_rules
from workstation.rules.thresholds import (
    save_user_thresholds,
    single_metric_rules,
    with_thresholds,
)


def _rule(config, rid):
    return next(r for r in config.rules if r.id == rid)


def test_single_metric_rules_and_a_new_config() -> None:
    base = load_rules(include_user_dir=False)
    rows = {r[0]: r for r in single_metric_rules(base)}
    assert rows["skew_fear"][1:5] == ("skew_25d_30d_volpts", ">", 6.0, 5.0)  # the shipped file
    assert "oi_up_price_down" not in rows  # two conditions: edited in the file, not here
    new = with_thresholds(base, {"skew_fear": ("8", "5.5")})
    cond = _rule(new, "skew_fear").conditions[0]
    assert (cond.enter, cond.exit) == (8.0, 5.5)
    assert cond.holds(8.1, active=False) and not cond.holds(7.9, active=False)
    assert _rule(base, "skew_fear").conditions[0].enter == 6.0  # the old config is untouched
    assert _rule(new, "skew_panic") == _rule(base, "skew_panic")


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        ({"skew_fear": ("8", "9")}, "skew_fear.exit", "for op '>' exit must be <= enter (8)"),
        ({"funding_negative": ("0", "-0.01")}, "funding_negative.exit", "exit must be >= enter"),
        ({"skew_fear": ("six", "4")}, "skew_fear.enter", "must be a number, not 'six'"),
        ({"skew_fear": ("inf", "4")}, "skew_fear.enter", "must be finite"),
        ({"no_such_rule": ("1", "1")}, "no_such_rule", "no such rule"),
    ],
)
def test_bad_thresholds_name_the_rule_and_key(change, key, problem) -> None:
    with pytest.raises(RulesError) as e:
        with_thresholds(load_rules(include_user_dir=False), change)
    assert e.value.key == key and problem in e.value.problem


def test_saved_thresholds_load_back_and_keep_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[ladder]\nbase_leverage = 4.0\n\n[[rule]]\nid = "basis_low"\nenabled = false\n'
    )
    save_user_thresholds({"skew_fear": (8.0, 5.5)}, path)
    save_user_thresholds({"funding_elevated": (0.05, 0.04)}, path)
    loaded = load_rules([path], include_user_dir=False)
    base = load_rules(include_user_dir=False)
    fear, new_base = _rule(loaded, "skew_fear"), _rule(base, "skew_fear")
    assert (fear.conditions[0].enter, fear.conditions[0].exit) == (8.0, 5.5)
    assert (fear.message, fear.action, fear.cooldown_ms) == (
        new_base.message,
        new_base.action,
        new_base.cooldown_ms,
    )
    assert _rule(loaded, "funding_elevated").conditions[0].enter == 0.05
    assert loaded.ladder.base_leverage == 4.0  # the file's own table stays
    assert "basis_low" not in {r.id for r in loaded.rules}  # and its disabled rule
