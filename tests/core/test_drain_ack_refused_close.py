"""finalizeDrainAckStoppedSession (session_reconciler.go) when the close of an unassigned
drain-acked bead fails: Go probes assigned work a second time
(sessionHasOpenAssignedWorkForReachableStoreForCloseGate, the same probe as the first) and
sleeps the bead idle if work turned up, else leaves it `drained`. The second probe only differs
from the first when another writer assigns work between the two; a model tick has no other
writer and its read faults hold for the whole tick, so here the second probe always agrees with
the first and a refused close falls through to AcknowledgeDrainPatch."""

from __future__ import annotations

from factories import T0, make_city, session_bead

from core.config.city_config import Agent
from core.outcome import Outcome
from core.reconcile import drain_ack
from core.reconcile.context import TickContext
from core.world.memory import Drain
from core.world.runtime import RuntimeSession
from core.world.world import World

ACK = {"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_GENERATION": "1",
       "GC_DRAIN_REASON": "idle"}


def test_a_refused_close_of_an_unassigned_bead_leaves_it_drained_and_open():
    """The close is refused by the store; with no work found (first or second probe) the bead is
    patched `drained` (AcknowledgeDrainPatch), stays open, and the ack is cleared."""
    world = World()
    world.now = T0
    world.runtime.sessions = world.runtime.sessions.set(
        "s1", RuntimeSession("s1", meta=dict(ACK), process_alive=False, corpse=True))
    world.store.put_session(session_bead("b1", session_name="s1", template="worker", state="draining",
                                         state_reason="drain-ack-stop-pending"))
    world.memory = world.memory.set("drains", "b1", Drain("b1", "idle", T0, T0, "1", True))
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    ctx.store.write_faults = [["write", 1, "disk full"]]  # refuses the close only
    drain_ack.finalize(ctx, ctx.store.session("b1"), "worker", True)
    b = ctx.store.session("b1")
    assert b.open and (b.get("state"), b.get("sleep_reason")) == ("drained", "")
    assert ctx.store.failed_writes == ["closing b1: disk full"]
    assert ctx.rt.get_meta("s1", "GC_DRAIN_ACK") == ""
    assert [e.type for e in ctx.out.events] == ["session.stopped"]
