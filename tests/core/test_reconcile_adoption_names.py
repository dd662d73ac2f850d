"""How the adoption barrier reads a live runtime name no bead claims (resolve_runtime_name): a
named session, an agent's own name, a numbered instance in or out of bounds, a stale singleton
suffix, or nothing; under a workspace session_template too."""

from __future__ import annotations

import pytest
from factories import make_city, named_mayor_city, scenario_model

from core.config.city_config import Agent, City, NamedSession, Workspace
from core.reconcile.adoption import adoption_barrier, resolve_runtime_name

AGENTS = [Agent(name="mayor", max_active_sessions=1), Agent(name="worker", dir="rig", max_active_sessions=2),
          Agent(name="helper"), Agent(name="off", max_active_sessions=0)]


def city(session_template: str = "") -> City:
    return make_city(*AGENTS, named=[NamedSession(template="worker", name="boss", dir="rig")], root="/c",
                     path="/c/city.toml", workspace=Workspace(name="town", session_template=session_template))


@pytest.mark.parametrize("name, want", [
    ("rig--boss", ("rig/worker", "rig/boss", 0, "named")),
    ("mayor", ("mayor", "mayor", 0, "exact")),
    ("rig--worker", ("rig/worker", "rig/worker", 0, "exact")),
    ("rig--worker-2", ("rig/worker", "rig/worker-2", 2, "pool-slot")),
    ("rig--worker-3", ("rig/worker", "rig/worker-3", 3, "pool-slot-out-of-bounds")),
    ("rig--worker-0", ("", "rig--worker-0", 0, "unknown")),
    ("rig--worker-x", ("", "rig--worker-x", 0, "unknown")),
    ("mayor-1", ("mayor", "mayor", 0, "stale-singleton")),
    ("mayor-0", ("mayor", "mayor", 0, "stale-singleton")),
    ("helper-4", ("helper", "helper-4", 4, "pool-slot")),
    ("off-1", ("", "off-1", 0, "unknown")),
    ("stranger", ("", "stranger", 0, "unknown")),
])
def test_runtime_names(name, want):
    assert resolve_runtime_name(city(), name, "current") == want


def test_the_workspace_session_template_names_every_runtime():
    c = city("{{.City}}-{{.Agent}}")
    assert resolve_runtime_name(c, "town-rig--boss", "current")[3] == "named"
    assert resolve_runtime_name(c, "town-mayor", "current") == ("mayor", "mayor", 0, "exact")
    assert resolve_runtime_name(c, "town-rig--worker-1", "current") == ("rig/worker", "rig/worker-1", 1, "pool-slot")
    assert resolve_runtime_name(c, "mayor", "current")[3] == "unknown"



def test_a_named_sessions_runtime_is_adopted_as_that_configured_named_session(tmp_path):
    # the flag is read as isNamedSessionBead reads it, "true" once trimmed: the adopted bead is
    # the named session from its first tick, not an unclaimed orphan to drain
    m = scenario_model(tmp_path, 'name = "adopt"\n' + named_mayor_city(mode="on_demand") + '[[runtime]]\nname = "mayor"\n')
    out = adoption_barrier(m.city, m.world, m.semantics)
    [b] = m.world.store.open_sessions()
    assert [(a.kind, a.session_name, a.reason) for a in out.actions] == [("adopt", "mayor", "named")]
    assert b.is_named and b.get("configured_named_session") == "true"
    assert (b.get("configured_named_identity"), b.get("configured_named_mode"), b.get("session_origin")) == \
        ("mayor", "on_demand", "named")
