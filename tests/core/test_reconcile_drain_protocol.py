"""The drain tracker's protocol (session_wake.go), function by function: beginSessionDrainInfo,
drainReasonCancelable, cancelSessionDrainIfInfo, reconcilerDrainAckMatchesSessionInfo and
completeDrain. Ports of session_wake_test.go's tests are named in each docstring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_city, session_bead

from core.config.city_config import Agent
from core.formats.timefmt import format_time
from core.outcome import Outcome
from core.reconcile import drains
from core.reconcile.context import TickContext
from core.world.memory import Drain, IdleProbe
from core.world.runtime import RuntimeSession
from core.world.world import World

KEYS = ("GC_DRAIN_ACK", "GC_DRAIN_ACK_SOURCE", "GC_DRAIN_GENERATION", "GC_DRAIN_REASON")


def ctx_with(meta: dict[str, str] | None = None, **md: str) -> TickContext:
    """A tick over bead b1 of agent `worker` (session test-session, generation 5, any other
    metadata by keyword) whose live runtime carries `meta`."""
    world = World()
    world.runtime.sessions = world.runtime.sessions.set(
        "test-session", RuntimeSession("test-session", meta=meta or {}))
    md = {"session_name": "test-session", "template": "worker", "generation": "5", **md}
    world.store.put_session(session_bead("b1", **md))
    return TickContext(make_city(Agent(name="worker")), world, "current", Outcome())


def bead(ctx: TickContext):
    return ctx.store.session("b1")


def test_begin_records_the_reason_deadline_and_generation():
    """TestBeginSessionDrain: the tracker entry of bead b1 with the reason, a deadline `timeout`
    after now and the bead's generation."""
    ctx = ctx_with()
    assert drains.begin_drain(ctx, bead(ctx), "idle", 30.0) is True
    assert ctx.mem.drains.get("b1") == Drain("b1", "idle", ctx.now, ctx.now + timedelta(seconds=30), "5")
    # the reconciler's "Draining session '<name>': <reason>" line, and the drain as an action
    assert ctx.out.logs == ["Draining session 'test-session': idle"]
    assert [(a.kind, a.bead_id, a.session_name, a.reason, a.detail, a.template) for a in ctx.out.actions] == [
        ("drain", "b1", "test-session", "idle", f"deadline {format_time(ctx.now + timedelta(seconds=30))}", "worker")]


def test_the_default_drain_timeout_is_five_minutes():
    ctx = ctx_with()
    drains.begin_drain(ctx, bead(ctx), "orphaned")
    assert ctx.mem.drains.get("b1").deadline == ctx.now + timedelta(minutes=5)


def test_a_second_begin_is_a_no_op_that_keeps_the_first_drain():
    """TestBeginSessionDrain_AlreadyDraining: the second begin reports no transition and does not
    overwrite the first drain's reason or deadline."""
    ctx = ctx_with()
    drains.begin_drain(ctx, bead(ctx), "idle", 30.0)
    first = ctx.mem.drains.get("b1")
    assert drains.begin_drain(ctx, bead(ctx), "config-drift", 60.0) is False
    assert ctx.mem.drains.get("b1") == first
    assert [a.kind for a in ctx.out.actions] == ["drain"]


# drainReasonCancelable: a wake reason cancels every drain but these three
@pytest.mark.parametrize(("reason", "want"), [("config-drift", False), ("orphaned", False), ("suspended", False),
                                              ("idle", True), ("no-wake-reason", True), ("", True)])
def test_a_wake_cancels_every_drain_but_a_config_drift_orphaned_or_suspended_one(reason, want):
    assert drains.cancelable(reason) is want


def test_cancel_removes_the_drain_and_its_idle_probe():
    """TestCancelSessionDrain (with the probe: cancelSessionDrainIfInfo clears the idle probe
    with the drain)."""
    ctx = ctx_with()
    drains.begin_drain(ctx, bead(ctx), "idle")
    ctx.mem = ctx.mem.set("idle_probes", "b1", IdleProbe(ctx.now))
    assert drains.cancel(ctx, bead(ctx)) is True
    assert ctx.mem.drains.get("b1") is None and ctx.mem.idle_probes.get("b1") is None


