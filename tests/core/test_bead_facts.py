"""What the model keeps across passes and ticks: a bead's facts (`TemplateLookup.bead_facts`:
its resolved template, its shape and slots for its agent) and a template's sleep policy. Each
kept answer must give way when any input it was computed from changes: the bead, the config,
the semantics."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import Agent, City
from core.desired.context import BuildContext, is_manual_for
from core.desired.discovery import _facts_for, ephemeral_for
from core.desired.lookup import template_lookup
from core.desired.slots import above_capacity_slot, existing_slot
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 7, 19, 12, 0, tzinfo=UTC)


def _city(*agents: Agent) -> City:
    return City(root="/tmp", path="/tmp/city.toml", agents=list(agents))


def _ctx(city: City, world: World, semantics: str = "current") -> BuildContext:
    return BuildContext(city, world, semantics, [])


def _shape_for(ctx: BuildContext, a: Agent, b: SessionBead) -> tuple[bool, bool]:
    """(manual, ephemeral) of the discovery facts kept for `b` and `a`."""
    facts = _facts_for(ctx, a, b)
    return facts.manual, facts.eph


WORKER = Agent(name="worker", dir="rig", max_active_sessions=3)
ALIAS_ONLY = SessionBead("gc-1", T0, {B.SESSION_NAME: "s-1", B.ALIAS: "rig/worker-2"})


def test_a_changed_bead_is_resolved_again():
    city, world = _city(WORKER), World(T0)
    assert _ctx(city, world).template_of(ALIAS_ONLY) == "rig/worker"
    renamed = ALIAS_ONLY.with_meta({B.ALIAS: "nobody"})
    assert _ctx(city, world).template_of(renamed) == ""
    assert _ctx(city, world).normalized_session_template(renamed) == ""
    assert _ctx(city, world).template_of(ALIAS_ONLY) == "rig/worker"


def test_another_config_resolves_the_same_bead_again():
    world = World(T0)
    assert _ctx(_city(WORKER), world).template_of(ALIAS_ONLY) == "rig/worker"
    other = _city(Agent(name="builder", dir="rig", max_active_sessions=3))
    assert _ctx(other, world).template_of(ALIAS_ONLY) == ""


def test_the_shape_follows_the_semantics_and_the_agent():
    # max 1 with min set: a canonical singleton today (no slot), an expanding template before
    # #2053, so the same bead's `worker-1` agent name is a slot there
    solo = Agent(name="worker", dir="rig", max_active_sessions=1, min_active_sessions=1)
    b = SessionBead("gc-1", T0, {B.TEMPLATE: "rig/worker", B.SESSION_NAME: "s-1", B.AGENT_NAME: "worker-1"})
    city, world = _city(solo), World(T0)
    now, before = _ctx(city, world, "current"), _ctx(city, world, "pre-2053")
    assert _shape_for(now, solo, b) == (is_manual_for(solo, b), ephemeral_for(now, solo, b)) == (False, False)
    assert _shape_for(before, solo, b) == (False, True)
    assert _shape_for(now, solo, b) == (False, False)
    # the same qualified name under another config: another lookup, answered afresh
    pool = Agent(name="worker", dir="rig", max_active_sessions=3)
    assert _shape_for(_ctx(_city(pool), world), pool, b) == (False, True)
    # a bead made legacy-manual (origin ephemeral without pool markers) is a new bead: manual now
    manual = b.with_meta({B.SESSION_ORIGIN: "ephemeral"})
    pool_ctx = _ctx(_city(pool), world)
    assert _shape_for(pool_ctx, pool, manual) == (True, True)


def test_a_fact_unasked_for_a_whole_tick_is_dropped():
    lookup = template_lookup(_city(WORKER), "current")
    lookup.bead_facts(ALIAS_ONLY, 1)["x"] = 1
    assert lookup.bead_facts(ALIAS_ONLY, 2) == {"x": 1}  # asked every tick: kept
    assert lookup.bead_facts(ALIAS_ONLY, 3) == {"x": 1}
    lookup.bead_facts(SessionBead("gc-2", T0, {}), 4)  # tick 4 asks only of another bead
    assert lookup.bead_facts(ALIAS_ONLY, 5) == {}  # unasked for all of tick 4: gone


def test_a_kept_slot_follows_the_bead_the_config_and_the_semantics():
    b = SessionBead("gc-1", T0, {B.TEMPLATE: "rig/worker", B.SESSION_NAME: "s-1", B.POOL_SLOT: "3"})
    world = World(T0)
    three = Agent(name="worker", dir="rig", max_active_sessions=3)
    ctx = _ctx(_city(three), world)
    assert existing_slot(ctx, three, b) == 3
    assert existing_slot(ctx, three, b.with_meta({B.POOL_SLOT: "2"})) == 2  # the bead changed
    two = Agent(name="worker", dir="rig", max_active_sessions=2)
    assert existing_slot(_ctx(_city(two), world), two, b) == 0  # slot 3 is out of a max of 2
    solo = Agent(name="worker", dir="rig", max_active_sessions=1)
    b1 = b.with_meta({B.POOL_SLOT: "1"})
    assert existing_slot(_ctx(_city(solo), world, "pre-2053"), solo, b1) == 1
    assert existing_slot(_ctx(_city(solo), world, "current"), solo, b1) == 0  # a canonical singleton


def test_a_kept_above_capacity_slot_follows_the_bead_and_the_config():
    b = SessionBead("gc-1", T0, {B.TEMPLATE: "rig/worker", B.SESSION_NAME: "s-1", B.AGENT_NAME: "rig/worker-3"})
    world = World(T0)
    two = Agent(name="worker", dir="rig", max_active_sessions=2)
    assert above_capacity_slot(_ctx(_city(two), world), two, b) == 3
    assert above_capacity_slot(_ctx(_city(two), world), two, b.with_meta({B.AGENT_NAME: "rig/worker-2"})) == 0
    four = Agent(name="worker", dir="rig", max_active_sessions=4)
    assert above_capacity_slot(_ctx(_city(four), world), four, b) == 0


def test_a_kept_sleep_policy_follows_the_config_and_the_template():
    from core.outcome import Outcome
    from core.reconcile.context import TickContext
    from core.reconcile.sleep_policy import resolve

    world = World(T0)
    b = SessionBead("gc-1", T0, {B.TEMPLATE: "rig/worker", B.SESSION_NAME: "s-1"})

    def policy(city: City, bead: SessionBead) -> str:
        return resolve(TickContext(city, world, "current", Outcome()), bead).effective

    five = _city(Agent(name="worker", dir="rig", sleep_after_idle="5m"), Agent(name="other", dir="rig"))
    assert policy(five, b) == "5m"
    assert policy(five, b.with_meta({B.TEMPLATE: "rig/other"})) == "off"  # another template
    assert policy(_city(Agent(name="worker", dir="rig", sleep_after_idle="9m")), b) == "9m"  # another config
    assert policy(five, b) == "5m"
