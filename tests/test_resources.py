"""The shipped files are package data: in every wheel built from the project, and found through
workstation.core.resources wherever the package is: this checkout, or a zip archive (temporary
copies that outlive the caller)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import DEMO, REPO

from workstation.core.resources import (
    default_rules_path,
    demo_session_path,
    icon_path,
    shipped_brackets,
)
from workstation.risk.brackets import VENUES

PKG = REPO / "workstation"
RESOURCES = PKG / "resources"


def test_the_resources_are_the_packages_own_files() -> None:
    assert demo_session_path() == DEMO
    assert default_rules_path() == RESOURCES / "rules" / "default.toml"
    assert [shipped_brackets(v) for v in VENUES] == [
        RESOURCES / "brackets" / f"{v}.json" for v in VENUES
    ]
    assert icon_path("workstation-48.png") == RESOURCES / "icons" / "workstation-48.png"
    for path in (demo_session_path(), default_rules_path(), icon_path("workstation.svg")):
        assert path.is_file(), path


def test_only_core_resources_knows_where_the_resources_are() -> None:
    """No module but workstation/core/resources.py builds a path through a "resources" folder."""
    offenders = []
    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        offenders += [
            f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and "resources" in node.value.replace("\\", "/").split("/")
        ]
    assert offenders == []


ZIPPED = """
import sqlite3, sys
sys.path.insert(0, sys.argv[1])
import workstation
from workstation.core.resources import default_rules_path, demo_session_path, shipped_brackets
assert workstation.__file__.startswith(sys.argv[1]), workstation.__file__
session = demo_session_path()
with sqlite3.connect(f"file:{session}?mode=ro", uri=True) as db:
    tables = db.execute("select count(*) from sqlite_master where type = 'table'").fetchone()[0]
assert tables > 0, tables
assert default_rules_path().read_text(encoding="utf-8").startswith("#")
assert shipped_brackets("okx").stat().st_size > 0
print(session)
"""


def test_from_a_zip_archive_the_resources_are_real_files_until_exit(tmp_path: Path) -> None:
    """Imported from a zip, the package's files are temporary copies SQLite can open; they last
    as long as the process and are removed when it exits."""
    archive = tmp_path / "workstation.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in PKG.rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts:
                z.write(f, f.relative_to(REPO))
    # -S: no site-packages, so the editable install cannot stand in for the archive
    res = subprocess.run(
        [sys.executable, "-S", "-c", ZIPPED, str(archive)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    copy = Path(res.stdout.strip())
    assert copy.name.endswith("feb-2026-selloff.session") and not copy.is_relative_to(REPO)
    assert not copy.exists()  # removed at exit


def test_a_wheel_built_from_the_project_holds_every_resource(tmp_path: Path) -> None:
    """Fails when the package-data declaration in pyproject.toml misses a file. Built from a
    clean copy: a build/ or *.egg-info left in the checkout by an earlier build would put the
    files in the wheel whatever pyproject.toml says."""
    src = tmp_path / "src"
    shutil.copytree(PKG, src / "workstation", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(src)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert res.returncode == 0, res.stderr
    (wheel,) = tmp_path.glob("workstation-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        f"workstation/resources/{f.relative_to(RESOURCES)}"
        for f in RESOURCES.rglob("*")
        if f.is_file() and f.suffix != ".py" and "__pycache__" not in f.parts
    }
    named = {
        "rules/default.toml",
        "demo/feb-2026-selloff.session",
        *(f"brackets/{v}.json" for v in VENUES),
        "icons/workstation.svg",
        "icons/workstation.ico",
        "icons/workstation.icns",
        *(f"icons/workstation-{n}.png" for n in (16, 24, 32, 48, 64, 128, 256, 512)),
    }
    assert {f"workstation/resources/{n}" for n in named} <= shipped
    assert sorted(shipped - names) == []
