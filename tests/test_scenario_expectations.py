"""The expectation extensions (docs/scenario-extensions.md): each new key holds on a state that
has what it asks and fails, with a readable message, on one that does not; expectation values
are type-checked when the file loads (exit 2, with the file, the field and its line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import scenario_failures, scenario_refusal, with_expect, worker_and_mayor_scenario

from tui.cli import main

# The shared worker-and-mayor tick, beside a suspended rig whose store holds a workflow run.
CITY = worker_and_mayor_scenario(rigs="""[[city.rigs]]
name = "frozen"
path = "frozen"
suspended = true
""", work="""[[work]]
id = "w-2"
status = "in_progress"
assignee = "mayor"
store = "frozen"
type = "molecule"
metadata = { "gc.kind" = "workflow", "gc.run_target" = "worker" }
""")


def failures(tmp_path: Path, expect: str) -> list[str]:
    return scenario_failures(tmp_path, with_expect(CITY, expect))


@pytest.mark.parametrize("holds, broken", [
    ('[[expect.no_entry]]\nidentity = "worker-9"', '[[expect.no_entry]]\nidentity = "mayor"'),
    ('[[expect.no_entry]]\nsession_name = "nope"', '[[expect.no_entry]]\ntemplate = "worker"'),
    ('[[expect.no_event]]\ntype = "session.crashed"', '[[expect.no_event]]\ntype = "session.woke"'),
    ('[[expect.no_trace]]\nsite_code = "reconciler.pool.agent_cap"',
     '[[expect.no_trace]]\nsite_code = "reconciler.pool.accept"'),
    ('no_log = ["nothing like this"]', 'no_log = ["Woke session"]'),
    ('[[expect.trace]]\nsite_code = "reconciler.pool.accept"\nfields = { tier = "new" }',
     '[[expect.trace]]\nsite_code = "reconciler.pool.accept"\nfields = { tier = "resume" }'),
    ('[[expect.work]]\nid = "w-2"\nstatus = "in_progress"\nassignee = "mayor"\nmetadata = { "gc.kind" = "workflow" }',
     '[[expect.work]]\nid = "w-2"\nmetadata = { "gc.kind" = "task" }'),
    ('[[expect.work]]\nid = "w-1"\nstatus = "open"', '[[expect.work]]\nid = "w-9"'),
    ('[[expect.awake]]\nsession_name = "mayor"\nshould_wake = true\nreason = "assigned-work"',
     '[[expect.awake]]\nsession_name = "mayor"\nreason = "named-always"'),
    ('[[expect.entry]]\nidentity = "mayor"\nnamed_identity = "mayor"\nnamed_mode = "on_demand"',
     '[[expect.entry]]\nidentity = "mayor"\nnamed_mode = "always"'),
    ('[[expect.request]]\ntemplate = "worker"\nindex = 0\ntier = "new"',
     '[[expect.request]]\ntemplate = "worker"\nindex = 1'),
    ('scale_check_present = { worker = true, mayor = false }', 'scale_check_present = { mayor = true }'),
    ('desired_sessions = ["mayor", "worker-gc-1"]', 'desired_sessions = ["mayor"]'),
    ('[[expect.session]]\nid = "gc-1"\nunchanged = ["held_until", "quarantined_until"]',
     '[[expect.session]]\nid = "gc-1"\nunchanged = ["held_until", "state"]'),
    ('[[expect.session]]\nid = "gc-2"\nno_writes = false', '[[expect.session]]\nid = "gc-2"\nno_writes = true'),
    ('[[expect.list_reason]]\nbead = "gc-1"\nwake_reasons = ["session", "config"]',
     '[[expect.list_reason]]\nbead = "gc-1"\nwake_reasons = ["config"]'),
    ('[[expect.list_reason]]\nbead = "gc-2"\nwake_reasons_include = ["session"]\nwake_reasons_exclude = ["config"]',
     '[[expect.list_reason]]\nbead = "gc-2"\nwake_reasons_include = ["config"]'),
    ('[[expect.list_reason]]\nbead = "gc-1"\nwake_reasons_exclude = ["attached"]',
     '[[expect.list_reason]]\nbead = "gc-9"\nwake_reasons = []'),
])
def test_an_extension_holds_and_fails(tmp_path, holds, broken):
    assert failures(tmp_path, holds) == []
    got = failures(tmp_path, broken)
    assert len(got) == 1 and got[0].startswith("expect[0] after step 1: "), got


def test_work_in_a_suspended_rig_store_is_not_demand(tmp_path):
    """w-2 (in progress, assigned to mayor) lives in the suspended rig's store: only w-1, open and
    ready, makes the named demand; the named session wakes for assigned work either way."""
    assert failures(tmp_path, 'named_demand = { mayor = true }') == []
    without_w1 = CITY.replace('[[work]]\nid = "w-1"\nstatus = "open"\nassignee = "mayor"\n', "")
    assert scenario_failures(tmp_path, with_expect(without_w1, "named_demand = { mayor = false }")) == []


@pytest.mark.parametrize("expect, field, says, at", [
    ('pool_desired = { worker = "1" }', "expect[0].pool_desired.worker", 'expected an integer, got string "1"',
     "pool_desired"),
    ("desired = 5", "expect[0].desired", "expected an array of strings, got integer", "desired"),
    ('desired = ["a", 2]', "expect[0].desired", "item 1 is integer", "desired"),
    ("deferral_count = true", "expect[0].deferral_count", "expected an integer, got boolean", "deferral_count"),
    ('named_demand = { mayor = "yes" }', "expect[0].named_demand.mayor", "expected true or false", "named_demand"),
    ('[[expect.entry]]\npool_slot = "1"', "expect[0].entry[0].pool_slot", 'expected an integer, got string "1"',
     "pool_slot"),
    ('[[expect.session]]\nid = "gc-1"\nopen = "true"', "expect[0].session[0].open", "expected true or false", "open"),
    ('[[expect.awake]]\nshould_wake = true', "expect[0].awake[0]", "needs one of: session_name, bead",
     "[[expect.awake]]"),
    ('[[expect.work]]\nid = "w-1"\nmetadata = { k = 1 }', "expect[0].work[0].metadata.k", "expected a string",
     "metadata"),
    ('[[expect.trace]]\nfields = { n = [1] }', "expect[0].trace[0].fields.n", "boolean or array of strings",
     "fields"),
    ('[[expect.request]]\ntemplate = "worker"\nindx = 0', "expect[0].request[0].indx", 'unknown key "indx"', "indx"),
    ("session = 3", "expect[0].session", "must be an array of tables", "session"),
    ('[[expect.list_reason]]\nwake_reasons = []', "expect[0].list_reason[0]", "needs one of: bead",
     "[[expect.list_reason]]"),
])
def test_a_wrong_typed_expectation_exits_2_with_its_line(tmp_path, capsys, expect, field, says, at):
    text = with_expect(CITY, expect)
    scenario_refusal(tmp_path, text)
    p = tmp_path / "s.toml"
    assert main(["scenario", "check", str(p)]) == 2
    out = capsys.readouterr()
    printed = out.out + out.err
    assert "Traceback" not in printed, printed
    located = [ln.strip() for ln in printed.splitlines() if f"{p}: {field}: " in ln]
    assert len(located) == 1, printed
    err = located[0]
    lines = text.splitlines()
    start = lines.index("[[expect]]")
    line = next(n for n, ln in enumerate(lines[start:], start + 1) if ln.startswith(at))
    assert err.startswith(f"{p}: {field}: ") and says in err, err
    assert err.endswith(f"(line {line})"), err


def test_a_workflow_beads_run_target_is_its_route_only_without_routed_to():
    from core.world.beads import WorkBead

    wf = WorkBead("w", metadata=(("gc.kind", "workflow"), ("gc.run_target", "rig/worker")))
    assert wf.route == "rig/worker" and wf.get("gc.routed_to") == ""
    assert wf.with_(routed_to="rig/other").route == "rig/other"
    assert WorkBead("w", metadata=(("gc.run_target", "rig/worker"),)).route == ""  # not a workflow bead
    assert wf.with_(metadata={"gc.kind": "workflow"}).meta == {"gc.kind": "workflow"}


@pytest.mark.parametrize("typ, kind, status, assignee, demand", [
    ("molecule", "workflow", "open", "a", True),
    ("wisp", "", "open", "a", True),
    ("molecule", "", "open", "a", False),  # neither ephemeral nor a workflow root
    ("task", "workflow", "open", "a", False),
    ("molecule", "workflow", "in_progress", "a", False),  # in progress: the in-progress pass takes it
    ("molecule", "workflow", "open", " ", False),
])
def test_open_assigned_molecule_roots_are_demand(typ, kind, status, assignee, demand):
    from core.world.beads import WorkBead

    md = (("gc.kind", kind),) if kind else ()
    assert WorkBead("w", status=status, assignee=assignee, type=typ, metadata=md).molecule_root_demand is demand


def test_a_sync_step_leaves_the_beads_as_sync_wrote_them(tmp_path):
    """`do = "sync"` runs the tick up to session bead sync: the named session's bead is created
    start-pending with a create claim and nothing is started; a full tick goes on to start it."""
    city = """name = "t"
[city.workspace]
name = "t"
[[city.agent]]
name = "mayor"
[[city.named_session]]
template = "mayor"
mode = "always"
[[step]]
do = "%s"
[[expect]]
after = 1
[[expect.session]]
identity = "mayor"
metadata = { state = "start-pending", pending_create_claim = "true" }
[[expect.runtime]]
name = "mayor"
alive = false
"""
    assert scenario_failures(tmp_path, city % "sync") == []
    assert scenario_failures(tmp_path, city % "tick")
