"""Which bead holds a configured named session and which one blocks it (NamedSessionContinuityEligible,
NamedSessionBeadMatchesSpec, FindCanonicalNamedSessionInfo, FindNamedSessionConflictInfo)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.config.city_config import City
from core.desired.context import BuildContext
from core.desired.named import (
    canonical_named_bead,
    continuity_eligible,
    matches_spec,
    named_conflict,
)
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)
NAMED = {"configured_named_session": "true", "configured_named_identity": "rig/boss"}


@pytest.mark.parametrize("md, want", [
    ({}, True), ({"state": "awake"}, True), ({"state": " asleep "}, True),
    ({"state": "closing"}, False), ({"state": "closed"}, False), ({"state": "failed-create"}, False),
    ({"state": "archived"}, False), ({"state": "archived", "continuity_eligible": "true"}, True),
    ({"state": "awake", "continuity_eligible": " false "}, False), ({"continuity_eligible": "true"}, True),
])
def test_continuity_eligible(md, want):
    assert continuity_eligible(SessionBead("b", T0, md)) is want


@pytest.mark.parametrize("md, want", [
    (NAMED, True),
    ({**NAMED, "configured_named_identity": "rig/other"}, False),
    ({"configured_named_identity": "rig/boss"}, False),     # the identity without the named flag
    ({"template": "rig/worker"}, True), ({"template": " rig/worker/ "}, True), ({"agent_name": "rig/worker/"}, True),
    ({"template": "rig/work"}, False), ({}, False),
    ({"template": "rig/worker//"}, False), ({"agent_name": "rig/worker//"}, False),   # one slash is trimmed
])
def test_matches_spec(md, want):
    assert matches_spec(SessionBead("b", T0, md), "rig/boss", "rig/worker") is want


def ctx_with(*beads: tuple[str, dict]) -> BuildContext:
    w = World(T0)
    for i, (bid, md) in enumerate(beads):
        w.store.create_session(md, T0 + timedelta(seconds=i), bead_id=bid)
    return BuildContext(City(root="/tmp", path="/tmp/city.toml"), w, "current", [])


def test_the_canonical_named_bead_is_the_eligible_named_bead_then_the_earliest_matching_holder():
    ctx = ctx_with(("old", {**NAMED, "state": "closing"}), ("live", {**NAMED, "session_name": "x"}))
    assert canonical_named_bead(ctx, "rig/boss", "rig--boss", "rig/worker").id == "live"
    ctx = ctx_with(("a", {"session_name": "rig/boss", "template": "rig/other"}),
                   ("b", {"session_name": "rig--boss", "template": "rig/worker", "state": "failed-create"}),
                   ("c", {"session_name": "rig--boss", "template": "rig/worker"}),
                   ("d", {"session_name": "rig/boss", "agent_name": "rig/worker"}))
    assert canonical_named_bead(ctx, "rig/boss", "rig--boss", "rig/worker").id == "c"
    assert canonical_named_bead(ctx_with(("z", {"session_name": "elsewhere", "template": "rig/worker"})),
                                "rig/boss", "rig--boss", "rig/worker") is None
    # a named bead whose recorded identity carries blanks is missed by the exact identity query,
    # found by its runtime name, and matches the spec by its trimmed identity (not by template)
    padded = ctx_with(("p", {**NAMED, "configured_named_identity": "rig/boss ", "session_name": "rig--boss",
                             "template": "rig/legacy"}))
    assert canonical_named_bead(padded, "rig/boss", "rig--boss", "rig/worker").id == "p"


def test_a_conflict_holds_the_runtime_name_off_spec_or_the_identity_as_alias():
    spec = ("rig/boss", "rig--boss", "rig/worker")
    assert named_conflict(ctx_with(("own", {**NAMED, "session_name": "rig--boss", "template": "x"})), *spec) is None
    assert named_conflict(ctx_with(("fits", {"session_name": "rig--boss", "template": "rig/worker"})), *spec) is None
    assert named_conflict(ctx_with(("off", {"session_name": "rig--boss", "template": "rig/x"})), *spec).id == "off"
    assert named_conflict(ctx_with(("al", {"session_name": "s", "alias": "rig/boss"})), *spec).id == "al"
    assert named_conflict(ctx_with(("fits2", {"session_name": "rig--boss", "template": "rig/worker",
                                              "alias": "rig/boss"})), *spec) is None
    both = ctx_with(("first", {"session_name": "q", "alias": "rig/boss"}),
                    ("second", {"session_name": "rig--boss", "template": "rig/x"}))
    assert named_conflict(both, *spec).id == "first"


def test_every_candidate_is_checked_until_a_conflict_is_found():
    """FindNamedSessionConflictInfo goes on past the identity's own named bead and past a holder
    that fits the spec; the identity's own named bead never conflicts, even holding the alias."""
    spec = ("rig/boss", "rig--boss", "rig/worker")
    own_alias = ctx_with(("own", {**NAMED, "session_name": "rig--boss-old", "alias": "rig/boss"}))
    assert named_conflict(own_alias, *spec) is None
    after_own = ctx_with(("own", {**NAMED, "session_name": "rig--boss"}),
                         ("off", {"session_name": "q", "alias": "rig/boss"}))
    assert named_conflict(after_own, *spec).id == "off"
    after_fit = ctx_with(("fits", {"session_name": "rig--boss", "template": "rig/worker"}),
                         ("off", {"session_name": "q", "alias": "rig/boss"}))
    assert named_conflict(after_fit, *spec).id == "off"


