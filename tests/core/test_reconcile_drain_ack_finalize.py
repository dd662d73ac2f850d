"""The drain-ack stop and its finalization (session_reconciler.go), function by function:
isDrainAckStopPendingInfo, markDrainAckStopPending, queueDrainAckAsyncStop and its token fence,
finalizeDrainAckStoppedSession, reconcileDrainAckStopPending and
finalizeDrainAckStopPendingSessions."""

from __future__ import annotations

import pytest
from factories import T0, make_city, session_bead

from core.config.city_config import Agent
from core.formats.timefmt import format_time
from core.outcome import Outcome
from core.reconcile import drain_ack
from core.reconcile.context import TickContext
from core.world.beads import WorkBead
from core.world.memory import Drain, IdleProbe
from core.world.runtime import RuntimeSession
from core.world.world import World

ACK = {"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_GENERATION": "1",
       "GC_DRAIN_REASON": "idle"}
KEYS = tuple(ACK)
STOP_PENDING = {"state": "draining", "state_reason": "drain-ack-stop-pending"}


def ctx_with(*, running: bool = True, token: str = "", **md: str) -> TickContext:
    """A tick at T0 over bead b1 (session s1 of agent `worker`, any metadata by keyword) whose
    runtime carries a reconciler drain ack (and this instance token), if running; the bead is
    tracked as draining, with an idle probe."""
    world = World()
    world.now = T0
    if running:
        world.runtime.sessions = world.runtime.sessions.set("s1", RuntimeSession(
            "s1", meta={**ACK, **({"GC_INSTANCE_TOKEN": token} if token else {})}))
    world.store.put_session(session_bead("b1", **{"session_name": "s1", "template": "worker", **md}))
    world.memory = world.memory.set("drains", "b1", Drain("b1", "idle", T0, T0, "1", True))
    world.memory = world.memory.set("idle_probes", "b1", IdleProbe(T0))
    return TickContext(make_city(Agent(name="worker")), world, "current", Outcome())


def bead(ctx: TickContext):
    return ctx.store.session("b1")


def tracked(ctx: TickContext) -> bool:
    return ctx.mem.drains.get("b1") is not None or ctx.mem.idle_probes.get("b1") is not None


@pytest.mark.parametrize(("state", "reason", "want"), [
    ("draining", "drain-ack-stop-pending", True),
    (" draining ", " drain-ack-stop-pending ", True),  # both trimmed
    ("draining", "draining", False),
    ("asleep", "drain-ack-stop-pending", False),
])
def test_stop_pending_is_draining_with_the_drain_ack_reason(state, reason, want):
    """isDrainAckStopPendingInfo."""
    assert drain_ack.is_stop_pending(session_bead("b1", state=state, state_reason=reason)) is want


def test_mark_stop_pending_writes_the_patch_and_drops_the_tracker_entry():
    """DrainAckStopPendingPatch (draining, the stop-pending reason, drain_at now, the
    pending-create claim cleared) and clearDrainTrackerForStopPending."""
    ctx = ctx_with(state="active", pending_create_claim="true", pending_create_started_at="x")
    assert drain_ack.mark_stop_pending(ctx, bead(ctx)) is True
    md = bead(ctx).metadata
    assert {k: md.get(k, "") for k in ("state", "state_reason", "drain_at", "pending_create_claim",
                                        "pending_create_started_at")} == {
        "state": "draining", "state_reason": "drain-ack-stop-pending", "drain_at": format_time(T0),
        "pending_create_claim": "", "pending_create_started_at": ""}
    assert not tracked(ctx)


def test_a_refused_stop_pending_write_keeps_the_tracker_entry_and_says_why():
    """markDrainAckStopPending on a persist error: false, the error logged with the session's
    name, the tracker left as it was."""
    ctx = ctx_with(state="active")
    ctx.store.write_faults = [["write", 1, "disk full"]]
    assert drain_ack.mark_stop_pending(ctx, bead(ctx)) is False
    assert ctx.out.logs == ["session reconciler: marking drain-ack stop-pending s1: disk full"]
    assert tracked(ctx) and bead(ctx).get("state") == "active"


def test_an_earlier_refused_write_is_not_taken_for_this_one():
    """Only a write refused during this call counts as its failure."""
    ctx = ctx_with(state="active")
    ctx.store.failed_writes.append("writing b9: an older failure")
    assert drain_ack.mark_stop_pending(ctx, bead(ctx)) is True and not tracked(ctx)


