"""The counts a tick's phase records carry (recordPhase fields in city_runtime.go's
beadReconcileTick and refreshDesiredState, session_reconciler.go's reconcileSessionBeads): the
ready-wait count, whether the circuit breaker is enabled, the forward pass's rollback count and
the desired session count of each refresh. Each is checked against a tick where it is not the
zero value, so a record that drops or blanks it is seen."""

from __future__ import annotations

import pathlib

from test_reconcile_rollback_budget import city as rollback_city

from core.scenario.file import load_scenario, run

FIDELITY = pathlib.Path(__file__).parent.parent / "scenarios" / "fidelity"


def _fields(trace: list[dict], operation: str) -> list[dict]:
    return [t["fields"] for t in trace if t["record_type"] == "operation" and t.get("operation_name") == operation]


def _first_tick_trace(path: pathlib.Path, step: int = 1) -> list[dict]:
    """The trace of the scenario's step `step` (a tick)."""
    return run(load_scenario(str(path))).states[step]["trace"]


def test_prepare_wait_wake_state_counts_the_ready_waits():
    """beadReconcileTick's prepare_wait_wake_state record: ready_wait_count = len(readyWaitSet),
    none while the dependency is open, one once it closed (WAIT01's fourth step)."""
    wait01 = FIDELITY / "WAIT01-ready-wait-wakes-held-session.toml"
    (before,) = _fields(_first_tick_trace(wait01), "bead_reconcile.prepare_wait_wake_state")
    (after,) = _fields(_first_tick_trace(wait01, 4), "bead_reconcile.prepare_wait_wake_state")
    assert (before["ready_wait_count"], after["ready_wait_count"]) == (0, 1)


def test_circuit_breaker_restore_says_whether_the_breaker_is_enabled():
    """reconcileSessionBeads' circuit_breaker_restore record: enabled = cbEnabled, true under a
    configured session circuit breaker and false without one."""
    (on,) = _fields(_first_tick_trace(FIDELITY / "CIRC04-restored-open-breaker-logs-once.toml"),
                    "session_reconcile.circuit_breaker_restore")
    (off,) = _fields(_first_tick_trace(FIDELITY / "WAIT01-ready-wait-wakes-held-session.toml"),
                     "session_reconcile.circuit_breaker_restore")
    assert on["enabled"] is True and off["enabled"] is False


def test_forward_pass_counts_the_rollbacks_of_the_tick(tmp_path):
    """reconcileSessionBeads' forward_pass record: rollback_count = rollbacksThisTick, the five
    rollbacks the budget allows of seven mismatched creates."""
    path = tmp_path / "rollback.toml"
    path.write_text(rollback_city(7) + '[[step]]\ndo = "tick"\n')
    (f,) = _fields(run(load_scenario(str(path))).states[1]["trace"], "session_reconcile.forward_pass")
    assert f["rollback_count"] == 5


def test_each_refresh_counts_the_desired_sessions():
    """refreshDesiredState's record: desired_session_count = len(desiredState) after the refresh,
    before and after sync (two named sessions here)."""
    trace = _first_tick_trace(FIDELITY / "WAIT01-ready-wait-wakes-held-session.toml")
    for phase in ("refresh_desired_state.before_sync", "refresh_desired_state.after_sync"):
        (f,) = _fields(trace, phase)
        assert f["desired_session_count"] == 2
