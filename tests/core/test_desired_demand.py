"""Demand-phase rules that a loaded config cannot reach, or that are tables in Gas City's tests:
min fill under max 0 (C10), configured named identities (C13), alias-held templates (C18), and
duplicate concrete sessions across tiers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.config.city_config import Agent, City
from core.config.load import load_city_text
from core.desired.context import BuildContext
from core.desired.demand import Demand, alias_held_templates, apply_nested_caps, compute_requests
from core.desired.entries import Request
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def ctx_for(city: City, beads: list[SessionBead] = ()) -> BuildContext:
    world = World(T0)
    for b in beads:
        world.store.put_session(b)
    return BuildContext(city, world, "current", [])


def test_min_fill_respects_max_zero():
    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="worker", max_active_sessions=0,
                                                                  min_active_sessions=5)])
    ctx = ctx_for(city)
    assert compute_requests(ctx, Demand()) == {}
    assert ctx.result.pool_requests == {}


def test_min_fill_adds_floor_requests_up_to_min():
    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="worker", max_active_sessions=5,
                                                                  min_active_sessions=2)])
    ctx = ctx_for(city)
    reqs = compute_requests(ctx, Demand())["worker"]
    assert [(r.tier, r.floor) for r in reqs] == [("new", True), ("new", True)]


NAMED = """
[[agent]]
name = "builder"
dir = "gascity"
max_active_sessions = 3

[[agent]]
name = "reviewer"
dir = "gascity"
suspended = true
max_active_sessions = 1

[[named_session]]
template = "builder"
dir = "gascity"
mode = "on_demand"

