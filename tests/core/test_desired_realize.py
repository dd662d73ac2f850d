"""Realize-phase rules that a build cannot reach on its own: the named-bead refusal (D7), the
backoff-gated deferral write (B18) and the create budget's fair share (G2)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import Agent, City
from core.desired.budget import CreateBudget
from core.desired.context import BuildContext
from core.desired.entries import Request
from core.desired.realize import realize_template, record_deferred
from core.formats.timefmt import format_time
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 7, 19, 12, tzinfo=UTC)


def ctx_with(agent: Agent, *beads: SessionBead) -> BuildContext:
    world = World(T0)
    for b in beads:
        world.store.put_session(b)
    return BuildContext(City(root="/tmp", path="/tmp/city.toml", agents=[agent]), world, "current", [])


def test_named_session_bead_is_refused_as_a_pool_instance():
    named = SessionBead("sess-refinery", T0, {
        "session_name": "refinery", "template": "refinery", "agent_name": "refinery", "state": "active",
        "configured_named_session": "true", "configured_named_identity": "refinery",
        "configured_named_mode": "on_demand"})
    ctx = ctx_with(Agent(name="refinery", max_active_sessions=1), named)
    realize_template(ctx, ctx.agent("refinery"), [Request("refinery", "resume", "sess-refinery", "w1")], set(),
                     CreateBudget(5))
    assert ctx.result.entries == {}
    assert ('buildDesiredState: pool "refinery": refusing to materialize named-session bead sess-refinery as pool '
            'instance (would create phantom "refinery"-N sibling)') in ctx.result.logs


def test_deferral_inside_the_backoff_window_writes_nothing():
    recent = format_time(T0)
    b = SessionBead("gm-3", T0, {"template": "mayor", "agent_name": "mayor", "alias": "mayor", "session_name": "s-3",
                                 "pool_managed": "true", "pool_alias_conflict_count": "5",
                                 "pool_alias_conflict_at": recent, "pool_alias_conflict": "mayor"})
    ctx = ctx_with(Agent(name="mayor", max_active_sessions=1), b)
    ctx.store.journal.clear()
    stored, why = record_deferred(ctx, ctx.agent("mayor"), b, "gm-1", "alias")
    assert stored.get("pool_alias_conflict_count") == "5"
    assert stored.get("pool_alias_conflict_at") == recent
    assert ctx.store.journal == []
    assert [w.rule for w in why] == ["alias.deferred", "alias.backoff"]
    assert why[0].detail == "mayor is held by gm-1 (alias); retried with backoff"


def test_floor_template_gets_the_only_token():
    budget = CreateBudget(1)
    budget.configure_fair_share({"alpha": [Request("alpha", "new")] * 5,
                                 "zulu": [Request("zulu", "new", floor=True)]})
    assert not budget.try_claim("alpha")
    assert budget.try_claim("zulu")


def test_single_contender_is_not_fair_shared_and_a_refund_is_reusable():
    budget = CreateBudget(2)
    budget.configure_fair_share({"worker": [Request("worker", "new")] * 5})
    assert budget.try_claim("worker") and budget.try_claim("worker")
    assert not budget.try_claim("worker")
    budget.release()
    assert budget.try_claim("worker")


def test_in_flight_requests_reserve_no_fresh_tokens():
    budget = CreateBudget(2)
    budget.configure_fair_share({"alpha": [Request("alpha", "new", "sess-creating", inflight=True)],
                                 "zulu": [Request("zulu", "new"), Request("zulu", "new")]})
    assert budget.try_claim("zulu") and budget.try_claim("zulu")


def test_a_refresh_pass_that_mints_a_second_floor_bead_records_and_explains_it():
    """FID02: the floor bead gc-1 created by the build has no dependency_only mark when the
    refresh pass floors app/db again, so it mints gc-2; the result records the pair and the
    entry's why chain says what happened (refreshDesiredState writes no log line for it)."""
    from pathlib import Path

    from core.scenario.file import load_scenario

    scn = load_scenario(str(Path(__file__).parent.parent / "scenarios" / "reconcile"
                            / "FID02-refresh-mints-second-floor-bead.toml"))
    m = scn.model()
    out = m.do({"do": "tick"})
    assert m.last_desired.duplicate_floors == [("app/db", "gc-2", ("gc-1",))]
    assert not any("dependency floor" in line for line in out.logs)
    why = {w.rule: w.detail for w in m.last_desired.entries["db-gc-2"].why}
    assert why["demand.duplicate_floor"] == (
        "gc-1, an earlier floor bead for app/db that never got dependency_only, is still open with its create "
        "claim: a refresh pass could not reuse it and minted this one (Gas City refreshDesiredState); it keeps "
        "its alias until its lease lapses and the sweep closes it")


