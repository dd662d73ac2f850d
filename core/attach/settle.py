"""When to recompute what is expensive (the model's tick for drift) while a live city changes.

A controller writes in bursts: a tick appends trace batches, rewrites the bead store and adds
events within a fraction of a second, and a busy city does that again and again. Recomputing
drift on every batch of changes would tick the model once per file write. `Settle` coalesces:
after the first change the work is due `settle` seconds after the last change, but never later
than `max_delay` seconds after the first change it has not served yet, so a city that never
quiets down is still recomputed at a bounded rate.

Pure and clock-free: the caller passes the time (monotonic seconds) to every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Settle:
    """Debounces changes: work is due `settle` seconds after the last change, but never more than
    `max_delay` (or `settle`, if longer) after the first one still pending."""
    settle: float = 0.5  # quiet time after the last change
    max_delay: float = 2.0  # the longest a change waits, however busy the city
    _first: float | None = field(default=None, init=False)  # the oldest change not served yet
    _last: float | None = field(default=None, init=False)  # the newest change not served yet

    @property
    def pending(self) -> bool:
        return self._first is not None

    def change(self, now: float) -> float:
        """Note a change at `now`; returns when the work is due."""
        if self._first is None:
            self._first = now
        self._last = now
        return self._due(self._first, now)

    def due_at(self) -> float | None:
        """When the pending work is due (None when nothing is pending)."""
        if self._first is None or self._last is None:
            return None
        return self._due(self._first, self._last)

    def _due(self, first: float, last: float) -> float:
        return min(last + self.settle, first + max(self.max_delay, self.settle))

    def due(self, now: float) -> bool:
        at = self.due_at()
        return at is not None and now >= at

    def take(self) -> None:
        """The work runs now: what was pending is served."""
        self._first = self._last = None
