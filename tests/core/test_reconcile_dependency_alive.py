"""dependencyTemplateAlive (session_lifecycle_parallel.go) for a multi-session dependency: some
desired session of the template is alive and not a start still in flight
(dependencySessionStartInFlight); without a desired state nothing is alive."""

from __future__ import annotations

import pytest
from factories import scenario_model

from core.desired.build import build_desired
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.starts import dependency_alive

# db-gc-1 is alive but its start is still in flight (a claim woken 10s ago); db-gc-2 is settled
CITY = """name = "dep"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "db"
max_active_sessions = 3
scale_check = "printf 2"
[scale_check]
db = 2
[[session]]
id = "gc-1"
[session.metadata]
session_name = "db-gc-1"
template = "db"
agent_name = "db"
pool_managed = "true"
state = "creating"
pending_create_claim = "true"
last_woke_at = "2026-05-16T11:59:50Z"
[[session]]
id = "gc-2"
[session.metadata]
session_name = "db-gc-2"
template = "db"
agent_name = "db"
pool_managed = "true"
state = "active"
[[runtime]]
name = "db-gc-1"
session_id = "gc-1"
[[runtime]]
name = "db-gc-2"
session_id = "gc-2"
alive = {alive2}
"""


def ctx_for(tmp_path, alive2: str, built: bool = True) -> TickContext:
    m = scenario_model(tmp_path, CITY.format(alive2=alive2), "dep.toml")
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    if built:
        ctx.desired = build_desired(m.city, m.world, m.semantics, [], [])
        assert list(ctx.desired.entries.keys()) == ["db-gc-1", "db-gc-2"]
    return ctx


@pytest.mark.parametrize(("alive2", "want"), [("true", True), ("false", False)])
def test_a_settled_live_session_counts_and_a_start_in_flight_does_not(tmp_path, alive2, want):
    ctx = ctx_for(tmp_path, alive2)
    assert dependency_alive(ctx, "db") is want
    assert dependency_alive(ctx, "web") is False  # no desired session of that template


def test_without_a_desired_state_no_dependency_is_alive(tmp_path):
    assert dependency_alive(ctx_for(tmp_path, "true", built=False), "db") is False