def test_trigger_env_names_the_work_bead_and_its_store_under_both_names():
    from core.desired.realize import trigger_env

    assert trigger_env(SessionBead("gc-1", T0, {B.TRIGGER_BEAD_ID: "  "})) == {}
    b = SessionBead("gc-1", T0, {B.TRIGGER_BEAD_ID: " w-1 "})
    assert trigger_env(b) == {"GC_TRIGGER_BEAD_ID": "w-1", "GC_TRIGGER_WORK_BEAD_ID": "w-1"}
    b = SessionBead("gc-1", T0, {B.TRIGGER_BEAD_ID: "w-1", B.TRIGGER_BEAD_STORE_REF: " rig:alpha "})
    assert trigger_env(b) == {"GC_TRIGGER_BEAD_ID": "w-1", "GC_TRIGGER_WORK_BEAD_ID": "w-1",
                              "GC_TRIGGER_BEAD_STORE_REF": "rig:alpha", "GC_TRIGGER_WORK_STORE_REF": "rig:alpha"}
    assert trigger_env(SessionBead("gc-1", T0, {B.TRIGGER_BEAD_STORE_REF: "rig:alpha"})) == {}


FLOOR_TWIN = {"template": "app/db", "agent_name": "app/db-1", "session_name": "", "pool_managed": "true",
              "session_origin": "ephemeral", "state": "start-pending", "pending_create_claim": "true"}


def floor_ctx(semantics: str, *beads: SessionBead) -> tuple[BuildContext, Agent]:
    db = Agent(name="db", dir="app", max_active_sessions=1)
    world = World(T0)
    for b in beads:
        world.store.put_session(b)
    city = City(root="/tmp", path="/tmp/city.toml", agents=[db, Agent(name="api", dir="app", depends_on=["app/db"])])
    return BuildContext(city, world, semantics, []), db


def test_a_fresh_floor_beside_earlier_floor_beads_of_the_tick_names_every_one_still_open():
    """refreshDesiredState: the floor beads this tick created for the template that are still
    open (not the closed one, not the new bead) are named in the new entry's why, and the
    duplicate is recorded; no log line is written for it."""
    from core.desired.floors import ensure_floor

    beads = [SessionBead(bid, T0, {**FLOOR_TWIN, "session_name": f"db-{bid}"}) for bid in ("gc-1", "gc-3", "gc-5")]
    ctx, db = floor_ctx("current", *beads)
    ctx.store.close_session("gc-5", "done", T0)
    ctx.result.floor_created = {"app/db": ["gc-1", "gc-3", "gc-5"]}
    ensure_floor(ctx, db, "app/api")
    (entry,) = ctx.result.entries.values()
    new = entry.bead_id
    assert new not in ("gc-1", "gc-3", "gc-5") and ctx.result.floor_created["app/db"][-1] == new
    assert ctx.result.duplicate_floors == [("app/db", new, ("gc-1", "gc-3"))]
    assert ctx.result.logs == []
    dup = [(w.rule, w.detail) for w in entry.why if w.rule.startswith("demand.duplicate")]
    assert dup == [("demand.duplicate_floor",
                    "a second floor bead for app/db: gc-1, gc-3 was created for this floor earlier in the same tick, "
                    "but floors only reuse beads marked dependency_only and sync writes that mark after the refresh "
                    "pass (Gas City refreshDesiredState)")]


def test_a_reused_floor_names_the_lingering_twins_of_its_own_slot_one_identity():
    """Before #1989 a single-session template's floor identity is its slot-1 instance (app/db-1):
    the open pool beads of that identity created before the reused floor bead, still holding
    their create claim, are named in its why. Today the floor identity is the bare app/db, and
    beads of app/db-1 are no twins of it."""
    from core.desired.floors import ensure_floor

    twins = [SessionBead(bid, T0, {**FLOOR_TWIN, "session_name": f"db-{bid}"}) for bid in ("gc-1", "gc-2")]
    floor = SessionBead("gc-4", T0, {**FLOOR_TWIN, "session_name": "db-gc-4", "dependency_only": "true",
                                     "state": "asleep", "pending_create_claim": ""})
    ctx, db = floor_ctx("current", *twins, floor)
    ensure_floor(ctx, db, "app/api")
    assert not [w for w in ctx.result.entries["db-gc-4"].why if w.rule.startswith("demand.duplicate")]
    ctx, db = floor_ctx("pre-1989", *twins, floor)
    ensure_floor(ctx, db, "app/api")
    entry = ctx.result.entries["db-gc-4"]
    dup = [(w.rule, w.detail) for w in entry.why if w.rule.startswith("demand.duplicate")]
    assert dup == [("demand.duplicate_floor",
                    "gc-1, gc-2, an earlier floor bead for app/db that never got dependency_only, is still open with "
                    "its create claim: a refresh pass could not reuse it and minted this one (Gas City "
                    "refreshDesiredState); it keeps its alias until its lease lapses and the sweep closes it")]


def test_a_refused_trigger_bind_logs_the_store_error_whole():
    """bindPoolSessionTriggerBead's failure line carries the update's error as the store gave it,
    colons and all; the bead is handed on as stored."""
    from core.desired.realize import bind_trigger

    bead = SessionBead("gc-1", T0, {"session_name": "s-w", "template": "w", "pool_managed": "true",
                                    "state": "awake"})
    ctx = ctx_with(Agent(name="w", max_active_sessions=3), bead)
    ctx.store.write_faults = [["write", 1, "update rejected: bead gc-1: locked"]]
    out = bind_trigger(ctx, ctx.store.session("gc-1"), Request("w", "new", "gc-1", "wb-9"))
    assert out.get(B.TRIGGER_BEAD_ID) == ""
    assert ctx.result.logs == ['buildDesiredState: pool "w" session gc-1 trigger bead wb-9: '
                               'update rejected: bead gc-1: locked (continuing without trigger env)']
