"""One line of the Events panel, shared by the model's recorded steps and the attach feed."""

from __future__ import annotations

from array import array
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
    frame, tick and time, so a line is only its kind, text and session (an EventLine object is
    ten words). A step of a large city repeats few distinct lines many times over (about 1,400
    lines, 480 distinct, at bench size M: the same trace decisions for many sessions), and most
    of those it shares with the step before; so a step keeps its distinct (kind, text, session)
    triples once (`_palette`, the very triples of `previous` where it had them) and each line as
    a two-byte index into them. A history of a thousand steps keeps hundreds of thousands of
    lines; the EventLines are made when read."""

    __slots__ = ("frame", "tick", "at", "_palette", "_order")
    _palette: tuple[tuple[str, str, str], ...]
    _order: array[int]

    def __init__(self, frame: int, tick: int, at: datetime, lines: Iterable[EventLine] = (),
                 previous: StepLines | None = None) -> None:
        self.frame, self.tick, self.at = frame, tick, at
        known: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        if previous is not None:
            known = {t: t for t in previous._palette}
        slot: dict[tuple[str, str, str], int] = {}
        palette: list[tuple[str, str, str]] = []
        order: list[int] = []
        for ln in lines:
            if (ln.frame, ln.tick, ln.at) != (frame, tick, at):
                raise ValueError(f"a line of frame {ln.frame} (tick {ln.tick}) among frame {frame}'s (tick {tick})")
            t = (ln.kind, ln.text, ln.session)
            i = slot.get(t)
            if i is None:
                i = slot[t] = len(palette)
                palette.append(known.get(t, t))
            order.append(i)
        self._palette = tuple(palette)
        # "H" holds indexes below 65,536 in two bytes; a step with more distinct lines takes "I"
        self._order = array("H" if len(palette) <= 0xFFFF else "I", order)

    def __len__(self) -> int:
        return len(self._order)

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
        return EventLine(self.frame, self.tick, self.at, *self._palette[self._order[i % n]])

    def __iter__(self) -> Iterator[EventLine]:
        palette, frame, tick, at = self._palette, self.frame, self.tick, self.at
        for i in self._order:
            yield EventLine(frame, tick, at, *palette[i])

    def _triples(self) -> tuple[tuple[str, str, str], ...]:
        palette = self._palette
        return tuple(palette[i] for i in self._order)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StepLines):
            return (self.frame, self.tick, self.at, self._triples()) == (other.frame, other.tick, other.at, other._triples())
        if isinstance(other, (tuple, list)):
            return list(self) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.frame, self.tick, self.at, self._triples()))

    def __repr__(self) -> str:
        return f"StepLines({list(self)!r})"
