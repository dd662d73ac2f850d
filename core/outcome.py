"""What one step of the model produced: actions, trace records, events, log lines, the build."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.actions import Action, Event
from core.desired.model import DesiredResult


@dataclass
class Outcome:
    actions: list[Action] = field(default_factory=list)
    trace: list[dict] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    desired: DesiredResult | None = None
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    ticks: int = 0

    def extend(self, other: "Outcome") -> None:
        self.actions += other.actions
        self.trace += other.trace
        self.events += other.events
        self.logs += other.logs
        self.warnings += other.warnings
        self.ticks += other.ticks
        if other.desired is not None:
            self.desired = other.desired
        if other.error:
            self.error = other.error
