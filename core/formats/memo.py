"""Memos of pure one-argument functions whose memory follows what the city uses now.

A tick parses the same stored times, formats the same instants and sorts the same names
thousands of times, so their results are kept. A fixed-size LRU cache would keep them too, but
it fills with the names and times of beads long gone: over a day-long watch of a city that
creates and forgets beads it grows until it is full, which at a size large enough for a big
city takes an hour or more. A tick memo keeps two generations instead: the values used since
the last tick began, and the values of the tick before. Each tick (`new_tick`) drops the older
generation, so a value the city stopped using is gone two ticks later, and memory stays at what
two ticks use, however long the watch. Between ticks (a paused app being browsed) a generation
that grows past `limit` is turned over the same way, so nothing grows without a bound.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
K_in = TypeVar("K_in", bound=Hashable, contravariant=True)
V_out = TypeVar("V_out", covariant=True)
_MISSING: Any = object()


class TickMemo(Protocol[K_in, V_out]):
    """A function with its results kept for the current and the previous tick."""

    def __call__(self, key: K_in, /) -> V_out: ...

    def turn(self) -> None:
        """Start a new generation: the values kept before the current one are dropped."""

    def clear(self) -> None:
        """Drop every kept value."""

    def kept(self) -> int:
        """How many distinct values are kept (in either generation)."""


_MEMOS: list[TickMemo[Any, Any]] = []


def tick_memo(limit: int = 1 << 17) -> Callable[[Callable[[K], V]], TickMemo[K, V]]:
    """Decorate a pure function of one hashable argument with a tick memo (module docstring)."""

    def wrap(fn: Callable[[K], V]) -> TickMemo[K, V]:
        now: dict[K, V] = {}
        before: dict[K, V] = {}

        # A closure, not an object with __call__: a hit costs about what functools.lru_cache's
        # does, and these functions are called tens of thousands of times a tick.
        @functools.wraps(fn)
        def cached(key: K) -> V:
            got = now.get(key, _MISSING)
            if got is _MISSING:
                got = before.get(key, _MISSING)
                if got is _MISSING:
                    got = fn(key)
                if len(now) >= limit:
                    turn()
                now[key] = got
            return got

        def turn() -> None:
            nonlocal now, before
            before = now
            now = {}

        def clear() -> None:
            nonlocal now, before
            now, before = {}, {}

        def kept() -> int:
            return len(now.keys() | before.keys())

        memo: Any = cached
        memo.turn, memo.clear, memo.kept = turn, clear, kept
        _MEMOS.append(memo)
        return memo

    return wrap


def new_tick() -> None:
    """A tick begins: every tick memo starts a new generation (values unused for a tick go)."""
    for memo in _MEMOS:
        memo.turn()


def clear_all() -> None:
    """Drop every value of every tick memo (tests measuring what stays use it)."""
    for memo in _MEMOS:
        memo.clear()
