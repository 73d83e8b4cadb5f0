"""Rules files (TOML): loading, merging the user's file over the defaults, validation.

Every problem is a :class:`RulesError` that names the file, the line and the key, e.g.
``rules.toml:42: rule 'skew_fear', key 'exit': for op '>' exit must be <= enter (6.0)``.
Any thread may load; the result is immutable.

A rule's ``message`` is a template of ``{field:format}`` fields (Python format specs, e.g.
``{skew_25d_30d_volpts:.1f}``, ``{enter:g}``). A field is a metric name (its value when the alert
is sent; ``?`` when missing) or one of the rule's own thresholds, so a message never repeats a
number the rule holds: ``{enter}`` and ``{exit}`` in a rule with one condition (``metric`` or
``expr``), and, in any rule, ``{enter_<metric>}`` and ``{exit_<metric>}`` of the condition on
that metric: the way to name one condition of a compound rule (``all``/``any``), e.g.
``{enter_oi_change_4h_pct}`` (a metric compared in two conditions of one rule has none). Any
other field is refused at load, with the message's line; ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import ast
import math
import os
import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workstation.core.resources import default_rules_path
from workstation.metrics.catalogue import METRIC_NAMES
from workstation.metrics.market import MetricsConfig

DEFAULT_RULES = default_rules_path()
SEVERITIES = ("info", "warning", "critical")
CHECKLIST_ITEMS = ("oi", "funding", "liquidations", "skew", "price_structure")
RULE_SIDES = ("long", "short", "both")  # a rule's ``side``: whose checklist caution it is
_FUNCS = {"abs": abs, "min": min, "max": max}


class RulesError(Exception):
    """A rules file that cannot be used; ``str()`` is one line naming file, line and key."""

    def __init__(self, path: str, line: int | None, key: str, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {problem}")
        self.path, self.line, self.key, self.problem = path, line, key, problem


@dataclass(frozen=True)
class Condition:
    """``value(metrics) op enter`` to become true; stays true until the value passes ``exit``."""

    source: str  # the metric name or the expression text
    names: tuple[str, ...]  # metrics it reads
    # compiled from ``source``: equal sources are equal conditions (a reload keeps rule state)
    value: Callable[[Mapping[str, float]], float | None] = field(compare=False)
    op: str
    enter: float
    exit: float

    def holds(self, x: float, active: bool) -> bool:
        limit = self.exit if active else self.enter
        return x > limit if self.op == ">" else x < limit


@dataclass(frozen=True)
class RuleDef:
    id: str
    conditions: tuple[Condition, ...]
    mode: str  # "all" or "any"
    min_duration_ms: int
    min_clear_ms: int
    cooldown_ms: int
    severity: str
    message: str
    action: str
    checklist: str | None
    scope: str  # "symbol" (the all-venues aggregate) or "venue"
    side: str = "long"  # whose caution it is in the checklist: "long", "short" or "both"
    inputs: tuple[str, ...] = ()  # the metrics it reads, in order (filled from the conditions)

    def __post_init__(self) -> None:
        names = tuple(dict.fromkeys(n for c in self.conditions for n in c.names))
        object.__setattr__(self, "inputs", names)

    def threshold_fields(self) -> dict[str, float]:
        """The thresholds a message may show, by field name: ``enter`` and ``exit`` of a rule
        with one condition, ``enter_<metric>`` and ``exit_<metric>`` of each condition on a
        metric compared once in the rule."""
        out: dict[str, float] = {}
        if len(self.conditions) == 1:
            out["enter"], out["exit"] = self.conditions[0].enter, self.conditions[0].exit
        sources = [c.source for c in self.conditions]
        for c in self.conditions:
            if c.source in METRIC_NAMES and sources.count(c.source) == 1:
                out[f"enter_{c.source}"], out[f"exit_{c.source}"] = c.enter, c.exit
        return out


@dataclass(frozen=True)
class LadderConfig:
    """The ladder's levels (``[ladder]`` of the rules file); see :mod:`workstation.rules.ladder`."""

    base_leverage: float = 5.0  # x, quiet conditions
    rv_metric: str = "rv_24h_pct"
    rv_threshold_pct: float = 60.0  # each level crossed multiplies by cut_factor
    rv_extreme_pct: float = 90.0
    liq_intensity_threshold: float = 4.0  # x the 7-day hourly median
    liq_intensity_extreme: float = 10.0
    cut_factor: float = 0.5
    funding_elevated_8h_pct: float = 0.03  # % per 8h, in the direction the side pays
    funding_factor: float = 0.75
    holding_horizon_h: float = 24.0
    maint_margin_rate: float = 0.005
    min_leverage: float = 1.0
    exit_fraction: float = 0.85  # a trigger turns off below this fraction of its threshold ...
    hold_s: float = 3600.0  # ... and no sooner than this long after it last crossed


