"""The delivery queue and its log. Each channel has a worker thread: alerts handed in (any
thread) are gathered into one delivery per ``coalesce_s`` (never a storm), sent in order, and
retried with exponential backoff while they fail in a way that may pass (5xx, 429, timeouts,
refused connections); a 4xx other than 429 is given up at once. Every attempt is one line of the
delivery log (JSON lines): time, channel, rule, HTTP status or error, attempt number. Nothing is
lost while the receiver is down: deliveries wait in the queue until it answers or ``max_age_s``
has passed."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SEVERITIES = ("info", "warning", "critical")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Delivery:
    """One message to one channel: ``alerts`` are AlertRecord.to_json() dicts (plus ``session``),
    the first is the headline (the most severe, newest); ``id`` stays the same across retries."""

    id: str
    alerts: tuple[Mapping[str, Any], ...]

    @property
    def top(self) -> Mapping[str, Any]:
        return self.alerts[0]

    def text(self) -> str:
        """The message for people: the headline alert, its advice, how many more came."""
        top = self.top
        more = f"\n(+{len(self.alerts) - 1} more alerts)" if len(self.alerts) > 1 else ""
        action = f"\n{top['action']}" if top.get("action") else ""
        return (
            f"{top['severity'].upper()} {top['rule']} {top['venue']} {top['symbol']}: "
            f"{top['message']}{action}{more}"
        )


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: ``status`` (HTTP or SMTP code) or ``error`` (no answer); ``retry``
    whether another attempt may pass; ``retry_after_s`` the receiver's own wait, if it gave one."""

    status: int | None = None
    error: str | None = None
    retry: bool = False
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def http_outcome(status: int, retry_after_s: float | None = None) -> Outcome:
    """2xx delivered; 429 and 5xx retried (429 after ``retry_after_s``); other codes given up."""
    return Outcome(status=status, retry=status == 429 or status >= 500, retry_after_s=retry_after_s)


