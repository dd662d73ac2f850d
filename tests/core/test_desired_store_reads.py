"""What the build reads of the work stores: which stores are visible (suspended rigs, read
faults, a partial read's first half by id) and which unassigned in-progress work is collected for
its release (isRecoverableUnassignedInProgressPoolWork)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.config.city_config import Agent, City, Rig
from core.desired.context import BuildContext
from core.desired.demand import _recoverable_unassigned
from core.world.beads import WorkBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def ctx_of(*agents: Agent, rigs=(), work=()) -> BuildContext:
    city = City(root="/c", path="/c/city.toml", agents=list(agents), rigs=list(rigs))
    world = World(T0)
    for w in work:
        world.store.put_work(w)
    return BuildContext(city, world, "current", [])


def test_a_suspended_rigs_store_is_not_read_and_every_other_store_is():
    ctx = ctx_of(rigs=[Rig(name="alpha", path="alpha", suspended=True), Rig(name="beta", path="beta")])
    assert not ctx.work_visible(WorkBead(id="w", store="alpha"))
    assert ctx.work_visible(WorkBead(id="w", store="beta")) and ctx.work_visible(WorkBead(id="w"))
    assert not ctx.result.store_query_partial


def test_a_failing_store_shows_nothing_and_marks_the_build_partial():
    ctx = ctx_of()
    ctx.store.read_faults["beta"] = ("error", 1, "")
    assert not ctx.work_visible(WorkBead(id="w", store="beta"))
    assert ctx.result.store_query_partial
    assert ctx_of().work_visible(WorkBead(id="w", store="beta"))


def test_a_partial_read_shows_the_first_half_of_that_stores_open_work_by_natural_id():
    work = [WorkBead(id=f"w-{n}", status="open") for n in (10, 2, 1, 3, 9)] + \
        [WorkBead(id="r-1", status="open", store="beta")]
    ctx = ctx_of(work=work)
    ctx.store.read_faults["city"] = ("partial", 1, "")
    seen = {w.id for w in work if ctx.work_visible(w)}
    assert seen == {"w-1", "w-2", "w-3", "r-1"} and ctx.result.store_query_partial
    one = ctx_of(work=[WorkBead(id="w-1", status="open")])
    one.store.read_faults["city"] = ("partial", 1, "")
    assert one.work_visible(WorkBead(id="w-1"))


POOL = Agent(name="worker", max_active_sessions=3)
OFF = Agent(name="retired", max_active_sessions=0)


@pytest.mark.parametrize("w, want", [
    (WorkBead(id="w", status="in_progress", routed_to="worker"), True),
    (WorkBead(id="w", status="in_progress"), False),
    (WorkBead(id="w", status="in_progress", routed_to="nobody"), False),
    (WorkBead(id="w", status="in_progress", routed_to="retired"), False),
    (WorkBead(id="w", status="in_progress", routed_to="worker", metadata=(("gc.kind", "workflow"),)), False),
    (WorkBead(id="w", status="in_progress", routed_to="worker", metadata=(("gc.kind", " workflow "),)), False),
    (WorkBead(id="w", status="in_progress", metadata=(("gc.kind", "workflow"), ("gc.run_target", "worker"))), True),
    (WorkBead(id="w", status="in_progress", routed_to="worker",
              metadata=(("gc.kind", "workflow"), ("gc.run_target", " "))), False),
])
def test_recoverable_unassigned_in_progress_pool_work(w, want):
    assert _recoverable_unassigned(ctx_of(POOL, OFF), w) is want
