"""Slot resolution and claims (catalog E1-E5): which slot a bead holds, and what a request may
claim across a capacity shrink."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.config.model import Agent, City
from core.desired.context import BuildContext
from core.desired.slots import above_capacity_slot, claim_preferred, claim_slot, existing_slot, lowest_free
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=timezone.utc)


def ctx_with(*agents: Agent) -> BuildContext:
    return BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=list(agents)), World(T0), "current", [])


def polecat(names: tuple[str, ...] = ("furiosa", "nux"), max_: int = 1) -> Agent:
    return Agent(name="polecat", dir="repo", binding="gastown", namepool_names=names, min_active_sessions=0,
                 max_active_sessions=max_)


def bead(**md: str) -> SessionBead:
    return SessionBead("b1", T0, md)


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
