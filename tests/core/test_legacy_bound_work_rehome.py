"""canonicalizeLegacyBoundAssignedWork over the collected assigned work: open or in-progress work
whose assignee or route is the legacy bound form (`dir/binding.name`) of a now-unbound pool agent
is rewritten onto its canonical identity (`dir/name`), bead by bead, unless a live session still
answers to the legacy assignee."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import Agent, City
from core.desired.context import BuildContext
from core.desired.rehome import rehome_assigned_work
from core.world.beads import WorkBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def test_each_legacy_bead_is_rehomed_on_its_own():
    world = World(T0)
    world.store.create_session({"session_name": "r1/pack.w", "template": "r1/w"}, T0, bead_id="gc-1")
    ctx = BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="w", dir="r1", max_active_sessions=3),
                                                                        Agent(name="v", dir="r1", max_active_sessions=3),
                                                                        Agent(name="z", dir="r1", max_active_sessions=3,
                                                                              suspended=True)]),
                       world, "current", [])
    work = [WorkBead("c-1", status="closed", assignee="r1/pack.w"),
            WorkBead("b-1", status="open", assignee=" "),
            WorkBead("x-1", status="open", assignee="r1/other"),
            WorkBead("z-1", status="open", assignee="r1/kit.z"),           # a suspended pool is no known template
            WorkBead("s-1", status="open", assignee="r1/w"),
            WorkBead("l-1", status="open", assignee="r1/pack.w"),          # a live session answers to it
            WorkBead("a-1", status="in_progress", assignee=" r1/kit.v "),
            WorkBead("r-1", status="open", assignee="r1/v", routed_to="r1/kit.v"),
            WorkBead("o-1", status="open", assignee="r1/kit.v", routed_to="r1/v")]
    for w in work:
        world.store.put_work(w)
    rehome_assigned_work(ctx, work)

    def row(wid: str) -> tuple[str, str]:
        w = world.store.work_bead(wid)
        return w.assignee, w.routed_to

    assert [row(w.id) for w in work] == [
        ("r1/pack.w", ""), (" ", ""), ("r1/other", ""), ("r1/kit.z", ""), ("r1/w", ""), ("r1/pack.w", ""),
        ("r1/v", ""), ("r1/v", "r1/v"), ("r1/v", "r1/v")]


def test_an_unassigned_route_without_a_binding_dot_is_never_rewritten():
    """canonicalizeLegacyBoundUnassignedRoutedWork rewrites only a legacy bound form (a dot in the
    local name): `/w` also resolves to the city agent `w` (the V1 dir/name form) but is left as
    routed, while `pk.w` is rewritten to `w`."""
    world = World(datetime(2026, 5, 4, 12, tzinfo=UTC))
    world.store.put_work(WorkBead("w-1", status="open", routed_to="/w"))
    world.store.put_work(WorkBead("w-2", status="open", routed_to="pk.w"))
    ctx = BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="w", max_active_sessions=3)]),
                       world, "current", [])
    from core.desired.rehome import rehome_unassigned_routed_work

    rehome_unassigned_routed_work(ctx)
    assert [world.store.work_bead(i).routed_to for i in ("w-1", "w-2")] == ["/w", "w"]