@dataclass(frozen=True)
class RulesConfig:
    rules: tuple[RuleDef, ...]
    metrics: MetricsConfig
    ladder: LadderConfig
    checklist_items: tuple[str, ...]
    eval_interval_ms: int
    sources: tuple[str, ...] = field(default=())


# --- expressions ----------------------------------------------------------------------------------
_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.UAdd,
)


def compile_expr(
    text: str,
) -> tuple[Callable[[Mapping[str, float]], float | None], tuple[str, ...]]:
    """A small arithmetic expression of metric names -> (evaluator, names it reads).
    Raises ValueError naming what is not allowed."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a valid expression ({exc.msg})") from None
    names: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f"{type(node).__name__} is not allowed (use + - * / ( ) abs min max)")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS or node.keywords:
                raise ValueError("only abs(), min() and max() may be called")
        elif isinstance(node, ast.Name) and node.id not in _FUNCS:
            if node.id not in METRIC_NAMES:
                raise ValueError(f"unknown metric {node.id!r}")
            names.append((node.lineno, node.col_offset, node.id))
        elif isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ValueError("only numbers may appear as constants")
    code = compile(tree, "<rule>", "eval")
    wanted = tuple(dict.fromkeys(n for _, _, n in sorted(names)))  # in the order written

    def evaluate(metrics: Mapping[str, float]) -> float | None:
        env: dict[str, Any] = dict(_FUNCS)
        for n in wanted:
            v = metrics.get(n)
            if v is None:
                return None
            env[n] = v
        try:
            return float(eval(code, {"__builtins__": {}}, env))  # names checked above
        except (ZeroDivisionError, OverflowError, ValueError):
            return None

    return evaluate, wanted


# --- locating keys in the text, for messages ------------------------------------------------------
class _Locator:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.rule_starts = [
            i for i, ln in enumerate(self.lines) if re.match(r"\s*\[\[rule\]\]", ln)
        ]

    def _find(self, key: str, start: int, stop: int) -> int | None:
        pat = re.compile(rf"(^|[\s{{,])([\"']?){re.escape(key)}\2\s*=")  # bare or quoted
        for i in range(start, min(stop, len(self.lines))):
            if pat.search(self.lines[i].split("#", 1)[0]):
                return i + 1
        return None

    def rule_key(self, index: int, key: str) -> int | None:
        if index >= len(self.rule_starts):
            return None
        start = self.rule_starts[index]
        stop = self.rule_starts[index + 1] if index + 1 < len(self.rule_starts) else len(self.lines)
        return self._find(key, start, stop) or start + 1

    def table_key(self, table: str, key: str) -> int | None:
        for i, ln in enumerate(self.lines):
            if re.match(rf"\s*\[{re.escape(table)}\]", ln):
                return self._find(key, i + 1, len(self.lines)) or i + 1
        return None


# --- loading -------------------------------------------------------------------------------------
def _read(path: Path) -> tuple[dict[str, Any], _Locator]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RulesError(str(path), None, "file", f"cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RulesError(
            str(path),
            line,
            "file",
            f"not UTF-8 text (byte {data[exc.start]:#04x}): save it as UTF-8",
        ) from None
    try:
        return tomllib.loads(text), _Locator(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise RulesError(str(path), int(m.group(1)) if m else None, "syntax", str(exc)) from None


def _number(raw: Any, err: Callable[[str, str], RulesError], key: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise err(key, f"must be a number, not {raw!r}")
    if not math.isfinite(raw):
        raise err(key, f"must be a finite number, not {raw}")
    return float(raw)


def _condition(spec: Mapping[str, Any], err: Callable[[str, str], RulesError]) -> Condition:
    if ("metric" in spec) == ("expr" in spec):
        raise err("metric", 'give either metric = "name" or expr = "..." (one of them)')
    if "metric" in spec:
        name = spec["metric"]
        if not isinstance(name, str) or name not in METRIC_NAMES:
            raise err("metric", f"unknown metric {name!r} (see the README's list of metrics)")
        source, names = name, (name,)

        def value(m: Mapping[str, float], n: str = name) -> float | None:
            return m.get(n)
    else:
        if not isinstance(spec["expr"], str):
            raise err("expr", "must be a string")
        try:
            value, names = compile_expr(spec["expr"])
        except ValueError as exc:
            raise err("expr", str(exc)) from None
        source = spec["expr"]
    op = spec.get("op")
    if op not in (">", "<"):
        raise err("op", f'must be ">" or "<" (got {op!r})')
    enter = _number(spec.get("enter"), err, "enter")
    exit_ = _number(spec.get("exit", enter), err, "exit")
    if op == ">" and exit_ > enter:
        raise err("exit", f"for op '>' exit must be <= enter ({enter:g})")
    if op == "<" and exit_ < enter:
        raise err("exit", f"for op '<' exit must be >= enter ({enter:g})")
    return Condition(source, names, value, op, enter, exit_)


_RULE_KEYS = {
    "id",
    "enabled",
    "metric",
    "expr",
    "op",
    "enter",
    "exit",
    "all",
    "any",
    "min_duration_s",
    "min_clear_s",
    "cooldown_s",
    "severity",
    "message",
    "action",
    "checklist",
    "scope",
    "side",
}


def _rule(
    raw: Mapping[str, Any], err_at: Callable[[str, str], RulesError], items: tuple[str, ...]
) -> RuleDef:
    rid = raw.get("id", "?")

    def err(key: str, problem: str) -> RulesError:
        return err_at(key, f"rule {rid!r}, {problem}" if rid != "?" else problem)

    if not isinstance(raw.get("id"), str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", raw["id"]):
        raise err("id", "every rule needs an id made of letters, digits, _ . -")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise err(unknown[0], f"unknown key (known: {', '.join(sorted(_RULE_KEYS))})")
    modes = [k for k in ("all", "any") if k in raw]
    if modes:
        if len(modes) > 1 or "metric" in raw or "expr" in raw:
            raise err(modes[0], "a rule has one of metric, expr, all or any")
        specs = raw[modes[0]]
        if not isinstance(specs, list) or not specs or not all(isinstance(s, dict) for s in specs):
            raise err(modes[0], "must be a list of { metric/expr, op, enter, exit } tables")
        conditions = tuple(_condition(s, err) for s in specs)
        mode = modes[0]
    else:
        conditions, mode = (_condition(raw, err),), "all"
    severity = raw.get("severity", "warning")
    if severity not in SEVERITIES:
        raise err("severity", f"must be one of {', '.join(SEVERITIES)} (got {severity!r})")
    checklist = raw.get("checklist")
    if checklist is not None and checklist not in items:
        raise err("checklist", f"must be one of {', '.join(items)} (got {checklist!r})")
    side = raw.get("side", "long")
    if side not in RULE_SIDES:
        raise err("side", f"must be one of {', '.join(RULE_SIDES)} (got {side!r})")
    scope = raw.get("scope", "symbol")
    if scope not in ("symbol", "venue"):
        raise err("scope", f'must be "symbol" or "venue" (got {scope!r})')
    durations = {}
    for key in ("min_duration_s", "min_clear_s", "cooldown_s"):
        v = _number(raw.get(key, 0), err, key)
        if v < 0:
            raise err(key, "must be 0 or more seconds")
        durations[key] = int(v * 1000)
    for key in ("message", "action"):
        if not isinstance(raw.get(key, ""), str):
            raise err(key, "must be a string")
    rule = RuleDef(
        id=raw["id"],
        conditions=conditions,
        mode=mode,
        min_duration_ms=durations["min_duration_s"],
        min_clear_ms=durations["min_clear_s"],
        cooldown_ms=durations["cooldown_s"],
        severity=severity,
        message=raw.get("message", raw["id"]),
        action=raw.get("action", ""),
        checklist=checklist,
        scope=scope,
        side=side,
    )
    _check_message(rule.message, rule, err)
    return rule


def _check_message(template: str, rule: RuleDef, err: Callable[[str, str], RulesError]) -> None:
    """Every field of the template (and of its format specs) is a metric or a threshold field."""
    numbers = rule.threshold_fields()
    try:
        fields = [
            (n, spec) for _, n, spec, _ in string.Formatter().parse(template) if n is not None
        ]
    except ValueError as exc:
        raise err(
            "message", f"not a valid template ({exc}); write {{{{ or }}}} for a literal brace"
        ) from None
    for name, spec in fields:
        if name in ("enter", "exit") and name not in numbers:
            named = [k for k in numbers if k.startswith(f"{name}_")]
            example = f"{{{named[0]}}}" if named else f"{{{name}_<metric>}}"
            raise err(
                "message", f"{{{name}}} is for a rule with one condition: name it, e.g. {example}"
            )
        if name not in METRIC_NAMES and name not in numbers:
            own = f", or the rule's {', '.join(f'{{{k}}}' for k in numbers)}" if numbers else ""
            raise err("message", f"unknown field {{{name}}} (a metric name{own})")
        _check_message(spec, rule, err)


def user_rules_path() -> Path:
    """rules.toml in the user's settings folder (platformdirs)."""
    from workstation.core.userdirs import user_paths

    return user_paths()["rules file"]


