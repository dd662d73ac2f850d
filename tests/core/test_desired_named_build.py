"""The named-session pass of the desired build (buildDesiredState's [[named_session]] loop in
cmd/gc/build_desired_state.go): each spec is decided on its own, so a spec skipped for one reason
never hides the specs after it; the routed-demand signal is for canonical singleton backings only;
the no-store build reads no bead for a named session."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import make_city

from core.config.city_config import Agent, NamedSession
from core.config.load import load_city_text
from core.desired.build import build_desired
from core.world.beads import WorkBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)

LAST = """
[[agent]]
name = "mayor"
max_active_sessions = 1

[[named_session]]
template = "mayor"
mode = "always"
"""

# Each city lists first a named session the pass must skip, for one reason, then `mayor`.
SKIPPED_FIRST = {
    "suspended backing agent": """
[[agent]]
name = "sleepy"
suspended = true
max_active_sessions = 1

[[named_session]]
template = "sleepy"
mode = "always"
""",
    "on demand without work or bead": """
[[agent]]
name = "clerk"
max_active_sessions = 1

[[named_session]]
template = "clerk"
mode = "on_demand"
""",
    "runtime name held off spec": """
[[agent]]
name = "clerk"
max_active_sessions = 1

[[named_session]]
template = "clerk"
mode = "always"
""",
    "transport the session provider cannot route": """
[session]
provider = "acp"

[providers.claude]
base = "builtin:claude"

[[agent]]
name = "clerk"
provider = "claude"
session = "tmux"
max_active_sessions = 1

[[named_session]]
template = "clerk"
mode = "always"
""",
}


@pytest.mark.parametrize("why", sorted(SKIPPED_FIRST))
def test_a_skipped_named_session_does_not_hide_the_ones_after_it(why, tmp_path):
    """Go's loop over namedSpecs `continue`s past a suspended backing agent, a conflict
    (findNamedSessionConflictInfo), an on_demand spec without demand, and a template whose
    transport fails to resolve; the specs after it are still materialized
    (TestBuildDesiredState_AlwaysNamedSession_MaterializesWithoutWorkBeads,
    TestBuildDesiredState_SuspendedNamedSession_DoesNotMaterialize)."""
    city = load_city_text(SKIPPED_FIRST[why] + LAST, str(tmp_path), "city.toml")
    world = World(T0)
    if why == "runtime name held off spec":
        world.store.create_session({"session_name": "clerk", "template": "other"}, T0, bead_id="gc-9")
    res = build_desired(city, world)
    assert "clerk" not in res.entries and "sleepy" not in res.entries
    assert res.entries["mayor"].named_identity == "mayor"


def test_a_named_session_without_a_backing_agent_does_not_hide_the_ones_after_it():
    """FindNamedSessionSpec fails for a spec whose template names no agent: that spec is left out
    of namedSpecs, the others are not."""
    city = make_city(Agent(name="mayor", max_active_sessions=1),
                     named=[NamedSession(template="ghost", mode="always"), NamedSession(template="mayor", mode="always")])
    res = build_desired(city, World(T0))
    assert sorted(res.entries) == ["mayor"]


def test_a_named_session_in_a_suspended_rig_is_left_out_but_its_agent_elsewhere_is_not(tmp_path):
    """A backing agent in a suspended rig is skipped like a suspended agent; one whose own flag
    is off and whose rig runs is kept (the two tests are alternatives, not both required)."""
    text = """
[[rigs]]
name = "r1"
path = "r1"
suspended = true

[[rigs]]
name = "r2"
path = "r2"

[[agent]]
name = "boss"
dir = "r1"
max_active_sessions = 1

[[agent]]
name = "boss"
dir = "r2"
max_active_sessions = 1

[[named_session]]
template = "boss"
dir = "r1"
mode = "always"

[[named_session]]
template = "boss"
dir = "r2"
mode = "always"
"""
    res = build_desired(load_city_text(text, str(tmp_path), "city.toml"), World(T0))
    assert [e.identity for e in res.entries.values()] == ["r2/boss"]


def _on_demand_city(tmp_path, max_active: int, scale_check: str = ""):
    return load_city_text(f"""
