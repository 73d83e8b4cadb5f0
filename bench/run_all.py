"""Runs every benchmark in bench/ in turn; each prints its own figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = [
    "bench_sessions.py",
    "bench_rules.py",
    "bench_import.py",
    "bench_archive.py",
    "bench_feeds.py",
    "bench_gui.py",
    "bench_bundle.py",
]


def main() -> int:
    here = Path(__file__).resolve().parent
    status = 0
    for name in BENCHES:
        print(f"=== {name}", flush=True)
        status |= subprocess.run([sys.executable, str(here / name), *sys.argv[1:]]).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
