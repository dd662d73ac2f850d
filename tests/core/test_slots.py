"""Slot resolution and claims (catalog E1-E5): which slot a bead holds, and what a request may
claim across a capacity shrink."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import session_bead

from core.config.city_config import Agent, City
from core.desired.context import BuildContext
from core.desired.slots import (
    above_capacity_slot,
    claim_preferred,
    claim_slot,
    existing_slot,
    lowest_free,
)
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def ctx_with(*agents: Agent) -> BuildContext:
    return BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=list(agents)), World(T0), "current", [])


def polecat(names: tuple[str, ...] = ("furiosa", "nux"), max_: int = 1) -> Agent:
    return Agent(name="polecat", dir="repo", binding="gastown", namepool_names=names, min_active_sessions=0,
                 max_active_sessions=max_)


def bead(**md: str) -> SessionBead:
    return session_bead("b1", T0, **md)


TPL = "repo/gastown.polecat"


@pytest.mark.parametrize("md, above, claimed", [
    ({"template": TPL, "pool_slot": "2"}, 0, 1),
    ({"template": TPL, "pool_slot": "3", "agent_name": "repo/gastown.legacy-third-name",
      "alias": "repo/gastown.legacy-third-name"}, 0, 1),
    ({"template": TPL, "pool_slot": "1", "agent_name": "repo/gastown.nux", "alias": "repo/gastown.furiosa"}, 2, 2),
], ids=["identity-less", "removed-namepool-name", "stale-lower-slot"])
def test_preferred_slot_above_capacity_guards(md, above, claimed):
    ctx = ctx_with(polecat())
    a = ctx.agent(TPL)
    b = bead(**md)
    assert above_capacity_slot(ctx, a, b) == above
    used: set[int] = set()
    assert claim_preferred(ctx, a, b, True, used) == claimed
    assert used == {claimed}


def test_canonical_singleton_never_claims_a_slot():
    ctx = ctx_with(Agent(name="refinery", dir="repo", min_active_sessions=0, max_active_sessions=1))
    a = ctx.agent("repo/refinery")
    used: set[int] = set()
    b = bead(template="repo/refinery", agent_name="repo/refinery", pool_slot="1")
    assert claim_preferred(ctx, a, b, True, used) == 0
    assert existing_slot(ctx, a, b) == 0
    assert used == set()


def test_two_assigned_sessions_keep_their_slots_across_a_shrink():
    ctx = ctx_with(polecat(("furiosa", "nux", "rictus")))
    a = ctx.agent(TPL)
    used: set[int] = set()
    nux = bead(template=TPL, agent_name="repo/gastown.nux", alias="repo/gastown.nux", pool_slot="2")
    rictus = bead(template=TPL, agent_name="repo/gastown.rictus", alias="repo/gastown.rictus", pool_slot="3")
    assert claim_preferred(ctx, a, nux, True, used) == 2
    assert claim_preferred(ctx, a, rictus, True, used) == 3
    assert used == {2, 3}


def test_in_flight_new_is_bounded_back_into_capacity():
    ctx = ctx_with(polecat())
    a = ctx.agent(TPL)
    used: set[int] = set()
    nux = bead(template=TPL, agent_name="repo/gastown.nux", alias="repo/gastown.nux", pool_slot="2", state="creating")
    assert claim_preferred(ctx, a, nux, False, used) == 1
    assert used == {1}


def test_concrete_agent_slot_beats_stale_pool_metadata():
    ctx = ctx_with(Agent(name="worker", dir="frontend", max_active_sessions=10),
                   Agent(name="worker", dir="backend", max_active_sessions=10))
    a = ctx.agent("frontend/worker")
    b = bead(template="frontend/worker", agent_name="frontend/worker-3", alias="backend/worker-4", pool_slot="4")
    assert existing_slot(ctx, a, b) == 3


def test_duplicate_concrete_slot_is_refused():
    ctx = ctx_with(Agent(name="kimi", min_active_sessions=0, max_active_sessions=20))
    a = ctx.agent("kimi")
    b = bead(template="kimi", agent_name="kimi-9", alias="kimi-15", pool_slot="9")
    assert claim_preferred(ctx, a, b, False, {9}) == 0


def test_unbounded_pool_keeps_any_stamped_slot():
    ctx = ctx_with(Agent(name="dog", dir="gascity"))
    a = ctx.agent("gascity/dog")
    assert existing_slot(ctx, a, bead(template="gascity/dog", pool_slot="42")) == 42
    assert existing_slot(ctx, a, bead(template="gascity/dog", agent_name="gascity/dog-7")) == 7


def test_claims_take_the_lowest_free_slot():
    used = {1, 2, 4}
    assert lowest_free(used) == 3
    assert claim_slot(0, used) == 3 and 3 in used
    assert claim_slot(2, used) == 0


# ---------------------------------------------------------------- every rule, one case each (no config
# context unless stated: the stored template is then taken to match)

W3 = Agent(name="w", max_active_sessions=3)
FREE = Agent(name="w")
ZERO = Agent(name="w", max_active_sessions=0, scale_check="printf 1")
SOLO = Agent(name="w", max_active_sessions=1)
CREW = Agent(name="w", max_active_sessions=2, namepool_names=("a", "b", "c"))


@pytest.mark.parametrize("agent, md, want", [
    (W3, {"pool_slot": "2", "agent_name": "w-3"}, 3),          # a concrete agent_name slot beats pool_slot
    (W3, {"pool_slot": "2", "agent_name": "w-2"}, 2),
    (W3, {"pool_slot": "2", "agent_name": "w-9"}, 2),          # unusable agent_name slot: pool_slot stands
    (W3, {"pool_slot": "5", "alias": "w-1"}, 1),               # out of bounds: the first usable identity slot
    (W3, {"pool_slot": "5", "session_name": "w-2"}, 2),
    (W3, {"pool_slot": "5"}, 0),                               # bounded and nothing usable: no slot
    (FREE, {"pool_slot": "5"}, 5),                             # unbounded: any positive slot stands
    (W3, {"pool_slot": "1"}, 1),                               # slot 1 is a pool_slot like any other
    (W3, {"agent_name": "w-9", "alias": "w-2"}, 2),
    (W3, {"agent_name": "w-9"}, 0),
    (FREE, {"agent_name": "w-9"}, 9),
    (W3, {"session_name": "w-3"}, 3),                          # no alias: the session name is read
    (W3, {"session_name": "w-3", "alias": "x"}, 0),            # an alias stops the session-name read
    (W3, {"session_name": "w-b1"}, 0),                         # a pool session name of its own bead id is not a slot
    (SOLO, {"pool_slot": "1", "agent_name": "w-1"}, 0),        # a canonical singleton never holds a slot
    (W3, {"pool_slot": "2", "agent_name": "w-1"}, 1),          # slot 1 is a concrete slot like any other
    (W3, {"agent_name": "w-2"}, 2),                            # no pool_slot: a usable agent_name slot
    (W3, {"alias": "w-9"}, 0),                                 # bounded: an unusable alias slot is no slot
    (W3, {"session_name": "w-9"}, 0),                          # nor an unusable session-name slot
    (FREE, {"session_name": "w-12"}, 12),
])
def test_existing_slot_rules(agent, md, want):
    assert existing_slot(None, agent, bead(**md)) == want


def test_existing_slot_reads_the_context_semantics_and_stored_template():
    pre = BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=[SOLO]), World(T0), "pre-1989", [])
    assert existing_slot(pre, SOLO, bead(template="w", pool_slot="1", agent_name="w-1")) == 1
    ctx = ctx_with(W3)
    assert existing_slot(ctx, W3, bead(template="other", pool_slot="2")) == 0  # not this template's identity
    assert existing_slot(ctx, W3, bead(template="other", pool_slot="2", alias="w-3")) == 2
    assert existing_slot(ctx, W3, bead(template="w", pool_slot="2")) == 2


@pytest.mark.parametrize("agent, md, want", [
    (W3, {"agent_name": "w-5"}, 5),
    (W3, {"agent_name": "w-3"}, 0),                            # at max: not above capacity
    (W3, {"alias": "w-4"}, 4),
    (W3, {"session_name": "w-4"}, 4),
    (W3, {"session_name": "w-4", "alias": "x"}, 0),
    (FREE, {"agent_name": "w-5"}, 0),                          # no max: nothing is above it
    (ZERO, {"agent_name": "w-5"}, 0),
    (SOLO, {"agent_name": "w-2"}, 0),                          # canonical singleton
    (CREW, {"agent_name": "c"}, 3),                            # above max, within the namepool
    (CREW, {"agent_name": "w-4"}, 0),                          # beyond the namepool
])
def test_above_capacity_slot_rules(agent, md, want):
    assert above_capacity_slot(None, agent, bead(**md)) == want


def test_above_capacity_slot_with_a_context():
    pre = BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=[SOLO]), World(T0), "pre-2053", [])
    assert above_capacity_slot(pre, SOLO, bead(template="w", agent_name="w-2")) == 2
    assert above_capacity_slot(ctx_with(W3), W3, bead(template="other", agent_name="w-5")) == 0
    assert above_capacity_slot(ctx_with(W3), W3, bead(template="w", agent_name="w-5")) == 5


def test_bare_numbered_names_count_for_a_rig_agent():
    """allow_local: a bare `<name>-N` reads as slot N of a rig agent (the stored template matched)."""
    from core.desired.slots import raw_existing_slot

    rig_w = Agent(name="w", dir="rig", max_active_sessions=3)
    assert above_capacity_slot(None, rig_w, bead(agent_name="w-5")) == 5
    assert above_capacity_slot(None, rig_w, bead(alias="w-6")) == 6
    assert above_capacity_slot(None, rig_w, bead(session_name="w-7")) == 7
    assert raw_existing_slot(rig_w, bead(agent_name="w-2")) == 2
    assert raw_existing_slot(rig_w, bead(alias="w-3")) == 3
    assert raw_existing_slot(rig_w, bead(pool_slot="1", agent_name="w-2")) == 1   # pool_slot first
    assert raw_existing_slot(rig_w, bead(session_name="w-3")) == 3
    assert raw_existing_slot(rig_w, bead(session_name="w-3", alias="x")) == 0
    assert raw_existing_slot(rig_w, bead(session_name="w-b1")) == 0              # its own pool session name
    assert raw_existing_slot(SOLO, bead(pool_slot="1", agent_name="w-1")) == 0
    assert raw_existing_slot(SOLO, bead(pool_slot="1", agent_name="w-1"), "pre-2053") == 1


def test_a_rig_agent_without_a_binding_reads_bare_numbered_names_as_its_slots():
    """existingPoolSlotWithConfigInfo: with no config (the stored template taken to match) a bare
    `<name>-N` agent_name, alias or session name is slot N of a rig agent; with a config whose
    template does not match, only the qualified spellings count."""
    rig_w = Agent(name="w", dir="rig", max_active_sessions=3)
    assert existing_slot(None, rig_w, bead(agent_name="w-2")) == 2
    assert existing_slot(None, rig_w, bead(alias="w-3")) == 3
    assert existing_slot(None, rig_w, bead(session_name="w-3")) == 3
    ctx = ctx_with(rig_w)
    assert existing_slot(ctx, rig_w, bead(template="rig/w", session_name="w-3")) == 3
    assert existing_slot(ctx, rig_w, bead(template="other", agent_name="w-2")) == 0
    assert existing_slot(ctx, rig_w, bead(template="other", agent_name="rig/w-2")) == 2


def test_a_pool_session_name_of_the_beads_own_id_is_not_read_as_a_slot():
    """infoOwnsPoolSessionName: `<template>-<bead id>` names the bead, not a slot, even when the id
    is all digits."""
    assert existing_slot(None, FREE, SessionBead("12", T0, {"template": "w", "session_name": "w-12"})) == 0
    assert existing_slot(None, FREE, SessionBead("13", T0, {"template": "w", "session_name": "w-12"})) == 12


def test_a_bead_without_a_stored_template_does_not_match_under_a_config():
    """storedTemplateMatchesPoolTemplate: an empty stored template matches nothing, so a bare
    pool_slot with no identity is not this template's slot."""
    ctx = ctx_with(W3)
    assert existing_slot(ctx, W3, bead(pool_slot="2")) == 0
    assert existing_slot(ctx, W3, bead(common_name="w", pool_slot="2")) == 2   # legacy beads keep it in common_name


