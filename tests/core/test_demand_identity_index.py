"""The demand snapshot's identity index: every assignee identity of every open session bead
without a terminal provider error, mapped to that bead; when two beads answer to one identity
the later bead (in store order) holds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.config.city_config import City
from core.desired.context import BuildContext
from core.desired.demand import identity_index
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def test_terminal_beads_are_left_out_without_hiding_the_rest_and_the_later_bead_wins():
    world = World(T0)
    beads = [("gc-1", {"session_name": "dead", "provider_terminal_error": "quota"}),
             ("gc-2", {"session_name": "w-a", "alias": "shared"}),
             ("gc-3", {"session_name": "w-b", "alias": "shared"}),
             ("gc-4", {"session_name": "gone", "state": "closed"})]
    for i, (bid, md) in enumerate(beads):
        world.store.create_session(md, T0 + timedelta(seconds=i), bead_id=bid)
    world.store.close_session("gc-4", "done", T0)
    idx = identity_index(BuildContext(City(root="/tmp", path="/tmp/city.toml"), world, "current", []))
    assert {k: b.id for k, b in idx.items()} == {"gc-2": "gc-2", "w-a": "gc-2", "gc-3": "gc-3", "w-b": "gc-3",
                                                 "shared": "gc-3"}
