"""The demand snapshot's PoolDesiredCounts: partial-read retention (retainScaleCheckPartialPoolDesired
with scaleCheckPartialSessionRetainableInfo) and the named-demand merge (mergeNamedSessionDemand)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import session_bead

from core.config.city_config import Agent, City, NamedSession
from core.desired.context import BuildContext
from core.reconcile.demand_snapshot import merge_named_demand, retain_partial
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def ctx_with(*beads: SessionBead, agents=None, named=()) -> BuildContext:
    city = City(root="/tmp", path="/tmp/city.toml", agents=agents or [Agent(name="worker", max_active_sessions=3)],
                named_sessions=list(named))
    world = World(T0)
    for b in beads:
        world.store.put_session(b)
    return BuildContext(city, world, "current", [])


def bead(bid: str, **md: str) -> SessionBead:
    base = {"template": "worker", "session_name": f"worker-{bid}", "pool_managed": "true"}
    base.update(md)
    return session_bead(bid, T0, **{k: v for k, v in base.items() if v})


@pytest.mark.parametrize("md, kept", [
    ({"state": "active"}, 1),
    ({"state": "awake"}, 1),
    ({"state": " awake "}, 1),  # the raw state metadata, trimmed
    ({"state": "asleep"}, 0),  # preserved in desired state, but not counted as awake demand
    ({"state": "creating"}, 0),  # a stale create without its claim does not inflate the count
    ({"state": "start-pending", "pending_create_claim": "true"}, 1),  # a fresh in-flight create does
    ({"state": "draining"}, 0),
    ({"state": "awake", "pool_managed": "", "session_origin": "manual"}, 0),  # not pool-managed
])
def test_partial_read_retains_only_retainable_pool_sessions(md, kept):
    ctx = ctx_with(bead("gc-1", **md))
    assert retain_partial(ctx, {}, {"worker"}).get("worker", 0) == kept


def test_retention_only_raises_and_only_for_partial_templates():
    ctx = ctx_with(bead("gc-1", state="awake"), bead("gc-2", state="active"))
    assert retain_partial(ctx, {"worker": 5}, {"worker"}) == {"worker": 5}
    assert retain_partial(ctx, {"worker": 1}, {"worker"}) == {"worker": 2}
    assert retain_partial(ctx, {"worker": 0}, set()) == {"worker": 0}
    assert retain_partial(ctx, {}, {"other"}) == {}


def test_retention_normalizes_a_legacy_bound_template():
    agents = [Agent(name="worker", dir="rig", max_active_sessions=3)]
    ctx = ctx_with(bead("gc-1", state="awake", template="rig/gc.worker"), agents=agents)
    assert retain_partial(ctx, {}, {"rig/worker"}) == {"rig/worker": 1}


def test_named_demand_raises_the_backing_template_to_one():
    agents = [Agent(name="mayor", max_active_sessions=1), Agent(name="worker", max_active_sessions=3)]
    ctx = ctx_with(agents=agents, named=[NamedSession(template="mayor", mode="on_demand")])
    assert merge_named_demand(ctx, {}, {"mayor": True}) == {"mayor": 1}
    assert merge_named_demand(ctx, {"mayor": 2}, {"mayor": True}) == {"mayor": 2}
    assert merge_named_demand(ctx, {}, {"mayor": False, "ghost": True}) == {}
