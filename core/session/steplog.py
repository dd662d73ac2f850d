"""The steps a session ran, in order, kept for export however long it runs.

A session on a timer runs the same press (advance the clock, tick) thousands of times an hour;
keeping each step would grow without bound over a day-long watch. A StepLog keeps runs: a press
equal to the one before it (the same steps, no config installed) adds to that press's count, so
a watch that only ticks costs one entry, while every step stays recoverable, in order, for export
and time travel. Equal presses share one stored copy, so what a long watch adds per step is a
few bytes (and each press it had not run before).

A press made by a script that makes the same press again from the same model (the demo's:
its pokes name new work and new sessions every few ticks, a press never seen before each time)
is kept as its number of steps alone, one byte: an export makes those steps again by replaying
the session from its start (core/session/replay.py). So a day-long watch of the demo keeps a
byte a press.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.steps import Step

if TYPE_CHECKING:
    from core.session.reload import ConfigSource


# How many recent presses (and steps) are looked up to share a stored copy: a watch repeats the
# presses of the last few moments (tick, advance and tick); a press seen long ago and pressed
# again is stored again, which costs a tuple, where an index of every press ever run would cost
# an entry per press for the whole watch.
RECENT_KEPT = 1024


@dataclass(frozen=True, slots=True)
class Recorded:
    """One step the driver ran, and for a config edit the config it installed."""
    step: Step
    config: ConfigSource | None = None  # for edit_config steps


@dataclass(frozen=True, slots=True)
class Scripted:
    """A press the session's replayable script made, kept as its number of steps (`size`):
    the script makes the same steps again when the session is replayed from its start."""
    size: int


_SCRIPTED = -1  # the press index of a run of scripted presses (their sizes are in _sizes, in order)
_MAX_SCRIPTED = 255  # steps in a press kept as a size (a byte); a larger press is kept whole


class StepLog:
    """An append-only sequence of Recorded steps, stored as runs of equal presses.

    A run is two integers (which press, how many times in a row) and equal presses are stored
    once, however far apart they ran: a day-long watch that ticks and now and then pokes pays a
    few bytes a step, plus each distinct press once."""

    __slots__ = ("_blocks", "_interned", "_steps", "_step_index", "_run_block", "_run_count", "_len", "_sizes")

    def __init__(self, steps: StepLog | Sequence[Recorded] | None = None) -> None:
        # Each distinct press once; a step that installs no config is kept bare (its Recorded is
        # made again when read), which saves an object per step of a long watch.
        self._blocks: list[tuple[Any, ...]] = []
        self._interned: dict[int, Any] = {}  # a recent plain press's hash -> its index in _blocks (a list on a collision)
        self._steps: list[Any] = []  # the recent plain presses' distinct bare steps
        self._step_index: dict[int, Any] = {}  # a recent step's hash -> its index in _steps (a list on a collision)
        self._run_block = array("q")  # per run: the index of its press in _blocks
        self._run_count = array("q")  # per run: how many times in a row it ran
        self._sizes = bytearray()  # each scripted press's number of steps, in order
        self._len = 0
        if isinstance(steps, StepLog):
            self._sizes = bytearray(steps._sizes)
            self._blocks = list(steps._blocks)
            self._interned = {h: list(ix) if isinstance(ix, list) else ix for h, ix in steps._interned.items()}
            self._steps = list(steps._steps)
            self._step_index = {h: list(ix) if isinstance(ix, list) else ix for h, ix in steps._step_index.items()}
            self._run_block = array("q", steps._run_block)
            self._run_count = array("q", steps._run_count)
            self._len = steps._len
        elif steps:
            self.add(steps)

    def _block_index(self, block: tuple[Any, ...]) -> int:
        """The index of `block` in _blocks, an earlier equal press's when there was one (a press
        that installs a config is never shared: its config is its own). Presses, and the steps
        of a new press, are looked up by a hash of their typed contents and compared in full, so
        the tables cost an integer an entry, not a second copy."""
        if not _plain(block):
            self._blocks.append(block)
            return len(self._blocks) - 1
        key = _press_key(block)
        h = hash(key)
        found = _lookup(self._interned, h, lambda i: _press_key(self._blocks[i]) == key)
        if found is not None:
            return found
        # A new press mostly repeats steps seen before (advance, tick, around one poke): share them.
        bare = tuple(self._shared_step(_bare(r)) for r in block)
        self._blocks.append(bare)
        if len(self._interned) >= RECENT_KEPT:  # forget the index, keep the presses
            self._interned = {}
        _file(self._interned, h, len(self._blocks) - 1)
        return len(self._blocks) - 1

    def _shared_step(self, step: Any) -> Any:
        key = _frozen(step)
        h = hash(key)
        found = _lookup(self._step_index, h, lambda i: _frozen(self._steps[i]) == key)
        if found is not None:
            return self._steps[found]
        if len(self._steps) >= RECENT_KEPT:  # forget the index, keep the steps (the blocks hold them)
            self._steps, self._step_index = [], {}
        self._steps.append(step)
        _file(self._step_index, h, len(self._steps) - 1)
        return step

    def add(self, press: Sequence[Recorded], *, scripted: bool = False) -> None:
        """Add the steps of one press after the last step (counted into the last run when the
        press is the same as that run's and installs no config). `scripted`: a replayable
        script made the press, which is then kept as its size (a Scripted) when it installs no
        config."""
        block = tuple(press)
        if not block:
            return
        if scripted and len(block) <= _MAX_SCRIPTED and _plain(block):
            self._add_scripted(len(block))
            return
        index = self._block_index(block)
        if self._run_block and self._run_block[-1] == index and _plain(block):
            self._run_count[-1] += 1
        else:
            self._run_block.append(index)
            self._run_count.append(1)
        self._len += len(block)

    def _add_scripted(self, size: int) -> None:
        if self._run_block and self._run_block[-1] == _SCRIPTED:
            self._run_count[-1] += 1
        else:
            self._run_block.append(_SCRIPTED)
            self._run_count.append(1)
        self._sizes.append(size)
        self._len += size

    def _runs(self) -> Iterator[tuple[tuple[Recorded, ...] | bytes, int]]:
        """Each run in order: a press and how many times in a row it ran, or the sizes of a run
        of scripted presses (bytes) and how many presses that is."""
        blocks = self._blocks
        at = 0
        for index, count in zip(self._run_block, self._run_count, strict=True):  # parallel arrays
            if index == _SCRIPTED:
                yield bytes(self._sizes[at:at + count]), count
                at += count
            else:
                yield tuple(_recorded(x) for x in blocks[index]), count

    @property
    def scripted(self) -> int:
        """How many presses are kept as their size only (a replay makes their steps)."""
        return len(self._sizes)

    def presses(self) -> Iterator[tuple[Recorded, ...] | Scripted]:
        """Each press in order: its steps, or a Scripted standing for them."""
        for block, count in self._runs():
            if isinstance(block, bytes):
                yield from (Scripted(size) for size in block)
            else:
                for _ in range(count):
                    yield block

    def upto(self, n: int) -> StepLog:
        """The first `n` steps (all of them when `n` is at least the length). Raises ValueError
        for an `n` that falls inside a scripted press (a frame always ends between presses)."""
        out = StepLog()
        left = max(n, 0)
        for block, count in self._runs():
            if left <= 0:
                break
            if isinstance(block, bytes):
                left = out._take_scripted(block, left)
                continue
            whole, part = divmod(min(left, len(block) * count), len(block))
            if whole:
                out._run_block.append(out._block_index(block))
                out._run_count.append(whole)
            if part:
                out._run_block.append(out._block_index(block[:part]))
                out._run_count.append(1)
            taken = whole * len(block) + part
            out._len += taken
            left -= taken
        return out

    def _take_scripted(self, sizes: bytes, left: int) -> int:
        for size in sizes:
            if left <= 0:
                break
            if size > left:
                raise ValueError(f"step {self._len + left} falls inside a scripted press of {size} steps")
            self._add_scripted(size)
            left -= size
        return left

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Recorded | Scripted]:
        """Each step in order; a scripted press is one Scripted (standing for its `size` steps)."""
        for press in self.presses():
            if isinstance(press, Scripted):
                yield press
            else:
                yield from press

    def __reversed__(self) -> Iterator[Recorded | Scripted]:
        blocks = self._blocks
        at = len(self._sizes)
        for index, count in zip(reversed(self._run_block), reversed(self._run_count), strict=True):
            if index == _SCRIPTED:
                yield from (Scripted(size) for size in reversed(self._sizes[at - count:at]))
                at -= count
                continue
            block = tuple(_recorded(x) for x in blocks[index])
            for _ in range(count):
                yield from reversed(block)

    @property
    def last(self) -> Recorded | Scripted | None:
        """The latest step, or the latest press when a script made it (None when the log is empty)."""
        return next(reversed(self), None)

    def last_config(self) -> ConfigSource | None:
        """The config the latest config-installing step installed (None when none did)."""
        return next((r.config for r in reversed(self) if isinstance(r, Recorded) and r.config is not None), None)

    @property
    def runs(self) -> int:
        """How many entries the log keeps (runs of equal presses)."""
        return len(self._run_block)


def _plain(block: tuple[Any, ...]) -> bool:
    return all(not isinstance(r, Recorded) or r.config is None for r in block)


def _bare(r: Any) -> Any:
    """What a plain press stores for a step: the step itself."""
    return r.step if isinstance(r, Recorded) else r


def _recorded(x: Any) -> Recorded:
    return x if isinstance(x, Recorded) else Recorded(x)


def _lookup(table: dict[int, Any], h: int, same: Any) -> int | None:
    """The index filed under hash `h` for which `same(index)` holds, or None."""
    got = table.get(h)
    if got is None:
        return None
    return next((i for i in (got if isinstance(got, list) else (got,)) if same(i)), None)


def _file(table: dict[int, Any], h: int, index: int) -> None:
    got = table.get(h)
    if got is None:
        table[h] = index
    elif isinstance(got, list):
        got.append(index)
    else:
        table[h] = [got, index]


def _press_key(block: tuple[Recorded, ...]) -> Any:
    """A hashable key equal for two presses exactly when their steps are: types included, so
    `1`, `1.0` and `true` stay apart (Python counts them equal; an export must not)."""
    return tuple(_frozen(_bare(r)) for r in block)


def _frozen(v: Any) -> Any:
    if isinstance(v, Step):  # its kind, its table as written and its hidden fields
        return ("step", type(v).__name__, _frozen(v.identity()))
    if isinstance(v, dict):
        return ("dict", tuple(sorted(((str(k), _frozen(x)) for k, x in v.items()), key=lambda kv: kv[0])))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(_frozen(x) for x in v))
    try:
        hash(v)
    except TypeError:  # an object compared by identity: the stored press keeps it alive, so its id stays its own
        return ("object", id(v))
    return (type(v).__name__, v)
