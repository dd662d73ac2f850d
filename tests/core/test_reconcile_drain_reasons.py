"""The drain predicates of session_wake.go, each on its own: which drain reasons a pending create
or assigned work may cancel (pendingDrainReasonCancelable, assignedWorkDrainReasonCancelable),
which acks a start clears (staleOrLegacyDrainAckBeforeStartInfo) and the cancel of a reconciler
ack whose tracker entry was lost (cancelRecoveredReconcilerAckedDrainInfo)."""

from __future__ import annotations

import pytest
from factories import make_city, session_bead

from core.outcome import Outcome
from core.reconcile import drains
from core.reconcile.context import TickContext
from core.world.runtime import RuntimeSession
from core.world.world import World

KEYS = ("GC_DRAIN_ACK", "GC_DRAIN_ACK_SOURCE", "GC_DRAIN_GENERATION", "GC_DRAIN_REASON")


def ctx_with(meta: dict[str, str]) -> TickContext:
    """A tick over one live runtime `worker` carrying this metadata."""
    world = World()
    world.runtime.sessions = world.runtime.sessions.set("worker", RuntimeSession("worker", meta=meta))
    return TickContext(make_city(), world, "current", Outcome())


BEAD = session_bead("gc-1", session_name="worker", generation="2")


# TestAssignedWorkDrainReasonCancelable (session_wake_test.go), its rows exactly
@pytest.mark.parametrize(("reason", "want"), [("orphaned", True), ("no-wake-reason", True), ("idle", False),
                                              ("config-drift", False), ("suspended", False), ("", False)])
def test_assigned_work_cancels_only_an_orphaned_or_no_wake_reason_drain(reason, want):
    assert drains.assigned_work_cancelable(reason) is want


@pytest.mark.parametrize(("reason", "want"), [("orphaned", False), ("suspended", False), ("config-drift", True),
                                              ("idle", True), ("no-wake-reason", True), ("", True)])
def test_a_pending_create_cancels_every_drain_but_an_orphaned_or_suspended_one(reason, want):
    assert drains.pending_cancelable(reason) is want


@pytest.mark.parametrize(("meta", "want"), [
    # an agent's own ack (gc runtime drain-ack) survives the start
    ({"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "agent"}, False),
    # a reconciler ack: cleared when stale (another generation, or none recorded)
    ({"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_GENERATION": "1"}, True),
    ({"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler"}, True),
    ({"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_GENERATION": "2"}, False),
    # any other source (or none) is a legacy ack: cleared when set
    ({"GC_DRAIN_ACK": "1"}, True),
    ({"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "operator"}, True),
    ({"GC_DRAIN_ACK_SOURCE": "operator"}, False),
    ({}, False),
])
def test_the_acks_a_start_clears(meta, want):
    assert drains.stale_or_legacy_ack_before_start(ctx_with(meta), BEAD) is want


RECOVERED = {"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "reconciler", "GC_DRAIN_GENERATION": "2"}


@pytest.mark.parametrize("reason", ["idle", "orphaned"])
def test_a_recovered_reconciler_ack_of_this_generation_is_canceled_when_its_reason_allows(reason):
    ctx = ctx_with({**RECOVERED, "GC_DRAIN_REASON": reason})
    want = drains.pending_cancelable(reason)
    assert drains.cancel_recovered_ack(ctx, BEAD, drains.pending_cancelable) is want
    kept = [ctx.rt.get_meta("worker", k) for k in KEYS]
    assert kept == (["", "", "", ""] if want else ["1", "reconciler", "2", reason])


@pytest.mark.parametrize("meta", [
    {**RECOVERED, "GC_DRAIN_REASON": "idle", "GC_DRAIN_GENERATION": "1"},  # another generation
    {**RECOVERED, "GC_DRAIN_ACK_SOURCE": "agent", "GC_DRAIN_REASON": "idle"},  # not the reconciler's
    RECOVERED,  # no reason recorded
])
def test_an_ack_that_is_not_this_generations_reconciler_ack_is_not_canceled(meta):
    ctx = ctx_with(meta)
    assert drains.cancel_recovered_ack(ctx, BEAD, drains.pending_cancelable) is False
    assert [ctx.rt.get_meta("worker", k) for k in KEYS] == [meta.get(k, "") for k in KEYS]
