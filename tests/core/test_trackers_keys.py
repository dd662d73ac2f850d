"""Which tracker entry a session's runtime name resolves to (per-name, template fallback,
exemptions), for the identity shapes #2053 changed."""

from __future__ import annotations

from core.config.model import Agent, City, NamedSession
from core.trackers.defer import build_defer_keys, limit_for
from core.trackers.idle import build_idle_keys


def city(*agents: Agent, named: list[NamedSession] | None = None) -> City:
    return City(root=".", path="city.toml", agents=list(agents), named_sessions=named or [])


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
