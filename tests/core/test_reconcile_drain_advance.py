"""advanceSessionDrainsWithSessionsTraced (session_wake.go), the end-of-tick step over every
tracked drain, one branch at a time: a closed or missing bead, a stale generation, an exited
process, the pending, assigned-work and wake-reason cancels, the deferred ack and the timeout.
Ports of session_wake_test.go's TestAdvanceSessionDrains_* are named in each docstring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import T0, make_city, session_bead

from core.config.city_config import Agent
from core.outcome import Outcome
from core.reconcile.awake import WakeEval
from core.reconcile.context import TickContext
from core.reconcile.drains import advance_drains
from core.world.memory import Drain, IdleProbe
from core.world.runtime import RuntimeSession
from core.world.world import World

KEYS = ("GC_DRAIN_ACK", "GC_DRAIN_ACK_SOURCE", "GC_DRAIN_GENERATION", "GC_DRAIN_REASON")
ACKED = {"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_GENERATION": "3",
         "GC_DRAIN_REASON": "idle"}


def ctx_with(reason: str = "idle", *, running: bool = True, acked: bool = False, deadline: float = 20.0,
             generation: str = "3", meta: dict[str, str] | None = None, **md: str) -> TickContext:
    """A tick at T0 over bead b1 (session test-session of agent `worker`, generation 3, any other
    metadata by keyword) with a tracked drain of this reason and generation `generation`, its
    deadline `deadline` seconds away, and an idle probe; its runtime running or gone."""
    world = World()
    world.now = T0
    if running:
        world.runtime.sessions = world.runtime.sessions.set(
            "test-session", RuntimeSession("test-session", meta=meta or (ACKED if acked else {})))
    world.store.put_session(session_bead("b1", **{"session_name": "test-session", "template": "worker",
                                                  "generation": "3", "state": "active", **md}))
    world.memory = world.memory.set("drains", "b1", Drain("b1", reason, T0 - timedelta(seconds=10),
                                                          T0 + timedelta(seconds=deadline), generation, acked))
    world.memory = world.memory.set("idle_probes", "b1", IdleProbe(T0))
    return TickContext(make_city(Agent(name="worker")), world, "current", Outcome())


def decisions(ctx: TickContext) -> list[tuple]:
    return [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name)
            for t in ctx.out.trace if t.record_type == "decision"]


def forgotten(ctx: TickContext) -> bool:
    return ctx.mem.drains.get("b1") is None and ctx.mem.idle_probes.get("b1") is None


def meta(ctx: TickContext) -> list[str]:
    return [ctx.rt.get_meta("test-session", k) for k in KEYS]


@pytest.mark.parametrize("close", [True, False])
def test_a_drain_of_a_closed_or_missing_bead_is_forgotten(close):
    """infoLookup misses: the tracker entry and its idle probe go, nothing else happens."""
    ctx = ctx_with()
    ctx.store.close_session("b1", "done", T0)
    if not close:
        ctx.store.forget_sessions(["b1"])
        assert ctx.store.session("b1") is None
    advance_drains(ctx, {})
    assert forgotten(ctx) and decisions(ctx) == [] and ctx.out.actions == []


@pytest.mark.parametrize("acked", [True, False])
def test_a_drain_of_another_generation_is_canceled_and_its_ack_cleared(acked):
    """The stale check: the session was woken again since the drain began."""
    ctx = ctx_with(generation="2", acked=acked)
    advance_drains(ctx, {})
    assert forgotten(ctx) and ctx.rt.alive("test-session")
    assert decisions(ctx) == [("reconciler.drain.stale", "stale_generation", "cancel", "worker", "test-session")]
    assert ctx.out.trace[0].fields["drain_reason"] == "idle"
    assert meta(ctx) == ["", "", "", ""]
    assert ctx.store.session("b1").get("state") == "active"


def test_a_drain_whose_process_exited_completes():
    """TestAdvanceSessionDrains_ProcessExited (and ClearsIdleProbeOnCompletion)."""
    ctx = ctx_with(running=False)
    advance_drains(ctx, {})
    b = ctx.store.session("b1")
    assert (b.get("state"), b.get("sleep_reason")) == ("asleep", "idle") and forgotten(ctx)
    assert decisions(ctx) == [("reconciler.drain.complete", "idle", "complete", "worker", "test-session")]


def test_a_pending_wake_cancels_a_config_drift_drain():
    """TestAdvanceSessionDrains_ConfigDriftCancelableOnPendingWake."""
    ctx = ctx_with("config-drift", acked=True, meta={**ACKED, "GC_DRAIN_REASON": "config-drift"})
    advance_drains(ctx, {"b1": WakeEval(["pending"], "pending", False, False)})
    assert forgotten(ctx) and meta(ctx) == ["", "", "", ""]
    assert decisions(ctx) == [("reconciler.drain.cancel", "config-drift", "cancel_pending", "worker", "test-session")]


@pytest.mark.parametrize("reason", ["orphaned", "suspended"])
def test_a_pending_wake_does_not_cancel_an_orphaned_or_suspended_drain(reason):
    """pendingDrainReasonCancelable: the drain goes on to its deferred ack."""
    ctx = ctx_with(reason)
    advance_drains(ctx, {"b1": WakeEval(["pending"], "pending", False, False)})
    assert ctx.mem.drains.get("b1").acked and decisions(ctx) == []


@pytest.mark.parametrize("reason", ["orphaned", "no-wake-reason"])
def test_assigned_work_cancels_an_orphaned_or_no_wake_reason_drain(reason):
    """TestAdvanceSessionDrains_OrphanedDrainCanceledForAssignedWork and
    NoWakeDrainCanceledForAssignedWork."""
    ctx = ctx_with(reason)
    advance_drains(ctx, {"b1": WakeEval(["work"], "assigned-work", False, True)})
    assert forgotten(ctx)
    assert decisions(ctx) == [("reconciler.drain.cancel", reason, "cancel_assigned_work", "worker", "test-session")]


@pytest.mark.parametrize("ev", [
    WakeEval(["work"], "routed-demand", False, True),  # the decision is not assigned work
    WakeEval(["config"], "assigned-work", False, True),  # no work wake reason
])
def test_assigned_work_cancels_only_with_both_its_decision_and_its_wake_reason(ev):
    """An orphaned drain is not canceled by the ordinary wake-reason cancel either: it goes on."""
    ctx = ctx_with("orphaned")
    advance_drains(ctx, {"b1": ev})
    assert ctx.mem.drains.get("b1").acked and decisions(ctx) == []


@pytest.mark.parametrize("acked", [True, False])
def test_a_wake_reason_cancels_a_cancelable_drain(acked):
    """TestAdvanceSessionDrains_WakeReasonsReappear: the drain and its probe go, the session
    keeps running, a stamped ack is cleared."""
    ctx = ctx_with(acked=acked)
    advance_drains(ctx, {"b1": WakeEval(["config"], "config", False, False)})
    assert forgotten(ctx) and ctx.rt.alive("test-session") and meta(ctx) == ["", "", "", ""]
    assert decisions(ctx) == [("reconciler.drain.cancel", "idle", "cancel", "worker", "test-session")]
    assert not any("canceled" in line for line in ctx.out.logs)  # the cancel is traced, never logged


def test_an_evaluation_without_reasons_does_not_cancel():
    ctx = ctx_with()
    advance_drains(ctx, {"b1": WakeEval([], "", False, False)})
    assert ctx.mem.drains.get("b1").acked and decisions(ctx) == []


def test_a_drain_that_survives_a_tick_stamps_the_reconciler_ack():
    """TestAdvanceSessionDrains_DeferredInterrupt_CancelableNoSignal: the deferred signal is the
    reconciler's GC_DRAIN_ACK with its source, reason and generation; a follow-up tick is asked
    for; the session keeps running until the deadline."""
    ctx = ctx_with()
    advance_drains(ctx, {})
    assert meta(ctx) == ["1", "reconciler", "3", "idle"]
    assert ctx.mem.drains.get("b1") == Drain("b1", "idle", T0 - timedelta(seconds=10), T0 + timedelta(seconds=20),
                                             "3", True)
    assert ctx.follow_up is True and ctx.rt.alive("test-session")
    # RecordMutation(TraceSiteMutationRuntimeMeta, TraceReasonUnknown, success, "provider_meta", name,
    # "GC_DRAIN_ACK", {before "", after "1", the drain's reason})
    muts = [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields)
            for t in ctx.out.trace if t.record_type == "mutation"]
    assert muts == [("runtime_meta", "unknown", "success", "worker", "test-session", {
        "target_kind": "provider_meta", "target_id": "test-session", "field": "GC_DRAIN_ACK", "before": "",
        "after": "1", "drain_reason": "idle"})]


def test_an_acked_drain_is_not_stamped_again():
    ctx = ctx_with(acked=True, meta={"GC_DRAIN_ACK": "1"})
    advance_drains(ctx, {})
    assert meta(ctx) == ["1", "", "", ""] and ctx.follow_up is False and ctx.out.trace == []


def test_a_drain_without_a_generation_stamps_generation_zero():
    """strconv.Itoa of the zero generation an unparsable one reads as."""
    ctx = ctx_with(generation="")
    ctx.store.update_session("b1", {"generation": ""})
    advance_drains(ctx, {})
    assert meta(ctx) == ["1", "reconciler", "0", "idle"]


def test_a_drain_past_its_deadline_stops_the_session_and_completes():
    """TestAdvanceSessionDrains_Timeout."""
    ctx = ctx_with("pool-excess", deadline=-10)
    advance_drains(ctx, {})
    assert not ctx.rt.alive("test-session") and forgotten(ctx)
    assert (ctx.store.session("b1").get("state"), ctx.store.session("b1").get("sleep_reason")) == (
        "asleep", "pool-excess")
    assert decisions(ctx) == [("reconciler.drain.timeout", "pool-excess", "complete", "worker", "test-session")]
    assert [(a.kind, a.bead_id, a.reason, a.template) for a in ctx.out.actions] == [
        ("stop", "b1", "drain-timeout", "worker"), ("sleep", "b1", "pool-excess", "worker")]


def test_a_drain_at_its_deadline_waits():
    """clk.Now().After(deadline): the deadline itself is not past."""
    ctx = ctx_with(deadline=0)
    advance_drains(ctx, {})
    assert ctx.rt.alive("test-session") and ctx.mem.drains.get("b1") is not None and decisions(ctx) == []


def test_a_timed_out_drain_of_a_replaced_runtime_is_dropped_without_a_stop():
    """TestAdvanceSessionDrains_TimeoutTokenMismatch: verifiedStop refuses a runtime whose
    instance token is not the bead's; the drain is stale and goes."""
    ctx = ctx_with(deadline=-10, instance_token="tok-a", meta={"GC_INSTANCE_TOKEN": "tok-b"})
    advance_drains(ctx, {})
    assert ctx.rt.alive("test-session") and forgotten(ctx)
    assert decisions(ctx) == [("reconciler.drain.timeout", "idle", "retry", "worker", "test-session")]
    assert ctx.out.trace[-1].fields["error"] == "instance token mismatch"
    assert ctx.store.session("b1").get("state") == "active"


