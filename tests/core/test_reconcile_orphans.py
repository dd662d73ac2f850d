"""releaseOrphanedPoolAssignments (cmd/gc/pool_session_name.go), one case per rule: which
collected work goes back to the pool at the start of the bead reconcile, and what is written."""

from __future__ import annotations

import pytest

from core.scenario.file import load_scenario

CITY = """name = "orphans"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
max_active_sessions = 3
[[city.agent]]
name = "mayor"
max_active_sessions = 1
suspended = {suspended}
[[city.agent]]
name = "retired"
max_active_sessions = 0
[[city.named_session]]
template = "mayor"
mode = "on_demand"
[[session]]
id = "gc-1"
open = {open}
[session.metadata]
session_name = "worker-gc-1"
agent_name = "worker-1"
alias = "worker-1"
template = "worker"
pool_managed = "true"
state = "{state}"
[[work]]
id = "w-1"
status = "{status}"
assignee = "{assignee}"
routed_to = "{route}"
metadata = {{ "gc.continuation_group" = "grp-1", "gc.session_affinity" = "aff", "keep" = "me"{extra} }}
{more}
"""


def tick(tmp_path, *, open="false", state="drained", status="in_progress", assignee="worker-gc-1", route="worker",
         extra="", more="", suspended="false"):
    p = tmp_path / "orphans.toml"
    p.write_text(CITY.format(open=open, state=state, status=status, assignee=assignee, route=route, extra=extra,
                             more=more, suspended=suspended))
    m = load_scenario(str(p)).model()
    out = m.do({"do": "tick"})
    return m, out


def released(m) -> bool:
    w = m.world.store.work_bead("w-1")
    return w.status == "open" and w.assignee == ""


def test_work_of_a_dead_pool_session_is_reopened_unassigned_and_loses_only_its_session_affinity(tmp_path):
    m, out = tick(tmp_path)
    w = m.world.store.work_bead("w-1")
    assert (w.status, w.assignee, w.routed_to) == ("open", "", "worker")
    assert dict(w.metadata) == {"keep": "me"}
    assert "released orphaned pool work: w-1" in out.logs
    (ev,) = [e for e in out.events if e.type == "bead.dead_assignee_reopened"]
    assert (ev.subject, ev.message) == ("w-1", "reopened routed work w-1 assigned to dead session worker-gc-1 "
                                               "(route worker); assignee cleared so the pool can reclaim it")


@pytest.mark.parametrize("assignee", ["worker-gc-1", "gc-1", "worker-1", " worker-1 "])
def test_work_whose_assignee_names_an_open_session_stays(tmp_path, assignee):
    m, out = tick(tmp_path, open="true", state="asleep", assignee=assignee)
    assert not released(m) and "released orphaned pool work: w-1" not in out.logs


def test_open_work_of_a_dead_session_is_released_and_closed_work_is_not(tmp_path):
    assert released(tick(tmp_path, status="open")[0])
    m, _ = tick(tmp_path, status="closed")
    assert m.world.store.work_bead("w-1").assignee == "worker-gc-1"


def test_only_work_routed_to_an_agent_that_runs_generic_pool_sessions_is_released(tmp_path):
    for route in ("", "nobody", "retired"):
        m, _ = tick(tmp_path, route=route)
        assert m.world.store.work_bead("w-1").assignee == "worker-gc-1", route


def test_a_named_identity_backed_by_the_works_template_keeps_its_work(tmp_path):
    """assigneePreservesNamedSessionRoute: the named holder claims it back even with no session
    open for it (its agent is suspended here); the same identity on work routed to another
    template is released."""
    m, _ = tick(tmp_path, assignee="mayor", route="mayor", suspended="true")
    assert not m.world.store.open_by("session_name", "mayor")
    assert m.world.store.work_bead("w-1").assignee == "mayor"
    assert released(tick(tmp_path, assignee="mayor", route="worker", suspended="true")[0])


def test_unassigned_in_progress_work_is_released_unless_it_is_a_canonical_workflow_root(tmp_path):
    m, out = tick(tmp_path, assignee="")
    assert released(m)
    (ev,) = [e for e in out.events if e.type == "bead.dead_assignee_reopened"]
    assert "assigned to dead session <unknown> (route worker)" in ev.message
    m, _ = tick(tmp_path, assignee="", extra=', "gc.kind" = "workflow"')
    assert m.world.store.work_bead("w-1").status == "in_progress"
    assert released(tick(tmp_path, assignee="", extra=', "gc.kind" = "workflow", "gc.run_target" = "worker"')[0])
    m, _ = tick(tmp_path, assignee="", status="open")
    assert m.world.store.work_bead("w-1").status == "open" and dict(m.world.store.work_bead("w-1").metadata)["keep"]
    assert "gc.continuation_group" in dict(m.world.store.work_bead("w-1").metadata)


def test_detached_work_and_a_partial_read_release_nothing(tmp_path):
    m, _ = tick(tmp_path, extra=', "gc.detached" = "probe"')
    assert m.world.store.work_bead("w-1").assignee == "worker-gc-1"
    m, _ = tick(tmp_path, more='[[step]]\ndo = "tick"')
    p = tmp_path / "orphans.toml"
    m = load_scenario(str(p)).model()
    m.do({"do": "fail_store_read", "store": "city", "mode": "partial", "ticks": 1})
    out = m.do({"do": "tick"})
    assert m.world.store.work_bead("w-1").assignee == "worker-gc-1"
    assert "released orphaned pool work: w-1" not in out.logs
