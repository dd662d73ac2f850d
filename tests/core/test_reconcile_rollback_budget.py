"""The forward pass's pending-create rollbacks (attemptRollbackPendingCreate in
reconcileSessionBeads, cmd/gc/session_reconciler.go; rollbackPendingCreateClears in
session_lifecycle_parallel.go). At most maxRollbacksPerTick (5) roll back in one tick: each is
logged "rolling back pending create <name>: <detail>" and recorded as a rollback decision at the
reconciler.session.rollback_pending_create site; past the budget a rollback is logged "deferring
rollback of <name> (<detail>): rollback budget exhausted this tick" and recorded rollback_deferred
with rollbacks_this_tick and max_rollbacks_per_tick, and nothing is rolled back (no batch). A
rolled-back bead whose session_name was explicit has the name released by a metadata update after
the failed-create close. Ported from TestReconcileSessionBeads_RollbackBudgetDefersExcessMismatches
AndStillStarts, whose output the test counts; here every record is checked."""

from __future__ import annotations

from factories import scenario_model

from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.rollback import MAX_ROLLBACKS_PER_TICK, rollback_pending_create

SITE = "reconciler.session.rollback_pending_create"
DETAIL = "live runtime belongs to another session"


def _creating(i: int) -> str:
    """Bead gc-<i+1>, a claimed create of sky-<i> with an explicit name, and a runtime of that
    name started for another bead."""
    return (f'[[session]]\nid = "gc-{i + 1}"\n[session.metadata]\nsession_name = "sky-{i}"\n'
            'session_name_explicit = "true"\nagent_name = "helper"\ntemplate = "helper"\nstate = "creating"\n'
            f'pending_create_claim = "true"\ngeneration = "1"\ninstance_token = "token-{i}"\n'
            f'[[runtime]]\nname = "sky-{i}"\nsession_id = "other-{i}"\ninstance_token = "different-token"\n')


def city(n: int) -> str:
    return ('name = "rollback budget"\nstart = "2026-03-08T12:00:00Z"\n[city.workspace]\nname = "test-city"\n'
            '[[city.agent]]\nname = "helper"\nmax_active_sessions = 7\n' + "".join(_creating(i) for i in range(n)))


def test_five_mismatched_creates_roll_back_and_the_rest_are_deferred_this_tick(tmp_path):
    m = scenario_model(tmp_path, city(7))
    out = m.do({"do": "tick"})
    assert [(t.reason_code, t.outcome_code, t.template, t.session_name, t.fields) for t in out.trace
            if t.site_code == SITE] == (
        [("pending_create_rollback", "rollback", "helper", f"sky-{i}", {}) for i in range(5)]
        + [("pending_create_rollback", "rollback_deferred", "helper", f"sky-{i}",
            {"rollbacks_this_tick": 5, "max_rollbacks_per_tick": 5}) for i in (5, 6)])
    assert [line for line in out.logs if "rollback" in line or "rolling back" in line] == (
        [f"session reconciler: rolling back pending create sky-{i}: {DETAIL}" for i in range(5)]
        + [f"session reconciler: deferring rollback of sky-{i} ({DETAIL}): rollback budget exhausted this tick"
           for i in (5, 6)])
    assert [b.id for b in m.world.store.open_sessions()] == ["gc-6", "gc-7"]


def test_a_rolled_back_explicit_name_is_released_by_an_update_after_the_close(tmp_path):
    """rollbackPendingCreateClears: the session_name clear is a metadata write (SetMetadataBatch)
    after the failed-create close, in the same transaction."""
    m = scenario_model(tmp_path, city(1))
    out = m.do({"do": "tick"})
    writes = [(t.write_method, t.fields["diffs"]) for t in out.trace
              if t.record_type == "mutation" and t.fields["diffs"].get("session_name") is not None
              or t.record_type == "mutation" and t.write_method == "close"]
    assert [w for w, _ in writes] == ["close", "update"]
    assert writes[1][1]["session_name"] == {"before": "sky-0", "after": ""}
    b = m.world.store.session("gc-1")
    assert (b.open, b.get("state"), b.get("session_name")) == (False, "failed-create", "")


def test_rollback_says_whether_it_rolled_back(tmp_path):
    """attemptRollbackPendingCreate returns no batch once the budget is spent: False, the bead
    left open; within the budget True, the bead closed and the tick's count taken."""
    m = scenario_model(tmp_path, city(2))
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    ctx.rollbacks = MAX_ROLLBACKS_PER_TICK - 1
    first, second = m.world.store.session("gc-1"), m.world.store.session("gc-2")
    assert rollback_pending_create(ctx, first, "helper", "pending_create_rollback", DETAIL) is True
    assert ctx.rollbacks == MAX_ROLLBACKS_PER_TICK
    assert rollback_pending_create(ctx, second, "helper", "pending_create_rollback", DETAIL) is False
    assert (m.world.store.session("gc-1").open, m.world.store.session("gc-2").open) == (False, True)
