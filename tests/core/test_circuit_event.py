"""A tripped named-session circuit breaker logs CIRCUIT_OPEN and records a trace decision, but
emits no event: Gas City registers session.quarantined and never produces it."""

from __future__ import annotations

import pathlib

from core.scenario.file import load_scenario, run

S17 = pathlib.Path(__file__).parent.parent / "scenarios" / "incidents" / "S17-circuit-breaker-opens-then-auto-resets.toml"


def test_circuit_trip_emits_no_quarantined_event() -> None:
    res = run(load_scenario(str(S17)))
    sites = [r.get("site_code") for st in res.states for r in st["trace"]]
    assert "reconciler.session.circuit_trip" in sites
    assert any("CIRCUIT_OPEN" in line for st in res.states for line in st["logs"])
    assert not [e for st in res.states for e in st["events"] if e["type"] == "session.quarantined"]