def test_an_async_stop_is_queued_once_per_bead_and_name():
    ctx = ctx_with(instance_token="tok")
    drain_ack.queue_async_stop(ctx, bead(ctx))
    drain_ack.queue_async_stop(ctx, bead(ctx))
    assert ctx.async_stops == [("b1", "s1", "tok")]


def test_the_queued_stops_run_and_the_queue_empties():
    ctx = ctx_with(**STOP_PENDING)
    drain_ack.queue_async_stop(ctx, bead(ctx))
    drain_ack.run_async_stops(ctx)
    assert not ctx.rt.alive("s1") and ctx.async_stops == []
    assert [(a.kind, a.bead_id, a.reason) for a in ctx.out.actions] == [("stop", "b1", "drain-ack")]


def test_a_stop_of_a_replaced_runtime_is_skipped():
    """The async stop's token fence (verifiedStop's errTokenMismatch): a runtime whose instance
    token is not the bead's is left alone, and the skip is logged."""
    ctx = ctx_with(token="tok-new", instance_token="tok-old", **STOP_PENDING)
    drain_ack.queue_async_stop(ctx, bead(ctx))
    drain_ack.run_async_stops(ctx)
    assert ctx.rt.alive("s1") and ctx.out.actions == [] and ctx.async_stops == []
    assert ctx.out.logs == ["session reconciler: async drain-ack stop s1 skipped: instance token mismatch "
                            "(session was replaced)"]


def test_a_failed_async_stop_is_logged_and_the_bead_stays_stop_pending():
    ctx = ctx_with(**STOP_PENDING)
    ctx.rt.inject_stop_failure("s1", 1, "kill refused")
    drain_ack.queue_async_stop(ctx, bead(ctx))
    drain_ack.run_async_stops(ctx)
    assert ctx.rt.alive("s1") and drain_ack.is_stop_pending(bead(ctx))
    assert ctx.out.logs == ["session reconciler: async drain-ack stop s1: kill refused"]


# ---------------------------------------------------------------------------- finalize


def events(ctx: TickContext) -> list[tuple]:
    return [(e.type, e.subject, e.message, e.bead_id) for e in ctx.out.events]


STOPPED = ("session.stopped", "worker", "drain acknowledged by agent", "b1")


def test_an_unassigned_session_that_may_close_is_closed_drained():
    """finalizeDrainAckStoppedSession with closeIfUnassigned and no work: closed `drained`, the
    drain ack cleared, session.stopped recorded."""
    ctx = ctx_with(running=False, **STOP_PENDING)
    ctx.rt.sessions = ctx.rt.sessions.set("s1", RuntimeSession("s1", meta=ACK, process_alive=False, corpse=True))
    drain_ack.finalize(ctx, bead(ctx), "worker", True)
    assert not bead(ctx).open and bead(ctx).get("state") == "drained"
    assert [ctx.rt.get_meta("s1", k) for k in KEYS] == ["", "", "", ""]
    assert events(ctx) == [STOPPED]


def test_a_session_that_may_not_close_is_left_drained():
    """AcknowledgeDrainPatch: state drained, the wake and pending-create markers cleared; the
    ack cleared, the tracker entry dropped, a `drained` sleep and session.stopped."""
    ctx = ctx_with(running=False, last_woke_at="t", pending_create_claim="true", restart_requested="true",
                   **STOP_PENDING)
    drain_ack.finalize(ctx, bead(ctx), "worker", False)
    md = bead(ctx).metadata
    assert bead(ctx).open and {k: md.get(k, "") for k in ("state", "state_reason", "last_woke_at",
                                                          "pending_create_claim", "restart_requested")} == {
        "state": "drained", "state_reason": "", "last_woke_at": "", "pending_create_claim": "",
        "restart_requested": ""}
    assert md.get("sleep_reason", "") == "" and not tracked(ctx)
    assert [(a.kind, a.reason, a.detail, a.template) for a in ctx.out.actions] == [
        ("sleep", "drained", "drain-ack finalized", "worker")]
    assert events(ctx) == [STOPPED]


def test_a_session_that_still_owns_work_sleeps_idle_and_says_so():
    """With open assigned work: CompleteDrainPatch(idle) instead of a close, and
    session.drain_acked_with_assigned_work naming the work bead."""
    ctx = ctx_with(running=False, **STOP_PENDING)
    ctx.store.put_work(WorkBead("w-1", status="in_progress", assignee="s1"))
    drain_ack.finalize(ctx, bead(ctx), "worker", True)
    b = bead(ctx)
    assert b.open and (b.get("state"), b.get("sleep_reason"), b.get("slept_at")) == ("asleep", "idle", format_time(T0))
    assert [(a.kind, a.reason) for a in ctx.out.actions] == [("sleep", "idle")]
    assert events(ctx) == [STOPPED, ("session.drain_acked_with_assigned_work", "worker",
                                     "session drain-acked while still assigned to work bead w-1", "b1")]


