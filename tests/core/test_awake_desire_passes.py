"""ComputeAwakeSet's Step 1 passes and agent lookup (compute_awake_set.go), the cases the
broader tests in test_reconcile_awake.py leave open: the base-name agent lookup
(awakeAgentBaseName), explicit wake requests of a suspended template, and the named-session
pass over several named sessions and a dependency-only canonical bead."""

from __future__ import annotations

from datetime import UTC, datetime

from factories import awake_bead

from core.reconcile import awake as A

NOW = datetime(2026, 5, 16, 12, 0, tzinfo=UTC)


def run(beads, agents, named=(), counts=None) -> dict[str, A.AwakeDecision]:
    inp = A.AwakeInput(agents=agents, named=list(named), beads=beads, work=[], scale_counts=counts or {},
                       named_demand={}, named_routed_demand={}, now=NOW)
    return A.compute_awake_set(inp)


def agent(qn: str, suspended: bool = False) -> A.AwakeAgent:
    return A.AwakeAgent(qn, suspended, 0.0, 0)


def decision(d: dict[str, A.AwakeDecision], name: str) -> tuple[bool, str]:
    return d[name].should_wake, d[name].reason


def test_a_bead_under_the_agents_base_name_finds_its_agent():
    """lookupAgent: a template spelled by the agent's base name (`worker` for `rig/worker`) finds
    the agent when no other agent shares that base, so scale demand and a pin wake its beads."""
    beads = [awake_bead(id="gc-1", session_name="w1", template="worker", state="active"),
             awake_bead(id="gc-2", session_name="w2", template="worker", state="asleep", pinned=True)]
    d = run(beads, [agent("rig/worker")], counts={"worker": 1})
    assert decision(d, "w1") == (True, "scaled:demand")
    assert decision(d, "w2") == (True, "pin")


def test_a_base_name_two_agents_share_finds_neither():
    """awakeAgentBaseName duplicates: `worker` is ambiguous between `a/worker` and `b/worker`, so a
    bead spelled so has no agent; the qualified spelling still finds its own."""
    beads = [awake_bead(id="gc-1", session_name="w1", template="worker", pinned=True),
             awake_bead(id="gc-2", session_name="w2", template="b/worker", pinned=True)]
    d = run(beads, [agent("a/worker"), agent("b/worker")])
    assert decision(d, "w1") == (False, "")
    assert decision(d, "w2") == (True, "pin")


def test_an_explicit_wake_needs_a_configured_unsuspended_template():
    """The explicit-wake pass: a wake request wakes a bead whose template is a configured agent
    that is not suspended; a suspended or unknown template is not woken by it."""
    beads = [awake_bead(id="gc-1", session_name="on", template="on", explicit_wake=True),
             awake_bead(id="gc-2", session_name="off", template="off", explicit_wake=True),
             awake_bead(id="gc-3", session_name="gone", template="gone", explicit_wake=True)]
    d = run(beads, [agent("on"), agent("off", suspended=True)])
    assert decision(d, "on") == (True, "explicit-wake")
    assert decision(d, "off") == (False, "")
    assert decision(d, "gone") == (False, "")


def test_an_on_demand_named_session_without_demand_does_not_end_the_named_pass():
    """The named pass skips an on-demand session with no demand and goes on to the next named
    session (TestNamedAlways_AgentNotSuspended's always-on wake, after a quiet on-demand one)."""
    named = [A.AwakeNamed("quiet", "quiet", "on_demand", "quiet"), A.AwakeNamed("mayor", "mayor", "always", "mayor")]
    beads = [awake_bead(id="gc-1", session_name="quiet", template="quiet", named_identity="quiet", configured_named=True),
             awake_bead(id="gc-2", session_name="mayor", template="mayor", named_identity="mayor", configured_named=True,
                        state="asleep")]
    d = run(beads, [agent("quiet"), agent("mayor")], named)
    assert decision(d, "quiet") == (False, "")
    assert decision(d, "mayor") == (True, "named-always")


def test_an_always_named_session_does_not_wake_a_dependency_only_canonical_bead():
    """Named always: the canonical bead is desired unless it is dependency-only (woken only by
    the dependency gate, TestDependencyOnly_NotWokenByDemand's rule for named demand)."""
    named = [A.AwakeNamed("mayor", "mayor", "always", "mayor")]
    beads = [awake_bead(id="gc-1", session_name="mayor", template="mayor", named_identity="mayor",
                        configured_named=True, state="asleep", dependency_only=True)]
    d = run(beads, [agent("mayor")], named)
    assert decision(d, "mayor") == (False, "")
