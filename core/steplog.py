"""The steps a session ran, in order, kept for export however long it runs.

A session on a timer runs the same press (advance the clock, tick) thousands of times an hour;
keeping each step would grow without bound over a day-long watch. A StepLog keeps runs: a press
equal to the one before it (the same steps, no config installed) adds to that press's count, so
a watch that only ticks costs one entry, while every step stays recoverable, in order, for export
and time travel.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.reload import ConfigSource


@dataclass(frozen=True, slots=True)
class Recorded:
    """One step the driver ran, and for a config edit the config it installed."""
    step: dict[str, Any]
    config: "ConfigSource | None" = None  # for edit_config steps


class StepLog:
    """An append-only sequence of Recorded steps, stored as runs of equal presses."""

    __slots__ = ("_runs", "_len")

    def __init__(self, steps: "StepLog | Sequence[Recorded] | None" = None) -> None:
        self._runs: list[list[Any]] = []  # [press (a tuple of Recorded), how many times in a row]
        self._len = 0
        if isinstance(steps, StepLog):
            self._runs = [list(r) for r in steps._runs]
            self._len = steps._len
        elif steps:
            self.add(steps)

    def add(self, press: Sequence[Recorded]) -> None:
        """Add the steps of one press after the last step (counted into the last run when the
        press is the same as that run's and installs no config)."""
        block = tuple(press)
        if not block:
            return
        last = self._runs[-1] if self._runs else None
        if last is not None and _plain(block) and _plain(last[0]) and _same(last[0], block):
            last[1] += 1
        else:
            self._runs.append([block, 1])
        self._len += len(block)

    def upto(self, n: int) -> "StepLog":
        """The first `n` steps (all of them when `n` is at least the length)."""
        out = StepLog()
        left = max(n, 0)
        for block, count in self._runs:
            if left <= 0:
                break
            whole, part = divmod(min(left, len(block) * count), len(block))
            if whole:
                out._runs.append([block, whole])
            if part:
                out._runs.append([block[:part], 1])
            taken = whole * len(block) + part
            out._len += taken
            left -= taken
        return out

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Recorded]:
        for block, count in self._runs:
            for _ in range(count):
                yield from block

    def __reversed__(self) -> Iterator[Recorded]:
        for block, count in reversed(self._runs):
            for _ in range(count):
                yield from reversed(block)

    @property
    def last(self) -> Recorded | None:
        """The latest step (None when the log is empty)."""
        return self._runs[-1][0][-1] if self._runs else None

    def last_config(self) -> "ConfigSource | None":
        """The config the latest config-installing step installed (None when none did)."""
        return next((r.config for r in reversed(self) if r.config is not None), None)

    @property
    def runs(self) -> int:
        """How many entries the log keeps (runs of equal presses)."""
        return len(self._runs)


def _plain(block: tuple[Recorded, ...]) -> bool:
    return all(r.config is None for r in block)


def _same(a: tuple[Recorded, ...], b: tuple[Recorded, ...]) -> bool:
    return len(a) == len(b) and all(x.step == y.step for x, y in zip(a, b))
