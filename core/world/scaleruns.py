"""The outcome of the last real run of a template's scale_check (`--run-scale-checks`), kept in
the world so every recorded frame shows what the controller read and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.formats.timefmt import format_time, parse_time


@dataclass(frozen=True)
class ScaleCheckRun:
    """One template's scale_check read in a tick: the count, or why it failed, and when."""
    template: str
    value: int | None  # None = the read failed: the template's demand is partial
    reason: str  # why it failed, for people ("" when it worked)
    at: datetime | None  # the model time of the tick that read it
    tick: int  # that tick's number

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def cell(self) -> str:
        """The short form a table shows: the count, or "partial !"."""
        return str(self.value) if self.value is not None else "partial !"

    def outcome(self) -> str:
        """The value or the reason, without the time: `3`, or `partial: output "x" is not an integer`."""
        return str(self.value) if self.value is not None else f"partial: {self.reason}"

    def when(self) -> str:
        return f"tick {self.tick}, {format_time(self.at)}" if self.at is not None else f"tick {self.tick}"

    def describe(self) -> str:
        """One line for people: the outcome and when it ran."""
        return f"{self.outcome()} (ran for real at {self.when()})"

    def same_outcome(self, other: ScaleCheckRun | None) -> bool:
        return other is not None and (self.value, self.reason) == (other.value, other.reason)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason, "ok": self.ok,
                "ran_at": format_time(self.at) if self.at is not None else "", "tick": self.tick}

    @classmethod
    def from_json(cls, template: str, d: dict[str, Any]) -> ScaleCheckRun:
        v = d.get("value")
        return cls(template, int(v) if v is not None else None, str(d.get("reason", "")),
                   parse_time(d.get("ran_at") or None), int(d.get("tick", 0)))
