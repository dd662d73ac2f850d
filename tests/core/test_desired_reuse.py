"""Which open bead a pool request reuses (selectOrPlanPoolSessionBead's reuse branches): a
canonical singleton first takes a bead that already carries its bare identity, has a session
name and is not a stale numbered leftover; otherwise the earliest reusable bead, skipping one
whose slot is already claimed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.config.city_config import Agent, City
from core.desired.context import BuildContext
from core.desired.entries import Request
from core.desired.realize import _reuse_open_bead
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 7, 19, 12, tzinfo=UTC)
MAYOR = Agent(name="mayor", dir="town", max_active_sessions=1)
POOL = Agent(name="db", dir="town", max_active_sessions=3)


def _ctx(agent: Agent, *beads: tuple[str, dict[str, str]]) -> BuildContext:
    world = World(T0)
    for i, (bid, md) in enumerate(beads):
        world.store.put_session(SessionBead(bid, T0 + timedelta(seconds=i), {
            "template": agent.qualified_name, "pool_managed": "true", "state": "active", **md}))
    return BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=[agent]), world, "current", [])


def test_a_stale_bead_carrying_the_bare_identity_is_not_the_canonical_pick():
    """gc-2 has the bare alias but also a pool_slot (a numbered leftover): neither bead is the
    canonical pick, so the earliest reusable one, gc-1, is reused and collapsed."""
    ctx = _ctx(MAYOR, ("gc-1", {"session_name": "s-1", "pool_slot": "2"}),
               ("gc-2", {"session_name": "s-2", "alias": "town/mayor", "pool_slot": "1"}))
    item = _reuse_open_bead(ctx, MAYOR, Request("town/mayor", "new"), set(), set(), set())
    assert item is not None and item.bead is not None and item.bead.id == "gc-1"
    assert ("slot.canonical", "earliest reusable bead, collapsed onto the canonical identity") in [
        (w.rule, w.detail) for w in item.why]


def test_the_bead_already_carrying_the_canonical_identity_is_reused_first():
    ctx = _ctx(MAYOR, ("gc-1", {"session_name": "s-1"}),
               ("gc-2", {"session_name": "s-2", "agent_name": "town/mayor"}))
    item = _reuse_open_bead(ctx, MAYOR, Request("town/mayor", "new"), set(), set(), set())
    assert item is not None and item.bead is not None and item.bead.id == "gc-2" and item.slot == 0
    assert ("slot.canonical", "reused the bead that already carries the canonical identity") in [
        (w.rule, w.detail) for w in item.why]


def test_a_bead_whose_slot_is_already_claimed_is_passed_over_for_the_next():
    ctx = _ctx(POOL, ("gc-1", {"session_name": "s-1", "pool_slot": "1"}),
               ("gc-2", {"session_name": "s-2", "pool_slot": "2"}))
    used_slots = {1}
    item = _reuse_open_bead(ctx, POOL, Request("town/db", "new"), set(), used_slots, set())
    assert item is not None and item.bead is not None and (item.bead.id, item.slot) == ("gc-2", 2)
    assert used_slots == {1, 2}
    assert ("slot.reused", "earliest reusable bead of the template, at slot 2") in [(w.rule, w.detail) for w in item.why]


def test_a_legacy_manual_bead_of_a_pool_template_is_not_reusable():
    """isLegacyManualSessionInfoForAgent: an ephemeral bead without pool markers of a
    multi-session template was started by hand; the same bead with pool_managed is a pool bead."""
    from core.desired.realize import reusable

    ctx = _ctx(POOL, ("gc-1", {"session_name": "s-1", "session_origin": "ephemeral", "pool_managed": ""}),
               ("gc-2", {"session_name": "s-2", "session_origin": "ephemeral"}))
    manual, pooled = ctx.store.session("gc-1"), ctx.store.session("gc-2")
    assert manual is not None and pooled is not None
    assert not reusable(ctx, POOL, manual, set(), set()) and reusable(ctx, POOL, pooled, set(), set())


def test_the_reuse_candidates_are_the_beads_open_at_each_call():
    """BuildContext.open_for_template keeps the template index it built at its first call, but
    returns only beads still open at each call (Gas City's reusable-bead scans read open beads):
    a bead closed after the index was built is no longer a candidate, and a bead the build creates
    joins it in creation order."""
    ctx = _ctx(POOL, ("gc-1", {}), ("gc-2", {}))
    assert [b.id for b in ctx.open_for_template("town/db")] == ["gc-1", "gc-2"]
    ctx.store.close_session("gc-1", "done", T0)
    ctx.track_created(ctx.store.create_session({"template": "town/db"}, T0, bead_id="gc-3"))
    assert [b.id for b in ctx.open_for_template("town/db")] == ["gc-2", "gc-3"]
