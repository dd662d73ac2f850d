"""A drain ack left on a named session's runtime (the drain-ack step of the forward pass):
reconcilerDrainAckMatchesSession, a stale reconciler ack (staleReconcilerDrainAck) and the acks
that do not survive a start (clearStaleOrLegacyDrainAckBeforeStart), one case per rule."""

from __future__ import annotations

import pytest
from factories import NAMED_MAYOR_IDENTITY, named_mayor_scenario, scenario_model

CITY = named_mayor_scenario("ack",
                            NAMED_MAYOR_IDENTITY + """\
state = "active"
generation = "2"
last_woke_at = "2026-05-16T11:00:00Z"
""",
                            after="""\
[[runtime]]
name = "mayor"
session_id = "gc-1"
alive = {alive}
meta = {{ {meta} }}
""")
STALE = 'GC_DRAIN_ACK = "1", GC_DRAIN_ACK_SOURCE = "reconciler", GC_DRAIN_GENERATION = "1", GC_DRAIN_REASON = "idle"'
NO_GEN = 'GC_DRAIN_ACK = "1", GC_DRAIN_ACK_SOURCE = "reconciler", GC_DRAIN_REASON = "idle"'
MATCH = 'GC_DRAIN_ACK = "1", GC_DRAIN_ACK_SOURCE = "reconciler", GC_DRAIN_GENERATION = "2", GC_DRAIN_REASON = "idle"'
AGENT = 'GC_DRAIN_ACK = "1", GC_DRAIN_ACK_SOURCE = "agent"'
LEGACY = 'GC_DRAIN_ACK = "1"'
KEYS = ("GC_DRAIN_ACK", "GC_DRAIN_ACK_SOURCE", "GC_DRAIN_GENERATION", "GC_DRAIN_REASON")


def tick(tmp_path, meta: str, alive: str = "true"):
    m = scenario_model(tmp_path, CITY.format(meta=meta, alive=alive), "ack.toml")
    out = m.do({"do": "tick"})
    decisions = [(t.site_code, t.reason_code, t.outcome_code, t.template, t.session_name)
                 for t in out.trace if t.record_type == "decision" and "drain" in t.site_code]
    return m, out, [(a.kind, a.reason) for a in out.actions], decisions


@pytest.mark.parametrize("meta", [STALE, NO_GEN])
def test_a_stale_reconciler_ack_on_a_live_session_is_cleared_and_the_session_keeps_running(tmp_path, meta):
    m, _, actions, decisions = tick(tmp_path, meta)
    assert actions == [] and m.world.runtime.alive("mayor")
    assert decisions == [("reconciler.session.drain_ack", "stale_generation", "clear", "mayor", "mayor")]
    assert [m.world.runtime.get_meta("mayor", k) for k in KEYS] == ["", "", "", ""]


@pytest.mark.parametrize("meta", [MATCH, AGENT, LEGACY])
def test_an_ack_of_this_generation_an_agents_or_a_legacy_one_stops_the_session(tmp_path, meta):
    m, _, actions, decisions = tick(tmp_path, meta)
    assert actions == [("stop", "drain-ack")] and not m.world.runtime.alive("mayor")
    assert decisions == [("reconciler.session.drain_ack", "acknowledged", "stop_pending", "mayor", "mayor")]


@pytest.mark.parametrize("meta", [STALE, LEGACY])
def test_a_stale_or_legacy_ack_on_a_dead_runtime_is_cleared_before_the_restart(tmp_path, meta):
    m, _, actions, decisions = tick(tmp_path, meta, alive="false")
    assert actions == [("stop", "recycle-dead-runtime"), ("start", "named-always")] and decisions == []
    assert m.world.runtime.alive("mayor")
    assert [m.world.runtime.get_meta("mayor", k) for k in KEYS] == ["", "", "", ""]


def test_an_agents_ack_on_a_dead_runtime_survives_and_the_session_sleeps_drained(tmp_path):
    m, _, actions, _ = tick(tmp_path, AGENT, alive="false")
    assert actions == [("sleep", "drained")] and not m.world.runtime.alive("mayor")
