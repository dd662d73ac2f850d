"""No expectation can be written that passes whatever the model does: an empty table of counts
means "exactly none" (and fails on a state that has some), a key that checks each item it lists
is refused when empty, and an action kind the model never reports (or a trace code outside Gas
City's vocabulary) is refused when the file loads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from factories import (
    scenario_failures,
    scenario_refusal,
    with_expect,
    worker_and_mayor_scenario,
    write_scenario,
)

from core.actions import ACTION_KINDS, EMITTED_KINDS
from core.scenario.expect import _NOT_EMPTY, _SUB_NOT_EMPTY, KEYS, NONE_WHEN_EMPTY, SUBS
from core.scenario.file import load_scenario, run

ROOT = Path(__file__).resolve().parent.parent

CITY = worker_and_mayor_scenario()


def _failures(tmp_path: Path, expect: str, after: int = 1) -> list[str]:
    return scenario_failures(tmp_path, with_expect(CITY, expect, after))


def _refusal(tmp_path: Path, expect: str) -> str:
    return scenario_refusal(tmp_path, with_expect(CITY, expect))


@pytest.mark.parametrize("key", [k for k in NONE_WHEN_EMPTY if k != "named_routed_demand"])
def test_an_empty_count_table_means_exactly_none(tmp_path, key):
    """Before the first step nothing exists, so `key = {}` holds; after a tick that desires,
    creates, starts and traces sessions it fails, naming what it found."""
    assert _failures(tmp_path, f"{key} = {{}}", after=0) == []
    got = _failures(tmp_path, f"{key} = {{}}")
    assert len(got) == 1 and f"{key} = {{}}: want no" in got[0], got


def test_an_empty_named_routed_demand_fails_when_a_singleton_has_routed_demand(tmp_path):
    """Routed (not assigned) work on the named mayor's template is routed demand."""
    got = scenario_failures(tmp_path, with_expect(CITY.replace('assignee = "mayor"', 'routed_to = "mayor"'),
                                                  "named_routed_demand = {}"))
    assert len(got) == 1 and "named_routed_demand = {}: want no identity with demand" in got[0], got


@pytest.mark.parametrize("key", _NOT_EMPTY)
def test_a_key_that_checks_each_item_is_refused_empty(tmp_path, key):
    kind = "{}" if KEYS[key].startswith("table") else "[]"
    assert "checks nothing" in _refusal(tmp_path, f"{key} = {kind}")


@pytest.mark.parametrize("sub, key", [(s, k) for s, ks in _SUB_NOT_EMPTY.items() for k in ks])
def test_an_empty_subtable_field_is_refused(tmp_path, sub, key):
    sel = next(iter(SUBS[sub].one_of), None)
    row = f'{sel} = "x"\n' if sel else ""
    empty = "[]" if SUBS[sub].keys[key] == "list_str" else "{}"
    assert "checks nothing" in _refusal(tmp_path, f"[[expect.{sub}]]\n{row}{key} = {empty}")


@pytest.mark.parametrize("expect", [
    "action_count = { wake = 0 }",
    '[[expect.no_action]]\nkind = "wake"',
    '[[expect.action]]\nkind = "wake"',
    '[[expect.no_action]]\nkind = "strat"',
    "action_count = { restrat = 0 }",
])
def test_an_action_kind_the_model_never_reports_is_refused(tmp_path, expect):
    assert "the model never reports an action of kind" in _refusal(tmp_path, expect)


@pytest.mark.parametrize("expect", [
    "trace_count = { \"reconciler.pool.acept\" = 0 }",
    '[[expect.no_trace]]\nsite_code = "reconciler.pool.acept"',
    '[[expect.trace]]\nsite_code = "reconciler.pool.accept"\noutcome_code = "acepted"',
])
def test_a_trace_code_outside_the_vocabulary_is_refused(tmp_path, expect):
    assert "trace vocabulary" in _refusal(tmp_path, expect)


def test_every_reported_kind_is_accepted_and_wake_is_the_only_contract_kind_left_out(tmp_path):
    for kind in EMITTED_KINDS:
        assert _failures(tmp_path, f'[[expect.no_action]]\nkind = "{kind}"', after=0) == []
    assert set(ACTION_KINDS) - set(EMITTED_KINDS) == {"wake"}


def _kinds_in_code() -> set[str]:
    """Every action kind a literal in core/ hands to Action(...) or ctx.action(...)."""
    kinds: set[str] = set()
    for path in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            first = node.args[0]
            if name in ("Action", "action") and isinstance(first, ast.Constant) and isinstance(first.value, str):
                kinds.add(first.value)
    return kinds


