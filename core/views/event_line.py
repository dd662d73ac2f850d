"""One line of the Events panel, shared by the model's recorded steps and the attach feed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import overload

from core.formats.timefmt import format_time


@dataclass(frozen=True, slots=True)
class EventLine:
    """One line of the Events panel: what happened, when, and of which kind."""

    frame: int
    tick: int
    at: datetime
    kind: str  # action | trace | event | log | warning | error | config | step | alarm | check
    text: str
    session: str = ""  # session name or bead id the line is about ("" = none)

    def render(self) -> str:
        return f"{self.tick:>4} {format_time(self.at)[11:19]} {self.kind:<7} {self.text}"


class StepLines(Sequence[EventLine]):
    """The event lines of one recorded step, kept compact: every line of a step has the step's
    frame, tick and time, so each keeps only its kind, text and session (three references, where
    an EventLine object is ten words). A history of a thousand steps of a large city keeps
    hundreds of thousands of lines; the EventLines are made when read."""

    __slots__ = ("frame", "tick", "at", "_flat")

    def __init__(self, frame: int, tick: int, at: datetime, lines: Iterable[EventLine] = ()) -> None:
        self.frame, self.tick, self.at = frame, tick, at
        flat: list[str] = []
        for ln in lines:
            if (ln.frame, ln.tick, ln.at) != (frame, tick, at):
                raise ValueError(f"a line of frame {ln.frame} (tick {ln.tick}) among frame {frame}'s (tick {tick})")
            flat += (ln.kind, ln.text, ln.session)
        self._flat = tuple(flat)

    def __len__(self) -> int:
        return len(self._flat) // 3

    @overload
    def __getitem__(self, i: int) -> EventLine: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[EventLine, ...]: ...

    def __getitem__(self, i: int | slice) -> EventLine | tuple[EventLine, ...]:
        if isinstance(i, slice):
            return tuple(self)[i]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("line index out of range")
        j = (i % n) * 3
        f = self._flat
        return EventLine(self.frame, self.tick, self.at, f[j], f[j + 1], f[j + 2])

    def __iter__(self) -> Iterator[EventLine]:
        f, frame, tick, at = self._flat, self.frame, self.tick, self.at
        for j in range(0, len(f), 3):
            yield EventLine(frame, tick, at, f[j], f[j + 1], f[j + 2])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StepLines):
            return (self.frame, self.tick, self.at, self._flat) == (other.frame, other.tick, other.at, other._flat)
        if isinstance(other, (tuple, list)):
            return list(self) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.frame, self.tick, self.at, self._flat))

    def __repr__(self) -> str:
        return f"StepLines({list(self)!r})"