def test_before_1989_the_pool_takes_the_canonical_bead_only_as_a_pool_entry_of_that_bead():
    from core.desired.entries import DesiredEntry
    from core.desired.named import pool_took_canonical

    canonical = SessionBead("c", T0, {**NAMED, "session_name": "rig--boss"})

    def took(entry, semantics="pre-1989"):
        ctx = ctx_with()
        ctx.semantics = semantics
        if entry is not None:
            ctx.result.entries["rig--boss"] = entry
        return pool_took_canonical(ctx, "rig/boss", canonical, "rig--boss")

    pool = DesiredEntry("rig--boss", "rig/worker", "rig/worker-1", "rig/worker-1", 1, "resume", bead_id="c")
    assert took(pool) is True
    assert took(pool, "current") is False
    assert took(None) is False
    assert took(DesiredEntry("rig--boss", "rig/worker", "rig/worker-1", "rig/worker-1", 1, "resume", bead_id="x")) \
        is False                                                                     # another bead's entry
    assert took(DesiredEntry("rig--boss", "rig/worker", "rig/boss", "rig/boss", 0, "named", bead_id="c",
                             named_identity="rig/boss")) is False                    # already the named entry


def test_direct_named_demand_is_ready_work_assigned_to_the_identity_in_a_store_it_reaches():
    from core.config.city_config import Agent, NamedSession, Rig
    from core.desired.named import named_work_ready
    from core.desired.reach import work_reachable
    from core.world.beads import WorkBead

    worker = Agent(name="worker", dir="alpha", max_active_sessions=1)
    city = City(root="/tmp", path="/tmp/city.toml", agents=[worker], rigs=[Rig(name="alpha", path="alpha"),
                                                                         Rig(name="beta", path="beta", suspended=True)],
                named_sessions=[NamedSession(template="worker", dir="alpha", name="boss")])

    def ready(*work: WorkBead, gate: set[str] = frozenset()) -> bool:
        w = World(T0)
        for x in work:
            w.store.put_work(x)
        return named_work_ready(BuildContext(city, w, "current", []), "alpha/boss", set(gate))

    assert ready(WorkBead("w1", status="in_progress", assignee="alpha/boss"))
    assert ready(WorkBead("w1", status="open", assignee="alpha/boss"), gate={"w1"})
    assert not ready(WorkBead("w1", status="open", assignee="alpha/boss"))           # not through the ready gate
    assert not ready(WorkBead("w1", status="closed", assignee="alpha/boss"), gate={"w1"})
    assert not ready(WorkBead("w1", status="in_progress", routed_to="alpha/boss"))   # routing is not assignment
    assert not ready(WorkBead("w1", status="in_progress", assignee="alpha/boss", store="city"))  # another store
    assert ready(WorkBead("w1", status="in_progress", assignee="alpha/boss", store="alpha"))
    assert not ready(WorkBead("w1", status="in_progress", assignee="alpha/boss", store="beta"))  # suspended rig
    ctx = BuildContext(city, World(T0), "current", [])
    assert work_reachable(ctx, Agent(name="x", scope="city"), WorkBead("w", store="beta"))
    assert work_reachable(ctx, Agent(name="x"), WorkBead("w", store="city"))
    assert not work_reachable(ctx, Agent(name="x"), WorkBead("w", store="alpha"))


def test_a_named_session_the_pool_took_skips_only_itself(monkeypatch):
    # buildDesiredState's named loop moves on to the next [[named_session]] after one whose
    # canonical bead the pre-#1989 pool pass already realized: the others are still desired
    from core.config.city_config import Agent, NamedSession
    from core.desired import named

    city = City(root="/tmp", path="/tmp/city.toml",
                agents=[Agent(name="boss", max_active_sessions=1), Agent(name="mayor", max_active_sessions=1)],
                named_sessions=[NamedSession(template="boss", mode="always"),
                                NamedSession(template="mayor", mode="always")])
    ctx = BuildContext(city, World(T0), "pre-1989", [])
    monkeypatch.setattr(named, "pool_took_canonical", lambda ctx, identity, canonical, key: identity == "boss")
    named.build_named(ctx, set())
    assert [(e.named_identity, e.source) for e in ctx.result.entries.values()] == [("mayor", "named-always")]
