"""The attach snapshot and its rows: plain, sorted, typed views of the live world and of what
was read, each with the JSON form `citywatch attach --json` prints (the JSON is made only there,
at the edge; the app reads the records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from core.attach.tmux import SIGNAL_KEYS
from core.formats.timefmt import format_time
from core.world.beads import SessionBead, natural_key
from core.world.runtime import META_ACTIVITY
from core.world.world import World

if TYPE_CHECKING:
    from core.alarms import Alarm
    from core.attach.controller_drift import DriftReport
    from core.attach.lifecycle import LifecycleRow
    from core.attach.sources import CityBlock, Sources
    from core.attach.trace_view import CycleSummary, DecisionRow
    from core.tracefile.problems import ReadWarning
    from core.views.state_json import AliasDeferral


class SessionBeadRow(NamedTuple):
    """One session bead (the snapshot's `sessions[]` row): its identity fields, and whether its
    runtime is there and alive (None: the runtime is unobservable, or the bead names none). A
    named tuple: a large city has tens of thousands of session beads, and a tuple is made
    several times faster than a frozen dataclass."""

    bead_id: str
    open: bool
    session_name: str
    template: str
    alias: str
    agent_name: str
    origin: str
    state: str
    sleep_reason: str
    created_at: str
    running: bool | None
    alive: bool | None

    def to_json(self) -> dict[str, Any]:
        return {"bead_id": self.bead_id, "open": self.open, "session_name": self.session_name,
                "template": self.template, "alias": self.alias, "agent_name": self.agent_name,
                "origin": self.origin, "state": self.state, "sleep_reason": self.sleep_reason,
                "created_at": self.created_at, "running": self.running, "alive": self.alive}


@dataclass(frozen=True, slots=True)
class RuntimeRow:
    """One live tmux session (the snapshot's `runtime[]` row), with whether its GC_SESSION_ID
    names a session bead and the controller's signal keys it carries (sorted)."""

    name: str
    session_id: str
    bead_linked: bool
    bead_session_name_matches: bool
    template: str
    alive: bool
    attached: bool
    activity: str
    started_at: str
    last_activity: str
    signals: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "session_id": self.session_id, "bead_linked": self.bead_linked,
                "bead_session_name_matches": self.bead_session_name_matches, "template": self.template,
                "alive": self.alive, "attached": self.attached, "activity": self.activity,
                "started_at": self.started_at, "last_activity": self.last_activity, "signals": dict(self.signals)}


EVENT_KEYS = ("seq", "type", "ts", "actor", "subject", "message", "session_id", "payload")


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event's displayed fields, as the events log wrote them (any JSON value: the log is
    live input). `present` names the keys the event had: an absent key stays absent in the
    JSON form, a null one stays null."""

    seq: object = None
    type: object = None
    ts: object = None
    actor: object = None
    subject: object = None
    message: object = None
    session_id: object = None
    payload: object = None
    present: frozenset[str] = frozenset()

    @classmethod
    def of(cls, ev: dict[str, Any]) -> EventRow:
        """The displayed fields of one decoded events.jsonl object."""
        kept = {k: ev[k] for k in EVENT_KEYS if k in ev}
        return cls(**kept, present=frozenset(kept))

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in EVENT_KEYS if k in self.present}


def event_row(ev: dict[str, Any]) -> EventRow:
    """The event's displayed fields (seq, type, ts, actor, subject, message, session_id, payload)."""
    return EventRow.of(ev)


def session_rows(world: World, runtime_observable: bool) -> list[SessionBeadRow]:
    """Every session bead (open first), with whether its runtime is there (None: unobservable)."""
    rt = world.runtime
    rows = []
    for b in sorted(world.store.sessions.values(), key=_row_order):
        name = b.session_name
        rows.append(SessionBeadRow(
            bead_id=b.id, open=b.open, session_name=name, template=b.template, alias=b.alias,
            agent_name=b.agent_name, origin=b.origin, state=b.state, sleep_reason=b.get("sleep_reason"),
            created_at=format_time(b.created_at),
            running=(rt.get(name) is not None) if runtime_observable and name else None,
            alive=rt.alive(name) if runtime_observable and name else None,
        ))
    return rows


def _row_order(b: SessionBead) -> tuple:
    """Open beads first, then by id; beads whose ids sort alike keep the store's order
    (Store.all_sessions: by creation, then id), in one sort."""
    key = natural_key(b.id)
    return (not b.open, key, b.created_at, key)


def runtime_rows(world: World) -> list[RuntimeRow]:
    """Every live tmux session, with whether its GC_SESSION_ID names an existing session bead
    (in rare early paths it holds an agent name instead)."""
    rows = []
    for s in sorted(world.runtime.sessions.values(), key=lambda s: s.name):
        bead = world.store.session(s.session_id) if s.session_id else None
        rows.append(RuntimeRow(
            name=s.name, session_id=s.session_id, bead_linked=bead is not None,
            bead_session_name_matches=bool(bead and bead.session_name == s.name),
            template=s.template, alive=s.process_alive, attached=s.attached,
            activity=s.meta.get(META_ACTIVITY, ""),
            started_at=format_time(s.started_at), last_activity=format_time(s.last_activity),
            signals=tuple((k, v) for k, v in sorted(s.meta.items()) if k in SIGNAL_KEYS),
        ))
    return rows


@dataclass(frozen=True, slots=True)
class TraceBlock:
    """The controller's own account: its last traced cycle and its recent decisions, with their
    real tick ids (none through the API)."""

    last_cycle: CycleSummary | None = None
    decisions: tuple[DecisionRow, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"last_cycle": self.last_cycle.to_json() if self.last_cycle else None,
                "decisions": [d.to_json() for d in self.decisions]}


@dataclass(frozen=True, slots=True)
class AttachSnapshot:
    """The current picture of an attached city (core.attach.live): what is attached and how
    fresh each source is, the session beads, what runs, the alias deferrals, the persisted
    lifecycle trackers, the recent events (newest last), the controller's trace, the drift, the
    alarms and the read warnings, as of `as_of`."""

    city: CityBlock
    as_of: datetime
    sources: Sources
    sessions: tuple[SessionBeadRow, ...]
    runtime: tuple[RuntimeRow, ...]
    deferrals: tuple[AliasDeferral, ...]
    trackers: tuple[LifecycleRow, ...]
    events: tuple[EventRow, ...]
    trace: TraceBlock
    drift: DriftReport
    alarms: tuple[Alarm, ...]
    warnings: tuple[ReadWarning, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON form `attach --json` prints, key for key (and each `--watch` line)."""
        return {
            "city": self.city.to_json(),
            "as_of": format_time(self.as_of),
            "sources": self.sources.to_json(),
            "sessions": [r.to_json() for r in self.sessions],
            "runtime": [r.to_json() for r in self.runtime],
            "deferrals": [d.to_json() for d in self.deferrals],
            "trackers": [t.to_json() for t in self.trackers],
            "events": [e.to_json() for e in self.events],
            "trace": self.trace.to_json(),
            "drift": self.drift.to_json(),
            "alarms": [a.to_json() for a in self.alarms],
            "warnings": [w.to_json() for w in self.warnings],
        }