@pytest.mark.parametrize(("token", "live"), [("tok-a", "tok-a"), ("", "tok-b"), ("tok-a", "")])
def test_a_matching_or_missing_token_does_not_block_the_timeout_stop(token, live):
    ctx = ctx_with(deadline=-10, instance_token=token, meta={"GC_INSTANCE_TOKEN": live} if live else {})
    advance_drains(ctx, {})
    assert not ctx.rt.alive("test-session") and forgotten(ctx)


def test_drains_advance_in_bead_id_order():
    """Every tracked drain is advanced (the model walks them in bead-id order)."""
    ctx = ctx_with(running=False)
    ctx.store.put_session(session_bead("b0", session_name="s0", template="worker", generation="1"))
    ctx.mem = ctx.mem.set("drains", "b0", Drain("b0", "idle", T0, T0, "1"))
    advance_drains(ctx, {})
    assert [d[4] for d in decisions(ctx)] == ["s0", "test-session"]


def _close(ctx: TickContext) -> None:
    ctx.store.close_session("b1", "done", T0)


@pytest.mark.parametrize(("setup", "evals"), [
    (dict(), {"b1": None}),  # no evaluation: stamped, waits
    (dict(generation="2"), {}),  # stale
    (dict(running=False), {}),  # completed
    (dict(reason="config-drift"), {"b1": WakeEval(["pending"], "pending", False, False)}),
    (dict(reason="orphaned"), {"b1": WakeEval(["work"], "assigned-work", False, True)}),
    (dict(), {"b1": WakeEval(["config"], "config", False, False)}),
    (dict(deadline=-10, instance_token="a", meta={"GC_INSTANCE_TOKEN": "b"}), {}),  # token mismatch
    (dict(deadline=-10), {}),  # timed out
    ("closed", {}),
])
def test_every_outcome_goes_on_to_the_next_drain(setup, evals):
    """Whatever happens to one drain, the walk advances the next (here b2, whose process exited)."""
    ctx = ctx_with() if setup == "closed" else ctx_with(**setup)
    if setup == "closed":
        _close(ctx)
    ctx.store.put_session(session_bead("b2", session_name="s2", template="worker", generation="1"))
    ctx.mem = ctx.mem.set("drains", "b2", Drain("b2", "idle", T0, T0, "1"))
    advance_drains(ctx, {k: v for k, v in evals.items() if v is not None})
    assert ctx.mem.drains.get("b2") is None and ctx.store.session("b2").get("state") == "asleep"
