"""Which tracker entry a session's runtime name resolves to (per-name, template fallback,
exemptions), for the identity shapes #2053 changed."""

from __future__ import annotations

from factories import make_city as city

from core.config.city_config import Agent, City, NamedSession
from core.trackers.defer import build_defer_keys, limit_for
from core.trackers.idle import build_idle_keys


def refinery(**kw) -> Agent:
    return Agent(name="refinery", dir="cashmaster", max_active_sessions=1, scale_check="printf 1", idle_timeout="10m",
                 **kw)


def test_canonical_singleton_registers_its_canonical_name_and_stale_runtimes():
    keys = build_idle_keys(city(refinery()), "current", ["cashmaster--refinery-2", "other"])
    assert set(keys.names) == {"cashmaster--refinery", "cashmaster--refinery-2"}
    assert keys.resolve("cashmaster--refinery", "cashmaster/refinery")[1:] == ("cashmaster--refinery", "name")
    assert keys.resolve("refinery-gc-7", "cashmaster/refinery")[1:] == ("cashmaster/refinery", "template")


def test_pre2053_registers_the_phantom_slot_name():
    keys = build_idle_keys(city(refinery()), "pre-2053", [])
    assert set(keys.names) == {"cashmaster--refinery-1"}


def test_plain_singleton_without_expansion_has_no_template_fallback():
    a = Agent(name="mayor", max_active_sessions=1, idle_timeout="10m")
    keys = build_idle_keys(city(a), "current", [])
    assert set(keys.names) == {"mayor"} and not keys.templates
    assert keys.resolve("mayor-gc-3", "mayor") is None


def test_always_named_sessions_are_exempt_and_on_demand_ones_register():
    worker = Agent(name="worker", idle_timeout="10m")
    always = build_idle_keys(city(worker, named=[NamedSession(template="worker", mode="always")]), "current", [])
    assert always.resolve("worker", "worker") is None
    on_demand = build_idle_keys(city(worker, named=[NamedSession(template="worker")]), "current", [])
    assert on_demand.resolve("worker", "worker")[2] == "name"


def test_agents_without_the_knob_register_nothing():
    assert not build_idle_keys(city(Agent(name="worker")), "current", [])


def test_defer_limit_defaults_to_three_and_honours_overrides():
    keys = build_defer_keys(city(Agent(name="worker"), Agent(name="busy", assigned_work_defer_limit=5)), "current", [])
    assert limit_for(keys, "worker-gc-1", "worker") == (3, "default")
    assert limit_for(keys, "busy-gc-1", "busy") == (5, "template")


def test_pool_instances_by_shape():
    """discoverPoolInstances: a bounded pool enumerates 1..max (namepool names first), an
    unlimited pool (max unset or negative, namepool or not: scaleParamsFor) the running
    `<name>-N` runtimes, a canonical singleton its name plus running numbered leftovers
    (positive numbers only)."""
    from core.trackers.keys import pool_instances

    c = city()
    slots = Agent(name="worker", dir="rig", max_active_sessions=3, namepool_names=("furiosa",))
    assert pool_instances(c, slots, "current", []) == ["rig/furiosa", "rig/worker-2", "rig/worker-3"]
    crew = Agent(name="crew", namepool_names=("a", "b"), max_active_sessions=-1)
    assert pool_instances(c, crew, "current", sorted(["crew-9", "a", "b"])) == ["crew-9"]
    assert pool_instances(c, Agent(name="crew", namepool_names=("a", "b")), "current", []) == []
    assert pool_instances(c, Agent(name="off", max_active_sessions=0, scale_check="x"), "current", []) == []
    dog = Agent(name="dog", dir="rig")
    running = sorted(["rig--dog-2", "rig--dog-10", "rig--dogx-1", "rig--do", "other", "rig--dog-"])
    assert pool_instances(c, dog, "current", running) == ["rig/dog-", "rig/dog-10", "rig/dog-2"]
    assert pool_instances(c, Agent(name="dog", max_active_sessions=-1), "current", ["dog-4"]) == ["dog-4"]
    ref = refinery()
    stale = sorted(["cashmaster--refinery-0", "cashmaster--refinery-3", "cashmaster--refinery-x",
                    "cashmaster--refinery-1", "cashmaster--refinery"])
    assert pool_instances(c, ref, "current", stale) == ["cashmaster/refinery", "cashmaster/refinery-1",
                                                        "cashmaster/refinery-3"]
    assert pool_instances(c, ref, "pre-2053", stale) == ["cashmaster/refinery-1"]


def test_pool_instances_follow_the_session_template():
    from core.config.city_config import Workspace
    from core.trackers.keys import pool_instances

    c = City(root=".", path="city.toml", workspace=Workspace(name="harbor", session_template="{{.City}}-{{.Agent}}"))
    dog = Agent(name="dog", dir="rig")
    assert pool_instances(c, dog, "current", sorted(["harbor-rig--dog-3", "rig--dog-4"])) == ["rig/dog-3"]
    keys = build_idle_keys(City(root=".", path="city.toml", agents=[Agent(name="dog", dir="rig", idle_timeout="1m")],
                                workspace=c.workspace), "current", ["harbor-rig--dog-3"])
    assert set(keys.names) == {"harbor-rig--dog-3"} and set(keys.templates) == {"rig/dog"}


