"""Changing the thresholds of single-metric rules (the settings dialog): a new configuration
applied at once, and the numbers written into the user's rules.toml (edited in place, its
comments kept) so the change outlives the session.

Validation follows the rules file's: finite numbers, and hysteresis in the right direction (for
">" exit <= enter, for "<" exit >= enter); a bad value raises :class:`RulesError` naming the rule
and the key. Any thread; only :func:`save_user_thresholds` touches a file."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import AoT

from workstation.core.userdirs import RULES_TEMPLATE
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
    """Write these thresholds into the user's rules.toml, edited in place (tomlkit): only the
    ``enter`` and ``exit`` numbers change; comments, key order, blank lines and the file's other
    tables and rules stay as written. A rule not in the file yet is appended whole, copied from
    the default one (a rule with the same id replaces it); a missing file starts as the first-run
    template. A file that is not TOML, or a rule with more than one condition, is a RulesError
    and nothing is written."""
    path = Path(path) if path else user_rules_path()
    doc = _parse(path.read_text(encoding="utf-8") if path.is_file() else RULES_TEMPLATE, path)
    rules = doc.get("rule", [])
    if not isinstance(rules, list):
        raise RulesError(str(path), None, "rule", "use [[rule]] tables")
    mine = {t.get("id"): t for t in rules if isinstance(t, dict)}  # the last of an id wins
    defaults = {t["id"]: t for t in _parse(DEFAULT_RULES.read_text("utf-8"), DEFAULT_RULES)["rule"]}
    added = tomlkit.aot()
    for rid, (enter, exit_) in changes.items():
        table = mine.get(rid)
        if table is None and rid in defaults:
            table = defaults[rid]
            added.append(table)
        if table is None or not ("metric" in table or "expr" in table):
            raise RulesError(str(path), None, rid, "only single-metric rules are edited here")
        table["enter"], table["exit"] = enter, exit_
    text = doc.as_string()
    if added:
        if "rule" in doc and not isinstance(rules, AoT):
            raise RulesError(str(path), None, "rule", "use [[rule]] tables to add rules here")
        text += "\n" if text and not text.endswith("\n") else ""
        text += "\n" if text.strip() and not text.endswith("\n\n") else ""
        text += tomlkit.dumps({"rule": added}).rstrip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _parse(text: str, path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise RulesError(str(path), exc.line, "syntax", str(exc)) from None
