"""Route recovery (recoverUnroutedWorkRoutes): the tick phase that gives open, unassigned work
its gc.routed_to back from the pool route it carries in gc.run_target, which is how work released
from a closed session (stamped with gc.run_target only) returns to pool demand."""

from __future__ import annotations

from core.scenario.file import load_scenario, run

CITY = """
name = "t"
source = "test"
start = "2026-04-18T12:00:00Z"
adopt_on_start = false

[city.workspace]
name = "test-city"

[[city.rigs]]
name = "repo"
path = "/tmp/repo"

[[session]]
id = "s1"
[session.metadata]
session_name = "worker-1"
template = "pool/worker"
state = "active"

[[runtime]]
name = "worker-1"
corpse = true

{work}

[[step]]
do = "hygiene"

[[step]]
do = "tick"
"""

UNROUTED = """
[[work]]
id = "w-1"
status = "in_progress"
assignee = "s1"
store = "repo"
"""


def _run(tmp_path, work: str, extra_steps: str = ""):
    p = tmp_path / "s.toml"
    p.write_text(CITY.format(work=work) + extra_steps)
    return run(load_scenario(str(p))).states


def _work(state: dict, wid: str) -> dict:
    return next(w for w in state["work"] if w["id"] == wid)


def test_released_work_gets_its_route_back_on_the_next_tick(tmp_path):
    states = _run(tmp_path, UNROUTED)
    released = _work(states[1], "w-1")
    assert (released["assignee"], released["routed_to"]) == ("", "")
    assert released["metadata"]["gc.run_target"] == "pool/worker"
    after = states[2]
    assert _work(after, "w-1")["routed_to"] == "pool/worker"
    assert "gc start: route recovery (rig repo): restored gc.routed_to on 1 ready bead(s) from gc.run_target" \
        in after["logs"]
    ops = [r.get("operation_name") for r in after["trace"] if r.get("record_type") == "operation"]
    assert "recover_unrouted_work_routes" in ops


def test_dispatcher_and_workflow_driven_beads_keep_their_retired_route(tmp_path):
    work = """
[[work]]
id = "w-retry"
status = "open"
[work.metadata]
"gc.kind" = "retry"
"gc.run_target" = "pool/worker"

[[work]]
id = "w-driven"
status = "open"
[work.metadata]
"gc.run_target" = "pool/worker"
workflow_id = "root-1"

[[work]]
id = "root-1"
status = "in_progress"
[work.metadata]
"gc.kind" = "workflow"
"gc.routed_to" = ""
"""
    work = work.replace('"gc.routed_to" = ""\n', "")
    states = _run(tmp_path, work)
    after = states[2]
    assert _work(after, "w-retry")["routed_to"] == ""
    assert _work(after, "w-driven")["routed_to"] == ""
    assert not any("route recovery" in line for line in after["logs"])


def test_a_failing_store_read_is_logged_and_skipped(tmp_path):
    # the read fault is armed before the hygiene step and lasts for the tick after it
    p = tmp_path / "s.toml"
    text = CITY.format(work=UNROUTED).replace(
        '[[step]]\ndo = "hygiene"\n',
        '[[step]]\ndo = "fail_store_read"\nstore = "repo"\nticks = 1\nmessage = "dolt down"\n\n'
        '[[step]]\ndo = "hygiene"\n', 1)
    p.write_text(text)
    states = run(load_scenario(str(p))).states
    after = states[-1]
    assert "gc start: route recovery (rig repo): listing open work: dolt down" in after["logs"]
    assert _work(after, "w-1")["routed_to"] == ""


GATE = """
name = "t"
source = "test"
start = "2026-04-18T12:00:00Z"
adopt_on_start = false

[city.workspace]
name = "test-city"

[[city.agent]]
name = "worker"
max_active_sessions = 2

[[session]]
id = "s1"
[session.metadata]
session_name = "worker-s1"
template = "worker"
pool_managed = "true"
state = "asleep"
sleep_reason = "drained"

[[work]]
id = "m-1"
type = "{type}"
status = "open"
assignee = "s1"

[[step]]
do = "tick"
"""


def test_a_mail_message_does_not_keep_a_session_bead_open(tmp_path):
    """The close gates count work as Gas City's OpenAssignedTo does: a mail message assigned to
    the session is not work (excludeMailMessageBeads), so the undesired bead closes and the
    message keeps its assignee; a real task keeps the bead open."""
    for bead_type, closed in (("message", True), ("task", False)):
        p = tmp_path / f"{bead_type}.toml"
        p.write_text(GATE.format(type=bead_type))
        st = run(load_scenario(str(p))).states[-1]
        s1 = next(s for s in st["sessions"] if s["id"] == "s1")
        assert (not s1["open"]) == closed, bead_type
        if closed:
            assert _work(st, "m-1")["assignee"] == "s1"
