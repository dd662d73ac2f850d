"""The rules orphaned pool work release is built from (pool_session_name.go), each on its own:
directSessionBeadIDCandidates, openSessionOwnsWork, isCanonicalWorkflowRoot and
detachedProbeAllowsOrphanRelease."""

from __future__ import annotations

import immutables
import pytest
from factories import T0, make_city

from core.config.city_config import Agent, NamedSession, Rig
from core.outcome import Outcome
from core.reconcile import orphans
from core.reconcile.context import TickContext
from core.world.beads import SessionBead, WorkBead
from core.world.world import World


@pytest.mark.parametrize(("assignee", "want"), [
    # TestDirectSessionBeadIDCandidates_DerivesModernPoolSessionBeadID: every suffix after a "-"
    ("koolkats__polekitten-th-vb20q", ["koolkats__polekitten-th-vb20q", "th-vb20q", "vb20q"]),
    ("worker-mc-live", ["worker-mc-live", "mc-live", "live"]),
    # TestDirectSessionBeadIDCandidates_SkipsFlagLikeCandidates: no suffix starting with "-"
    ("hello-world--polecat-th-abc12", ["hello-world--polecat-th-abc12", "world--polecat-th-abc12",
                                       "polecat-th-abc12", "th-abc12", "abc12"]),
    ("worker-", ["worker-"]),  # nothing after the last "-"
    ("mayor", ["mayor"]),
])
def test_the_session_bead_ids_an_assignee_could_name(assignee, want):
    assert orphans._direct_candidates(assignee) == want


W_CITY = WorkBead("w-1")
W_RIG = WorkBead("w-2", store="rig-a")


@pytest.mark.parametrize(("refs", "work", "want"), [
    (None, W_CITY, False),  # no open session answers to the assignee
    ({"rig-b"}, W_CITY, True),  # work with no store reference: any answering session
    ({"rig-b"}, W_RIG, False),  # a session of another store
    ({"rig-a"}, W_RIG, True),
    ({orphans.ANY_STORE}, W_RIG, True),  # a city-scope or unresolved agent reaches every store
])
def test_which_open_session_owns_work(refs, work, want):
    """openSessionOwnsWork (store-ref aware)."""
    index = {} if refs is None else {"worker-1": set(refs)}
    assert orphans._owned(index, "worker-1", work) is want


@pytest.mark.parametrize(("md", "want"), [
    ({"gc.kind": "workflow"}, True),
    ({"gc.kind": " workflow "}, True),
    ({"gc.kind": "workflow", "gc.run_target": "worker"}, False),  # a legacy run-target workflow
    ({"gc.kind": "task"}, False),
    ({}, False),
])
def test_a_canonical_workflow_root(md, want):
    """isCanonicalWorkflowRoot."""
    assert orphans._canonical_workflow_root(WorkBead("w-1", metadata=tuple(md.items()))) is want


def probe_ctx(answer: str | None) -> tuple[TickContext, WorkBead]:
    """A tick whose detached probe of spec `tmux:x` answers `answer` (None: no answer given),
    and work w-1 carrying that probe."""
    world = World()
    if answer is not None:
        world.detached_probe = immutables.Map({"tmux:x": answer})
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    return ctx, WorkBead("w-1", metadata=(("gc.detached", " tmux:x "),))


def test_work_without_a_probe_may_be_released_and_its_error_count_is_dropped():
    ctx, _ = probe_ctx(None)
    ctx.mem = ctx.mem.set("detached_probe_errors", "w-1", 2)
    assert orphans._detached_probe_allows_release(ctx, WorkBead("w-1")) == (True, False)
    assert ctx.mem.detached_probe_errors.get("w-1") is None and ctx.out.logs == []


def test_an_alive_probe_keeps_the_claim():
    ctx, w = probe_ctx("alive")
    ctx.mem = ctx.mem.set("detached_probe_errors", "w-1", 2)
    assert orphans._detached_probe_allows_release(ctx, w) == (False, False)
    assert ctx.mem.detached_probe_errors.get("w-1") is None
    assert ctx.out.logs == ["releaseOrphanedPoolAssignments: skipping release: detached probe alive for w-1: tmux:x"]


def test_a_dead_probe_releases_and_clears_the_probe():
    ctx, w = probe_ctx("dead")
    ctx.mem = ctx.mem.set("detached_probe_errors", "w-1", 2)
    assert orphans._detached_probe_allows_release(ctx, w) == (True, True)
    assert ctx.mem.detached_probe_errors.get("w-1") is None
    assert ctx.out.logs == ["releaseOrphanedPoolAssignments: releasing w-1: detached probe dead: tmux:x"]


