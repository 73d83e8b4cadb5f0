"""The desktop bundle's figures (issue: the bundle): unpacked size, archive size, and the time
from process start to the window's first paint on the demo session (the bundle's --self-test
reports it from the kernel's process start time), median of several starts.

Needs a built bundle (make bundle). Usage: python bench/bench_bundle.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    binary = ROOT / "dist" / "workstation" / "workstation"
    if not binary.exists():
        print("bench_bundle: no dist/workstation/workstation: run `make bundle` first")
        return 0
    files = [f for f in binary.parent.rglob("*") if f.is_file() and not f.is_symlink()]
    unpacked = sum(f.stat().st_size for f in files)  # symlinks (PyInstaller makes some) once
    archives = sorted((ROOT / "dist").glob("workstation-*.tar.gz"))
    print(f"  unpacked: {unpacked / 1e6:.0f} MB (target: under 250 MB)")
    for a in archives:
        print(f"  archive: {a.name} {a.stat().st_size / 1e6:.0f} MB")
    paints = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=tmp,
                       XDG_DATA_HOME=tmp, HOME=tmp)  # fmt: skip
            out = subprocess.run(
                [str(binary), "--self-test", "--self-test-out", f"{tmp}/s.png"],
                capture_output=True,
                text=True,
                env=env,
            ).stdout
        m = re.search(r"first paint (\d+) ms", out)
        if m is None or "self-test: OK" not in out:
            print(f"bench_bundle: the self-test failed:\n{out}")
            return 1
        paints.append(int(m.group(1)))
    print(
        f"  start to first paint (demo session, offscreen): median {statistics.median(paints):.0f} ms"
        f" (runs: {', '.join(map(str, paints))}; target: under 2,000 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
