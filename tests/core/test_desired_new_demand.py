"""New demand in computePoolDesiredStates (cmd/gc/pool_desired_state.go): each template's
scale-check count becomes that many `new` requests, the first carrying the remembered demand work
beads as triggers (with the work's store and fork parent), the rest anonymous; a suspended or
alias-held template is skipped without hiding the templates after it."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import Agent, City
from core.desired.context import BuildContext
from core.desired.demand import Demand, compute_requests
from core.world.beads import WorkBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def ctx_for(*agents: Agent) -> BuildContext:
    return BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=list(agents)), World(T0), "current", [])


def test_a_suspended_or_alias_held_template_does_not_hide_the_next_ones():
    """Go's loop `continue`s past a suspended agent and an alias-held template
    (TestBuildDesiredState_NamedAliasHolderSuppressesPoolStandby); later templates keep their demand."""
    ctx = ctx_for(Agent(name="asleep", suspended=True, max_active_sessions=3),
                  Agent(name="held", max_active_sessions=3), Agent(name="absent", max_active_sessions=3),
                  Agent(name="worker", max_active_sessions=3))
    ctx.result.scale_check_counts.update({"asleep": 2, "held": 2, "worker": 2})
    ctx.result.alias_held = {"held": "gc-1"}
    reqs = compute_requests(ctx, Demand())
    assert sorted(reqs) == ["worker"]
    assert [(r.tier, r.work_bead_id) for r in reqs["worker"]] == [("new", ""), ("new", "")]
    assert ctx.result.pool_requests == {"worker": 2}


def test_new_requests_take_the_remembered_work_as_triggers_then_go_anonymous():
    """The first new requests name the demand's work beads in order, with the work's store (rig or
    city) and its gc.brain_parent_sid trimmed; the requests past the remembered work name none."""
    ctx = ctx_for(Agent(name="worker", max_active_sessions=5))
    ctx.store.put_work(WorkBead("w-1", routed_to="worker", store=" rig1 ",
                                metadata=(("gc.brain_parent_sid", " s-9 "),)))
    ctx.store.put_work(WorkBead("w-2", routed_to="worker"))
    ctx.result.scale_check_counts["worker"] = 3
    demand = Demand()
    demand.triggers["worker"] = ["w-1", "w-2"]
    reqs = compute_requests(ctx, demand)["worker"]
    assert [(r.work_bead_id, r.work_store_ref, r.brain_parent_sid) for r in reqs] == [
        ("w-1", "rig1", "s-9"), ("w-2", "", ""), ("", "", "")]