[[named_session]]
template = "reviewer"
dir = "gascity"
mode = "on_demand"
"""


@pytest.mark.parametrize("assignee, want", [
    ("gascity/builder", True),
    ("gascity/reviewer", False),
    ("gascity/other", False),
    ("", False),
], ids=["active", "suspended-backing-agent", "unknown", "empty"])
def test_is_configured_named_identity(tmp_path, assignee, want):
    ctx = ctx_for(load_city_text(NAMED, str(tmp_path), "city.toml"))
    assert ctx.is_configured_named_identity(assignee) is want


def holder(state: str, open_: bool = True, **extra: str) -> SessionBead:
    md = {"session_name": "mayor", "template": "mayor", "alias": "mayor", "session_origin": "named", "state": state,
          **extra}
    return SessionBead("sess-" + state, T0, md, open_)


MAYOR = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="mayor", max_active_sessions=1)])


@pytest.mark.parametrize("bead, held", [
    (holder("active"), True),
    (holder("asleep"), True),
    (holder("failed-create"), False),
    (holder("active", open_=False), False),
    (holder("active", pool_managed="true"), False),
    (holder("drained"), False),
    (holder("asleep", sleep_reason="drained"), False),
], ids=["active", "asleep", "failed-create", "closed", "pool-managed", "drained", "asleep-drained"])
def test_alias_held_templates(bead, held):
    ctx = ctx_for(MAYOR, [bead])
    assert ("mayor" in alias_held_templates(ctx)) is held


def test_named_holder_with_divergent_identity_holds_its_template():
    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="worker", max_active_sessions=1)])
    bead = SessionBead("sess-primary", T0, {"session_name": "primary", "template": "worker", "alias": "primary",
                                            "state": "asleep", "configured_named_session": "true",
                                            "configured_named_identity": "primary"})
    assert alias_held_templates(ctx_for(city, [bead])) == {"worker": "sess-primary"}


def test_nested_caps_accept_a_concrete_session_once_across_tiers():
    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="claude", max_active_sessions=10)])
    ctx = ctx_for(city)
    reqs = [Request("claude", "resume", "sess-1", "", 10), Request("claude", "new", "sess-1"),
            Request("claude", "new", "sess-2")]
    accepted = apply_nested_caps(ctx, reqs, {})["claude"]
    assert [(r.tier, r.session_bead_id) for r in accepted] == [("resume", "sess-1"), ("new", "sess-2")]


def test_wake_known_identity_ranks_before_new_at_equal_priority():
    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="claude", max_active_sessions=1)])
    ctx = ctx_for(city)
    reqs = [Request("claude", "new"), Request("claude", "wake-known-identity", "", "w1", 0)]
    accepted = apply_nested_caps(ctx, reqs, {})["claude"]
    assert [r.tier for r in accepted] == ["wake-known-identity"]


def test_control_dispatcher_with_open_routed_control_work_needs_a_session():
    from core.desired.demand import compute_counts
    from core.world.beads import WorkBead

    dispatcher = Agent(name="control-dispatcher", dir="fixture", binding="gc", max_active_sessions=1,
                       start_command="gc convoy control --serve", scale_check="printf 0")
    city = City(root="/tmp", path="/tmp/city.toml", agents=[dispatcher])
    ctx = ctx_for(city)
    ctx.world.set_scale_check("fixture/gc.control-dispatcher", 0)
    ctx.store.put_work(WorkBead("c-1", status="open", routed_to="fixture/control-dispatcher"))
    compute_counts(ctx, Demand())
    assert ctx.result.scale_check_counts == {"fixture/gc.control-dispatcher": 1}


def _assigned_ids(ctx: BuildContext) -> tuple[list[str], set[str]]:
    from core.desired.demand import collect_assigned_work, identity_index

    d = Demand()
    d.by_identity = identity_index(ctx)
    collect_assigned_work(ctx, d)
    return [w.id for w in d.assigned], d.ready_assigned


def test_ready_assigned_work_is_probed_per_known_assignee():
    from core.world.beads import WorkBead

    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="claude", max_active_sessions=5)])
    sess = SessionBead("sess-1", T0, {"template": "claude", "session_name": "claude-sess-1", "state": "awake"})
    ctx = ctx_for(city, [sess])
    ctx.store.put_work(WorkBead("w-known", status="open", assignee="claude-sess-1"))
    ctx.store.put_work(WorkBead("w-stranger", status="open", assignee="nobody", routed_to=""))
    ctx.store.put_work(WorkBead("w-blocked", status="open", assignee="sess-1", ready=False))
    ctx.store.put_work(WorkBead("w-routed-blocked", status="open", assignee="gone", routed_to="claude", ready=False))
    assigned, ready = _assigned_ids(ctx)
    # the blocked routed bead is kept for orphan release but carries no readiness verdict
    assert assigned == ["w-routed-blocked", "w-known"]
    assert ready == {"w-known"}


def test_without_any_known_assignee_every_ready_assigned_bead_is_probed():
    from core.world.beads import WorkBead

    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="claude", max_active_sessions=5)])
    ctx = ctx_for(city)
    ctx.store.put_work(WorkBead("w-1", status="open", assignee="claude"))
    _, ready = _assigned_ids(ctx)
    assert ready == {"w-1"}


@pytest.mark.parametrize("raw, count, partial", [
    ("0", 0, False), (" 0 ", 0, False), (0, 0, False), ("3", 3, False), ("-1", 0, True), (-1, 0, True),
    ("x", 0, True),
])
def test_a_scale_check_result_of_zero_is_a_count_not_an_error(tmp_path, raw, count, partial):
    """Gas City reads the output with strconv.Atoi after trimming: "0" is a valid count of 0
    (the template is not partial); a negative or unreadable result is an error."""
    from core.scenario.file import load_scenario

    p = tmp_path / "zero.toml"
    p.write_text('name = "zero"\nstart = "2026-07-19T12:00:00Z"\n[city.workspace]\nname = "t"\n'
                 '[[city.agent]]\nname = "w"\nmax_active_sessions = 5\nscale_check = "printf 0"\n'
                 '[scale_check]\nw = 0\n')
    m = load_scenario(str(p)).model()
    m.world.set_scale_check("w", raw)
    d = m.do({"do": "build"}).desired
    assert d.scale_check_counts["w"] == count
    assert ("w" in d.partial_templates) is partial


def test_min_fill_skips_only_the_alias_held_template_and_fills_the_ones_after_it():
    """applyNestedCaps: a template whose alias a named session holds gets no floor; the agents
    configured after it are still filled to their min."""
    city = City(root="/tmp", path="/tmp/city.toml", agents=[
        Agent(name="mayor", max_active_sessions=1, min_active_sessions=1),
        Agent(name="worker", max_active_sessions=5, min_active_sessions=2)])
    accepted = apply_nested_caps(ctx_for(city), [], {"mayor": "sess-mayor"})
    assert "mayor" not in accepted
    assert [(r.template, r.tier, r.floor) for r in accepted["worker"]] == [("worker", "new", True)] * 2


def test_each_min_fill_names_its_template_and_traces_the_count_before_it():
    """A floor request is a `new` request of the agent's template; each min_fill decision records
    the min and the template's accepted count before that request, counting earlier demand."""
    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="worker", max_active_sessions=5,
                                                                  min_active_sessions=3)])
    ctx = ctx_for(city)
    accepted = apply_nested_caps(ctx, [Request("worker", "new", "sess-1", priority=2)], {})["worker"]
    # a floor request carries no work, so no bead priority (the state JSON's requests rows show it)
    assert [(r.template, r.session_bead_id, r.floor, r.priority) for r in accepted] == [
        ("worker", "sess-1", False, 2), ("worker", "", True, 0), ("worker", "", True, 0)]
    fills = [r for r in ctx.trace if r.site_code == "reconciler.pool.min_fill"]
    assert [(r.template, r.fields) for r in fills] == [
        ("worker", {"min": 3, "current": 1, "tier": "new"}),
        ("worker", {"min": 3, "current": 2, "tier": "new"})]


