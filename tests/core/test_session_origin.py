"""How a session bead's origin and kind are read, as Gas City reads them: sessionOrigin
(cmd/gc/session_origin.go), isNamedSessionBead (internal/session/named_config.go: the trimmed
configured_named_session flag and nothing else), isManualSessionBead (cmd/gc/session_sleep.go)
and isPoolManagedSessionBead (cmd/gc/session_name_lookup.go). The flag decides whether a bead is
a configured named session whatever its session_origin says; every marker is trimmed except
manual_session, which Go compares raw."""

from __future__ import annotations

import pytest
from factories import scenario_model, session_bead

ORIGINS = [
    ({"session_origin": " named "}, "named"),
    ({"session_origin": "manual", "configured_named_session": "true"}, "manual"),
    ({"configured_named_session": " true "}, "named"),
    ({"manual_session": "true"}, "manual"),
    ({"manual_session": " true"}, ""),  # compared raw
    ({"pool_managed": " true "}, "ephemeral"),
    ({"pool_slot": " 2 "}, "ephemeral"),
    ({"pool_slot": "  "}, ""),
    ({"dependency_only": "true\t"}, "ephemeral"),
    ({"template": "worker", "agent_name": "worker-3"}, "ephemeral"),
    ({"template": " worker ", "agent_name": " worker-gc-3 "}, "ephemeral"),
    ({"template": "worker", "session_name": "worker-+3"}, "ephemeral"),  # strconv.Atoi takes a sign
    ({"template": "worker", "agent_name": "worker-0"}, ""),  # slot 0 is no slot
    ({"template": "worker", "agent_name": "worker--3"}, ""),  # slot -3 is no slot
    ({"template": "worker", "agent_name": "worker-1-2"}, ""),  # Atoi("1-2") fails, no gc- prefix
    ({"template": "worker", "agent_name": "worker-x"}, ""),
    ({"template": "worker", "session_name": "other-3"}, ""),
]


@pytest.mark.parametrize("md,origin", ORIGINS)
def test_origin_is_read_as_gas_city_reads_it(md, origin):
    assert session_bead(**md).origin == origin


def test_an_agent_label_names_the_agent_when_agent_name_is_unset():
    # sessionBeadAgentName falls back to the first `agent:` label.
    from core.world.beads import SessionBead

    b = SessionBead("gc-1", session_bead().created_at, {"template": "worker"}, labels=("agent:worker-2",))
    assert b.recorded_agent_name == "worker-2"
    assert b.origin == "ephemeral"


@pytest.mark.parametrize("md,named", [
    ({"configured_named_session": "true"}, True),
    ({"configured_named_session": "\ttrue "}, True),
    ({"configured_named_session": "true", "session_origin": "ephemeral"}, True),
    ({"configured_named_session": "true", "session_origin": "manual"}, True),
    ({"session_origin": "named"}, False),
    ({"session_origin": "named", "configured_named_session": "false"}, False),
])
def test_only_the_named_flag_makes_a_configured_named_session(md, named):
    assert session_bead(**md).is_named is named


@pytest.mark.parametrize("md,manual", [
    ({"session_origin": " manual "}, True),
    ({"manual_session": "true"}, True),
    ({"manual_session": "true "}, False),
    ({"session_origin": "ephemeral", "manual_session": ""}, False),
])
def test_manual_reads_a_trimmed_origin_and_a_raw_flag(md, manual):
    assert session_bead(**md).is_manual is manual


@pytest.mark.parametrize("md,managed", [
    ({"session_origin": "ephemeral"}, True),
    ({"session_origin": "manual", "pool_managed": " true"}, True),
    ({"session_origin": "manual", "pool_slot": "1"}, True),
    ({"session_origin": "manual", "pool_slot": " "}, False),
    ({"session_origin": "named", "pool_managed": "yes"}, False),
])
def test_pool_managed_is_ephemeral_or_a_trimmed_pool_marker(md, managed):
    assert session_bead(**md).pool_managed is managed


CITY = """name = "flagged named bead with an ephemeral origin"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "test-city"
[[city.agent]]
name = "worker"
max_active_sessions = 2
[[session]]
id = "gc-1"
[session.metadata]
session_name = "worker-gc-1"
agent_name = "worker-1"
template = "worker"
pool_managed = "true"
configured_named_session = "{flag}"
session_origin = "ephemeral"
state = "asleep"
sleep_reason = "idle"
"""


@pytest.mark.parametrize("flag,reason", [("true", "orphaned"), ("", "gc_swept")])
def test_the_pool_sweep_leaves_a_flagged_named_bead_to_sync(tmp_path, flag, reason):
    # sweepUndesiredPoolSessionBeads (cmd/gc/city_runtime.go) skips isNamedSessionInfo beads,
    # whatever their session_origin: a bead flagged named with an ephemeral origin is not swept
    # as a pool bead; sync closes it as a named bead whose identity is not configured.
    m = scenario_model(tmp_path, CITY.format(flag=flag), "s.toml")
    out = m.do({"do": "tick"})
    assert [(a.kind, a.bead_id, a.reason) for a in out.actions if a.kind == "close"] == [("close", "gc-1", reason)]
