"""commitStartFailure (session_lifecycle_parallel.go): how a failed start is committed. A
terminal provider error marks the bead and, for a claimed pending create, rolls it back; any
other error rolls a claimed pending create back without counting a wake failure (a rolled-back
create is recreated fresh, TestReconcileSessionBeads_RollsBackPendingCreateOnProviderError);
an unclaimed start clears last_woke_at and counts a wake failure. Each arm records exactly one
operation with the start's outcome and nothing else: its rollback (rollbackPendingCreate) writes
no `rolling back pending create` line and no rollback_pending_create decision, those being the
forward pass's (attemptRollbackPendingCreate), and it is never held back by the forward pass's
per-tick rollback budget."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from factories import scenario_model

from core.desired.entries import DesiredEntry
from core.outcome import Outcome
from core.reconcile.context import TickContext
from core.reconcile.rollback import MAX_ROLLBACKS_PER_TICK
from core.reconcile.starts import StartCandidate, start_failed

R29 = Path(__file__).parent.parent / "scenarios" / "reconcile" / "R29-live-pending-create-healed.toml"


def fail(tmp_path, err: str, claim: bool, rollbacks: int = 0, outcome: str = "provider_error"):
    text = R29.read_text().replace('pending_create_claim = "true"\n', 'pending_create_claim = "true"\n'
                                   'last_woke_at = "2026-03-08T11:59:30Z"\n')
    m = scenario_model(tmp_path, text)
    ctx = TickContext(m.city, m.world, m.semantics, Outcome())
    ctx.rollbacks = rollbacks
    entry = DesiredEntry(session_name="worker-gc-1", template="worker", identity="worker", alias="", pool_slot=0,
                         source="new")
    b = m.world.store.session("gc-1")
    start_failed(ctx, b, StartCandidate("gc-1", entry, 0, "", datetime(2026, 3, 8)), err, claim, outcome)
    return ctx, m.world.store.session("gc-1")


def ops(ctx):
    return [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name, t.fields)
            for t in ctx.out.trace if t.record_type == "operation"]


def decisions(ctx):
    return [t.site_code for t in ctx.out.trace if t.record_type == "decision"]


@pytest.mark.parametrize("rollbacks", [0, MAX_ROLLBACKS_PER_TICK])
def test_a_terminal_error_on_a_claimed_create_marks_it_and_rolls_it_back(tmp_path, rollbacks):
    ctx, b = fail(tmp_path, "Error: model not found", True, rollbacks)
    assert "session reconciler: starting worker-gc-1: Error: model not found" in ctx.out.logs
    assert b.get("provider_terminal_error") == "model_not_found"
    assert not b.open and b.get("last_woke_at") == "" and b.get("pending_create_claim") == ""
    assert b.get("wake_attempts") == ""
    # the terminal arm's one record is an operation, not the session-level decision
    assert ops(ctx) == [("reconciler.start.terminal_provider_error", "start", "provider_error", "worker",
                         "worker-gc-1", {"error": "Error: model not found", "reason": "model_not_found"})]
    assert decisions(ctx) == []
    assert ctx.out.logs == ["session reconciler: starting worker-gc-1: Error: model not found"]


@pytest.mark.parametrize("rollbacks", [0, MAX_ROLLBACKS_PER_TICK])
def test_a_provider_error_on_a_claimed_create_rolls_it_back_without_a_wake_failure(tmp_path, rollbacks):
    ctx, b = fail(tmp_path, "boom\nsecond line", True, rollbacks)
    # formatLifecycleError keeps the error to one line, in the log and the trace
    assert "session reconciler: starting worker-gc-1: boom\\nsecond line" in ctx.out.logs
    assert ops(ctx) == [("reconciler.start.rollback_pending", "start", "provider_error", "worker", "worker-gc-1",
                         {"error": "boom\\nsecond line"})]
    assert not b.open and b.get("last_woke_at") == "" and b.get("wake_attempts") == ""
    assert b.get("provider_terminal_error") == ""
    # rollbackPendingCreate, unlike the forward pass's attemptRollbackPendingCreate, neither
    # logs `rolling back pending create` nor records a rollback_pending_create decision
    assert decisions(ctx) == []
    assert ctx.out.logs == ["session reconciler: starting worker-gc-1: boom\\nsecond line"]


def test_a_failed_start_records_its_own_outcome(tmp_path):
    # the operation carries result.outcome, e.g. a start that outlived its deadline
    ctx, _ = fail(tmp_path, 'session "worker-gc-1" startup: context deadline exceeded', True,
                  outcome="deadline_exceeded")
    assert [(site, outcome) for site, _, outcome, *_ in ops(ctx)] == [
        ("reconciler.start.rollback_pending", "deadline_exceeded")]


def test_an_unclaimed_start_failure_counts_a_wake_failure(tmp_path):
    ctx, b = fail(tmp_path, "boom", False)
    assert "session reconciler: starting worker-gc-1: boom" in ctx.out.logs
    assert ops(ctx) == [("reconciler.start.failed", "start", "provider_error", "worker", "worker-gc-1",
                         {"error": "boom"})]
    assert b.open and b.get("last_woke_at") == "" and b.get("wake_attempts") == "1"
