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


def test_the_awake_set_phase_counts_targets_decisions_and_evals():
    """reconcileSessionBeads' compute_awake_set_and_idle_probes record: wake_target_count,
    awake_decision_count and awake_eval_count, the two named sessions of WAIT01 in each; the
    apply_wake_sleep_decisions record counts the targets again and the start candidates."""
    trace = _first_tick_trace(FIDELITY / "WAIT01-ready-wait-wakes-held-session.toml")
    (f,) = _fields(trace, "session_reconcile.compute_awake_set_and_idle_probes")
    assert (f["wake_target_count"], f["awake_decision_count"], f["awake_eval_count"]) == (2, 2, 2)
    (g,) = _fields(trace, "session_reconcile.apply_wake_sleep_decisions")
    assert g["wake_target_count"] == 2


DEPENDENT_PAIR = """name = "a dependent pair"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "db"
[[city.agent]]
name = "app"
depends_on = ["db"]
[[city.named_session]]
template = "db"
mode = "always"
[[city.named_session]]
template = "app"
mode = "always"
[[step]]
do = "tick"
"""


def test_the_bead_reconcile_phases_count_what_they_saw(tmp_path):
    """A first tick of two always-on named sessions, `app` depending on `db`: both beads are
    created, ordered, made wake targets and start candidates, and both start. Each phase record
    carries its count (beadReconcileTick and reconcileSessionBeads' recordPhase fields)."""
    path = tmp_path / "pair.toml"
    path.write_text(DEPENDENT_PAIR)
    trace = run(load_scenario(str(path))).states[1]["trace"]
    want = {
        "bead_reconcile.prepare_wait_wake_state": {"configured_name_count": 2, "ready_wait_count": 0},
        "session_reconcile.build_deps": {"dependency_template_count": 1},
        "session_reconcile.heal_and_retire_duplicates": {"session_count": 2},
        "session_reconcile.topo_order": {"ordered_session_count": 2},
        "session_reconcile.circuit_breaker_restore": {"enabled": False, "session_count": 2},
        "session_reconcile.forward_pass": {"ordered_session_count": 2, "wake_target_count": 2, "rollback_count": 0},
        "session_reconcile.apply_wake_sleep_decisions": {"wake_target_count": 2, "start_candidate_count": 2},
        "session_reconcile.execute_planned_starts": {"start_candidate_count": 2, "planned_wake_count": 2},
    }
    assert {op: _fields(trace, op) for op in want} == {op: [f] for op, f in want.items()}


def test_the_release_and_sweep_phases_count_what_they_did():
    """released_count = len(released) (ORPHAN01 releases one orphaned work bead); the sweep's
    count of closed undesired pool beads (S21 sweeps one stale pool bead)."""
    (rel,) = _fields(_first_tick_trace(FIDELITY / "ORPHAN01-orphaned-pool-work-released.toml"),
                     "bead_reconcile.release_orphaned_pool_assignments")
    incidents = FIDELITY.parent / "incidents"
    (swept,) = _fields(_first_tick_trace(incidents / "S21-zero-scale-stale-pool-beads-not-desired.toml"),
                       "bead_reconcile.sweep_undesired_pool_sessions")
    assert rel == {"released_count": 1} and swept == {"swept": 1}


def _trace_of_step(path: pathlib.Path, step: int) -> list[dict]:
    return run(load_scenario(str(path))).states[step]["trace"]


def test_the_tick_head_counts_what_hygiene_and_the_drain_ack_finalize_did():
    """CityRuntime.tick's records before the demand snapshot: runtime hygiene reaps the two dead
    corpses of HYGIENE-dead-runtime-corpse; the drain-ack finalize finishes R26's acknowledged
    stop on its second tick; the demand snapshot's record names the tick's trigger (patrol)."""
    reconcile = FIDELITY.parent / "reconcile"
    hygiene = _trace_of_step(reconcile / "HYGIENE-dead-runtime-corpse.toml", 1)
    assert _fields(hygiene, "tick.runtime_hygiene") == [{"reaped": 2}]
    assert _fields(hygiene, "load_demand_snapshot") == [{"trigger": "patrol"}]
    finalized = _trace_of_step(reconcile / "R26-agent-drain-ack-desired.toml", 2)
    assert _fields(finalized, "tick.finalize_drain_ack_stops") == [{"finalized": 1}]


def test_a_tick_counts_once_and_times_each_phase():
    """run_tick: the world's tick number moves by one, the outcome counts one tick, and the phase
    timing hook has a lap for each of the tick's phases."""
    from core.config.city_config import City
    from core.reconcile.tick import run_tick
    from core.world.world import World

    world = World()
    world.tick = 41  # a world some ticks in
    out = run_tick(City(root=".", path="city.toml"), world, "current")
    assert world.tick == 42 and out.ticks == 1
    assert set(out.timings) == {"prepare", "build", "sync", "reconcile", "trace"}
