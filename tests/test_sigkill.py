"""A recorder killed with SIGKILL loses at most the last second, and the file still opens."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from workstation.core.events import MarkPrice
from workstation.sessions.store import SessionReader

RATE = 2_000  # events per second


def test_sigkill_loses_at_most_one_second(tmp_path: Path) -> None:
    out = tmp_path / "killed.session"
    seen = 0
    with subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("recorder_child.py")), str(out), str(RATE)],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            seen = int(line.split()[1])
            if seen >= 3 * RATE:  # about three seconds of recording
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert Path(str(out) + "-wal").exists()  # it really died mid-recording

    with SessionReader(out) as reader:
        events = list(reader.events())
    assert all(isinstance(e, MarkPrice) for e in events)
    kept = len(events)
    # Everything up to the last commit is there, in order, with nothing missing in between.
    assert [e.seq for e in events] == list(range(1, kept + 1))
    # At most one second of appends (RATE events) was lost.
    assert kept >= seen - RATE, f"kept {kept} of at least {seen} appended"
    assert kept > 0
