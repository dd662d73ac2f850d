"""A problem found while reading something a live city wrote: where, what kind, and what the
reader did about it. Readers report these and keep going; they never raise on bad input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReadWarning:
    """Something found wrong while reading an input, and what was done about it."""
    source: str  # trace | events | beads | bd | tmux | config | settings | model
    code: str  # a stable slug, e.g. crc_mismatch, truncated_batch, unreadable, unknown_code
    message: str  # a full sentence saying what was found and what was done
    path: str = ""
    line: int | None = None

    def render(self) -> str:
        where = self.path + (f":{self.line}" if self.path and self.line else "")
        return f"{where}: {self.message}" if where else self.message

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "code": self.code, "path": self.path, "line": self.line,
                "message": self.message, "text": self.render()}


class RecentWarnings:
    """The newest `limit` distinct warnings, oldest first. Adding one is a lookup, not a scan of
    every warning held, so a reader that meets thousands stays linear."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[ReadWarning, None] = {}

    def add(self, warns: list[ReadWarning]) -> None:
        for w in warns:
            if w not in self._held:
                self._held[w] = None
                if len(self._held) > self.limit:
                    del self._held[next(iter(self._held))]

    def __iter__(self):
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)