def test_a_fresh_session_loses_its_conversation_when_finalized():
    ctx = ctx_with(running=False, wake_mode="fresh", session_key="k", started_config_hash="h", **STOP_PENDING)
    drain_ack.finalize(ctx, bead(ctx), "worker", False)
    md = bead(ctx).metadata
    assert (md.get("session_key", ""), md.get("started_config_hash", ""), md.get("continuation_reset_pending")) == (
        "", "", "true")


def test_a_refused_finalize_write_changes_nothing():
    """On a persist error: logged, no events, the ack and the bead left for the next tick."""
    ctx = ctx_with(**STOP_PENDING)
    ctx.store.write_faults = [["write", 1, "disk full"]]
    drain_ack.finalize(ctx, bead(ctx), "worker", False)
    assert drain_ack.is_stop_pending(bead(ctx)) and events(ctx) == [] and ctx.out.actions == []
    assert ctx.out.logs == ["session reconciler: finalizing drain-ack stopped s1: disk full"]
    assert ctx.rt.get_meta("s1", "GC_DRAIN_ACK") == "1" and tracked(ctx)


@pytest.mark.parametrize(("desired", "pool", "closed"), [(True, False, False), (False, False, True),
                                                         (True, True, True)])
def test_reconcile_stop_pending_closes_an_undesired_or_pool_session(desired, pool, closed):
    """reconcileDrainAckStopPending: closeIfUnassigned is !desired || pool-managed."""
    ctx = ctx_with(running=False, **STOP_PENDING, **({"pool_managed": "true"} if pool else {}))
    assert drain_ack.reconcile_stop_pending(ctx, bead(ctx), "worker", desired) is True
    assert (not bead(ctx).open) is closed


def test_reconcile_stop_pending_requeues_the_stop_of_a_live_runtime():
    ctx = ctx_with(**STOP_PENDING)
    assert drain_ack.reconcile_stop_pending(ctx, bead(ctx), "worker", True) is True
    assert ctx.async_stops == [("b1", "s1", "")] and drain_ack.is_stop_pending(bead(ctx))


def test_a_zombie_pane_still_counts_as_running():
    """obs.Running || obs.Alive: a pane whose agent process died is still stopped, not finalized."""
    ctx = ctx_with(**STOP_PENDING)
    ctx.rt.sessions = ctx.rt.sessions.set("s1", RuntimeSession("s1", process_alive=False))
    assert drain_ack.reconcile_stop_pending(ctx, bead(ctx), "worker", False) is True
    assert ctx.async_stops == [("b1", "s1", "")] and bead(ctx).open


def test_work_that_cannot_be_read_keeps_the_session_but_names_no_work_bead():
    """A failed read of the session's store counts as assigned work (the close gate's error is
    taken as work), so the session sleeps idle; recordDrainAckAssignedWorkEvent finds no work
    bead and records no drain_acked_with_assigned_work event."""
    ctx = ctx_with(running=False, **STOP_PENDING)
    ctx.store.read_faults = {"city": ("error", 1, "store down")}
    drain_ack.finalize(ctx, bead(ctx), "worker", True)
    assert bead(ctx).open and bead(ctx).get("sleep_reason") == "idle"
    assert events(ctx) == [STOPPED]


def test_reconcile_stop_pending_leaves_other_beads_alone():
    ctx = ctx_with(state="active")
    assert drain_ack.reconcile_stop_pending(ctx, bead(ctx), "worker", True) is False
    assert ctx.async_stops == [] and ctx.out.actions == []


def test_the_phase_finalizes_gone_runtimes_and_requeues_live_ones():
    """finalizeDrainAckStopPendingSessions: counts the finalized beads; a pool bead closes."""
    ctx = ctx_with(running=False, pool_managed="true", **STOP_PENDING)
    ctx.store.put_session(session_bead("b2", session_name="s2", template="worker", **STOP_PENDING))
    ctx.rt.sessions = ctx.rt.sessions.set("s2", RuntimeSession("s2", process_alive=False))  # a zombie pane
    ctx.store.put_session(session_bead("b3", session_name="s3", template="worker", state="active"))
    assert drain_ack.finalize_stop_pending_sessions(ctx) == 1
    assert not bead(ctx).open and ctx.async_stops == [("b2", "s2", "")]
