"""Golden: the position risk a live window showed equals what a replay of its recording shows at
the same moments. The engine runs on its thread against the local fake exchange; the trader's
book is loaded at the start, recording begins, then a short is opened, the long's quantity is
edited and the short is closed while the feeds flow (the recording starts with the engine, so its
replay's metric windows are the live ones). Each live snapshot's risk is then compared
with the replay sought to the engine time that risk was computed at."""

from __future__ import annotations

import time
from pathlib import Path

from fake_exchange import FAST_POLLS, FakeExchange

from workstation.app.engine_host import EngineHost, LiveRunner, ReplayRunner
from workstation.core.events import PositionCommand
from workstation.feeds.live import FeedConfig, LiveFeeds
from workstation.risk.book_state import RiskRow
from workstation.rules.config import load_rules
from workstation.sessions.store import SessionReader

NAMES = ("mark_price",)
LONG = {"venue": "binance", "symbol": "BTCUSDT", "side": "long", "qty": 1.0,
        "entry_usd": 69_000.0, "leverage": 5.0}  # fmt: skip
SHORT = {**LONG, "side": "short", "qty": 0.5, "entry_usd": 71_000.0, "leverage": 10.0}


def _cmd(action: str, pid: int, fields: dict, price: float | None = None) -> PositionCommand:
    return PositionCommand(0, 0, 0, "binance", "BTCUSDT", action, pid, tuple(fields.items()), price)


def _seen(rows: tuple[RiskRow, ...]) -> list[tuple]:
    """What the trader reads per row: id, qty, mark, PnL, liquidation, distance, exit state."""
    out = []
    for r in rows:
        k = r.risk
        out.append(
            (r.position.id, r.position.qty, r.mark_usd, r.error)
            + (() if k is None else (k.pnl_usd, k.liquidation_price, k.distance_pct, k.exit_state))
        )
    return out


def test_a_replay_shows_the_position_risk_the_live_window_showed(
    fake: FakeExchange, tmp_path: Path
) -> None:
    out = tmp_path / "live.session"
    rules = load_rules(include_user_dir=False)
    feeds = LiveFeeds(
        FeedConfig(
            venues=("binance",),
            symbols=("BTCUSDT",),
            urls=fake.urls(),
            timeout_s=1.0,
            history_minutes=6,
            poll_s=dict(FAST_POLLS),
        )
    )
    runner = LiveRunner(
        feeds, "BTCUSDT", ("binance",), ("BTCUSDT",), fake.urls(), rules, NAMES, 5_000, None,
        initial_commands=(_cmd("open", 1, LONG),),
    )  # fmt: skip
    host = EngineHost(runner)
    host.start()
    # recording from the engine's first event: the replay's metric windows then fill exactly as
    # the live ones did (a recording started later begins with empty windows)
    host.submit(lambda r: r.start_recording(out)).result(10)
    feeds.start()
    samples: list[tuple[int, list[tuple]]] = []

    def sampled(shows, n: int = 3):
        """True once ``n`` distinct live samples show it: each command waits for what the
        window showed after the one before it, not for a moment on the wall clock."""
        return lambda: sum(1 for _, rows in samples if shows(rows)) >= n

    script = [
        (sampled(lambda rows: rows[0][2] is not None), _cmd("open", 2, SHORT)),
        (sampled(lambda rows: len(rows) == 2), _cmd("edit", 1, {**LONG, "qty": 0.6})),
        (sampled(lambda rows: rows[0][1] == 0.6), _cmd("close", 2, {}, 70_000.0)),
        (sampled(lambda rows: len(rows) == 1 and rows[0][1] == 0.6), None),
    ]
    try:
        for ready, command in script:
            deadline = time.monotonic() + 90.0  # generous: a slow machine only takes longer
            while not ready():
                assert time.monotonic() < deadline, (
                    f"the window never showed {command or 'the close'}"
                )
                snap = host.snapshot
                if snap.recording is not None and snap.positions is not None:
                    sample = (snap.positions_ts_ms, _seen(snap.positions.rows))
                    if not samples or samples[-1] != sample:
                        samples.append(sample)
                time.sleep(0.05)
            if command is not None:
                host.submit(lambda r, c=command: r.position_command(c)).result(10)
        host.submit(lambda r: r.stop_recording()).result(10)
    finally:
        feeds.stop()
        host.stop()
    ids_seen = {tuple(row[0] for row in rows) for _, rows in samples}
    assert (1, 2) in ids_seen and (1,) in ids_seen  # the short came and went while recording
    assert any(rows[0][1] == 0.6 for _, rows in samples)  # the edit is in
    assert any(len(row) > 4 for _, rows in samples for row in rows)  # risk with marks, not only
    with SessionReader(out) as reader:
        span = reader.time_range()
        # the moments a position command was stamped with: a command that came after a live
        # snapshot in that same millisecond changed the book of a moment the live engine showed
        # before it (market events cannot: the book's marks and metrics change only when a
        # later evaluation boundary fires)
        commands = {ev.ts_recv_ms for ev in reader.events() if isinstance(ev, PositionCommand)}
        replay = ReplayRunner(reader.events, span, "BTCUSDT", rules, NAMES, speed=None)
        rhost = EngineHost(replay)
        rhost.start()
        try:
            compared = []
            for ts, rows in samples:
                if ts is None or ts < span[0] or ts > span[1] or ts in commands:
                    continue
                rhost.submit(lambda r, ts=ts: r.seek(ts, 0)).result(60)
                snap = rhost.snapshot
                assert snap.positions is not None and snap.positions_ts_ms == ts
                assert _seen(snap.positions.rows) == rows, f"at {ts}"
                compared.append(rows)
        finally:
            rhost.stop()
    # every moment compared was equal; they cover the book with the short and after the edit
    assert len(compared) >= 3
    assert any(len(rows) == 2 for rows in compared)
    assert any(rows[0][1] == 0.6 for rows in compared)