def test_cancel_of_an_acked_drain_clears_the_ack():
    """TestCancelSessionDrain_ClearsAck."""
    ctx = ctx_with({"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_GENERATION": "5",
                    "GC_DRAIN_REASON": "idle"})
    ctx.mem = ctx.mem.set("drains", "b1", Drain("b1", "idle", ctx.now, ctx.now, "5", True))
    assert drains.cancel(ctx, bead(ctx)) is True
    assert [ctx.rt.get_meta("test-session", k) for k in KEYS] == ["", "", "", ""]


@pytest.mark.parametrize("reason", ["orphaned", "suspended", "config-drift"])
def test_a_wake_does_not_cancel_a_non_cancelable_drain(reason):
    """TestCancelSessionDrain_NonCancelableReason (its orphaned row, and the two other reasons
    drainReasonCancelable refuses): the drain stays, probe and all."""
    ctx = ctx_with()
    drains.begin_drain(ctx, bead(ctx), reason)
    ctx.mem = ctx.mem.set("idle_probes", "b1", IdleProbe(ctx.now))
    assert drains.cancel(ctx, bead(ctx)) is False
    assert ctx.mem.drains.get("b1").reason == reason and ctx.mem.idle_probes.get("b1") is not None


@pytest.mark.parametrize("meta", [
    {"GC_DRAIN_ACK_SOURCE": "agent", "GC_DRAIN_REASON": "idle", "GC_DRAIN_GENERATION": "5"},  # not the reconciler's
    {"GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_GENERATION": "5"},  # no reason
    {"GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_REASON": "idle"},  # no generation
    {"GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_REASON": "idle", "GC_DRAIN_GENERATION": "4"},  # another one
])
def test_an_ack_that_is_not_this_generations_reconciler_ack_has_no_reason(meta):
    """reconcilerDrainAckMatchesSessionInfo returns ("", false) on every mismatch: callers that
    read the reason without the flag (the undesired path's cancel decision) see none."""
    ctx = ctx_with(meta)
    assert drains.ack_matches(ctx, bead(ctx)) == ("", False)


def test_a_reconciler_ack_of_this_generation_gives_its_reason():
    ctx = ctx_with({"GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_REASON": "idle", "GC_DRAIN_GENERATION": "5"},
                   generation=" 5 ")
    assert drains.ack_matches(ctx, bead(ctx)) == ("idle", True)


FRESH_STATE = {"session_key": "k", "started_config_hash": "c", "started_live_hash": "l", "live_hash": "l",
               "startup_dialog_verified": "true", "primed_at": "t", "priming_attempted_at": "t", "prompt_hash": "p"}


def test_a_completed_drain_of_a_fresh_session_clears_every_priming_marker():
    """TestCompleteDrain_FreshModeClearsIdentity, with the three priming markers
    (clearPrimingMarkers: primed_at, priming_attempted_at, prompt_hash) set as well."""
    ctx = ctx_with(wake_mode="fresh", **FRESH_STATE)
    drains.complete_drain(ctx, bead(ctx), Drain("b1", "idle", ctx.now, ctx.now, "5"))
    md = bead(ctx).metadata
    assert {k: md.get(k, "") for k in FRESH_STATE} == {k: "" for k in FRESH_STATE}
    assert md.get("continuation_reset_pending") == "true"


def test_a_completed_drain_reports_a_sleep_of_the_sessions_template():
    """completeDrain's action is the session's sleep, under its (normalized) template."""
    ctx = ctx_with()
    drains.complete_drain(ctx, bead(ctx), Drain("b1", "idle", ctx.now, ctx.now, "5"))
    assert [(a.kind, a.bead_id, a.reason, a.template) for a in ctx.out.actions] == [("sleep", "b1", "idle", "worker")]


