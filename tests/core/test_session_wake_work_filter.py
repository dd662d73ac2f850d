"""filterAssignedWorkBeadsForSessionWake (cmd/gc/build_desired_state.go): the assigned work the
awake computation sees is the work whose assignee is reachable from the store the work lives in."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import NamedSession
from core.config.load import load_city_text
from core.desired.context import BuildContext
from core.desired.reach import filter_for_session_wake
from core.world.beads import WorkBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)

CITY = """
[[rigs]]
name = "r1"
path = "r1"

[[agent]]
name = "boss"
dir = "r1"
max_active_sessions = 1

[[agent]]
name = "hq"
scope = "city"
max_active_sessions = 1

[[agent]]
name = "clerk"
max_active_sessions = 2

[[agent]]
name = "desk"
scope = "city"
max_active_sessions = 2

[[agent]]
name = "worker"
dir = "r1"
max_active_sessions = 3

[[named_session]]
template = "hq"

[[named_session]]
template = "clerk"

[[named_session]]
template = "boss"
dir = "r1"
"""


def _kept(tmp_path, sessions: list[tuple[str, dict]], work: list[WorkBead]) -> list[str]:
    world = World(T0)
    for bid, md in sessions:
        world.store.create_session(md, T0, bead_id=bid)
    city = load_city_text(CITY, str(tmp_path), "city.toml")
    city.named_sessions.insert(0, NamedSession(template="ghost"))  # no agent: the loader would refuse it
    ctx = BuildContext(city, world, "current", [])
    return [w.id for w in filter_for_session_wake(ctx, work)]


def test_named_identities_are_reachable_from_their_agents_store(tmp_path):
    """A rig agent's named identity is reachable from its rig's store only; a city-scope agent's
    from every store; a rigless agent's from the city store; a named session whose template names
    no agent reaches nothing and does not stop the ones after it; the assignee is read trimmed and
    a blank one reaches nothing; work without a store reference is always kept."""
    work = [WorkBead("w-1", assignee=" r1/boss ", store="r1"), WorkBead("w-2", assignee="r1/boss", store="city"),
            WorkBead("w-3", assignee="hq", store="r1"), WorkBead("w-4", assignee="hq", store="city"),
            WorkBead("w-5", assignee="ghost", store="city"), WorkBead("w-6", assignee="nobody", store=""),
            WorkBead("w-7", assignee=" ", store="r1"), WorkBead("w-8", assignee="clerk", store="city"),
            WorkBead("w-9", assignee="clerk", store="r1")]
    assert _kept(tmp_path, [], work) == ["w-1", "w-3", "w-4", "w-6", "w-8"]


def test_open_sessions_make_their_identities_and_template_reachable(tmp_path):
    """An open session's assignee identities and its template are reachable from its agent's store
    (the city store for an agent without a rig, every store for a city-scope agent); a session
    without a template is placed by its agent_name; a session of an unknown template reaches nothing and does not stop the sessions after it."""
    sessions = [("gc-3", {"template": "desk", "session_name": "desk-a"}),
                ("gc-0", {"template": "gone", "session_name": "gone-1"}),
                ("gc-4", {"agent_name": "clerk", "session_name": "clerk-b"}),
                ("gc-1", {"template": "r1/worker", "session_name": "worker-a", "alias": " r1/worker-1 "}),
                ("gc-2", {"template": "clerk", "session_name": "clerk-a"})]
    work = [WorkBead("w-1", assignee="worker-a", store="r1"), WorkBead("w-2", assignee="r1/worker-1", store="r1"),
            WorkBead("w-3", assignee="r1/worker", store="r1"), WorkBead("w-4", assignee="worker-a", store="city"),
            WorkBead("w-5", assignee="clerk-a", store="city"), WorkBead("w-6", assignee="clerk", store="city"),
            WorkBead("w-7", assignee="clerk-a", store="r1"), WorkBead("w-8", assignee="desk-a", store="r1"),
            WorkBead("w-9", assignee="desk", store="r1"), WorkBead("w-10", assignee="gc-1", store="r1"),
            WorkBead("w-11", assignee="gone-1", store="city"), WorkBead("w-12", assignee="clerk-b", store="city")]
    assert _kept(tmp_path, sessions, work) == ["w-1", "w-2", "w-3", "w-5", "w-6", "w-8", "w-9", "w-10", "w-12"]
