"""No bead field, however corrupt, raises out of a tick.

Every metadata key the model reads (each constant in core.world.beads) is set, one key per
world, to each hostile value on beads of every kind (a named always session with its runtime
and circuit breaker, an asleep named on-demand session, a live pool session with work, an
asleep pool session, a claimed create, a manual session); then the controller ticks across
the lease, idle, age and quarantine horizons. Each tick must complete: nothing raised, no step
error, and no panic recovered by the tick's safety net (Gas City's safeTick, which logs
`reconciler tick panicked`); a value the breaker cannot restore is logged as Gas City logs it. Work beads get the same treatment on their fields and metadata.
"""

from __future__ import annotations

import pathlib

import pytest

from core.desired.stamp import LEGACY_WORK_DIR as STAMP_LEGACY_WORK_DIR
from core.desired.stamp import ROOT_BEAD_ID as STAMP_ROOT_BEAD_ID
from core.desired.stamp import SESSION_NAME as STAMP_SESSION_NAME
from core.desired.stamp import WORK_DIR as STAMP_WORK_DIR
from core.model.facade import Model
from core.reconcile.orphans import DETACHED
from core.reconcile.route_recovery import WORKFLOW_ID
from core.scenario.file import load_scenario
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead

CITY = """
name = "hostile"
start = "2026-05-16T12:00:00Z"

[city.workspace]
name = "test-city"

[city.daemon]
session_circuit_breaker = true
session_circuit_breaker_max_restarts = 2
session_circuit_breaker_window = "30m"

[[city.agent]]
name = "mayor"
idle_timeout = "10m"
max_session_age = "1h"

[[city.agent]]
name = "helper"
sleep_after_idle = "5m"
wake_mode = "fresh"

[[city.agent]]
name = "worker"
max_active_sessions = 3
scale_check = "echo 2"

[[city.named_session]]
template = "mayor"
mode = "always"

[[city.named_session]]
template = "helper"
mode = "on_demand"
"""

HOSTILE = [
    "NaN", " ", "-1", "+7", "99999999999999999999999", "9" * 5000, "²", "٣", "1_0",
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59Z",
    "2026-02-30T00:00:00Z", "2026-05-16", "2026-05-16T12:00:00+99:99", "[", "[1]", '["NaN"]', "null", "{}",
    "true", "CIRCUIT_OPEN ", "\x00", "🙂", "a,,b, ,", "worker-²", "worker-9999999999999999999999", "gc-٣",
    "  mayor  ", "-", "rig/", "1e400", "9" * 30 + "h",
]

SESSIONS = {
    "gc-1": {"session_name": "mayor", "agent_name": "mayor", "alias": "mayor", "template": "mayor",
             "session_origin": "named", "configured_named_session": "true", "configured_named_identity": "mayor",
             "configured_named_mode": "always", "state": "active", "generation": "2", "instance_token": "t1",
             "last_woke_at": "2026-05-16T11:00:00Z", "creation_complete_at": "2026-05-16T11:00:00Z",
             "started_config_hash": "v5:x", "session_circuit_state": "CIRCUIT_CLOSED"},
    "gc-2": {"session_name": "helper", "agent_name": "helper", "alias": "helper", "template": "helper",
             "session_origin": "named", "configured_named_session": "true", "configured_named_identity": "helper",
             "configured_named_mode": "on_demand", "state": "asleep", "sleep_reason": "idle",
             "wake_mode": "fresh", "last_woke_at": "2026-05-16T10:00:00Z"},
    "gc-3": {"session_name": "worker-gc-3", "agent_name": "worker-1", "alias": "worker-1", "template": "worker",
             "pool_slot": "1", "pool_managed": "true", "session_origin": "ephemeral", "state": "active",
             "last_woke_at": "2026-05-16T11:59:40Z", "currently_processing_bead_id": "w-1"},
    "gc-4": {"session_name": "worker-gc-4", "agent_name": "worker-2", "template": "worker", "pool_slot": "2",
             "pool_managed": "true", "session_origin": "ephemeral", "state": "asleep", "sleep_reason": "idle",
             "wake_attempts": "4", "churn_count": "2"},
    "gc-5": {"session_name": "worker-gc-5", "agent_name": "worker-3", "template": "worker", "pool_slot": "3",
             "pool_managed": "true", "session_origin": "ephemeral", "state": "start-pending",
             "pending_create_claim": "true", "pending_create_started_at": "2026-05-16T11:59:00Z"},
    "gc-6": {"session_name": "chat-1", "agent_name": "helper", "template": "helper", "manual_session": "true",
             "session_origin": "manual", "state": "awake", "detached_at": "2026-05-16T11:00:00Z"},
}
RUNTIMES = ("mayor", "worker-gc-3", "chat-1")


