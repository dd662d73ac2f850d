"""What one step of the model produced: actions, trace records, events, log lines, notes, the build."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.actions import Action, Event
from core.awake_row import AwakeRow
from core.desired.entries import DesiredResult
from core.tracefile.record import TraceRecord


@dataclass
class Outcome:
    """What a step produced: actions, trace records, events, logs, the desired state, warnings,
    the last awake set, any error, tick count and phase timings."""
    actions: list[Action] = field(default_factory=list)
    trace: list[TraceRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    # What citywatch itself says of a step: an operator's poke (clock advanced, runtime exited,
    # work added, config edited or reloaded, a fault armed), which runtime adoption took as which
    # identity, or its own bookkeeping. Gas City
    # writes none of these lines, so they are kept apart from `logs` (which expectations count).
    notes: list[str] = field(default_factory=list)
    desired: DesiredResult | None = None
    warnings: list[str] = field(default_factory=list)
    # The last tick's awake set (ComputeAwakeSet, one row per session by session name); [] when
    # the step ran no tick.
    awake: list[AwakeRow] = field(default_factory=list)
    error: str = ""
    # A tick that raised (Gas City's safeTick recovers a panicking tick and logs it): the log
    # line, for checkers to report as a model bug; the app keeps running.
    panic: str = ""
    # Beads whose writes an injected store fault refused during the step: the state they are left
    # in is the fault's doing, so the invariant checker does not judge them for this step.
    faulted_beads: set[str] = field(default_factory=set)
    ticks: int = 0
    # Wall-clock seconds by tick phase ("prepare", "build", "sync", "reconcile", "trace") and for
    # the whole "tick"; summed over the ticks of a step. Never part of the model's state.
    timings: dict[str, float] = field(default_factory=dict)

    def extend(self, other: Outcome) -> None:
        self.actions += other.actions
        self.trace += other.trace
        self.events += other.events
        self.logs += other.logs
        self.notes += other.notes
        self.warnings += other.warnings
        if other.ticks:
            self.awake = other.awake
        self.ticks += other.ticks
        for phase, seconds in other.timings.items():
            self.timings[phase] = self.timings.get(phase, 0.0) + seconds
        if other.desired is not None:
            self.desired = other.desired
        if other.error:
            self.error = other.error
        if other.panic:
            self.panic = other.panic
        self.faulted_beads |= other.faulted_beads