def load_rules(
    extra: list[str | os.PathLike[str]] | None = None, *, include_user_dir: bool = True
) -> RulesConfig:
    """The defaults, then rules.toml from the settings folder (if any), then each ``extra`` file.
    Later files override earlier ones (tables key by key, rules by id)."""
    paths = [DEFAULT_RULES]
    if include_user_dir and user_rules_path().is_file():
        paths.append(user_rules_path())
    paths += [Path(p) for p in extra or []]
    tables: dict[str, dict[str, Any]] = {
        "engine": {},
        "metrics": {},
        "staleness_s": {},
        "checklist": {},
        "ladder": {},
    }
    rules: dict[str, tuple[dict[str, Any], Callable[[str, str], RulesError]]] = {}
    for path in paths:
        data, loc = _read(path)
        for key in data:
            if key not in (*tables, "rule", "version"):
                raise RulesError(str(path), loc.table_key(key, key) or None, key, "unknown table")
        for name in tables:
            section = data.get(name, {})
            if not isinstance(section, dict):
                raise RulesError(str(path), loc.table_key(name, name), name, "must be a table")
            tables[name].update(section)
            tables[name].setdefault("__where__", {}).update(
                {k: (str(path), loc.table_key(name, k)) for k in section}
            )
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            raise RulesError(str(path), None, "rule", "use [[rule]] tables")
        for i, raw in enumerate(raw_rules):

            def err_at(
                key: str, problem: str, i: int = i, path: Path = path, loc: _Locator = loc
            ) -> RulesError:
                return RulesError(str(path), loc.rule_key(i, key), key, problem)

            rid = raw.get("id")
            if not isinstance(rid, str):
                raise err_at("id", "every rule needs an id")
            if raw.get("enabled", True) is False:
                rules.pop(rid, None)
                continue
            rules[rid] = (raw, err_at)
    items = tuple(tables["checklist"].get("items", CHECKLIST_ITEMS))
    bad = [i for i in items if i not in CHECKLIST_ITEMS]
    if bad:
        path, line = tables["checklist"]["__where__"].get("items", (str(paths[-1]), None))
        raise RulesError(
            path,
            line,
            "items",
            f"unknown checklist item {bad[0]!r} (known: {', '.join(CHECKLIST_ITEMS)})",
        )
    defs = tuple(_rule(raw, err_at, items) for raw, err_at in rules.values())
    return RulesConfig(
        rules=defs,
        metrics=_metrics_config(tables),
        ladder=_ladder_config(tables["ladder"]),
        checklist_items=items,
        eval_interval_ms=_eval_interval(tables["engine"]),
        sources=tuple(str(p) for p in paths),
    )