def _keys() -> list[str]:
    keys = {v for k, v in vars(B).items() if k.isupper() and isinstance(v, str) and k not in (
        "ROUTED_TO", "RUN_TARGET", "KIND", "KIND_WORKFLOW")}
    return sorted(keys)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    p = pathlib.Path(tmp_path_factory.mktemp("hostile")) / "city.toml"
    p.write_text(CITY)
    return load_scenario(str(p))


def _world(scn, key: str, value: str) -> Model:
    model = scn.model()
    store = model.world.store
    for base_id, md in SESSIONS.items():
        bad = dict(md)
        bad[key] = value
        store.put_session(SessionBead(base_id, scn.start, {k: v for k, v in bad.items() if v}))
    from core.world.runtime import RuntimeSession

    for name in RUNTIMES:
        bid = next(i for i, md in SESSIONS.items() if md["session_name"] == name)
        model.world.runtime.put(RuntimeSession(name=name, session_id=bid, started_at=scn.start,
                                               last_activity=scn.start))
    store.put_work(WorkBead("w-1", "in_progress", "worker-gc-3", created_at=scn.start))
    store.put_work(WorkBead("w-2", "open", "mayor", created_at=scn.start))
    store.put_work(WorkBead("w-3", "open", "", routed_to="worker", created_at=scn.start))
    store.journal.clear()
    return model


def _run(model: Model, label: str) -> None:
    for step in ({"do": "tick"}, {"do": "advance", "by": "2m"}, {"do": "tick"}, {"do": "advance", "by": "2h"},
                 {"do": "restart_controller"}, {"do": "tick"}):
        try:
            out = model.do(step)
        except Exception as e:  # the point of the test: nothing may escape
            raise AssertionError(f"{label}: step {step} raised {type(e).__name__}: {e}") from e
        if step["do"] == "tick":
            assert not out.error, f"{label}: {out.error}"
            assert not out.panic, f"{label}: {out.panic}"


@pytest.mark.parametrize("key", _keys())
def test_no_session_metadata_value_raises_out_of_a_tick(scenario, key):
    for value in HOSTILE:
        _run(_world(scenario, key, value), f"{key}={value[:40]!r}")


# every work-bead metadata key the model reads (routing, workflow links, the detached probe, the
# drain-step check, the run-session stamps, route recovery's workflow link)
WORK_METADATA_KEYS = (
    B.KIND, B.RUN_TARGET, B.CURRENTLY_PROCESSING, *B.SESSION_AFFINITY_KEYS, DETACHED, "gc.step_ref",
    STAMP_ROOT_BEAD_ID, "gc.formula_name", STAMP_SESSION_NAME, STAMP_WORK_DIR, STAMP_LEGACY_WORK_DIR, WORKFLOW_ID,
)


@pytest.mark.parametrize("field", ["status", "assignee", "routed_to", "metadata", "store", "type"])
def test_no_work_bead_value_raises_out_of_a_tick(scenario, field):
    for value in HOSTILE:
        model = _world(scenario, B.STATE, "active")
        store = model.world.store
        for w in list(store.work.values()):
            if field == "metadata":
                w = w.with_(metadata={k: value for k in WORK_METADATA_KEYS})
            else:
                w = w.with_(**{field: value})
            store.put_work(w)
        _run(model, f"work.{field}={value[:40]!r}")


def test_a_corrupt_circuit_field_is_logged_and_the_tick_goes_on(scenario):
    model = _world(scenario, B.CIRCUIT_OPEN_RESTART_COUNT, "NaN")
    out = model.do({"do": "tick"})
    assert any(line.startswith("session reconciler: loading session circuit breaker state for mayor: parsing "
                               "session_circuit_open_restart_count: strconv.Atoi: parsing \"NaN\": invalid syntax")
               for line in out.logs), out.logs
