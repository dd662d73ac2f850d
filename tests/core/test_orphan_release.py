"""Orphaned pool work release: the store-scoped ownership and the store's own second look
(liveOpenSessionAssignmentExists) that the conformance cases do not reach on their own."""

from __future__ import annotations

import pytest

from core.scenario.file import load_scenario, run

CITY = """
name = "t"
source = "test"

[city.workspace]
name = "test-city"

[[city.rigs]]
name = "repo"
path = "/tmp/repo"

[[city.agent]]
name = "worker"
min_active_sessions = 0
max_active_sessions = 2

[[session]]
id = "{bead_id}"
labels = {labels}
[session.metadata]
session_name = "{session_name}"
template = "worker"
pool_managed = "true"

[[work]]
id = "rp-1"
status = "in_progress"
assignee = "{session_name}"
routed_to = "worker"
store = "repo"

[[step]]
do = "tick"
"""


def _work_after_tick(tmp_path, **kw) -> dict:
    p = tmp_path / "s.toml"
    p.write_text(CITY.format(**kw))
    st = run(load_scenario(str(p))).states[-1]
    return next(w for w in st["work"] if w["id"] == "rp-1")


@pytest.mark.parametrize("bead_id,labels,session_name,released", [
    # the city agent's session cannot reach rig repo's store, and the store cannot find it again
    ("gc-1", '["agent:worker"]', "worker-live", True),
    # the store lists it under gc:session: the claim is kept
    ("gc-1", '["gc:session"]', "worker-live", False),
    # its id ends the assignee after a "-": a direct lookup finds it, the claim is kept
    ("th-vb20q", '["agent:worker"]', "worker-th-vb20q", False),
])
def test_rig_work_of_an_unreaching_session_is_released_unless_the_store_still_finds_it(
        tmp_path, bead_id, labels, session_name, released):
    w = _work_after_tick(tmp_path, bead_id=bead_id, labels=labels, session_name=session_name)
    if released:
        assert (w["status"], w["assignee"]) == ("open", "")
    else:
        assert (w["status"], w["assignee"]) == ("in_progress", session_name)


PROBED = """
name = "t"
source = "test"
detached_probe = { "tmux:city:loop" = "error" }

[city.workspace]
name = "test-city"

[[city.agent]]
name = "worker"
min_active_sessions = 0
max_active_sessions = 2

[[work]]
id = "w-1"
status = "in_progress"
assignee = "worker-dead"
routed_to = "worker"
metadata = { "gc.detached" = "tmux:city:loop" }

[[step]]
do = "tick"
count = 2
{between}
[[step]]
do = "tick"
"""


@pytest.mark.parametrize("between,released", [
    ("", True),  # the third failed probe in a row releases the work
    ('\n[[step]]\ndo = "restart_controller"\n', False),  # the failure count is in memory: a restart loses it
])
def test_a_failing_detached_probe_releases_on_its_third_failure_counted_in_memory(tmp_path, between, released):
    p = tmp_path / "s.toml"
    p.write_text(PROBED.replace("{between}", between))
    r = run(load_scenario(str(p)))
    w = next(w for w in r.states[-1]["work"] if w["id"] == "w-1")
    assert (w["status"] == "open") is released
    assert "error_count" not in w["metadata"]
