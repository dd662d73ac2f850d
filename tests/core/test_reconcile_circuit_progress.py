"""The breaker's progress signal (computeNamedSessionProgressSignatures and
ObserveProgressSignature, cmd/gc/session_circuit_breaker.go, fed the reconciler's assigned work
beads): per named identity, SHA-1 over the sorted `id=status` pairs of its open and in-progress
work. The first signature seen is the baseline, a change is progress (last_progress stamped), and
either is persisted on the session bead; a closed bead is no longer assigned work, so a named
session with only closed work has no signature and no breaker entry."""

from __future__ import annotations

import hashlib

from factories import NAMED_MAYOR_IDENTITY, named_mayor_scenario, scenario_model

BREAKER = """[city.daemon]
session_circuit_breaker = true
session_circuit_breaker_max_restarts = 3
"""
LIVE = """state = "awake"
[[runtime]]
name = "mayor"
session_id = "gc-1"
"""


def sig(*pairs: str) -> str:
    return hashlib.sha1("|".join(sorted(pairs)).encode()).hexdigest()


def model(tmp_path, status: str):
    text = named_mayor_scenario("progress", NAMED_MAYOR_IDENTITY + LIVE + f"""[[work]]
id = "w-1"
status = "{status}"
assignee = "mayor"
""")
    # the breaker table goes before the first [[...]] array table, inside the city
    text = text.replace("[[city.agent]]", BREAKER + "[[city.agent]]", 1)
    return scenario_model(tmp_path, text)


def test_open_work_sets_the_baseline_and_a_status_change_is_progress(tmp_path):
    m = model(tmp_path, "open")
    m.do({"do": "tick"})
    b = m.world.store.session("gc-1")
    assert b.get("session_circuit_progress_signature") == sig("w-1=open")
    assert b.get("session_circuit_last_observed") == "2026-05-16T12:00:00Z"
    assert b.get("session_circuit_last_progress") == ""  # a baseline is not progress
    m.do({"do": "advance", "by": "1m"})
    m.do({"do": "update_work", "id": "w-1", "status": "in_progress"})
    m.do({"do": "tick"})
    b = m.world.store.session("gc-1")
    assert b.get("session_circuit_progress_signature") == sig("w-1=in_progress")
    assert b.get("session_circuit_last_progress") == "2026-05-16T12:01:00Z"


def test_closed_work_gives_no_signature(tmp_path):
    m = model(tmp_path, "closed")
    m.do({"do": "tick"})
    b = m.world.store.session("gc-1")
    assert b.get("session_circuit_progress_signature") == ""
    assert "mayor" not in m.world.memory.circuits
