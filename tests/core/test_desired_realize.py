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
    assert any("refusing to materialize named-session bead sess-refinery" in line
               and "'refinery'-N sibling" in line for line in ctx.result.logs)


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
    refresh pass floors app/db again, so it mints gc-2; the result records the pair, the log and
    the entry's why chain say what happened."""
    from pathlib import Path

    from core.scenario.file import load_scenario

    scn = load_scenario(str(Path(__file__).parent.parent / "scenarios" / "reconcile"
                            / "FID02-refresh-mints-second-floor-bead.toml"))
    m = scn.model()
    out = m.do({"do": "tick"})
    assert m.last_desired.duplicate_floors == [("app/db", "gc-2", ("gc-1",))]
    assert "dependency floor 'app/db': created gc-2 beside gc-1, created for the same floor earlier this tick: " \
           "sync had not stamped dependency_only on it yet, so the reuse lookup skipped it" in out.logs
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
