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