def test_a_failing_probe_keeps_the_claim_until_its_third_failure():
    """detachedProbeErrorThreshold = 3: failures one and two keep the claim and count; the third
    releases, clears the probe and the count."""
    ctx, w = probe_ctx("error")
    assert orphans._detached_probe_allows_release(ctx, w) == (False, False)
    assert orphans._detached_probe_allows_release(ctx, w) == (False, False)
    assert ctx.mem.detached_probe_errors.get("w-1") == 2
    assert orphans._detached_probe_allows_release(ctx, w) == (True, True)
    assert ctx.mem.detached_probe_errors.get("w-1") is None
    assert ctx.out.logs == [
        "releaseOrphanedPoolAssignments: detached probe error for w-1: probe failed (error 1/3)",
        "releaseOrphanedPoolAssignments: detached probe error for w-1: probe failed (error 2/3)",
        "releaseOrphanedPoolAssignments: releasing w-1: detached probe error after 3 errors: probe failed"]


def test_a_probe_with_no_given_answer_keeps_the_claim_and_counts_nothing():
    ctx, w = probe_ctx(None)
    assert orphans._detached_probe_allows_release(ctx, w) == (False, False)
    assert ctx.mem.detached_probe_errors.get("w-1") is None


# ---------------------------------------------------------------------------- ownership by store


def city_ctx() -> TickContext:
    """Agents `worker` (no rig: the city store), `rig-a/polecat` (rig-a's store) and a city-scope
    `mayor` (every store); mayor is also a configured named session."""
    city = make_city(Agent(name="worker"), Agent(name="polecat", dir="rig-a"), Agent(name="mayor", scope="city"),
                     named=[NamedSession(template="mayor"), NamedSession(template="polecat", dir="rig-a")],
                     rigs=[Rig("rig-a", path="/rigs/a")])
    return TickContext(city, World(), "current", Outcome())


def test_the_store_an_agent_serves():
    """assignedWorkStoreRefForAgent / agentIsCrossStoreEligible."""
    ctx = city_ctx()
    assert [orphans._agent_store(ctx, a) for a in ctx.city.agents] == ["city", "rig-a", orphans.ANY_STORE]


def test_the_owner_index_maps_each_identity_to_the_stores_it_owns_work_in():
    """makeOpenSessionStoreRefIndex: every assignee identity of an open session, with its
    agent's store; a session whose template is unknown reaches every store."""
    ctx = city_ctx()
    beads = [SessionBead("gc-1", T0, {"session_name": "worker-gc-1", "template": "worker"}),
             SessionBead("gc-2", T0, {"session_name": "polecat-gc-2", "template": "rig-a/polecat"}),
             SessionBead("gc-3", T0, {"session_name": "ghost-gc-3", "template": "ghost"})]
    index = orphans._owner_index(ctx, beads)
    assert index["worker-gc-1"] == {"city"} and index["gc-1"] == {"city"}
    assert index["polecat-gc-2"] == {"rig-a"} and index["ghost-gc-3"] == {orphans.ANY_STORE}


@pytest.mark.parametrize(("assignee", "template", "store", "want"), [
    ("mayor", "mayor", "", True),  # a named identity of the work's template keeps its claim
    ("mayor", "mayor", "rig-b", True),  # a city-scope agent reaches every store
    ("mayor", "worker", "", False),  # another template's work
    ("rig-a/polecat", "rig-a/polecat", "rig-a", True),
    ("rig-a/polecat", "rig-a/polecat", "rig-b", False),  # its agent does not reach that store
    ("worker-1", "worker", "", False),  # not a named identity
])
def test_a_named_identity_keeps_work_of_its_template_in_a_store_it_reaches(assignee, template, store, want):
    """assigneePreservesNamedSessionRoute."""
    ctx = city_ctx()
    assert orphans._named_route(ctx, assignee, template, WorkBead("w-1", store=store)) is want


def test_a_live_session_answering_to_the_assignee_keeps_the_claim():
    """liveOpenSessionAssignmentExists: a session bead fetched by an id suffix of the assignee
    (directSessionBeadIDCandidates) that is open and answers to it; or one labelled gc:session."""
    ctx = city_ctx()
    ctx.store.put_session(SessionBead("th-vb20q", T0, {"session_name": "worker-th-vb20q", "template": "worker"}))
    assert orphans._live_session_answers(ctx, [], "worker-th-vb20q") is True
    assert orphans._live_session_answers(ctx, [], "other-th-vb20q") is False  # found, but not its identity
    ctx.store.put_session(SessionBead("gc-9", T0, {"session_name": "w-gc-9"}, open=False))
    assert orphans._live_session_answers(ctx, [], "w-gc-9") is False  # it answers, but is closed
    labelled = SessionBead("gc-5", T0, {"session_name": "w-five"}, labels=frozenset({"gc:session"}))
    unlabelled = SessionBead("gc-6", T0, {"session_name": "w-six"})
    assert orphans._live_session_answers(ctx, [labelled, unlabelled], "w-five") is True
    assert orphans._live_session_answers(ctx, [labelled, unlabelled], "w-six") is False
