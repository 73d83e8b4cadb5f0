"""Changing the thresholds of single-metric rules (the settings dialog): a new configuration
applied at once, and the user's rules.toml rewritten so the change outlives the session.

Validation follows the rules file's: finite numbers, and hysteresis in the right direction (for
">" exit <= enter, for "<" exit >= enter); a bad value raises :class:`RulesError` naming the rule
and the key. Pure functions, any thread."""

from __future__ import annotations

import json
import math
import os
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from workstation.rules.config import DEFAULT_RULES, RulesConfig, RulesError, user_rules_path

Thresholds = dict[str, tuple[float, float]]  # rule id -> (enter, exit)


def single_metric_rules(config: RulesConfig) -> list[tuple[str, str, str, float, float, str]]:
    """(id, metric, op, enter, exit, severity) of every rule on one plain metric."""
    out = []
    for rule in config.rules:
        if len(rule.conditions) == 1 and rule.conditions[0].names == (rule.conditions[0].source,):
            c = rule.conditions[0]
            out.append((rule.id, c.source, c.op, c.enter, c.exit, rule.severity))
    return out


def check(rule_id: str, op: str, enter: Any, exit_: Any) -> tuple[float, float]:
    """The two numbers, or RulesError naming the rule and the key."""
    values = []
    for key, raw in (("enter", enter), ("exit", exit_)):
        try:
            v = float(str(raw).replace(",", ""))
        except ValueError:
            raise RulesError(
                "settings", None, f"{rule_id}.{key}", f"must be a number, not {raw!r}"
            ) from None
        if not math.isfinite(v):
            raise RulesError("settings", None, f"{rule_id}.{key}", f"must be finite, not {raw!r}")
        values.append(v)
    enter_v, exit_v = values
    if (op == ">" and exit_v > enter_v) or (op == "<" and exit_v < enter_v):
        need = "<=" if op == ">" else ">="
        raise RulesError(
            "settings",
            None,
            f"{rule_id}.exit",
            f"for op '{op}' exit must be {need} enter ({enter_v:g})",
        )
    return enter_v, exit_v


def with_thresholds(config: RulesConfig, changes: Thresholds) -> RulesConfig:
    """``config`` with these rules' enter and exit replaced (checked)."""
    rules = []
    for rule in config.rules:
        if rule.id in changes:
            (cond,) = rule.conditions
            enter, exit_ = check(rule.id, cond.op, *changes[rule.id])
            rule = replace(rule, conditions=(replace(cond, enter=enter, exit=exit_),))
        rules.append(rule)
    unknown = set(changes) - {r.id for r in config.rules}
    if unknown:
        raise RulesError("settings", None, sorted(unknown)[0], "no such rule")
    return replace(config, rules=tuple(rules))


def save_user_thresholds(changes: Thresholds, path: str | os.PathLike[str] | None = None) -> Path:
    """Write these thresholds into the user's rules.toml (created if absent): each changed rule
    is written whole (a rule with the same id replaces the default one), the file's other tables
    and rules are kept."""
    path = Path(path) if path else user_rules_path()
    user = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    defaults = {r["id"]: r for r in tomllib.loads(DEFAULT_RULES.read_text("utf-8"))["rule"]}
    rules = {r["id"]: r for r in user.get("rule", [])}
    for rid, (enter, exit_) in changes.items():
        base = dict(rules.get(rid) or defaults.get(rid) or {})
        if "metric" not in base:
            raise RulesError(str(path), None, rid, "only single-metric rules are edited here")
        base["enter"], base["exit"] = enter, exit_
        rules[rid] = base
    user["rule"] = list(rules.values())
    user.setdefault("version", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(user), encoding="utf-8")
    return path


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a TOML basic string: the same escapes
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def to_toml(data: dict[str, Any]) -> str:
    """The rules file's shapes: top-level values, tables of values, and [[rule]] tables."""
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict | list)]
    lines += [f"{k} = {_value(v)}" for k, v in data.items() if isinstance(v, list) and k != "rule"]
    for name, table in data.items():
        if isinstance(table, dict):
            lines += ["", f"[{name}]"] + [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    for rule in data.get("rule", []):
        lines += ["", "[[rule]]"] + [f"{k} = {_value(v)}" for k, v in rule.items()]
    return "\n".join(lines) + "\n"


def _key(k: str) -> str:
    return k if k.replace("_", "").isalnum() else json.dumps(k)
