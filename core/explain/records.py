"""The typed records of an explanation (`explain_session`, `explain_target`). Core code and the
app read their fields; `to_json()` gives the documented JSON form (core.explain.explanation's
module doc), keys in a fixed order, and is called only where JSON leaves citywatch (`citywatch
explain --json`) or where a section is shown field by field (the plain-text form, the Why
panel). A template's detail (core.views.roster.AgentDetail) reads the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.desired.entries import Why
from core.formats.timefmt import format_time

if TYPE_CHECKING:
    from core.awake_row import AwakeRow
    from core.holds import Hold
    from core.trackers.view import TrackerRow
    from core.views.state_json import AliasDeferral

__all__ = [
    "Alias", "AliasRetry", "Demand", "Explanation",
    "Identity", "LastStep", "Lifecycle", "ModelNotes", "RunAction", "ScaleCheckRead", "Section", "Slot", "Target",
    "Why",
]


class Section(Protocol):
    """A section of an explanation or a template's detail: its JSON form, field by field."""

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class RunAction:
    """One action of an explained run: the step (1-based) and its kind that took it, the
    action's kind, the bead and session it acted on, and its reason."""
    step: int
    do: str
    kind: str
    bead_id: str
    session_name: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The explanation's `history[]` row (the bead is the one explained)."""
        return {"step": self.step, "do": self.do, "kind": self.kind, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Identity:
    """The identity section: template and shape, the desired and recorded names, every spelling."""
    template: str
    shape: str
    shape_rule: str
    semantics: str
    desired_identity: str
    bead_agent_name: str
    session_name: str
    named_identity: str
    canonical_instance_name: str
    origin: str
    spellings: tuple[str, ...]
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {"template": self.template, "shape": self.shape, "shape_rule": self.shape_rule,
                "semantics": self.semantics, "desired_identity": self.desired_identity,
                "bead_agent_name": self.bead_agent_name, "session_name": self.session_name,
                "named_identity": self.named_identity, "canonical_instance_name": self.canonical_instance_name,
                "origin": self.origin, "spellings": list(self.spellings), "explanation": self.explanation}


@dataclass(frozen=True, slots=True)
class AliasRetry:
    """A deferred alias's retry: the alias wanted, who holds it, the attempts and the backoff."""
    wanted: str
    holder: str
    holder_state: str
    attempts: int
    last_attempt: str
    next_retry_at: str
    backoff: str
    retry_due: bool

    def to_json(self) -> dict[str, Any]:
        return {"wanted": self.wanted, "holder": self.holder, "holder_state": self.holder_state,
                "attempts": self.attempts, "last_attempt": self.last_attempt, "next_retry_at": self.next_retry_at,
                "backoff": self.backoff, "retry_due": self.retry_due}


@dataclass(frozen=True, slots=True)
class Alias:
    """The alias section: the desired and recorded alias, its history, the state JSON's deferral
    row (None when none), the alias state and, for a deferral, its retry."""
    desired: str
    bead: str
    history: tuple[str, ...]
    deferred: AliasDeferral | None
    state: str
    explanation: str
    retry: AliasRetry | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"desired": self.desired, "bead": self.bead, "history": list(self.history),
                               "deferred": self.deferred.to_json() if self.deferred is not None else None,
                               "state": self.state}
        if self.retry is not None:
            out.update(self.retry.to_json())
        out["explanation"] = self.explanation
        return out


@dataclass(frozen=True, slots=True)
class Slot:
    """The slot section: the desired pool slot (None when not desired), the bead's, and why."""
    desired: int | None
    bead: str
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {"desired": self.desired, "bead": self.bead, "explanation": self.explanation}


@dataclass(frozen=True, slots=True)
class ScaleCheckRead:
    """What the controller read from a template's scale_check: a real run ("run": the count or
    "error", why it failed, when and at which tick) or the simulated value ("simulated")."""
    source: str
    value: int | str | None
    ok: bool
    reason: str = ""
    ran_at: str = ""
    tick: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "value": self.value, "ok": self.ok}
        if self.source == "run":
            out.update(reason=self.reason, ran_at=self.ran_at, tick=self.tick)
        return out


@dataclass(frozen=True, slots=True)
class Demand:
    """The demand section: the tier that keeps the session, its template's pool demand and
    scale_check read (None when it has none), named demand, and the demand rule in words."""
    desired: bool
    source: str
    tier: str
    work_bead: str
    pool_desired: int | None
    scale_check_count: int | None
    partial: bool
    partial_reason: str
    scale_check: ScaleCheckRead | None
    named_demand: bool
    named_routed_demand: bool
    reason: str
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {"desired": self.desired, "source": self.source, "tier": self.tier, "work_bead": self.work_bead,
                "pool_desired": self.pool_desired, "scale_check_count": self.scale_check_count,
                "partial": self.partial, "partial_reason": self.partial_reason,
                "scale_check": self.scale_check.to_json() if self.scale_check is not None else {},
                "named_demand": self.named_demand, "named_routed_demand": self.named_routed_demand,
                "reason": self.reason, "explanation": self.explanation}