[[agent]]
name = "clerk"
max_active_sessions = {max_active}
{scale_check}
[[named_session]]
template = "clerk"
mode = "on_demand"
""", str(tmp_path), "city.toml")


@pytest.mark.parametrize("max_active, routed, want", [(1, 1, True), (1, 0, False), (3, 1, False)])
def test_routed_demand_signals_only_a_canonical_singleton_backing(max_active, routed, want, tmp_path):
    """NamedSessionRoutedDemand is true when the backing template's scale-check count is above 0,
    and only for a canonical singleton backing (max 1, no namepool): a multi-instance pool serves
    routed work with its own standby (TestBuildDesiredState_RoutedDemandWakesOnlyCanonicalSingletonNamedSessions)."""
    world = World(T0)
    for i in range(routed):
        world.store.put_work(WorkBead(f"w-{i}", routed_to="clerk", created_at=T0))
    res = build_desired(_on_demand_city(tmp_path, max_active), world)
    assert res.named_routed_demand == {"clerk": want}
    assert res.named_demand == {"clerk": False}


def test_routed_demand_counts_one_routed_bead_of_a_custom_scale_check(tmp_path):
    """A custom scale_check of 1 is routed demand for a singleton backing; 0 is none."""
    city = _on_demand_city(tmp_path, 1, 'scale_check = "echo 1"')
    world = World(T0)
    world.set_scale_check("clerk", 1)
    assert build_desired(city, world).named_routed_demand == {"clerk": True}
    world.set_scale_check("clerk", 0)
    assert build_desired(city, world).named_routed_demand == {"clerk": False}


def test_the_no_store_build_reads_no_bead_for_a_named_session(tmp_path):
    """Without a bead store (the legacy no-store build) no canonical bead, conflict or assigned work
    exists: an always-on named session takes its runtime name with no bead id, whatever the world's
    store holds, and an on_demand one has no demand, so it is not materialized."""
    text = LAST + """
[[agent]]
name = "clerk"
max_active_sessions = 1

[[named_session]]
template = "clerk"
mode = "on_demand"
"""
    city = load_city_text(text, str(tmp_path), "city.toml")
    world = World(T0)
    world.store.create_session({"session_name": "old-mayor", "configured_named_session": "true",
                                "configured_named_identity": "mayor", "template": "mayor"}, T0, bead_id="gc-1")
    world.store.create_session({"session_name": "mayor", "template": "other"}, T0, bead_id="gc-2")
    world.store.put_work(WorkBead("w-1", status="in_progress", assignee="clerk", created_at=T0))
    res = build_desired(city, world, store_backed=False)
    assert sorted(res.entries) == ["mayor"]
    e = res.entries["mayor"]
    assert (e.bead_id, e.env["GC_SESSION_ID"], e.env["GC_SESSION_NAME"]) == ("", "mayor", "mayor")
    assert res.named_demand == {"mayor": False, "clerk": False}


@pytest.mark.parametrize("session_name, key", [("old-mayor", "old-mayor"), ("  ", "mayor")])
def test_a_canonical_bead_keys_the_entry_by_its_session_name_else_the_runtime_name(session_name, key, tmp_path):
    """When a canonical bead exists its trimmed session_name, if any, is the desired key, so sync
    finds that bead and updates it; the entry carries the bead's id as its bead and GC_SESSION_ID
    (buildDesiredState: `if hasCanonical { if sn := strings.TrimSpace(...SessionNameMetadata) ...`)."""
    world = World(T0)
    world.store.create_session({"session_name": session_name, "configured_named_session": "true",
                                "configured_named_identity": "mayor", "template": "mayor"}, T0, bead_id="gc-4")
    res = build_desired(load_city_text(LAST, str(tmp_path), "city.toml"), world)
    assert [k for k, e in res.entries.items() if e.named_identity] == [key]
    e = res.entries[key]
    assert (e.session_name, e.bead_id, e.env["GC_SESSION_ID"], e.env["GC_SESSION_NAME"]) == (key, "gc-4", "gc-4", key)
    assert (e.identity, e.alias, e.named_identity, e.named_mode, e.pool_slot) == ("mayor", "mayor", "mayor", "always", 0)
    assert e.source == "named-always"


def test_an_always_named_session_explains_its_shape_demand_and_alias(tmp_path):
    """The why chain of an `always` named entry, as `explain` shows it: the spec that shapes it,
    the mode that keeps it desired, and the alias it reserves."""
    res = build_desired(load_city_text(LAST, str(tmp_path), "city.toml"), World(T0))
    assert [(w.rule, w.detail) for w in res.entries["mayor"].why] == [
        ("shape.named", "[[named_session]] mayor (mode always) on template mayor"),
        ("demand.named_always", 'mode = "always": kept materialized every tick'),
        ("alias.claimed", "named identity mayor is reserved for this session")]


def test_a_suspended_city_desires_nothing_and_says_so(tmp_path):
    """buildDesiredStateWithSessionBeads returns an empty result for an effectively suspended
    city; the result records that the city was suspended."""
    from dataclasses import replace

    city = load_city_text(LAST, str(tmp_path), "city.toml")
    world = World(T0)
    world.suspension = replace(world.suspension, city=True)
    res = build_desired(city, world)
    assert res.suspended and res.entries == {}
    assert not build_desired(city, World(T0)).suspended