def _where(table: dict[str, Any], key: str) -> tuple[str, int | None]:
    return table.get("__where__", {}).get(key, ("rules", None))


def _positive(table: dict[str, Any], key: str, default: float) -> float:
    raw = table.get(key, default)
    if (
        isinstance(raw, bool)
        or not isinstance(raw, int | float)
        or not math.isfinite(raw)
        or raw <= 0
    ):
        path, line = _where(table, key)
        raise RulesError(path, line, key, f"must be a number greater than 0 (got {raw!r})")
    return float(raw)


def _eval_interval(engine: dict[str, Any]) -> int:
    return int(_positive(engine, "eval_interval_s", 1.0) * 1000)


def _metrics_config(tables: dict[str, dict[str, Any]]) -> MetricsConfig:
    m = tables["metrics"]
    known = {"liq_baseline_hours", "liq_baseline_min_hours", "liq_baseline_floor_usd", "swing_bars"}
    for key in m:
        if key != "__where__" and key not in known:
            path, line = _where(m, key)
            raise RulesError(
                path, line, key, f"unknown key in [metrics] (known: {', '.join(sorted(known))})"
            )
    staleness = {}
    for key in tables["staleness_s"]:
        if key == "__where__":
            continue
        if not any(name.startswith(key) for name in METRIC_NAMES):
            path, line = _where(tables["staleness_s"], key)
            raise RulesError(
                path,
                line,
                key,
                "unknown metric or prefix in [staleness_s] (see the README's Metrics)",
            )
        staleness[key] = _positive(tables["staleness_s"], key, 0)
    return MetricsConfig(
        liq_baseline_hours=int(_positive(m, "liq_baseline_hours", 168)),
        liq_baseline_min_hours=int(_positive(m, "liq_baseline_min_hours", 6)),
        liq_baseline_floor_usd=_positive(m, "liq_baseline_floor_usd", 250_000.0),
        swing_bars=int(_positive(m, "swing_bars", 2)),
        staleness_s=staleness,
    )


