"""Loop alarms over the model's own steps: the same alarms attach raises over a live city
(core/alarms.py), computed from the events the model emitted and the world after each step.

Each recorded frame carries a `LoopState`: the alarms holding after its step, the ones that
are new since the previous frame (what the app announces: a toast, an Events line, a marked
row), the step's session events (the input of the wakes and idle-spawn alarms, kept with the
virtual time they happened at), and the alias-conflict memory. Travelling back reads a frame's
state as it was; a what-if fork goes on from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.alarms import Alarm, AlarmMemory, AlarmThresholds, evaluate_alarms

if TYPE_CHECKING:
    from core.actions import Event
    from core.model.facade import Model

WINDOW = timedelta(hours=1)  # the longest look-back of any alarm (wakes per hour)
ALARM_EVENTS = frozenset({"session.woke"})  # the event types an alarm reads


@dataclass(frozen=True)
class LoopState:
    """The loop alarms after one recorded step."""

    alarms: tuple[Alarm, ...] = ()
    raised: tuple[Alarm, ...] = ()  # holding now and not after the step before
    events: tuple[dict[str, Any], ...] = ()  # this step's alarm inputs, as events.jsonl records
    conflicts: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # AlarmMemory.conflict

    @property
    def bead_ids(self) -> frozenset[str]:
        """The beads some alarm is about (their rows are marked)."""
        return frozenset(b for a in self.alarms for b in a.bead_ids)

    @property
    def subjects(self) -> frozenset[str]:
        """The subjects (sessions, identities, templates) some alarm is about."""
        return frozenset(a.subject for a in self.alarms)


def event_records(events: Iterable[Event], at: datetime) -> tuple[dict[str, Any], ...]:
    """The model's events an alarm reads, as the records attach reads from events.jsonl."""
    return tuple({"type": e.type, "ts": at, "session_id": e.bead_id, "subject": e.subject}
                 for e in events if e.type in ALARM_EVENTS)


def recent_events(states: Iterable[tuple[datetime, LoopState | None]], now: datetime) -> list[dict[str, Any]]:
    """The alarm inputs of the frames (newest first: (time, state)) within the last hour."""
    out: list[dict[str, Any]] = []
    for at, st in states:
        if at < now - WINDOW:
            break
        if st is not None:
            out[:0] = st.events
    return out


def observe(model: Model, previous: LoopState | None, step_events: tuple[dict[str, Any], ...],
            earlier_events: list[dict[str, Any]], thresholds: AlarmThresholds) -> LoopState:
    """The loop state after a step: `step_events` are the step's own alarm inputs,
    `earlier_events` those of the steps before it within the hour."""
    memory = AlarmMemory(dict(previous.conflicts) if previous is not None else {})
    world = model.world
    memory.observe_conflicts(world)
    alarms = evaluate_alarms(world, earlier_events + list(step_events), world.now, thresholds, memory, model.city)
    before = {a.key for a in previous.alarms} if previous is not None else set()
    raised = tuple(a for a in alarms if a.key not in before)
    return LoopState(tuple(alarms), raised, step_events, dict(memory.conflict))
