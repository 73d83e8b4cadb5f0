"""The position book as engine state: :class:`BookState` opens, edits and closes positions as
:class:`PositionCommand` events come, so a replay holds exactly the positions the trader held, and
:meth:`BookState.risk` gives their live risk and the book's stress curve at any moment.

:class:`BookState` is an engine component: engine thread only. What it hands out (the positions
tuple, :class:`BookRisk`) is immutable: safe to pass to another thread. :func:`commands_for_book`
and :func:`apply_to_book` read and write a :class:`PositionBook`: the book's own thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from workstation.core.events import PositionCommand
from workstation.risk.brackets import BracketError
from workstation.risk.live import MarketState, PositionRisk, position_risk
from workstation.risk.positions import (
    Position,
    PositionBook,
    PositionError,
    parse_number,
    position_fields,
    validate,
)
from workstation.risk.stress import SHOCKS_PCT, ShockResult, split_by_table, stress


@dataclass(frozen=True)
class RiskRow:
    """One open position's risk. ``mark_usd`` is None when its symbol has no mark; ``risk`` is
    None when it cannot be computed, and ``error`` says why (no mark, no brackets, ...)."""

    position: Position
    mark_usd: float | None
    risk: PositionRisk | None
    error: str | None


@dataclass(frozen=True)
class BookRisk:
    """The book at one moment: a row per open position (by id) and the stress curve, one result
    per shock of :data:`SHOCKS_PCT` (empty with no positions, or with ``stress_error`` saying why
    it cannot run). ``stress_excluded`` names the positions left out of it (``"label: why"``);
    symbols without a mark are shocked from their entry, as in ``stress``."""

    rows: tuple[RiskRow, ...]
    stress: tuple[ShockResult, ...]
    stress_excluded: tuple[str, ...]
    stress_error: str | None


def _refused(cmd: PositionCommand) -> PositionError:
    return PositionError("action", f"must be open, edit or close (got {cmd.action!r})")


class BookState:
    """The open positions, ordered by id (``positions``), and one line per ignored command
    (``errors``). A command that does not validate changes nothing: it never raises into the
    engine. Engine thread only."""

    def __init__(self) -> None:
        self._open: dict[int, Position] = {}
        self.positions: tuple[Position, ...] = ()
        self.errors: list[str] = []

    def handlers(self) -> dict[type, Callable[[Any], None]]:
        return {PositionCommand: self._apply}

    def _apply(self, cmd: PositionCommand) -> None:
        try:
            self._change(cmd)
        except (ValueError, TypeError) as exc:  # PositionError is a ValueError
            self.errors.append(f"seq {cmd.seq}: {cmd.action} #{cmd.position_id}: {exc}")
            return
        self.positions = tuple(self._open[pid] for pid in sorted(self._open))

    def _change(self, cmd: PositionCommand) -> None:
        pid, current = cmd.position_id, self._open.get(cmd.position_id)
        if cmd.action not in ("open", "edit", "close"):
            raise _refused(cmd)
        if cmd.action == "open":
            if current is not None:
                raise PositionError("position_id", f"#{pid} is already open")
            pos = validate(dict(cmd.fields))
            self._open[pid] = replace(pos, id=pid, opened_ms=cmd.ts_event_ms)
            return
        if current is None:
            raise PositionError("position_id", f"no open position #{pid}")
        if cmd.action == "edit":
            pos = validate({**position_fields(current), **dict(cmd.fields)})
            self._open[pid] = replace(pos, id=pid, opened_ms=current.opened_ms)
        else:
            parse_number("price_usd", cmd.price_usd)
            del self._open[pid]

    def risk(
        self, markets: Mapping[tuple[str, str], MarketState], marks: Mapping[str, float]
    ) -> BookRisk:
        """Every open position's :func:`position_risk` and the book's stress. ``marks``: the mark
        per symbol (USD), which decides; ``markets``: the rest of the state by (symbol, side)
        (realized vol, and that side's ladder and verdict; its ``mark_usd`` is replaced by the
        mark): a position reads its own side's. A position with a mark and no state gets the
        mark alone: every other check unknown, never safe."""
        marks = dict(marks)
        rows = tuple(self._row(p, markets.get((p.symbol, p.side)), marks) for p in self.positions)
        stressed, excluded = split_by_table(self.positions)
        try:
            results = tuple(stress(stressed, marks, SHOCKS_PCT)) if stressed else ()
        except (BracketError, PositionError) as exc:
            return BookRisk(rows, (), tuple(excluded), str(exc))
        return BookRisk(rows, results, tuple(excluded), None)

    def _row(self, p: Position, market: MarketState | None, marks: dict[str, float]) -> RiskRow:
        mark = marks.get(p.symbol)
        if mark is None:
            return RiskRow(p, None, None, f"no mark for {p.symbol}")
        state = MarketState(mark) if market is None else replace(market, mark_usd=mark)
        try:
            return RiskRow(p, mark, position_risk(p, state, marks, self.positions), None)
        except BracketError as exc:
            return RiskRow(p, mark, None, f"liquidation unknown: {exc}")
        except PositionError as exc:
            return RiskRow(p, mark, None, str(exc))


def commands_for_book(book: PositionBook, ts_ms: int, first_seq: int) -> list[PositionCommand]:
    """An ``open`` command per open position of ``book`` (by id), to load it at a session's
    start: received at ``ts_ms``, seq ``first_seq``, ``first_seq + 1``, ...; ``ts_event_ms`` is
    when the book opened the position."""
    return [
        PositionCommand(
            p.opened_ms,
            ts_ms,
            first_seq + i,
            p.venue,
            p.symbol,
            "open",
            p.id,
            tuple(position_fields(p).items()),
            None,
        )
        for i, p in enumerate(book.open_positions())
    ]


def apply_to_book(book: PositionBook, cmd: PositionCommand) -> Position:
    """Persist ``cmd`` into ``book``, as :class:`BookState` applied it: an open is added under the
    command's id, an edit changes the fields it names, a close records the price and
    ``ts_event_ms``. Returns the stored position; raises :class:`PositionError` when refused."""
    fields = dict(cmd.fields)
    if cmd.action == "open":
        return book.add(validate(fields), cmd.ts_event_ms, pid=cmd.position_id)
    if cmd.action == "edit":
        return book.edit(cmd.position_id, fields)
    if cmd.action == "close":
        return book.close_position(cmd.position_id, cmd.price_usd, cmd.ts_event_ms)
    raise _refused(cmd)


def commands_to_match(
    engine_open: Mapping[int, Position], book: PositionBook, ts_ms: int
) -> list[PositionCommand]:
    """The commands that bring an engine whose open positions are ``engine_open`` (by id) to the
    book file's: an ``open`` per new position, an ``edit`` (every field) per changed one, a
    ``close`` per position the book no longer holds open (at the book's close price; at its
    entry when the book no longer has it at all). All given at ``ts_ms``; ordered by id."""
    book_open = {p.id: p for p in book.open_positions()}
    cmds = []
    for pid in sorted(book_open.keys() | engine_open.keys()):
        now, before = book_open.get(pid), engine_open.get(pid)
        if now is not None and (before is None or position_fields(now) != position_fields(before)):
            action = "open" if before is None else "edit"
            fields = tuple(position_fields(now).items())
            cmds.append(
                PositionCommand(ts_ms, ts_ms, 0, now.venue, now.symbol, action, pid, fields, None)
            )
        elif now is None and before is not None:
            try:
                price = book.get(pid).close_price_usd
            except PositionError:
                price = None
            price = before.entry_usd if price is None else price
            cmds.append(
                PositionCommand(
                    ts_ms, ts_ms, 0, before.venue, before.symbol, "close", pid, (), price
                )
            )
    return cmds
