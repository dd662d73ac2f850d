"""A timed-out session whose stop fails stays as it was for the tick (session_reconciler.go,
reconcileSessionBeads, the max-age and idle-timeout arms): Gas City logs "stopping aged/idle
%s: %v" and records no kill event, writes no sleep patch and keeps the session alive; only a
stop that succeeds is followed by the kill event and SleepPatch."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import running_named_witness

from core.scenario.file import load_scenario

HEAD = """name = "stops"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
"""

TIMERS = {
    "max_age": ('max_session_age = "5h"', "session.max_age_killed", "stopping aged repo--witness: tmux: no server"),
    "idle": ('idle_timeout = "1h"', "session.idle_killed", "stopping idle repo--witness: tmux: no server"),
}


def model(tmp_path: Path, timer: str):
    p = tmp_path / "city.toml"
    p.write_text(HEAD + running_named_witness(timer, "2026-07-19T06:41:00Z"))
    return load_scenario(str(p)).model()


@pytest.mark.parametrize("which", sorted(TIMERS))
def test_a_failed_timer_stop_kills_nothing_and_puts_nothing_to_sleep(tmp_path, which):
    timer, killed_event, failed_line = TIMERS[which]
    m = model(tmp_path, timer)
    m.do({"do": "fail_stop", "name": "repo--witness", "message": "tmux: no server"})
    out = m.do({"do": "tick"})
    assert f"session reconciler: {failed_line}" in out.logs
    assert [e for e in out.events if e.type == killed_event] == []
    assert [a for a in out.actions if a.kind in ("sleep", "stop")] == []
    b = m.world.store.session("gc-1")
    assert (b.state, b.get("sleep_reason"), b.get("last_woke_at")) == ("awake", "", "2026-07-19T06:40:00Z")
    assert m.world.runtime.alive("repo--witness")


@pytest.mark.parametrize("which", sorted(TIMERS))
def test_a_timer_stop_that_succeeds_records_the_kill_and_the_sleep(tmp_path, which):
    timer, killed_event, failed_line = TIMERS[which]
    m = model(tmp_path, timer)
    out = m.do({"do": "tick"})
    assert f"session reconciler: {failed_line}" not in out.logs
    assert [e.subject for e in out.events if e.type == killed_event] == ["repo/witness"]
    assert [a.kind for a in out.actions if a.bead_id == "gc-1" and a.kind in ("sleep", "stop")][:2] == ["stop", "sleep"]
