"""The observe-and-rollback steps at the head of reconcileSessionBeads' per-session pass
(cmd/gc/session_reconciler.go), called directly: the runtime is observed (running, alive), a due
reset stall is reported (recordResetStallIfDue), a zombie's pane is captured, and a pending
create is rolled back when its live runtime belongs to another session, or when no runtime is
alive and its lease expired (rollbackPendingCreate with pending_create_rollback /
pending_create_lease_expired). A rollback ends the session's tick."""

from __future__ import annotations

from factories import make_city, session_bead

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.forward import _observe_and_rollback, _SessionPass
from core.world.runtime import RuntimeSession
from core.world.world import World

ENTRY = DesiredEntry("worker", "worker", "rig/worker", "", 0, "pool")
CLAIM = {"state": "creating", "pending_create_claim": "true", "instance_token": "t-1"}
NOW = "2026-01-01T00:00:00Z"


def observe(rt: RuntimeSession | None, **md: str) -> tuple[bool, _SessionPass, TickContext]:
    """One observe-and-rollback pass over bead gc-1 (session `worker`; the pass's template is
    `tplx`, so records show which template they name)."""
    world = World()
    if rt is not None:
        world.runtime.sessions = world.runtime.sessions.set("worker", rt)
    world.store.put_session(session_bead("gc-1", session_name="worker", template="worker", generation="2", **md),
                            "create")
    ctx = TickContext(make_city(Agent(name="worker")), world, "current", Outcome())
    ctx.startup_timeout = 60.0
    s = _SessionPass(ctx.store.session("gc-1"), ENTRY, "tplx", "worker")
    return _observe_and_rollback(ctx, s), s, ctx


def records(ctx: TickContext) -> list[tuple]:
    return [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name) for t in ctx.out.trace]


def test_a_pending_create_whose_live_runtime_is_another_sessions_is_rolled_back():
    done, s, ctx = observe(RuntimeSession("worker", session_id="gc-9", instance_token="other"),
                           pending_create_started_at=NOW, **CLAIM)
    assert done is True and (s.running, s.alive) == (True, True)
    assert records(ctx) == [("reconciler.session.rollback_pending_create", "pending_create_rollback", "rollback",
                             "tplx", "worker")]
    assert ctx.out.logs == ["session reconciler: rolling back pending create worker: live runtime belongs to "
                            "another session"]
    assert ctx.store.session("gc-1").state == "failed-create"


def test_a_pending_create_whose_live_runtime_is_its_own_goes_on():
    done, s, ctx = observe(RuntimeSession("worker", session_id="gc-1", instance_token="t-1"),
                           pending_create_started_at=NOW, **CLAIM)
    assert done is False and (s.running, s.alive) == (True, True)
    assert ctx.out.trace == [] and ctx.store.session("gc-1").state == "creating"


def test_a_pending_create_with_no_live_runtime_and_an_expired_lease_is_rolled_back():
    done, s, ctx = observe(None, pending_create_started_at="2025-12-31T23:00:00Z", **CLAIM)
    assert done is True and (s.running, s.alive) == (False, False)
    assert records(ctx) == [("reconciler.session.rollback_pending_create", "pending_create_lease_expired", "rollback",
                             "tplx", "worker")]
    assert ctx.out.logs == ["session reconciler: rolling back pending create worker: lease expired and no live runtime"]
    assert ctx.store.session("gc-1").state == "failed-create"


def test_a_pending_create_within_its_lease_waits():
    done, _, ctx = observe(None, pending_create_started_at=NOW, **CLAIM)
    assert done is False and ctx.out.trace == [] and ctx.store.session("gc-1").state == "creating"


def test_an_unclaimed_bead_without_a_runtime_is_not_rolled_back():
    done, _, ctx = observe(None, state="asleep", pending_create_started_at="2025-12-31T23:00:00Z")
    assert done is False and ctx.out.trace == [] and ctx.store.session("gc-1").state == "asleep"


def test_a_zombies_pane_is_captured_and_the_pass_goes_on():
    done, s, ctx = observe(RuntimeSession("worker", session_id="gc-1", process_alive=False, peek="boom"),
                           state="active")
    assert done is False and (s.running, s.alive) == (True, False)
    assert [(e.type, e.subject, e.message, e.bead_id) for e in ctx.out.events] == \
        [("session.crashed", "rig/worker", "boom", "gc-1")]
    assert ctx.out.logs == []  # Gas City reports the zombie through the session.crashed event alone


def test_a_live_session_is_no_zombie():
    done, _, ctx = observe(RuntimeSession("worker", session_id="gc-1", peek="boom"), state="active")
    assert (done, ctx.out.events, ctx.out.logs) == (False, [], [])


def test_a_due_reset_stall_is_reported_with_the_passs_template_and_name():
    done, _, ctx = observe(None, state="asleep", continuation_reset_pending="true",
                           reset_committed_at="2025-12-31T23:00:00Z")
    assert done is False
    assert records(ctx) == [("reconciler.session.reset_stalled", "reset_stalled", "failed", "tplx", "worker")]


def test_a_live_session_is_no_reset_stall():
    _, _, ctx = observe(RuntimeSession("worker", session_id="gc-1"), state="active",
                        continuation_reset_pending="true", reset_committed_at="2025-12-31T23:00:00Z")
    assert ctx.out.trace == []
