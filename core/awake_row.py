"""One row of a tick's awake set: the decision ComputeAwakeSet made for one session, the older
WakeReason vocabulary the wake pass reads, and what the bridge (buildAwakeInputFromReconciler)
handed the computation for that session. core.reconcile.wake_apply.awake_rows makes the rows;
the state JSON (`awake[]`, docs/scenario-extensions.md) and `citywatch explain` (`lifecycle.awake`)
print them through `to_json()`, and every other reader reads the fields. The record sits beside
core.outcome, which carries the last tick's rows, rather than in core.reconcile: core.reconcile
writes into an Outcome, so an Outcome that imported core.reconcile would close a package cycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AssignedWork", "AwakeRow", "BridgedBead"]


@dataclass(frozen=True, slots=True)
class BridgedBead:
    """The session's bead as the bridge handed it to the computation: its template as
    normalized, its compat state, sleep reason and named identity, its flags, and whether its
    session is running, attached or holding a pending interaction."""
    template: str
    state: str
    sleep_reason: str
    named_identity: str
    explicit_wake: bool
    restart_requested: bool
    reset_pending: bool
    running: bool
    attached: bool
    pending_interaction: bool

    def to_json(self) -> dict[str, Any]:
        """The row's `input` table."""
        return {"template": self.template, "state": self.state, "sleep_reason": self.sleep_reason,
                "named_identity": self.named_identity, "explicit_wake": self.explicit_wake,
                "restart_requested": self.restart_requested, "reset_pending": self.reset_pending,
                "running": self.running, "attached": self.attached, "pending_interaction": self.pending_interaction}


@dataclass(frozen=True, slots=True)
class AssignedWork:
    """An assigned work bead whose assignee names the session, with its verdicts: `ready` for
    open work that is ready, `blocked` for in-progress work whose dependencies block it."""
    id: str
    status: str
    ready: bool
    blocked: bool

    def to_json(self) -> dict[str, Any]:
        """The work bead's entry in the row's `work` table (keyed by its id)."""
        return {"status": self.status, "ready": self.ready, "blocked": self.blocked}


@dataclass(frozen=True, slots=True)
class AwakeRow:
    """A session's row of the awake set: the session and bead it decides for, whether it
    should wake and ComputeAwakeSet's reason, the WakeReasons (empty when the sleep policy
    suppressed a config wake), the assigned work behind the decision, and the bridge's `input`
    and `work` for it (None when the rows were made without the computation's input)."""
    session_name: str
    bead_id: str
    should_wake: bool
    reason: str
    wake_reasons: tuple[str, ...]
    sleep_policy_suppressed: bool
    has_assigned_work: bool
    assigned_work_bead: str
    requires_fresh_cycle: bool
    input: BridgedBead | None = None
    work: tuple[AssignedWork, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """The state JSON's `awake[]` row."""
        return {"session_name": self.session_name, "bead_id": self.bead_id, **self.decision_json()}

    def decision_json(self) -> dict[str, Any]:
        """The row without its session name and bead id (explain's `lifecycle.awake`)."""
        out: dict[str, Any] = {"should_wake": self.should_wake, "reason": self.reason,
                               "wake_reasons": list(self.wake_reasons),
                               "sleep_policy_suppressed": self.sleep_policy_suppressed,
                               "has_assigned_work": self.has_assigned_work,
                               "assigned_work_bead": self.assigned_work_bead,
                               "requires_fresh_cycle": self.requires_fresh_cycle}
        if self.input is not None:
            out["input"] = self.input.to_json()
        if self.work is not None:
            out["work"] = {w.id: w.to_json() for w in self.work}
        return out
