"""applyWakeDecisions' per-target actions (reconcileSessionBeads Phase 2, session_reconciler.go)
and the awake input bridge (buildAwakeInputFromReconciler, compute_awake_bridge.go), called
directly on a hand-built tick: the cases a whole tick does not reach or does not show."""

from __future__ import annotations

from factories import make_city

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import WakeTarget
from core.reconcile.starts import StartCandidate
from core.reconcile.wake_apply import apply_one
from core.world import beads as B
from core.world.world import World


def _tick(*beads: dict[str, str]) -> tuple[TickContext, World]:
    """A tick of a city with one agent, `worker`, whose store holds these session beads (ids
    gc-1, gc-2, ... in order)."""
    world = World()
    for i, md in enumerate(beads, 1):
        world.store.create_session(md, world.now, bead_id=f"gc-{i}")
    return TickContext(make_city(Agent(name="worker")), world, "current", Outcome()), world


def _target(bid: str, name: str, alive: bool) -> WakeTarget:
    return WakeTarget(bid, DesiredEntry(name, "worker", "worker", "", 0, "pool"), alive)


def test_a_live_target_without_a_wake_eval_is_drained_as_nobody_wants_it_awake():
    """Phase 2 reads `wakeEvals[target.info.ID]`, the zero WakeEval when the awake set made
    none: no wake reason, not config-suppressed, no assigned work. A live session with neither a
    decision nor an eval is drained `no-wake-reason` and never queued for a start."""
    ctx, world = _tick({B.TEMPLATE: "worker", B.SESSION_NAME: "worker-gc-1", B.STATE: "active"})
    cands: list[StartCandidate] = []
    apply_one(ctx, _target("gc-1", "worker-gc-1", True), world.store.reread("gc-1"), {}, {}, {}, cands)
    assert cands == []
    assert ctx.mem.drains["gc-1"].reason == "no-wake-reason"
