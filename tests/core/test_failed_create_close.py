"""How a failed-create bead is closed (cmd/gc/session_beads.go closeFailedCreateBead, closeBead;
cmd/gc/session_work_guard.go closeSessionBeadIfUnassigned, closeSessionInfoIfUnassigned,
closeSessionBeadIfReachableStoreUnassigned): a close whose reason is failed-create clears the
create claim and sleep intent and releases no work, and every close that goes through the
work guard closes a bead whose state is failed-create (trimmed) as failed-create, whatever
reason its caller gave."""

from __future__ import annotations

import pytest
from factories import (
    NAMED_MAYOR_IDENTITY,
    T0,
    make_city,
    named_mayor_scenario,
    scenario_model,
    session_bead,
)

from core.config.city_config import Agent
from core.outcome import Outcome
from core.reconcile import drain_ack
from core.reconcile.context import TickContext
from core.world.world import World

WORK = '''
[[work]]
id = "w-1"
status = "in_progress"
assignee = "mayor"
'''


def test_a_failed_create_named_bead_is_closed_without_releasing_its_work(tmp_path):
    # syncSessionBeads closes a named failed-create bead with closeFailedCreateBead, which
    # releases nothing: the work stays assigned to the mayor identity, so the bead created in
    # its place is started for that work.
    m = scenario_model(tmp_path, named_mayor_scenario(
        "failed-create mayor with work", NAMED_MAYOR_IDENTITY + 'state = "failed-create"\n', after=WORK), "s.toml")
    out = m.do({"do": "tick"})
    closes = [(a.bead_id, a.reason) for a in out.actions if a.kind == "close"]
    assert closes == [("gc-1", "failed-create")]
    w = m.world.store.work["w-1"]
    assert (w.status, w.assignee) == ("in_progress", "mayor")
    assert [a.reason for a in out.actions if a.kind == "start"] == ["assigned-work"]


def ctx_with(**md: str) -> TickContext:
    world = World()
    world.now = T0
    world.store.put_session(session_bead("b1", **{"session_name": "s1", "template": "worker", **md}))
    return TickContext(make_city(Agent(name="worker")), world, "current", Outcome())


@pytest.mark.parametrize(("state", "code"), [
    ("failed-create", "failed-create"),
    (" failed-create\t", "failed-create"),  # isFailedCreateSessionInfo trims the state
    ("asleep", "drained"),
])
def test_the_drain_ack_finalize_close_routes_a_failed_create_bead(state, code):
    # finalizeDrainAckStoppedSession closes through closeSessionBeadIfReachableStoreUnassigned
    ctx = ctx_with(state=state, pending_create_claim="true", sleep_intent="idle-stop")
    drain_ack.finalize(ctx, ctx.store.session("b1"), "worker", True)
    b = ctx.store.session("b1")
    assert not b.open
    assert b.get("state") == code
    closed = [a for a in ctx.out.actions if a.kind == "close"]
    assert [(a.bead_id, a.reason) for a in closed] == [("b1", code)]
    if code == "failed-create":  # closeFailedCreateBead clears the claim and the sleep intent
        assert b.get("pending_create_claim") == "" and b.get("sleep_intent") == ""


@pytest.mark.parametrize("code", ["duplicate", "gc_swept", "orphaned", "reconfigured"])
def test_the_work_guarded_close_sends_a_failed_create_bead_to_its_own_close(code):
    ctx = ctx_with(state="failed-create")
    assert ctx.close_unassigned(ctx.store.session("b1"), code)
    assert ctx.store.session("b1").get("state") == "failed-create"
    ctx = ctx_with(state="asleep")
    assert ctx.close_unassigned(ctx.store.session("b1"), code)
    assert ctx.store.session("b1").get("state") == code
