"""Editing single-metric rule thresholds: applied as a new config, checked like the rules file,
and saved into the user's rules.toml without losing what else it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from workstation.core.userdirs import RULES_TEMPLATE
from workstation.rules.config import DEFAULT_RULES, RulesError, load_rules
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


USER_FILE = """\
# My rules: fear a little earlier than the desk, and my own OI rule.
version = 1

[metrics]
swing_bars = 3               # wider swings than the default

# skew: the desk's rule, my levels
[[rule]]
id = "skew_fear"
checklist = "skew"
metric = "skew_25d_30d_volpts"
op = ">"
enter = 5.5   # the desk uses 6
exit = 4.5
severity = "warning"
message = "25d skew {skew_25d_30d_volpts:.1f} vol pts: puts bid"

# --- mine ---

[[rule]]
id = "oi_jump"
metric = "oi_change_1h_pct"   # fast OI build-up
op = ">"
enter = 3
exit = 2.0 # hysteresis
severity = "info"
"""


def test_saving_changes_only_the_numbers_of_the_users_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(USER_FILE, encoding="utf-8")
    save_user_thresholds({"skew_fear": (7.0, 5.0), "oi_jump": (4.5, 2.5)}, path)
    expected = (
        USER_FILE.replace("enter = 5.5   # the desk", "enter = 7.0   # the desk")
        .replace("exit = 4.5\n", "exit = 5.0\n")
        .replace("enter = 3\n", "enter = 4.5\n")
        .replace("exit = 2.0 # hysteresis", "exit = 2.5 # hysteresis")
    )
    assert expected != USER_FILE
    assert path.read_text(encoding="utf-8") == expected
    loaded = load_rules([path], include_user_dir=False)
    fear, jump = _rule(loaded, "skew_fear").conditions[0], _rule(loaded, "oi_jump").conditions[0]
    assert (fear.enter, fear.exit, jump.enter, jump.exit) == (7.0, 5.0, 4.5, 2.5)
    assert loaded.metrics.swing_bars == 3


def _default_rule_text(rid: str) -> str:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    start = text.index(f'[[rule]]\nid = "{rid}"')
    end = text.find("\n[[rule]]", start)
    return text[start:end].rstrip("\n") + "\n"


def test_a_rule_not_in_the_file_is_appended_from_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(USER_FILE, encoding="utf-8")
    save_user_thresholds({"funding_elevated": (0.05, 0.04)}, path)
    block = (
        _default_rule_text("funding_elevated")
        .replace("enter = 0.03\n", "enter = 0.05\n")
        .replace("exit = 0.02\n", "exit = 0.04\n")
    )
    assert "enter = 0.05\nexit = 0.04\n" in block
    assert path.read_text(encoding="utf-8") == USER_FILE + "\n" + block
    cond = _rule(load_rules([path], include_user_dir=False), "funding_elevated").conditions[0]
    assert (cond.enter, cond.exit) == (0.05, 0.04)


def test_a_missing_file_is_created_from_the_first_run_template(tmp_path: Path) -> None:
    path = tmp_path / "new" / "rules.toml"
    save_user_thresholds({"futures_dominate": (0.15, 0.18)}, path)  # a one-name expr rule
    text = path.read_text(encoding="utf-8")
    assert text.startswith(RULES_TEMPLATE + "\n[[rule]]\n")
    cond = _rule(load_rules([path], include_user_dir=False), "futures_dominate").conditions[0]
    assert (cond.enter, cond.exit) == (0.15, 0.18)


def test_a_file_that_is_not_toml_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    broken = '# mine\n[[rule]]\nid = "skew_fear\nenter = 7\n'
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(RulesError) as e:
        save_user_thresholds({"skew_fear": (8.0, 5.5)}, path)
    assert e.value.path == str(path) and str(e.value).startswith(f"{path}:3: syntax:")
    assert path.read_text(encoding="utf-8") == broken


def test_only_one_condition_rules_are_saved(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    with pytest.raises(RulesError) as e:
        save_user_thresholds({"oi_up_price_down": (2.0, 1.0)}, path)
    assert e.value.key == "oi_up_price_down" and "single-metric" in e.value.problem
    assert not path.exists()


def test_rules_written_inline_are_edited_but_not_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    inline = 'rule = [ { id = "skew_fear", metric = "skew_25d_30d_volpts", op = ">", '
    inline += "enter = 6, exit = 5 } ]\n"
    path.write_text(inline, encoding="utf-8")
    save_user_thresholds({"skew_fear": (7.0, 6.5)}, path)
    assert path.read_text(encoding="utf-8") == inline.replace("6, exit = 5", "7.0, exit = 6.5")
    with pytest.raises(RulesError) as e:  # a [[rule]] after `rule = [...]` is not TOML
        save_user_thresholds({"funding_elevated": (0.05, 0.04)}, path)
    assert e.value.key == "rule" and "[[rule]]" in e.value.problem
    assert "funding_elevated" not in path.read_text(encoding="utf-8")
