"""Every desired entry explains itself: its why chain starts with the shape rule, names the
demand tier that produced it and ends with an alias rule. Checked over every desired-state
catalog scenario."""

from __future__ import annotations

import pathlib

import pytest

from core.scenario.file import load_scenario, run

SCENARIOS = sorted((pathlib.Path(__file__).parents[1] / "scenarios" / "desired").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_entry_has_a_complete_why_chain(path):
    states = run(load_scenario(str(path)), check_invariants=False).states
    for st in states:
        for e in st["desired"]:
            rules = [w["rule"] for w in e["why"]]
            assert rules and rules[0].startswith("shape."), (e["session_name"], rules)
            assert any(r.startswith("demand.") for r in rules), (e["session_name"], rules)
            assert any(r.startswith("alias.") for r in rules), (e["session_name"], rules)
            tier = {"resume": "demand.resume", "new": "demand.", "min-fill": "demand.min_fill",
                    "wake-known-identity": "demand.wake_known_identity", "discovered": "demand.discovered",
                    "manual": "demand.", "dependency-floor": "demand.dependency_floor",
                    "named-always": "demand.named_always", "named-on-demand": "demand.named_on_demand"}[e["source"]]
            assert any(r.startswith(tier) for r in rules), (e["session_name"], e["source"], rules)