def _ladder_config(t: dict[str, Any]) -> LadderConfig:
    d = LadderConfig()
    known = set(LadderConfig.__dataclass_fields__)
    for key in t:
        if key != "__where__" and key not in known:
            path, line = _where(t, key)
            raise RulesError(
                path, line, key, f"unknown key in [ladder] (known: {', '.join(sorted(known))})"
            )
    rv_metric = t.get("rv_metric", d.rv_metric)
    if rv_metric not in ("rv_1h_pct", "rv_24h_pct", "rv_7d_pct"):
        path, line = _where(t, "rv_metric")
        raise RulesError(path, line, "rv_metric", "must be rv_1h_pct, rv_24h_pct or rv_7d_pct")
    cfg = LadderConfig(
        base_leverage=_positive(t, "base_leverage", d.base_leverage),
        rv_metric=rv_metric,
        rv_threshold_pct=_positive(t, "rv_threshold_pct", d.rv_threshold_pct),
        rv_extreme_pct=_positive(t, "rv_extreme_pct", d.rv_extreme_pct),
        liq_intensity_threshold=_positive(t, "liq_intensity_threshold", d.liq_intensity_threshold),
        liq_intensity_extreme=_positive(t, "liq_intensity_extreme", d.liq_intensity_extreme),
        cut_factor=_positive(t, "cut_factor", d.cut_factor),
        funding_elevated_8h_pct=_positive(t, "funding_elevated_8h_pct", d.funding_elevated_8h_pct),
        funding_factor=_positive(t, "funding_factor", d.funding_factor),
        holding_horizon_h=_positive(t, "holding_horizon_h", d.holding_horizon_h),
        maint_margin_rate=_positive(t, "maint_margin_rate", d.maint_margin_rate),
        min_leverage=_positive(t, "min_leverage", d.min_leverage),
        exit_fraction=_positive(t, "exit_fraction", d.exit_fraction),
        hold_s=_positive(t, "hold_s", d.hold_s),
    )
    if cfg.exit_fraction > 1:
        path, line = _where(t, "exit_fraction")
        raise RulesError(
            path, line, "exit_fraction", "must be at most 1 (a fraction of the threshold)"
        )
    for key in ("funding_factor", "cut_factor"):
        if getattr(cfg, key) > 1:
            path, line = _where(t, key)
            raise RulesError(path, line, key, "must be at most 1 (it reduces leverage)")
    for key, below in (
        ("rv_extreme_pct", "rv_threshold_pct"),
        ("liq_intensity_extreme", "liq_intensity_threshold"),
    ):
        if getattr(cfg, key) <= getattr(cfg, below):
            # name the level the user set: the extreme unless only the threshold was moved
            path, line = _where(t, key)
            if path == str(DEFAULT_RULES):
                path, line = _where(t, below)
            raise RulesError(
                path, line, key, f"must be above {below} ({getattr(cfg, below):g}): it cuts again"
            )
    return cfg