def parse_retry_after(value: str | None) -> float | None:
    """An HTTP Retry-After in seconds (the delay form; a date or garbage is None)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class Channel(Protocol):
    """A way out: ``send`` makes one attempt and never raises; ``secrets`` are the strings that
    must never appear in an error or the log."""

    name: str

    def send(self, delivery: Delivery) -> Outcome: ...

    def secrets(self) -> tuple[str, ...]: ...


def redact(text: str, secrets: Iterable[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


@dataclass(frozen=True)
class Route:
    """Which alerts a channel takes: the severities, and the rule ids (empty: every rule)."""

    severities: frozenset[str] = frozenset({"warning", "critical"})
    rules: frozenset[str] = frozenset()

    def wants(self, alert: Mapping[str, Any]) -> bool:
        return alert.get("severity") in self.severities and (
            not self.rules or alert.get("rule") in self.rules
        )


class DeliveryLog:
    """The delivery log: one JSON object a line, appended (any thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, entry: Mapping[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)

    def entries(self) -> list[dict[str, Any]]:
        """Every attempt logged, oldest first (a missing file is none; a torn last line skipped)."""
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out


@dataclass(frozen=True)
class Backoff:
    """Seconds before attempt n+1 after n failures: ``base_s * 2**(n-1)`` up to ``max_s`` (a
    receiver's Retry-After wins when it asks for longer); given up when older than ``max_age_s``."""

    base_s: float = 2.0
    max_s: float = 300.0
    max_age_s: float = 24 * 3600.0

    def delay_s(self, failures: int, retry_after_s: float | None = None) -> float:
        own = min(self.max_s, self.base_s * 2 ** (failures - 1))
        return max(own, retry_after_s) if retry_after_s is not None else own


@dataclass
class _Lane:
    channel: Channel
    route: Route
    held: list[dict[str, Any]] = field(default_factory=list)
    ready: deque[tuple[Delivery, float]] = field(default_factory=deque)
    last_batch_s: float | None = None
    busy: bool = False
    thread: threading.Thread | None = None


class DeliveryQueue:
    """Hand alerts in with :meth:`submit` from any thread (the engine's: it never waits on the
    network); one worker thread per channel delivers them. ``coalesce_s``: alerts that come
    within this long of the last delivery are gathered into the next one. ``clock`` is monotonic
    seconds, ``now_ms`` the wall clock for the log (both injectable)."""

    def __init__(
        self,
        routes: Iterable[tuple[Channel, Route]],
        log: DeliveryLog,
        *,
        coalesce_s: float = 10.0,
        backoff: Backoff = Backoff(),
        clock: Callable[[], float] = time.monotonic,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.log = log
        self.coalesce_s = coalesce_s
        self.backoff = backoff
        self.clock = clock
        self.now_ms = now_ms
        self._lanes = [_Lane(ch, rt) for ch, rt in routes]
        self._cond = threading.Condition()
        self._closing = False
        for lane in self._lanes:
            lane.thread = threading.Thread(
                target=self._work, args=(lane,), name=f"notify-{lane.channel.name}", daemon=True
            )
            lane.thread.start()

    def submit(self, alert: Mapping[str, Any], *, force: bool = False) -> None:
        """Queue one alert (a dict of AlertRecord.to_json() keys) for every channel whose route
        wants it (``force``: every channel, as the test message does). Returns at once."""
        with self._cond:
            for lane in self._lanes:
                if force or lane.route.wants(alert):
                    lane.held.append(dict(alert))
            self._cond.notify_all()

    def pending(self) -> int:
        """Alerts not yet delivered or given up, over all channels."""
        with self._cond:
            return sum(len(la.held) + sum(len(d.alerts) for d, _ in la.ready) for la in self._lanes)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the workers; what is still queued is not sent (its attempts so far are logged)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        for lane in self._lanes:
            if lane.thread is not None:
                lane.thread.join(timeout_s)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until nothing is pending (True) or ``timeout_s`` passes (False): for the
        command line's test message and tests."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._pending_locked():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _pending_locked(self) -> bool:
        return any(la.held or la.ready or la.busy for la in self._lanes)

    # --- the worker ------------------------------------------------------------------------
    def _batch(self, lane: _Lane) -> None:
        """Held alerts -> one delivery, once ``coalesce_s`` has passed since the last (lock held)."""
        now = self.clock()
        if not lane.held or (
            lane.last_batch_s is not None and now - lane.last_batch_s < self.coalesce_s
        ):
            return
        held, lane.held = lane.held, []
        held.sort(
            key=lambda a: (_RANK.get(a.get("severity", ""), 0), a.get("ts_ms", 0)), reverse=True
        )
        lane.ready.append((Delivery(f"msg_{uuid.uuid4().hex}", tuple(held)), now))
        lane.last_batch_s = now

    def _next_wait(self, lane: _Lane) -> float | None:
        if lane.held and lane.last_batch_s is not None:
            return max(0.0, lane.last_batch_s + self.coalesce_s - self.clock())
        return None

    def _work(self, lane: _Lane) -> None:
        while True:
            with self._cond:
                while True:
                    self._batch(lane)
                    if lane.ready or self._closing:
                        break
                    self._cond.wait(self._next_wait(lane))
                if not lane.ready:  # closing, nothing ready
                    return
                delivery, first_s = lane.ready[0]
                lane.busy = True
            self._deliver(lane, delivery, first_s)
            with self._cond:
                lane.ready.popleft()
                lane.busy = False
                self._cond.notify_all()

    def _deliver(self, lane: _Lane, delivery: Delivery, first_s: float) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome = lane.channel.send(delivery)
            except Exception as exc:  # a bug in a channel must not stop its worker
                outcome = Outcome(error=f"{type(exc).__name__} (a bug: please report it)")
            aged = self.clock() - first_s >= self.backoff.max_age_s
            retry = outcome.retry and not outcome.ok and not aged and not self._closing
            wait_s = self.backoff.delay_s(attempt, outcome.retry_after_s) if retry else None
            result = "delivered" if outcome.ok else ("retry" if retry else "failed")
            self.log.append(
                {
                    "ts_ms": self.now_ms(),
                    "channel": lane.channel.name,
                    "rule": delivery.top.get("rule", ""),
                    "alerts": len(delivery.alerts),
                    "id": delivery.id,
                    "attempt": attempt,
                    "status": outcome.status,
                    "error": redact(outcome.error, lane.channel.secrets())
                    if outcome.error
                    else None,
                    "result": result,
                    "retry_in_s": wait_s,
                }
            )
            if result != "retry":
                return
            with self._cond:
                if self._cond.wait_for(lambda: self._closing, timeout=wait_s):
                    return  # closing: the delivery stays undelivered (its attempts are logged)
