"""ResolvedMaxActiveSessions (internal/config): the agent's own max, else its rig's, else the
workspace's; a negative value at the level that sets it means unlimited (None), 0 means none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import make_city

from core.config.city_config import Agent, Rig, Workspace
from core.desired.context import BuildContext
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


@pytest.mark.parametrize("agent_max, rig_max, ws_max, want", [
    (0, 5, 7, 0), (-1, 5, 7, None), (3, -1, 7, 3),
    (None, 0, 7, 0), (None, -1, 7, None), (None, 5, 7, 5),
    (None, None, 0, 0), (None, None, -1, None), (None, None, 7, 7), (None, None, None, None),
])
def test_the_cap_is_the_first_level_that_sets_one(agent_max, rig_max, ws_max, want):
    city = make_city(rigs=[Rig(name="r1", path="r1", max_active_sessions=rig_max)],
                     workspace=Workspace(name="c", max_active_sessions=ws_max))
    ctx = BuildContext(city, World(T0), "current", [])
    assert ctx.cap(Agent(name="w", dir="r1", max_active_sessions=agent_max)) == want


def test_an_agent_outside_any_rig_takes_the_workspace_cap():
    city = make_city(rigs=[Rig(name="r1", path="r1", max_active_sessions=5)],
                     workspace=Workspace(name="c", max_active_sessions=7))
    ctx = BuildContext(city, World(T0), "current", [])
    assert ctx.cap(Agent(name="w")) == 7 and ctx.cap(Agent(name="w", dir="elsewhere")) == 7
