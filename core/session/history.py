"""Recorded steps for time travel: the model's state after every step, kept bounded.

A `Frame` holds an O(1) `WorldState` snapshot (persistent maps share structure with the live
world), the config and semantics in force, the desired build, and the event lines the step
produced. Frames are never mutated, so the UI can read them while the next tick runs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from sys import intern
from typing import TYPE_CHECKING, Any

from core.views.event_line import EventLine

if TYPE_CHECKING:
    from core.config.city_config import City
    from core.desired.entries import DesiredResult
    from core.model.facade import Model
    from core.outcome import Outcome
    from core.session.loops import LoopState
    from core.world.world import WorldState

DEFAULT_LIMIT = 1000
# Frames (newest first) that keep what was derived from them (their detached model and board);
# older frames drop it and derive it again if the operator travels back to them.
WARM_FRAMES = 4


def outcome_lines(outcome: Outcome, frame: int, tick: int, at: datetime) -> list[EventLine]:
    """Every note, action, decision, event and log line of a step, in the order they happened within
    each kind (the operator's notes first, then actions: they are what an operator scans for). The
    texts are interned: a tick mostly repeats the last one's, and every recorded frame keeps its own."""
    out: list[EventLine] = []
    for line in outcome.notes:  # what the operator did comes before what the controller did of it
        kind = "config" if line.startswith("config ") else "note"
        out.append(EventLine(frame, tick, at, kind, intern(line)))
    for a in outcome.actions:
        words = " ".join(x for x in (a.kind, a.bead_id, a.session_name) if x)
        tail = f" ({a.reason})" if a.reason else ""
        detail = f": {a.detail}" if a.detail else ""
        out.append(EventLine(frame, tick, at, "action", intern(words + tail + detail), a.session_name or a.bead_id))
    for e in outcome.events:
        out.append(EventLine(frame, tick, at, "event", intern(f"{e.type} {e.subject} {e.message}".strip()), e.subject))
    for t in outcome.trace:
        if t.record_type != "decision":
            continue  # operations, mutations and summaries are for `gc trace`, not for reading live
        who = t.session_name or t.template
        text = f"{t.site_code} {t.reason_code} → {t.outcome_code} {who}"
        out.append(EventLine(frame, tick, at, "trace", intern(text.strip()), who))
    for line in outcome.logs:
        out.append(EventLine(frame, tick, at, "log", intern(line)))
    for w in outcome.warnings:
        out.append(EventLine(frame, tick, at, "warning", intern(w)))
    if outcome.error:
        out.append(EventLine(frame, tick, at, "error", outcome.error))
    return out


@dataclass(frozen=True)
class Frame:
    """The model as it stood after one recorded step."""

    index: int  # 0 = the start; counts every step ever recorded, not only the kept ones
    label: str
    steps_taken: int  # how many scenario steps led here (the export cuts the step list here)
    world: WorldState
    city: City
    semantics: str
    desired: DesiredResult | None
    pending_city: City | None
    lines: Sequence[EventLine] = ()  # StepLines when the driver records it
    error: str = ""
    adopt_on_start: bool = True
    prefix: str = "gc"
    loops: LoopState | None = None  # the loop alarms after this step (core/session/loops.py)
    script_state: Any = None  # where the press script stood after this step (a what-if fork resumes there)
    checks: tuple = ()  # the scenario expectations evaluated after this step (core.scenario.file.CheckResult)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def tick(self) -> int:
        return self.world.tick

    @property
    def now(self) -> datetime:
        return self.world.now

    def model(self) -> Model:
        """A detached, read-only-by-convention Model of this frame (built once, then cached)."""
        m = self._cache.get("model")
        if m is None:
            m = detached_model(self)
            self._cache["model"] = m
        return m


def detached_model(frame: Frame) -> Model:
    """A new Model rebuilt from the frame's city, world and desired state, independent of the live one."""
    from core.model.facade import Model
    from core.world.world import World

    world = World.from_state(frame.world, prefix=frame.prefix)
    m = Model(frame.city, world, frame.semantics, adopt_on_start=True)
    m.last_desired = frame.desired
    m.pending_city = frame.pending_city
    return m


class History:
    """A bounded list of frames; the oldest fall off once `limit` is reached. Only the newest
    `warm` frames keep their derived data (detached model, board), so what a recorded tick
    costs in memory is its snapshot, build and event lines.

    The run timer appends from a worker thread while the screen reads: every read goes over a
    copy of the frame list taken at once (a deque iterated while another thread appends raises,
    and an index computed before an append can point one frame off)."""

    def __init__(self, limit: int = DEFAULT_LIMIT, warm: int = WARM_FRAMES) -> None:
        if limit < 2:
            raise ValueError("history needs room for at least two frames")
        self._frames: deque[Frame] = deque(maxlen=limit)
        self.warm = max(warm, 1)

    def append(self, frame: Frame) -> None:
        self._frames.append(frame)
        if len(self._frames) > self.warm:
            cold = self._frames[-1 - self.warm]._cache
            for heavy in ("model", "board"):  # small derived facts (which rows changed) are kept
                cold.pop(heavy, None)

    def replace_latest(self, frame: Frame) -> None:
        """Swap the newest frame for an amended copy of itself (same index)."""
        if not self._frames or self._frames[-1].index != frame.index:
            raise ValueError("only the newest frame can be replaced, by a frame of the same index")
        self._frames[-1] = frame

    def truncate(self, index: int) -> list[Frame]:
        """Drop every frame recorded after `index`; returns them, oldest first."""
        dropped: list[Frame] = []
        while self._frames and self._frames[-1].index > index:
            dropped.insert(0, self._frames.pop())
        return dropped

    def frames(self) -> list[Frame]:
        """Every kept frame, oldest first."""
        return list(self._frames)

    def reset(self, frames: list[Frame]) -> None:
        """Keep exactly `frames` (oldest first), as a saved line of history is put back."""
        self._frames.clear()
        self._frames.extend(frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[Frame]:
        return iter(tuple(self._frames))  # copied in one call, which no other thread interleaves

    def __reversed__(self) -> Iterator[Frame]:
        return reversed(tuple(self._frames))

    @property
    def latest(self) -> Frame:
        return self._frames[-1]

    @property
    def oldest(self) -> Frame:
        return self._frames[0]

    def get(self, index: int) -> Frame | None:
        """The frame recorded as `index`, or None if it was never recorded or has fallen off."""
        frames = self._frames
        try:
            f = frames[index - frames[0].index]
            if f.index == index:
                return f
        except IndexError:  # empty, out of range, or the oldest fell off meanwhile
            pass
        return next((f for f in tuple(frames) if f.index == index), None)

    def lines_until(self, index: int, limit: int) -> list[EventLine]:
        """The last `limit` event lines of the frames up to and including `index`."""
        out: list[EventLine] = []
        for f in reversed(self):
            if f.index > index:
                continue
            out[:0] = f.lines
            if len(out) >= limit:
                break
        return out[-limit:]
