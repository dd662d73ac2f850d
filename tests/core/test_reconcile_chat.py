"""autoSuspendChatSessions (cmd/gc/chat_autosuspend.go), one case per rule, and formatDuration
(cmd/gc/cmd_session.go) as its log line prints the idle time."""

from __future__ import annotations

import pytest

from core.reconcile.chat import _short
from core.scenario.file import load_scenario

CITY = """name = "chat"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[city.chat_sessions]
idle_timeout = "{timeout}"
[[city.agent]]
name = "helper"
[[session]]
id = "gc-1"
[session.metadata]
session_name = "{name}"
agent_name = "helper"
template = "helper"
manual_session = "true"
session_origin = "manual"
state = "{state}"
[[runtime]]
name = "chat-1"
session_id = "gc-1"
attached = {attached}
{activity}
"""


def tick(tmp_path, *, timeout="30m", name="chat-1", state="active", attached="false",
         activity='last_activity = "2026-05-16T11:30:00Z"'):
    p = tmp_path / "chat.toml"
    p.write_text(CITY.format(timeout=timeout, name=name, state=state, attached=attached, activity=activity))
    m = load_scenario(str(p)).model()
    out = m.do({"do": "tick"})
    return m, out


def suspended(m) -> bool:
    return m.world.store.session("gc-1").state == "suspended"


@pytest.mark.parametrize("state", ["active", "awake", ""])
def test_an_active_detached_session_idle_exactly_the_timeout_is_suspended(tmp_path, state):
    m, out = tick(tmp_path, state=state)
    b = m.world.store.session("gc-1")
    assert (b.state, b.get("suspended_at")) == ("suspended", "2026-05-16T12:00:00Z")
    assert not m.world.runtime.alive("chat-1")
    assert "Session gc-1 auto-suspended (idle 30m)." in out.logs


def test_the_suspend_stops_the_sessions_own_runtime_and_reports_it_as_that_sessions_stop(tmp_path):
    # handle.Stop of the session's worker handle: the stop is the session's, by its bead and
    # template, and a stop fault on that template keeps it running and active
    m, out = tick(tmp_path)
    stops = [(a.bead_id, a.session_name, a.reason, a.template) for a in out.actions if a.kind == "stop"]
    assert stops == [("gc-1", "chat-1", "chat-auto-suspend", "helper")]
    p = tmp_path / "chat.toml"
    m = load_scenario(str(p)).model()
    m.world.runtime.stop_failures = [["template:helper", 1, "pane busy"]]
    out = m.do({"do": "tick"})
    assert not suspended(m) and m.world.runtime.alive("chat-1")
    assert "gc start: auto-suspend session gc-1: stopping runtime session: pane busy" in out.logs


@pytest.mark.parametrize("kw", [
    {"timeout": ""}, {"timeout": "0s"}, {"timeout": "soon"}, {"timeout": "31m"},
    {"attached": "true"}, {"state": "draining"}, {"state": "archived"}, {"activity": ""},
])
def test_nothing_is_suspended_without_a_timeout_or_for_an_attached_inactive_or_recent_session(tmp_path, kw):
    m, out = tick(tmp_path, **kw)
    assert not suspended(m) and not any("auto-suspended" in line for line in out.logs), kw


def test_a_session_whose_runtime_does_not_run_is_not_suspended(tmp_path):
    m, _ = tick(tmp_path, name="chat-9")
    assert not suspended(m)


@pytest.mark.parametrize("seconds, want", [
    (0, "0s"), (59.9, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (86399, "23h"), (86400, "1d"),
    (3 * 86400 + 5, "3d"),
])
def test_format_duration_whole_units(seconds, want):
    assert _short(seconds) == want