def test_the_emitted_kinds_are_the_kinds_the_code_reports():
    """EMITTED_KINDS is what the refusal trusts: it must list exactly the kinds core/ reports."""
    assert _kinds_in_code() == set(EMITTED_KINDS)


# ---------------------------------------------------------------- counts of log lines and events


def test_log_count_counts_every_occurrence_in_the_steps_output(tmp_path):
    """Tick 1 of CITY writes two `Woke session` lines and three lifecycle lines with `outcome=`
    (two starts, one wave summary without it): the exact counts pass, any other fails, and a
    text the step never wrote counts 0."""
    assert _failures(tmp_path, 'log_count = { "Woke session" = 2, "outcome=success" = 2, "no such text" = 0 }') == []
    got = _failures(tmp_path, 'log_count = { "Woke session" = 1 }')
    assert len(got) == 1 and "log_count['Woke session']: want 1, got 2" in got[0], got
    got = _failures(tmp_path, 'log_count = { "no such text" = 1 }')
    assert len(got) == 1 and "want 1, got 0" in got[0], got


def test_log_total_and_event_total_are_exact(tmp_path):
    assert _failures(tmp_path, "log_total = 5\nevent_total = 2") == []
    assert _failures(tmp_path, "log_total = 0\nevent_total = 0", after=0) == []
    got = _failures(tmp_path, "log_total = 6\nevent_total = 3")
    assert len(got) == 2 and any("log_total: want 6" in g for g in got) and \
        any("event_total: want 3 event(s), got ['session.woke:" in g for g in got), got


# ---------------------------------------------------------------- fingerprint_metadata


def test_fingerprint_metadata_compares_with_the_fingerprints_of_the_running_config(tmp_path):
    """Tick 1 starts the worker (gc-1) and stamps its hashes from the config: each equals the
    fingerprint it is named for, and no other; a literal around a placeholder is kept."""
    ok = ('[[expect.session]]\nid = "gc-1"\nfingerprint_metadata = { started_config_hash = "{core}", '
          'started_live_hash = "{live}", live_hash = "{live}", started_provision_hash = "{provision}", '
          'started_launch_hash = "{launch}", core_hash_breakdown = "{breakdown}" }')
    assert _failures(tmp_path, ok) == []
    got = _failures(tmp_path, '[[expect.session]]\nid = "gc-1"\nfingerprint_metadata = { started_config_hash = "{launch}" }')
    assert len(got) == 1 and "metadata.started_config_hash want {launch} = 'v" in got[0], got
    got = _failures(tmp_path, '[[expect.session]]\nid = "gc-1"\nfingerprint_metadata = { started_config_hash = "x{core}" }')
    assert len(got) == 1 and "want x{core}" in got[0], got
    # before the first step nothing was started: the key is empty, not the fingerprint
    got = _failures(tmp_path, '[[expect.session]]\nid = "gc-1"\nfingerprint_metadata = { started_config_hash = "{core}" }',
                    after=0)
    assert got and ("no such bead" in got[0] or "got ''" in got[0]), got


def test_fingerprint_metadata_fails_for_a_bead_without_a_configured_agent(tmp_path):
    got = scenario_failures(tmp_path, CITY + '''
[[session]]
id = "gc-9"
[session.metadata]
session_name = "ghost"
template = "ghost"
state = "asleep"
[[expect]]
after = 0
[[expect.session]]
id = "gc-9"
fingerprint_metadata = { started_config_hash = "{core}" }
''')
    assert len(got) == 1 and "no configured agent to fingerprint" in got[0], got


@pytest.mark.parametrize(("value", "why"), [('"abc"', "names no fingerprint"), ('"{cores}"', 'unknown fingerprint "{cores}"')])
def test_a_fingerprint_value_without_a_known_placeholder_is_refused(tmp_path, value, why):
    assert why in _refusal(tmp_path, f'[[expect.session]]\nid = "gc-1"\nfingerprint_metadata = {{ started_config_hash = {value} }}')


def test_an_events_message_is_compared_whole_with_message_is(tmp_path):
    """Tick 1 of CITY wakes the mayor; its session.woke message contains the name, but is more."""
    woke = next(e for e in run(load_scenario(write_scenario(tmp_path, CITY))).states[1]["events"]
                if e["type"] == "session.woke" and e["subject"] == "mayor")
    msg = woke["message"]
    assert _failures(tmp_path, f'[[expect.event]]\ntype = "session.woke"\nmessage_is = "{msg}"') == []
    got = _failures(tmp_path, f'[[expect.event]]\ntype = "session.woke"\nmessage_is = "{msg[1:]}"')
    assert len(got) == 1 and "no event matching" in got[0], got
    assert _failures(tmp_path, f'[[expect.event]]\ntype = "session.woke"\nmessage = "{msg[1:]}"') == []
