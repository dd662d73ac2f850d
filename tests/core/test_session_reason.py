"""The REASON a session gives (explain's lifecycle.reason, the Why panel's first
lifecycle line), as `gc session list` computes it: the lifecycle display reason first (an open
circuit with its `gc session reset` hint, the sleep reason unless its timer lapsed, quarantine,
wait hold, hold), else for a running session its comma-joined wake reasons, for a sleeping one
why the awake computation lets it sleep."""

from __future__ import annotations

import pytest
from factories import NAMED_MAYOR_IDENTITY, scenario_model

from core.explain.explanation import explain_session

CITY = """
name = "reasons"
start = "2026-05-16T12:00:00Z"

[city.workspace]
name = "test-city"

[[city.agent]]
name = "mayor"

[[city.agent]]
name = "worker"
max_active_sessions = 2
suspended = {worker_suspended}

[[city.named_session]]
template = "mayor"
mode = "always"

[[session]]
id = "gc-1"
[session.metadata]
""" + NAMED_MAYOR_IDENTITY + """state = "asleep"
{mayor}

[[session]]
id = "gc-2"
[session.metadata]
session_name = "worker-gc-2"
agent_name = "worker-1"
template = "worker"
pool_slot = "1"
pool_managed = "true"
session_origin = "ephemeral"
state = "asleep"
{worker}
"""


def _reason(tmp_path, *, mayor: str = "", worker: str = "", worker_suspended: str = "false",
            bead: str = "gc-1") -> tuple[str, str, list[str]]:
    x = explain_session(scenario_model(tmp_path, CITY.format(mayor=mayor, worker=worker,
                                                            worker_suspended=worker_suspended)), bead)
    life = x.lifecycle
    return life.reason, life.reason_hint, list(life.explanation)


def test_an_open_circuit_gives_circuit_open_and_the_reset_hint(tmp_path):
    reason, hint, lines = _reason(tmp_path, mayor='session_circuit_state = "CIRCUIT_OPEN"\nsleep_reason = "idle"')
    assert reason == "circuit-open"
    assert hint == "run `gc session reset mayor` to clear the breaker"
    assert lines[0].startswith("REASON circuit-open") and "gc session reset mayor" in lines[0]


@pytest.mark.parametrize("meta, want", [
    ('sleep_reason = "idle-timeout"', "idle-timeout"),
    ('quarantined_until = "2026-05-16T13:00:00Z"', "quarantine"),
    ('sleep_reason = "quarantine"\nquarantined_until = "2026-05-16T11:00:00Z"', "no-demand"),  # lapsed
    ('wait_hold = "true"', "wait-hold"),
    ('held_until = "2026-05-16T13:00:00Z"', "user-hold"),
])
def test_the_lifecycle_display_reason_comes_first(tmp_path, meta, want):
    assert _reason(tmp_path, worker=meta, bead="gc-2")[0] == want


def test_a_suspended_agent_says_suspended_and_an_undemanded_pool_bead_no_demand(tmp_path):
    assert _reason(tmp_path, bead="gc-2", worker_suspended="true")[0] == "suspended"
    assert _reason(tmp_path, bead="gc-2")[0] == "no-demand"


def test_a_running_session_gives_the_wake_reasons_gc_session_list_shows(tmp_path):
    """A running session's REASON is its comma-joined wake reasons (core.views.wake_reasons): the pool
    bead is within cliPoolDesired (its pool's max), and a terminal is attached."""
    runtime = '\n[[runtime]]\nname = "worker-gc-2"\nsession_id = "gc-2"\nattached = {attached}\n'
    for attached, want in (("true", "config,attached"), ("false", "config")):
        text = CITY.format(mayor="", worker="", worker_suspended="false") + runtime.format(attached=attached)
        life = explain_session(scenario_model(tmp_path, text), "gc-2").lifecycle
        assert life.reason == want
        assert life.explanation[0].startswith(f"REASON {want}: ")
