"""A city's live event stream (`GET /v0/city/{name}/events/stream`), kept open across drops.

Gas City's stream sends `event: event` frames whose `id` and payload `seq` are the event's
sequence number, and `event: heartbeat` frames (no id) every 15 s. `EventStream` keeps the last
seq it accepted and reconnects from it after any drop (`after_seq` and `Last-Event-ID`, as Gas
City's own clients do), so no event is lost; an event whose seq is not above the last accepted
one is a replay and is dropped, so none is shown twice. A jump in the seq is reported as a
warning (the supervisor skipped events it could not project).

Between attempts it waits with exponential backoff (with jitter, capped), and says so in its
`StreamStatus`: `connecting`, `live`, `reconnecting` (with the attempt, when the next try is and
why the last one ended) or `stopped`. The backoff resets only once a connection has delivered a
frame, so a supervisor that accepts and drops at once is not hammered. Frames that are not JSON,
events without an integer seq and unknown frame names are skipped with a warning; the stream
goes on.

It runs as a task on the client's loop thread; `drain()` hands the accepted events to any
thread, and `wait_change(timeout)` lets a watcher sleep until there is something new.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from httpx_sse import SSEError

from core.attach.api.client import ApiError, SupervisorClient
from core.attach.api.records import event_problem
from core.guards.safeio import load_json
from core.tracefile.problems import ReadWarning

CONNECTING, LIVE, RECONNECTING, STOPPED = "connecting", "live", "reconnecting", "stopped"


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `initial` seconds, times `factor` per failed attempt, at most
    `maximum`, each spread by up to `jitter` of itself (so many clients do not retry in step)."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The wait before attempt number `attempt` (1 for the first retry)."""
        base = min(self.maximum, self.initial * self.factor ** max(attempt - 1, 0))
        return max(0.0, base * (1 + self.jitter * (2 * rng.random() - 1)))


@dataclass(frozen=True)
class StreamStatus:
    """Where the stream stands, for the header and the snapshot."""

    phase: str = CONNECTING
    attempt: int = 0  # failed attempts since the last connection that delivered a frame
    retry_at: datetime | None = None  # when the next attempt starts (reconnecting)
    last_error: str = ""
    connected_at: datetime | None = None
    last_frame_at: datetime | None = None  # an event or a heartbeat
    last_seq: int | None = None
    received: int = 0  # events accepted
    replays: int = 0  # events dropped as already seen
    skipped: int = 0  # frames that could not be read
    reconnects: int = 0  # connections made after the first

    def to_json(self) -> dict[str, Any]:
        from core.formats.timefmt import format_time

        return {"phase": self.phase, "attempt": self.attempt, "retry_at": format_time(self.retry_at),
                "last_error": self.last_error, "connected_at": format_time(self.connected_at),
                "last_frame_at": format_time(self.last_frame_at), "last_seq": self.last_seq,
                "received": self.received, "replays": self.replays, "skipped": self.skipped,
                "reconnects": self.reconnects}


class StreamDropped(ApiError):
    """The supervisor ended the stream."""


@dataclass
class _Pending:
    events: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)