def test_a_disabled_pool_registers_instances_but_no_template_fallback():
    """max_active_sessions = 0 with a scale_check expands (the #1989 carve-out) yet has no
    generic sessions: no template entry, so bead-named sessions resolve to nothing."""
    off = Agent(name="worker", max_active_sessions=0, scale_check="printf 1", idle_timeout="10m")
    keys = build_idle_keys(city(off), "current", [])
    assert not keys.templates and keys.resolve("worker-gc-1", "worker") is None


def test_an_always_named_backing_pool_exempts_the_named_runtime_from_the_fallback():
    worker = Agent(name="worker", max_active_sessions=3, idle_timeout="10m")
    keys = build_idle_keys(city(worker, named=[NamedSession(template="worker", name="boss", mode="always")]),
                           "current", [])
    assert "boss" in keys.exempt and keys.resolve("boss", "worker") is None
    assert keys.resolve("worker-gc-1", "worker")[1:] == ("worker", "template")
    assert keys.resolve("worker-2", "worker")[1:] == ("worker-2", "name")
    assert keys.resolve("worker-gc-1", "") is None


def test_keys_follow_the_semantics_and_the_session_template():
    from core.config.city_config import Workspace
    from core.trackers.defer import build_defer_keys
    from core.trackers.keys import pool_instances

    limited = refinery(assigned_work_defer_limit=2)
    assert set(build_defer_keys(city(limited), "current", []).names) == {"cashmaster--refinery"}
    assert set(build_defer_keys(city(limited), "pre-2053", []).names) == {"cashmaster--refinery-1"}
    assert set(build_defer_keys(city(limited), "pre-1989", []).names) == {"cashmaster--refinery"}
    ws = Workspace(name="harbor", session_template="{{.City}}-{{.Agent}}")
    templated = City(root=".", path="city.toml", workspace=ws, agents=[limited, Agent(name="deacon", idle_timeout="1m")],
                     named_sessions=[NamedSession(template="deacon")])
    assert pool_instances(templated, limited, "current", ["harbor-cashmaster--refinery-2"]) == [
        "cashmaster/refinery", "cashmaster/refinery-2"]
    assert set(build_idle_keys(templated, "current", []).names) == {"harbor-cashmaster--refinery", "harbor-deacon"}
    always = City(root=".", path="city.toml", workspace=ws, agents=[Agent(name="deacon", max_active_sessions=3,
                                                                          idle_timeout="1m")],
                  named_sessions=[NamedSession(template="deacon", name="boss", mode="always")])
    assert build_idle_keys(always, "current", []).exempt == {"harbor-boss"}
    off = Agent(name="off", max_active_sessions=0, scale_check="printf 1")
    assert pool_instances(city(), off, "current", ["off-3"]) == []


def test_a_named_non_expanding_agent_registers_once_and_later_agents_still_register():
    mayor = Agent(name="mayor", max_active_sessions=1, idle_timeout="10m")
    worker = Agent(name="worker", idle_timeout="10m")
    keys = build_idle_keys(city(mayor, worker, named=[NamedSession(template="mayor", mode="always")]), "current", [])
    assert keys.exempt == {"mayor"} and "mayor" not in keys.names and "worker" in keys.templates
    other = build_idle_keys(city(mayor, named=[NamedSession(template="mayor", name="boss", mode="always")]), "current", [])
    assert other.exempt == set() and "mayor" in other.names  # FindNamedSession matches the agent's own name


def test_defer_limits():
    from core.trackers.defer import record_defer
    from core.world.memory import Memory

    zero = build_defer_keys(city(Agent(name="busy", assigned_work_defer_limit=0)), "current", [])
    assert limit_for(zero, "busy-gc-1", "busy") == (3, "default")
    mayor = Agent(name="mayor", max_active_sessions=1, assigned_work_defer_limit=1)
    keys = build_defer_keys(city(mayor), "current", [])
    assert limit_for(keys, "mayor", "mayor") == (1, "name")
    mem, over = record_defer(Memory(), keys, "mayor", "mayor", "w-1")
    assert not over and mem.defer["mayor"].anchor == "w-1"
    mem, over = record_defer(mem, keys, "mayor", "mayor", "w-1")
    assert over and mem.defer["mayor"].count == 2


def test_a_hold_or_quarantine_blocks_until_its_instant_and_not_at_it():
    from core.trackers.timers import timer_blocker

    now = "2026-05-16T12:00:00Z"
    from core.formats.timefmt import parse_time
    t = parse_time(now)
    assert timer_blocker(now, "", t) == "" and timer_blocker("", now, t) == ""
    assert timer_blocker("2026-05-16T12:00:01Z", "", t) == "user_hold"
    assert timer_blocker("", "2026-05-16T12:00:01Z", t) == "quarantine"


def test_a_singleton_without_expansion_is_keyed_by_its_templated_runtime_name():
    """A plain max-1 agent registers its runtime name, which SessionNameFor renders through the
    workspace's session_template."""
    from core.config.city_config import Workspace

    ws = Workspace(name="harbor", session_template="{{.City}}-{{.Agent}}")
    c = City(root=".", path="city.toml", workspace=ws, agents=[Agent(name="mayor", max_active_sessions=1,
                                                                     idle_timeout="10m")])
    assert set(build_idle_keys(c, "current", []).names) == {"harbor-mayor"}
