"""Where the user's own files live (platformdirs), and creating them on the first run: the
settings folder with a rules.toml to edit (it overrides nothing until the user writes rules in
it), and the data folder with its sessions folder. Any thread."""

from __future__ import annotations

from pathlib import Path

RULES_TEMPLATE = """\
# Your rules: this file overrides the shipped defaults (see the README, "Rules").
# Tables merge key by key; a [[rule]] with the id of a default rule replaces it, and
# `enabled = false` turns one off. The Settings dialog writes thresholds here too (only the
# numbers change; your comments stay). Example ({enter} shows the rule's own level):
#
# [[rule]]
# id = "skew_fear"
# metric = "skew_25d_30d_volpts"
# op = ">"
# enter = 7.0
# exit = 5.5
# severity = "warning"
# message = "25d skew {skew_25d_30d_volpts:.1f} vol pts > {enter:g}: puts bid"
# action = "Hedge or smaller gross exposure."
# checklist = "skew"

version = 1
"""


def user_paths() -> dict[str, Path]:
    """Every user file and folder the workstation reads or writes, by what it is."""
    import platformdirs

    config = Path(platformdirs.user_config_dir("workstation", appauthor=False))
    data = Path(platformdirs.user_data_dir("workstation", appauthor=False))
    return {
        "settings folder": config,
        "rules file": config / "rules.toml",
        "data folder": data,
        "recordings": data / "sessions",
        "position book": data / "positions.db",
        "refreshed brackets": data / "brackets",
        "delivery log": data / "notify-log.jsonl",
    }


def ensure_user_dirs() -> dict[str, Path]:
    """Create the folders and the rules file where missing (never overwrites); returns the paths."""
    paths = user_paths()
    for key in ("settings folder", "data folder", "recordings"):
        paths[key].mkdir(parents=True, exist_ok=True)
    if not paths["rules file"].exists():
        paths["rules file"].write_text(RULES_TEMPLATE, encoding="utf-8")
    return paths