class EventStream:
    """One city's event stream, kept open until `stop()` (see the module docstring)."""

    def __init__(self, client: SupervisorClient, city: str, after_seq: int | None, *,
                 backoff: Backoff | None = None, clock: Callable[[], datetime], rng: random.Random | None = None,
                 max_pending: int = 10_000) -> None:
        self.client = client
        self.city = city
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.rng = rng or random.Random()
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._dirty = False
        self._status = StreamStatus(last_seq=after_seq)
        self._pending = _Pending()
        self._task: Future[None] | None = None

    # ------------------------------------------------------------------ any thread
    def start(self) -> None:
        if self._task is None:
            self._task = self.client.loop.submit(self._run())

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        self._update(phase=STOPPED, retry_at=None)

    @property
    def status(self) -> StreamStatus:
        with self._lock:
            return self._status

    def drain(self) -> tuple[list[dict[str, Any]], list[ReadWarning]]:
        """The events accepted since the last drain (oldest first), and the warnings met."""
        with self._lock:
            p, self._pending = self._pending, _Pending()
            return p.events, p.warnings

    def wait_change(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a new event or a change of phase; True if there was
        one since the last call."""
        with self._changed:
            if not self._dirty:
                self._changed.wait(timeout)
            dirty, self._dirty = self._dirty, False
            return dirty

    # ------------------------------------------------------------------ the loop thread
    def _update(self, **changes: Any) -> None:
        with self._changed:
            self._status = replace(self._status, **changes)
            self._dirty = True
            self._changed.notify_all()

    def _warn(self, code: str, message: str) -> None:
        with self._changed:
            self._pending.warnings.append(ReadWarning("events", code, message))
            self._status = replace(self._status, skipped=self._status.skipped + 1)
            self._dirty = True
            self._changed.notify_all()

    async def _run(self) -> None:
        first = True
        while True:
            delivered = False
            try:
                self._update(phase=CONNECTING if first else RECONNECTING, retry_at=None)
                async with self.client.stream(self.city, self.status.last_seq) as (source, budget):
                    st = self.status
                    self._update(phase=LIVE, connected_at=self.clock(), last_error="",
                                 reconnects=st.reconnects + (0 if first else 1))
                    first = False
                    async for frame in source.aiter_sse():
                        budget.renew()
                        delivered = True
                        self._frame(frame.event, frame.data, frame.id)
                raise StreamDropped("the supervisor closed the stream")
            except asyncio.CancelledError:
                raise
            except ApiError as e:  # unreachable, refused (401/403), dropped: all retried, the reason shown
                error = str(e)
            except SSEError as e:
                error = f"not an event stream ({e})"
            except Exception as e:  # a reply from elsewhere is arbitrary input: report it and retry
                error = f"{type(e).__name__}: {e}"
            st = self.status
            attempt = 1 if delivered else st.attempt + 1
            delay = self.backoff.delay(attempt, self.rng)
            self._update(phase=RECONNECTING, attempt=attempt, last_error=error,
                         retry_at=self.clock() + timedelta(seconds=delay))
            await asyncio.sleep(delay)

    def _frame(self, name: str, data: str, frame_id: str) -> None:
        now = self.clock()
        if name == "heartbeat":
            self._update(last_frame_at=now)
            return
        if name != "event":
            self._warn("stream_unknown_frame", f"skipped a stream frame named {name!r} (id {frame_id!r})")
            return
        try:
            ev = load_json(data)
        except ValueError as e:
            self._warn("stream_bad_frame", f"skipped a stream frame that is not JSON ({e}; id {frame_id!r})")
            return
        why = event_problem(ev)
        if why:
            self._warn("stream_bad_event", f"skipped a stream event: {why} (frame id {frame_id!r})")
            return
        seq = ev["seq"]
        with self._changed:
            st = self._status
            if st.last_seq is not None and seq <= st.last_seq:
                self._status = replace(st, replays=st.replays + 1, last_frame_at=now)
                return
            if st.last_seq is not None and seq > st.last_seq + 1:
                self._pending.warnings.append(ReadWarning(
                    "events", "stream_gap", f"the stream went from event #{st.last_seq} to #{seq}: "
                    f"#{st.last_seq + 1}..#{seq - 1} were not sent by the supervisor"))
            if len(self._pending.events) >= self.max_pending:  # nobody drains: keep the newest, and say so
                dropped = len(self._pending.events) // 2
                del self._pending.events[:dropped]
                self._pending.warnings.append(ReadWarning(
                    "events", "stream_overflow", f"{dropped} streamed events were not read in time and were dropped"))
            self._pending.events.append(ev)
            self._status = replace(st, last_seq=seq, received=st.received + 1, last_frame_at=now, attempt=0)
            self._dirty = True
            self._changed.notify_all()