ORPHANED_ACK = {"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_REASON": "orphaned",
                "GC_DRAIN_GENERATION": "5"}


@pytest.mark.parametrize(("tracked", "meta", "want"), [
    ("no-wake-reason", ORPHANED_ACK, "no-wake-reason"),  # the tracked drain first
    ("idle", ORPHANED_ACK, "orphaned"),  # a drain assigned work cannot cancel: the ack's reason
    (None, {**ORPHANED_ACK, "GC_DRAIN_REASON": "no-wake-reason"}, "no-wake-reason"),
    (None, {**ORPHANED_ACK, "GC_DRAIN_REASON": "idle"}, "orphaned"),  # neither may be canceled
    (None, {"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "agent"}, "orphaned"),
])
def test_the_reason_an_assigned_work_cancel_is_reported_under(tracked, meta, want):
    """assignedWorkDrainCancelReasonInfo (session_reconciler.go)."""
    ctx = ctx_with(meta)
    if tracked is not None:
        ctx.mem = ctx.mem.set("drains", "b1", Drain("b1", tracked, ctx.now, ctx.now, "5"))
    assert drains.assigned_work_cancel_reason(ctx, bead(ctx)) == want


def test_an_undesired_agent_acked_session_with_work_reports_its_tracked_drain_reason():
    """The undesired drain-ack path (session_reconciler.go, the providerAlive && hasAssignedWork
    cancel): an orphaned drain the reconciler tracks, acked by the agent itself, is canceled for
    the awake work it still holds, and the cancel decision carries the drain's reason
    (assignedWorkDrainCancelReasonInfo), not the empty reason of a non-reconciler ack."""
    from core.reconcile.undesired import _undesired_drain_ack
    from core.world.beads import WorkBead

    ctx = ctx_with({"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "agent"})
    ctx.store.put_work(WorkBead("w-1", status="in_progress", assignee="test-session"))
    ctx.mem = ctx.mem.set("drains", "b1", Drain("b1", "orphaned", ctx.now, ctx.now, "5"))
    _undesired_drain_ack(ctx, bead(ctx), "worker", "test-session", True)
    got = [(t.site_code, t.reason_code, t.outcome_code) for t in ctx.out.trace if t.record_type == "decision"]
    assert got == [("reconciler.drain.cancel", "orphaned", "cancel_assigned_work")]
    assert ctx.mem.drains.get("b1") is None and ctx.rt.get_meta("test-session", "GC_DRAIN_ACK") == ""


def test_cancel_of_a_drain_of_another_generation_fails():
    """TestCancelSessionDrain_GenerationMismatch: the session was woken again since."""
    ctx = ctx_with(generation="6")
    ctx.mem = ctx.mem.set("drains", "b1", Drain("b1", "idle", ctx.now, ctx.now, "5", True))
    assert drains.cancel(ctx, bead(ctx)) is False and ctx.mem.drains.get("b1") is not None
    assert ctx.out.logs == []


def test_cancel_without_a_drain_fails_and_a_cancel_forgets_the_drain_silently():
    """cancelSessionDrainIfInfo removes the drain and writes no log line."""
    ctx = ctx_with({"GC_DRAIN_ACK": "1"})
    assert drains.cancel(ctx, bead(ctx)) is False
    drains.begin_drain(ctx, bead(ctx), "idle")
    logged = list(ctx.out.logs)
    assert drains.cancel(ctx, bead(ctx)) is True
    assert ctx.mem.drains.get("b1") is None and ctx.out.logs == logged
    assert ctx.rt.get_meta("test-session", "GC_DRAIN_ACK") == "1"  # no ack was stamped: none is cleared


@pytest.mark.parametrize(("meta", "want"), [({"GC_DRAIN_ACK": "1"}, True), ({"GC_DRAIN_ACK": "true"}, False), ({}, False)])
def test_a_session_is_drain_acked_by_gc_drain_ack_1(meta, want):
    """isDrainAcked."""
    assert drains.acked(ctx_with(meta), "test-session") is want
