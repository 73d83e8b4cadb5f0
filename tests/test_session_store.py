"""Session files: round trip of every event kind, ordering, metadata, and bad files."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workstation.core.events import (
    Bar1m,
    FeedAlive,
    FuturePrice,
    Liquidation,
    LongShortRatio,
    MarkPrice,
    OpenInterest,
    OptionChain,
    OptionQuote,
    PositionCommand,
    Volume24h,
)
from workstation.sessions.codec import encode, values_encoder
from workstation.sessions.store import SCHEMA_VERSION, SessionError, SessionReader, SessionWriter

EXPIRY = 1_774_598_400_000  # 2026-03-27 08:00 UTC


def one_of_each(ts: int = 1_769_731_200_000) -> list:
    chain = (
        OptionQuote("BTC-27MAR26-60000-P", EXPIRY, 60_000.0, "P", 55.2, 70_012.5),
        OptionQuote("BTC-27MAR26-65000-P", EXPIRY, 65_000.0, "P", 51.0, 70_012.5),
        OptionQuote("BTC-27MAR26-70000-C", EXPIRY, 70_000.0, "C", 48.75, 70_012.5),
        OptionQuote("BTC-27MAR26-75000-C", EXPIRY, 75_000.0, "C", 47.0, 70_012.5),
        OptionQuote("odd-name", EXPIRY + 86_400_000, 71_000.0, "C", 49.0, 70_100.0),
    )
    return [
        MarkPrice(ts, ts + 5, 1, "binance", "BTCUSDT", 70_001.5, 70_000.25, 0.000125, 8.0, ts + 1),
        OpenInterest(ts, ts + 6, 2, "binance", "BTCUSDT", 90_000.123, 6.3e9),
        Bar1m(ts - 60_000, ts + 7, 3, "bybit", "BTCUSDT", 1.5, 2.5, 0.5, 2.0, 10.25),
        Liquidation(ts, ts + 8, 4, "bybit", "BTCUSDT", "long", 0.5, 69_000.0, 34_500.0),
        OptionChain(ts, ts + 9, 5, "deribit", "BTCUSDT", chain),
        FuturePrice(ts, ts + 10, 6, "deribit", "BTCUSDT", 71_000.0, 70_000.0, EXPIRY),
        LongShortRatio(ts, ts + 11, 7, "binance", "BTCUSDT", 2.1, 0.6774),
        Volume24h(ts, ts + 12, 8, "okx", "ETHUSDT", "spot", 1_000.5, 2.6e6),
        FeedAlive(ts, ts + 13, 9, "okx", "BTCUSDT", "liquidations"),
    ]


def write(path: Path, events: list, **kw) -> None:
    with SessionWriter(
        path, source="simulated", venues=["binance"], symbols=["BTCUSDT"], **kw
    ) as w:
        for ev in events:
            w.append(ev)


def test_every_kind_round_trips_exactly(tmp_path: Path) -> None:
    events = one_of_each()
    write(tmp_path / "s.session", events, notes="desk test", extra={"k": 1})
    with SessionReader(tmp_path / "s.session") as r:
        assert list(r.events()) == events
        assert r.meta.source == "simulated"
        assert r.meta.notes == "desk test"
        assert r.meta.extra == {"k": 1}
        assert r.meta.schema_version == SCHEMA_VERSION
        assert r.time_range() == (events[0].ts_recv_ms, events[-1].ts_recv_ms)
        counts = {(k, v, s): n for k, v, s, n, _, _ in r.counts()}
    assert counts[("option_chain", "deribit", "BTCUSDT")] == 1
    assert counts[("volume_24h", "okx", "ETHUSDT")] == 1
    assert counts[("feed_alive", "okx", "BTCUSDT")] == 1
    assert sum(counts.values()) == 9


def test_events_come_back_in_recv_then_seq_order(tmp_path: Path) -> None:
    base = one_of_each()
    shuffled = [base[3], base[0], base[7], base[1], base[5], base[2], base[6], base[4]]
    write(tmp_path / "s.session", shuffled)
    with SessionReader(tmp_path / "s.session") as r:
        got = [(e.ts_recv_ms, e.seq) for e in r.events()]
    assert got == sorted(got)
    with SessionReader(tmp_path / "s.session") as r:  # a window by ts_recv_ms: [lo, hi)
        lo, hi = base[2].ts_recv_ms, base[5].ts_recv_ms
        assert [e.seq for e in r.events(lo, hi)] == [3, 4, 5]


@settings(max_examples=60, deadline=None)
@given(
    mark=st.floats(1e-8, 1e9, allow_nan=False),
    rate=st.floats(-0.05, 0.05, allow_nan=False),
    interval=st.sampled_from([1.0, 4.0, 8.0]),
    ts=st.integers(0, 2**45),
)
def test_mark_price_round_trip_property(mark, rate, interval, ts) -> None:
    import tempfile

    ev = MarkPrice(ts, ts, 1, "bybit", "SOLUSDT", mark, mark * 0.999, rate, interval, ts + 8)
    with tempfile.TemporaryDirectory() as d:
        write(Path(d) / "p.session", [ev])
        with SessionReader(Path(d) / "p.session") as r:
            assert list(r.events()) == [ev]


# --- position commands --------------------------------------------------------------------------
BTC_FIELDS = (
    ("venue", "binance"),
    ("symbol", "BTCUSDT"),
    ("side", "long"),
    ("qty", 1.0),
    ("entry_usd", 70_000.0),
    ("leverage", 5.0),
    ("margin_mode", "isolated"),
    ("margin_usd", None),
    ("wallet_usd", None),
    ("max_drawdown_pct", 30.0),
    ("max_leverage", None),
    ("reduce_price_usd", 66_500.0),
    ("thesis", 'range → breakout, "quoted", 多头 ✓\nsecond line'),
    ("risk_invalidation", ""),
)


def commands(ts: int = 1_769_731_200_000) -> list[PositionCommand]:
    """Open (every field, unicode thesis, None fields), a partial edit, a close with its price, a
    malformed open (carried as given: the engine judges it, not the file)."""
    return [
        PositionCommand(ts, ts + 1, 1, "binance", "BTCUSDT", "open", 1, BTC_FIELDS, None),
        PositionCommand(ts, ts + 2, 2, "binance", "BTCUSDT", "edit", 1, (("qty", 0.5),), None),
        PositionCommand(ts, ts + 3, 3, "okx", "ETHUSDT", "open", 7, (("qty", "abc"),), None),
        PositionCommand(ts, ts + 4, 4, "binance", "BTCUSDT", "close", 1, (), 69_000.5),
    ]


def test_position_commands_round_trip_exactly(tmp_path: Path) -> None:
    events = [*one_of_each(), *commands(1_769_731_300_000)]
    write(tmp_path / "s.session", events)
    with SessionReader(tmp_path / "s.session") as r:
        assert list(r.events()) == events
        counts = {(k, v, s): n for k, v, s, n, _, _ in r.counts()}
    assert counts[("position_command", "binance", "BTCUSDT")] == 3
    assert counts[("position_command", "okx", "ETHUSDT")] == 1
    con = sqlite3.connect(tmp_path / "s.session")
    assert con.execute("SELECT name FROM kinds WHERE kind = 12").fetchone() == ("position_command",)
    x1, x2, txt = con.execute(
        "SELECT x1, x2, txt FROM events WHERE kind = 12 AND seq = 4"
    ).fetchone()
    con.close()
    assert (x1, x2) == (1, 69_000.5)  # the id stays an integer
    assert txt == '{"action":"close","fields":{}}'


def test_position_command_values_encoder_writes_the_same_row() -> None:
    for ev in commands():
        values = (ev.action, ev.position_id, ev.fields, ev.price_usd)
        assert values_encoder(PositionCommand)(values, ev.symbol) == encode(ev, 1)[5:]


FIELD_VALUES = st.one_of(
    st.none(), st.floats(allow_nan=False), st.integers(-(2**53), 2**53), st.text()
)


@settings(max_examples=60, deadline=None)
@given(
    action=st.sampled_from(["open", "edit", "close", "bogus"]),
    pid=st.integers(1, 2**62),
    fields=st.dictionaries(st.text(), FIELD_VALUES, max_size=16),
    price=st.none() | st.floats(allow_nan=False),
)
def test_position_command_round_trip_property(action, pid, fields, price) -> None:
    import tempfile

    ev = PositionCommand(5, 6, 1, "bybit", "SOLUSDT", action, pid, tuple(fields.items()), price)
    with tempfile.TemporaryDirectory() as d:
        write(Path(d) / "p.session", [ev])
        with SessionReader(Path(d) / "p.session") as r:
            assert list(r.events()) == [ev]


def test_closed_file_is_self_contained(tmp_path: Path) -> None:
    write(tmp_path / "s.session", one_of_each())
    assert not (tmp_path / "s.session-wal").exists()
    assert not (tmp_path / "s.session-shm").exists()
    (tmp_path / "s.session").chmod(0o444)  # read-only copies open too
    with SessionReader(tmp_path / "s.session") as r:
        assert len(list(r.events())) == 9


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    write(tmp_path / "s.session", one_of_each())
    with pytest.raises(SessionError, match="already exists"):
        SessionWriter(tmp_path / "s.session", source="live")


# --- bad files: one clear problem each ------------------------------------------------------------
def problem(path: Path) -> str:
    with pytest.raises(SessionError) as info, SessionReader(path) as r:
        list(r.events())
    assert str(path) in str(info.value)
    return info.value.problem


def test_missing_file(tmp_path: Path) -> None:
    assert problem(tmp_path / "nope.session") == "no such file"


def test_text_file_is_not_a_session(tmp_path: Path) -> None:
    p = tmp_path / "notes.session"
    p.write_text("time,price\n" * 50)
    assert "not an SQLite database" in problem(p)


def test_other_sqlite_database_is_not_a_session(tmp_path: Path) -> None:
    p = tmp_path / "other.db"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    assert "another kind" in problem(p)


def test_newer_schema_is_refused_with_versions(tmp_path: Path) -> None:
    p = tmp_path / "new.session"
    write(p, one_of_each())
    con = sqlite3.connect(p)
    con.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
    )
    con.commit()
    con.close()
    msg = problem(p)
    assert "newer workstation" in msg and f"schema version {SCHEMA_VERSION + 1}" in msg


def big_session(path: Path, n: int = 30_000) -> None:
    evs = [
        OpenInterest(i, 1_000 + i, i + 1, "binance", "BTCUSDT", 90_000.0 + i, 6.3e9 + i)
        for i in range(n)
    ]
    write(path, evs)


def test_truncated_file_names_sizes(tmp_path: Path) -> None:
    p = tmp_path / "cut.session"
    big_session(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    assert problem(p).startswith(f"truncated ({len(data) // 2} bytes")


def test_corrupt_pages_are_reported_not_raised_raw(tmp_path: Path) -> None:
    p = tmp_path / "bad.session"
    big_session(p)
    data = bytearray(p.read_bytes())
    page = struct.unpack(">H", bytes(data[16:18]))[0]
    for off in range(page * 3, len(data) - page, page * 2):  # scribble over every other page
        data[off : off + page] = b"\xa5" * page
    p.write_bytes(bytes(data))
    assert "corrupt" in problem(p)


def test_the_shipped_demo_of_schema_1_still_reads(tmp_path: Path) -> None:
    """Schema 2 only adds an event kind (feed_alive, 13): files of schema 1 read as they are."""
    from conftest import DEMO

    with SessionReader(DEMO) as r:
        assert r.meta.schema_version == 1 and sum(c[3] for c in r.counts()) == 85_177
