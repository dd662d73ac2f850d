"""The drain-ack step of reconcileSessionBeads (cmd/gc/session_reconciler.go), branch by branch,
called directly on one live bead whose runtime carries GC_DRAIN_ACK: a stale or legacy ack on a
dead runtime is cleared before the start (clearStaleOrLegacyDrainAckBeforeStart), a reconciler
ack of another generation is cleared with a stale_generation record (staleReconcilerDrainAck), a
partial store read defers a reconciler-owned ack's stop (store_query_partial), open assigned work
cancels an orphaned/no-wake-reason reconciler drain (cancel_assigned_work), and otherwise a live
session is marked stop-pending and its stop queued (markDrainAckStopPending, acknowledged)."""

from __future__ import annotations

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry, DesiredResult
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import drain_ack_step
from core.world.beads import WorkBead
from core.world.memory import Drain
from core.world.runtime import RuntimeSession
from core.world.world import World

ENTRY = DesiredEntry("worker", "worker", "rig/worker", "", 0, "pool")
KEYS = ("GC_DRAIN_ACK", "GC_DRAIN_ACK_SOURCE", "GC_DRAIN_GENERATION", "GC_DRAIN_REASON")


def ack(reason: str = "idle", generation: str = "2", source: str = "reconciler") -> dict[str, str]:
    meta = {"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": source, "GC_DRAIN_REASON": reason}
    if generation:
        meta["GC_DRAIN_GENERATION"] = generation
    return meta


def setup(meta: dict[str, str], *, alive: bool = True, partial: bool = False, work: bool = False,
          drain: str = "") -> TickContext:
    """A tick over bead gc-1 (session `worker`, generation 2, active) whose runtime carries
    `meta`; `work` assigns it ready work, `drain` tracks a drain of this reason and generation."""
    world = World()
    world.runtime.sessions = world.runtime.sessions.set(
        "worker", RuntimeSession("worker", session_id="gc-1", process_alive=alive, meta=meta))
    world.store.put_session(session_bead("gc-1", session_name="worker", template="worker", generation="2",
                                         state="active", instance_token="t-1"), "create")
    if work:
        world.store.put_work(WorkBead("w-1", status="in_progress", assignee="gc-1"))
    if drain:
        world.memory = world.memory.set("drains", "gc-1", Drain("gc-1", drain, world.now, world.now, "2", True))
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    if partial:
        ctx.desired = DesiredResult(store_query_partial=True)
    return ctx


def records(ctx: TickContext) -> list[tuple]:
    return [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields) for t in ctx.out.trace]


def ack_meta(ctx: TickContext) -> list[str]:
    return [ctx.rt.get_meta("worker", k) for k in KEYS]


@pytest.mark.parametrize("meta", [ack(generation="1"), {"GC_DRAIN_ACK": "1"}])
def test_a_stale_or_legacy_ack_on_a_dead_runtime_is_cleared_and_the_tick_goes_on(meta):
    ctx = setup(meta, alive=False)
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, False) is False
    assert ack_meta(ctx) == ["", "", "", ""]
    assert (records(ctx), ctx.out.actions, ctx.store.session("gc-1").state) == ([], [], "active")


def test_an_agents_ack_on_a_dead_runtime_is_kept_and_finalized():
    ctx = setup(ack(source="agent", reason="", generation=""), alive=False)
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, False) is True
    assert ctx.store.session("gc-1").state != "active" and records(ctx) == []


@pytest.mark.parametrize("generation", ["1", ""])
def test_a_reconciler_ack_of_another_generation_on_a_live_runtime_is_cleared_and_recorded(generation):
    ctx = setup(ack(generation=generation))
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, True) is True
    assert ack_meta(ctx) == ["", "", "", ""]
    assert records(ctx) == [("reconciler.session.drain_ack", "stale_generation", "clear", "worker", "worker", {})]
    assert ctx.store.session("gc-1").state == "active" and ctx.rt.alive("worker")


def test_a_partial_store_read_defers_a_reconciler_owned_acks_stop():
    ctx = setup(ack(), partial=True)
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, True) is True
    assert ctx.out.logs == ["Skipping reconciler drain-ack stop for 'worker': store query partial (transient failure)"]
    assert records(ctx) == [("reconciler.session.drain_ack", "store_query_partial", "deferred", "worker", "worker",
                             {"store_query_partial": True, "reconciler_owned_ack": True})]
    assert ctx.store.session("gc-1").state == "active" and ack_meta(ctx)[0] == "1"


def test_a_partial_store_read_does_not_defer_an_agents_ack():
    ctx = setup(ack(source="agent", reason="", generation=""), partial=True)
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, True) is True
    assert records(ctx) == [("reconciler.session.drain_ack", "acknowledged", "stop_pending", "worker", "worker", {})]


@pytest.mark.parametrize("tracked", [True, False])
@pytest.mark.parametrize("reason", ["orphaned", "no-wake-reason"])
def test_assigned_work_cancels_an_orphaned_or_no_wake_reason_reconciler_drain(reason, tracked):
    ctx = setup(ack(reason=reason), work=True, drain=reason if tracked else "")
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, True) is True
    assert records(ctx) == [("reconciler.drain.cancel", reason, "cancel_assigned_work", "worker", "worker", {})]
    assert ack_meta(ctx) == ["", "", "", ""] and "gc-1" not in ctx.mem.drains
    assert ctx.store.session("gc-1").state == "active" and ctx.async_stops == []


@pytest.mark.parametrize(("reason", "work", "alive"), [
    ("idle", True, True),  # work cancels only an orphaned or no-wake-reason drain
    ("orphaned", False, True),  # no work
])
def test_otherwise_a_live_sessions_ack_marks_it_stop_pending_and_queues_its_stop(reason, work, alive):
    ctx = setup(ack(reason=reason), work=work)
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, alive) is True
    b = ctx.store.session("gc-1")
    assert (b.state, b.get("state_reason")) == ("draining", "drain-ack-stop-pending")
    assert ctx.async_stops == [("gc-1", "worker", "t-1")]
    assert records(ctx) == [("reconciler.session.drain_ack", "acknowledged", "stop_pending", "worker", "worker", {})]


def test_a_refused_stop_pending_write_queues_no_stop_and_records_nothing():
    ctx = setup(ack())
    ctx.store.write_faults = [["write", 1, "disk full"]]
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, True) is True
    assert ctx.async_stops == [] and records(ctx) == [] and ctx.store.session("gc-1").state == "active"


def test_a_dead_runtimes_current_ack_finalizes_the_drain():
    ctx = setup(ack(), alive=False)
    assert drain_ack_step(ctx, ctx.store.session("gc-1"), ENTRY, False) is True
    assert ctx.store.session("gc-1").state != "active" and ctx.async_stops == []
