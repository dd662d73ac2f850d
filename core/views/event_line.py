"""One line of the Events panel, shared by the model's recorded steps and the attach feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
