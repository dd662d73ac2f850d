"""recordNewDemandCapTrace: new demand cut by a cap names the binding cap (agent, then rig, then
workspace), its max and use, and the accepted requests (sessions and work) that hold it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.scenario.file import load_scenario

# The rig alpha and its agent w (scale_check 4) under the caps a test gives.
HEAD = '''name = "caps"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
{ws}
[[city.rigs]]
name = "alpha"
path = "alpha"
{rig}
[[city.agent]]
name = "w"
dir = "alpha"
{agent}
scale_check = "printf 4"
'''

CITY = HEAD + '''[[city.agent]]
name = "v"
dir = "alpha"
max_active_sessions = 5
[scale_check]
"alpha/w" = 4
[[session]]
id = "gc-r"
[session.metadata]
template = "alpha/w"
session_name = "w-gc-r"
state = "awake"
pool_managed = "true"
[[session]]
id = "gc-v"
[session.metadata]
template = "alpha/v"
session_name = "v-gc-v"
state = "awake"
pool_managed = "true"
[[work]]
id = "w-1"
status = "in_progress"
assignee = "gc-r"
[[work]]
id = "w-2"
status = "in_progress"
assignee = "gc-v"
'''


@pytest.mark.parametrize("ws, rig, agent, want", [
    ("", "", "max_active_sessions = 2",
     ("agent_cap", {"scale_check": 4, "accepted_new": 1, "blocked_new": 3, "current": 1, "max": 2,
                    "blocking_sessions": ["gc-r"], "blocking_work_beads": ["w-1"], "active_capacity_kind": "agent_cap"})),
    ("", "max_active_sessions = 3", "max_active_sessions = 5",
     ("rig_cap", {"scale_check": 4, "accepted_new": 1, "blocked_new": 3, "current": 2, "max": 3,
                  "blocking_sessions": ["gc-r", "gc-v"], "blocking_work_beads": ["w-1", "w-2"],
                  "active_capacity_kind": "rig_cap"})),
    ("max_active_sessions = 3", "", "max_active_sessions = 5",
     ("workspace_cap", {"scale_check": 4, "accepted_new": 1, "blocked_new": 3, "current": 2, "max": 3,
                        "blocking_sessions": ["gc-r", "gc-v"], "blocking_work_beads": ["w-1", "w-2"],
                        "active_capacity_kind": "workspace_cap"})),
    ("", "", "max_active_sessions = 9", None),
], ids=["agent", "rig", "workspace", "room"])
def test_the_binding_cap_and_its_holders_are_traced(tmp_path: Path, ws, rig, agent, want):
    p = tmp_path / "caps.toml"
    p.write_text(CITY.format(ws=ws, rig=rig, agent=agent))
    out = load_scenario(str(p)).model().do({"do": "build"})
    got = [(r.reason_code, r.fields) for r in out.trace if r.site_code == "reconciler.pool.new_demand_cap"]
    assert got == ([want] if want else [])


def test_a_rig_with_no_room_at_all_is_traced_with_nothing_holding_it(tmp_path: Path):
    """A rig cap of 0: no request of the rig was accepted, so its use reads 0 and no session or
    work bead holds the capacity."""
    p = tmp_path / "caps.toml"
    p.write_text(CITY.format(ws="", rig="max_active_sessions = 0", agent="max_active_sessions = 5"))
    out = load_scenario(str(p)).model().do({"do": "build"})
    got = [(r.reason_code, r.fields) for r in out.trace if r.site_code == "reconciler.pool.new_demand_cap"]
    assert got == [("rig_cap", {"scale_check": 4, "accepted_new": 0, "blocked_new": 4, "current": 0, "max": 0,
                                "blocking_sessions": [], "blocking_work_beads": [], "active_capacity_kind": "rig_cap"})]


LONE = HEAD + '''[scale_check]
"alpha/w" = 4
'''


@pytest.mark.parametrize("ws, rig, agent, want", [
    ("", "", "max_active_sessions = 2", ("agent_cap", 2, 2)),
    ("max_active_sessions = 2", "", "max_active_sessions = 3", ("workspace_cap", 2, 2)),
    ("max_active_sessions = 2", "max_active_sessions = 3", "", ("workspace_cap", 2, 2)),
    ("", "max_active_sessions = 3", "max_active_sessions = 4", ("rig_cap", 3, 3)),
], ids=["agent", "workspace-under-agent", "workspace-under-rig", "rig"])
def test_with_nothing_accepted_yet_the_cap_that_binds_is_named_with_no_use(tmp_path: Path, ws, rig, agent, want):
    """A template with no session yet uses none of any cap: the binding cap is the one whose max
    equals the new demand it lets through (a cap one above it still has room), and its use is 0."""
    p = tmp_path / "caps.toml"
    p.write_text(LONE.format(ws=ws, rig=rig, agent=agent))
    out = load_scenario(str(p)).model().do({"do": "build"})
    got = [(r.reason_code, r.fields) for r in out.trace if r.site_code == "reconciler.pool.new_demand_cap"]
    kind, cap, accepted = want
    assert got == [(kind, {"scale_check": 4, "accepted_new": accepted, "blocked_new": 4 - accepted, "current": 0,
                           "max": cap, "blocking_sessions": [], "blocking_work_beads": [],
                           "active_capacity_kind": kind})]


def test_no_blocking_scope_while_every_cap_has_room():
    """newDemandBlockingScope answers nothing when no cap is full at the given new count."""
    from core.config.city_config import Agent, City, Rig, Workspace
    from core.desired.context import BuildContext
    from core.desired.demand import Caps
    from core.world.world import World

    w = Agent(name="w", dir="alpha", max_active_sessions=5)
    for ws_max in (None, 5):
        city = City(root="/c", path="/c/city.toml", agents=[w], rigs=[Rig(name="alpha", path="alpha",
                                                                          max_active_sessions=5)],
                    workspace=Workspace(name="t", max_active_sessions=ws_max))
        caps = Caps(BuildContext(city, World(), "current", []))
        assert caps.blocking_scope(w, 1) == ("", 0, 0, []), ws_max
        assert caps.blocking_scope(w, 5)[0] == "agent_cap"