def test_claims_read_the_slot_through_the_config_context():
    """claimDesiredPoolSlotInfo and claimPreferredPoolSlotWithConfigInfo pass the config on: a bead
    of another template keeps neither its pool_slot nor an above-capacity identity slot."""
    from core.desired.slots import claim_for_bead

    ctx = ctx_with(W3)
    other = bead(template="other", pool_slot="2")
    used: set[int] = set()
    assert claim_for_bead(ctx, W3, other, used) == 1 and used == {1}
    used = set()
    assert claim_preferred(ctx, W3, other, False, used) == 1 and used == {1}
    used = set()
    assert claim_preferred(ctx, W3, bead(template="other", agent_name="w-5"), True, used) == 1
    assert claim_preferred(ctx, W3, bead(template="w", agent_name="w-5"), True, set()) == 5


def test_a_preserved_slot_already_claimed_gets_no_slot():
    ctx = ctx_with(polecat())
    a = ctx.agent(TPL)
    used = {2}
    assert claim_preferred(ctx, a, bead(template=TPL, agent_name="repo/gastown.nux"), True, used) == 0
    assert used == {2}


def test_claim_slot_refuses_slot_one_when_it_is_taken():
    used = {1}
    assert claim_slot(1, used) == 0 and used == {1}
    assert claim_slot(1, set()) == 1


def test_a_legacy_unqualified_stored_template_matches_its_rig_pool():
    """storedTemplateMatchesPoolTemplate: a stored `w` names no agent, but resolves (as a legacy
    pool template) to the one expanding agent whose local name is `w`, so the bead's bare `w-3`
    identity is that rig pool's slot 3; with two such agents it matches neither."""
    rig_w = Agent(name="w", dir="rig", max_active_sessions=5)
    legacy = bead(template="w", agent_name="w-3")
    assert existing_slot(ctx_with(rig_w), rig_w, legacy) == 3
    assert existing_slot(ctx_with(rig_w, Agent(name="w", dir="other", max_active_sessions=5)), rig_w, legacy) == 0