@dataclass(frozen=True, slots=True)
class LastStep:
    """This session's actions and trace decisions in the last step, as phrases."""
    actions: tuple[str, ...]
    decisions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"actions": list(self.actions), "decisions": list(self.decisions)}


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The lifecycle section: the bead's state and timers, its runtime, the last step, its
    tracker row, its awake-set row, the REASON it shows and the hold keeping it down."""
    bead: str
    open: bool
    state: str
    state_reason: str
    sleep_reason: str
    sleep_intent: str
    close_reason: str
    held_until: str
    quarantined_until: str
    runtime: str
    last_activity: str
    wake_reason: str
    last_step: LastStep | None
    trackers: TrackerRow | None
    explanation: tuple[str, ...]
    awake: AwakeRow | None
    reason: str
    reason_hint: str
    hold: Hold | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "bead": self.bead, "open": self.open, "state": self.state, "state_reason": self.state_reason,
            "sleep_reason": self.sleep_reason, "sleep_intent": self.sleep_intent, "close_reason": self.close_reason,
            "held_until": self.held_until, "quarantined_until": self.quarantined_until, "runtime": self.runtime,
            "last_activity": self.last_activity, "wake_reason": self.wake_reason,
            "last_step": self.last_step.to_json() if self.last_step is not None else {},
            "trackers": self.trackers.to_json() if self.trackers is not None else {},
            "explanation": list(self.explanation),
            "awake": self.awake.decision_json() if self.awake is not None else {},
            "reason": self.reason, "reason_hint": self.reason_hint,
        }
        if self.hold is not None:
            out["hold"] = {"kind": self.hold.kind, "until": format_time(self.hold.until), "reason": self.hold.reason}
        return out


@dataclass(frozen=True, slots=True)
class ModelNotes:
    """Where the model simplifies Gas City for this session, one sentence each."""
    simplifies: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"simplifies": list(self.simplifies)}


@dataclass(frozen=True, slots=True)
class Target:
    """What `explain_target` ran: the file and its kind, the steps run of all, the tick and
    clock reached, the semantics, and whether scale_checks ran for real."""
    path: str
    kind: str
    steps_run: int
    steps_total: int
    tick: int
    now: str
    semantics: str
    scale_checks: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "steps_run": self.steps_run, "steps_total": self.steps_total,
                "tick": self.tick, "now": self.now, "semantics": self.semantics, "scale_checks": self.scale_checks}


_SECTIONS = ("identity", "alias", "slot", "demand", "lifecycle", "model")


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a session is as it is (core.explain.explanation's module doc). A session that nothing
    matches has `found` False and no sections; `history` and `target` are explain_target's."""
    session: str
    found: bool
    summary: str
    matched_by: str = ""
    also_matches: tuple[str, ...] = ()
    desired: bool = False
    rules: tuple[Why, ...] = ()
    identity: Identity | None = None
    alias: Alias | None = None
    slot: Slot | None = None
    demand: Demand | None = None
    lifecycle: Lifecycle | None = None
    model: ModelNotes | None = None
    history: tuple[RunAction, ...] | None = None
    target: Target | None = None

    def sections(self) -> tuple[tuple[str, Section | None], ...]:
        """(name, section) in reading order: identity, alias, slot, demand, lifecycle, model."""
        return tuple((name, getattr(self, name)) for name in _SECTIONS)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON form; a session not found keeps its own short key order."""
        def part(s: Section | None) -> dict[str, Any]:
            return s.to_json() if s is not None else {}

        rules = [r.to_json() for r in self.rules]
        if not self.found:
            return {"session": self.session, "found": False, "summary": self.summary, "rules": rules,
                    "desired": self.desired, "matched_by": self.matched_by, "also_matches": list(self.also_matches),
                    "identity": part(self.identity), "alias": part(self.alias), "slot": part(self.slot),
                    "demand": part(self.demand), "lifecycle": part(self.lifecycle)}
        out: dict[str, Any] = {
            "session": self.session, "found": True, "matched_by": self.matched_by,
            "also_matches": list(self.also_matches), "desired": self.desired, "rules": rules,
            "identity": part(self.identity), "alias": part(self.alias), "slot": part(self.slot),
            "demand": part(self.demand), "lifecycle": part(self.lifecycle), "summary": self.summary,
            "model": part(self.model),
        }
        if self.history is not None:
            out["history"] = [h.to_json() for h in self.history]
        if self.target is not None:
            out["target"] = self.target.to_json()
        return out
