"""ComputeAwakeSet and start-wave ordering as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import awake_bead

from core.reconcile import awake as A
from core.reconcile.starts import StartCandidate, fairness_sort
from core.world.beads import WorkBead

NOW = datetime(2026, 5, 16, 12, 0, tzinfo=UTC)


def bead(bid: str, name: str, template: str = "worker", state: str = "active", **kw) -> A.AwakeBead:
    return awake_bead(id=bid, session_name=name, template=template, state=state, **kw)


def run(beads, counts=None, work=(), agents=None, named=(), **kw):
    agents = agents or [A.AwakeAgent("worker", False, 0.0, 0)]
    inp = A.AwakeInput(agents=agents, named=list(named), beads=beads, work=list(work), scale_counts=counts or {},
                       named_demand={}, named_routed_demand={}, now=NOW, **kw)
    return A.compute_awake_set(inp)


def test_scale_demand_wakes_active_then_creating_beads_up_to_the_count_never_asleep_ones():
    d = run([bead("1", "a", state="asleep"), bead("2", "b"), bead("3", "c", state="creating"),
             bead("4", "d", state="creating")], counts={"worker": 2})
    assert not d["a"].should_wake
    assert (d["b"].should_wake, d["b"].reason) == (True, "scaled:demand")
    assert (d["c"].should_wake, d["c"].reason) == (True, "scaled:creating")
    assert not d["d"].should_wake


def test_assigned_work_prefers_the_recorded_anchor_and_asks_for_a_fresh_cycle_otherwise():
    work = [WorkBead("w-1", "in_progress", "a"), WorkBead("w-2", "in_progress", "a")]
    d = run([bead("1", "a", state="asleep", current_bead="w-2")], work=work)
    assert (d["a"].reason, d["a"].assigned_work_bead, d["a"].requires_fresh_cycle) == ("assigned-work", "w-2", False)
    d = run([bead("1", "a", state="asleep", current_bead="w-9")], work=work)
    assert (d["a"].assigned_work_bead, d["a"].requires_fresh_cycle) == ("w-1", True)


def test_hold_and_quarantine_override_every_cause():
    later = NOW + timedelta(minutes=5)
    d = run([bead("1", "a", pending_create=True, held_until=later),
             bead("2", "b", pending_create=True, quarantined_until=later)], attached={"a"})
    assert (d["a"].should_wake, d["a"].reason) == (False, "held")
    assert (d["b"].should_wake, d["b"].reason) == (False, "quarantined")


def test_idle_sleep_suppresses_generic_demand_but_not_assigned_work():
    agents = [A.AwakeAgent("worker", False, 600.0, 0)]
    idle = NOW - timedelta(minutes=11)
    d = run([bead("1", "a", idle_since=idle)], counts={"worker": 1}, agents=agents)
    assert (d["a"].should_wake, d["a"].reason) == (False, "idle-sleep")
    d = run([bead("1", "a", idle_since=idle)], agents=agents, work=[WorkBead("w-1", "open", "a")])
    assert (d["a"].should_wake, d["a"].reason) == (True, "assigned-work")


def test_named_always_wakes_even_when_drained_and_on_demand_stays_up_while_running():
    named = [A.AwakeNamed("mayor", "worker", "always", "mayor"), A.AwakeNamed("deacon", "worker", "on_demand", "deacon")]
    beads = [bead("1", "mayor", state="asleep", drained=True, named_identity="mayor", configured_named=True),
             bead("2", "deacon", named_identity="deacon", configured_named=True)]
    d = run(beads, named=named, running={"deacon"})
    assert (d["mayor"].should_wake, d["mayor"].reason) == (True, "named-always")
    assert (d["deacon"].should_wake, d["deacon"].reason) == (True, "on-demand:running")


def test_a_named_session_without_a_runtime_name_or_bead_is_desired_under_its_identity():
    # resolveNamedSessionBeadName gives "" when no bead carries the identity and the named
    # session has no runtime name (the AwakeNamedSession Gas City's own tests build), so
    # ComputeAwakeSet desires the identity itself: a bead whose session name is that identity
    # wakes for it, though it is no configured named bead
    named = [A.AwakeNamed("deacon", "worker", "always", "")]
    d = run([bead("1", "deacon", state="asleep")], named=named)
    assert (d["deacon"].should_wake, d["deacon"].reason) == (True, "named-always")


def test_a_committed_reset_keeps_the_pending_create_reason():
    # ComputeAwakeSet's continuation-reset pass wakes the session as reset-pending only when
    # nothing stronger (a pending create, an explicit wake) already desires it
    d = run([bead("1", "a", state="creating", pending_create=True, reset_pending=True),
             bead("2", "b", state="asleep", reset_pending=True)])
    assert (d["a"].should_wake, d["a"].reason) == (True, "pending-create")
    assert (d["b"].should_wake, d["b"].reason) == (True, "reset-pending")


def test_wake_fairness_oldest_first_then_round_robin_across_templates():
    def c(bid, tpl, minutes):
        from core.desired.entries import DesiredEntry

        e = DesiredEntry(session_name=bid, template=tpl, identity=bid, alias="", pool_slot=0, source="new")
        return StartCandidate(bid, e, 0, "", NOW - timedelta(minutes=minutes))

    order = fairness_sort([c("a1", "a", 10), c("a2", "a", 9), c("b1", "b", 1)])
    assert [x.bead_id for x in order] == ["a1", "b1", "a2"]


def test_only_ready_open_or_unblocked_in_progress_work_is_wake_demand():
    # workBeadHasAwakeDemand: any other status is never demand, ready or not
    assert A._awake_demand(WorkBead("w-1", "open", "a", ready=True))
    assert not A._awake_demand(WorkBead("w-1", "open", "a", ready=False))
    assert A._awake_demand(WorkBead("w-1", "in_progress", "a", ready=True))
    assert not A._awake_demand(WorkBead("w-1", "in_progress", "a", ready=False))  # blocked
    assert not A._awake_demand(WorkBead("w-1", "closed", "a", ready=True))
    d = run([bead("1", "a", state="asleep")], work=[WorkBead("w-1", "closed", "a")])
    assert not d["a"].should_wake