def test_a_floor_cut_by_its_rig_cap_stops_only_that_agent_s_fill():
    """applyNestedCaps' min fill: a floor request a cap rejects ends that agent's fill; the agents
    after it are still filled."""
    from core.config.city_config import Rig

    city = City(root="/tmp", path="/tmp/city.toml", rigs=[Rig(name="r1", path="r1", max_active_sessions=1)],
                agents=[Agent(name="a", dir="r1", max_active_sessions=5, min_active_sessions=2),
                        Agent(name="b", max_active_sessions=5, min_active_sessions=1)])
    accepted = apply_nested_caps(ctx_for(city), [], {})
    assert {k: len(v) for k, v in accepted.items()} == {"r1/a": 1, "b": 1}


def test_work_assigned_to_the_template_identity_schedules_one_wake_and_each_accept_is_traced():
    """resumeRequests' wake-known-identity tier records the work bead it wakes the template for;
    applyNestedCaps records each accepted request (cap, accepted) with its tier."""
    from core.desired.demand import resume_requests
    from core.world.beads import WorkBead

    city = City(root="/tmp", path="/tmp/city.toml", agents=[Agent(name="claude", max_active_sessions=3)])
    ctx = ctx_for(city)
    demand = Demand(assigned=[WorkBead("w-1", status="in_progress", assignee="claude", routed_to="claude"),
                              WorkBead("w-2", status="open", assignee="claude", routed_to="claude")])
    reqs = resume_requests(ctx, demand)
    assert [(r.tier, r.work_bead_id) for r in reqs] == [("wake-known-identity", "w-1")]
    apply_nested_caps(ctx, reqs, {})
    wake, accept = ctx.trace
    assert (wake.site_code, wake.reason_code, wake.outcome_code, wake.template, dict(wake.fields)) == (
        "reconciler.pool.wake_known_identity", "assigned_work", "scheduled", "claude",
        {"tier": "wake-known-identity", "work_bead": "w-1"})
    assert (accept.site_code, accept.reason_code, accept.outcome_code, accept.template, accept.fields) == (
        "reconciler.pool.accept", "cap", "accepted", "claude", {"tier": "wake-known-identity"})


def test_a_request_over_its_rig_cap_is_rejected_with_the_rig_its_max_use_and_tier():
    """nestedCapUsage.rejection's rig scope: site and reason rig_cap, with the rig, its max, its
    use and the request's tier."""
    from core.config.city_config import Rig

    city = City(root="/tmp", path="/tmp/city.toml", rigs=[Rig(name="r1", path="r1", max_active_sessions=1)],
                agents=[Agent(name="a", dir="r1", max_active_sessions=5)])
    ctx = ctx_for(city)
    accepted = apply_nested_caps(ctx, [Request("r1/a", "resume", "s-1", "w-1"), Request("r1/a", "new")], {})
    assert [r.tier for r in accepted["r1/a"]] == ["resume"]
    rejected = [(r.site_code, r.reason_code, r.outcome_code, r.template, r.fields) for r in ctx.trace
                if r.outcome_code == "rejected"]
    assert rejected == [("reconciler.pool.rig_cap", "rig_cap", "rejected", "r1/a",
                         {"rig": "r1", "rig_max": 1, "current": 1, "tier": "new"})]
    assert [(r.tier, why) for r, why in ctx.result.rejected] == [("new", "rig_cap")]
