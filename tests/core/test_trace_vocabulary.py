"""The trace vocabulary is Gas City's: core/tracefile/vocab.py against the constant values copied
from cmd/gc/session_reconciler_trace_types.go (tests/fixtures/gascity-trace-vocabulary), and every
code the model writes against core/tracefile/vocab.py. The scenario suites check the trace of
every scenario they run (tests/trace_codes.py); here the demo city runs long enough to reach
drains, idle sleep, max age and restarts."""

from __future__ import annotations

import pathlib

import tomli

from core.tracefile import vocab
from tests.trace_codes import code_problems

FIXTURE = pathlib.Path(__file__).parent.parent / "fixtures" / "gascity-trace-vocabulary"


def gas_city() -> dict[str, frozenset[str]]:
    data = tomli.loads((FIXTURE / "vocabulary.toml").read_text())
    return {k: frozenset(v) for k, v in data.items()}


def test_the_fixture_names_its_source_and_carries_the_license() -> None:
    prov = (FIXTURE / "PROVENANCE.md").read_text()
    assert "9e89da7c" in prov and "cmd/gc/session_reconciler_trace_types.go" in prov and "gascity" in prov
    assert "Permission is hereby granted, free of charge" in (FIXTURE / "LICENSE").read_text()


def test_the_vocabulary_is_exactly_gas_citys() -> None:
    go = gas_city()
    assert go["record_types"] == vocab.RECORD_TYPES
    assert go["site_codes"] == vocab.SITE_CODES
    assert go["reason_codes"] == vocab.REASON_CODES
    assert go["outcome_codes"] == vocab.OUTCOME_CODES
    assert go["trace_modes"] == vocab.TRACE_MODES
    assert go["trace_sources"] == vocab.TRACE_SOURCES
    assert go["completion_statuses"] == vocab.COMPLETION_STATUSES
    assert go["completeness_statuses"] == vocab.COMPLETENESS_STATUSES
    assert go["evaluation_statuses"] == vocab.EVALUATION_STATUSES
    assert go["durability_tiers"] == vocab.DURABILITY_TIERS
    # the declared triggers, plus the two raw strings the runtime also writes as a trigger
    assert vocab.TICK_TRIGGERS - go["tick_triggers"] == {"startup-poke", "shutdown"}
    assert go["tick_triggers"] <= vocab.TICK_TRIGGERS


def test_raw_reason_and_auto_arm_codes_belong_to_the_vocabulary() -> None:
    assert vocab.RAW_REASON_SITES <= vocab.SITE_CODES
    assert vocab.AUTO_ARM_REASONS <= vocab.REASON_CODES
    assert vocab.AUTO_ARM_OUTCOMES <= vocab.OUTCOME_CODES


def test_the_reuse_decision_is_spelled_as_gas_city_spells_it() -> None:
    assert "reconciler.pool.inflight_reuse" in vocab.SITE_CODES and "inflight_reuse" in vocab.REASON_CODES
    assert "reconciler.pool.in_flight_reuse" not in vocab.SITE_CODES and "in_flight_reuse" not in vocab.REASON_CODES


def test_a_record_outside_the_vocabulary_is_reported() -> None:
    bad = {"step": 1, "trace": [{"record_type": "decision", "site_code": "reconciler.pool.in_flight_reuse",
                                 "reason_code": "in_flight_reuse", "outcome_code": "accepted"},
                                {"record_type": "template_tick_summary", "evaluation_status": "maybe"}]}
    problems = code_problems([bad])
    assert len(problems) == 3 and any("'maybe'" in p for p in problems)


def test_the_demo_city_writes_only_gas_city_codes() -> None:
    from core.demo import DEMO_SCENARIO, DemoScript
    from core.outcome import Outcome
    from core.scenario.file import load_scenario
    from core.views.state_json import state

    model = load_scenario(DEMO_SCENARIO).model()
    script = DemoScript()
    states = []
    for n in range(1, 41):
        out = Outcome()
        for step in script.next_steps(model):
            out.extend(model.do(step))
        script.done()
        states.append(state(model, n, "tick", out))
    sites = {rec["site_code"] for st in states for rec in st["trace"] if rec.get("record_type") == "decision"}
    assert {"reconciler.pool.accept", "reconciler.session.drain"} <= sites  # the run reaches its decisions
    assert code_problems(states) == []
