"""The tracker rows (state JSON `trackers[]`, the Trackers panel): every field of each row, as the
reconciler's own trackers give it, in each status a row can have."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.formats.timefmt import format_time
from core.scenario.file import load_scenario
from core.trackers.view import tracker_rows
from core.world import beads as B
from core.world.memory import DeferStreak


def json_rows(m, bead_ids=None) -> list[dict]:
    """The tracker rows in their state JSON form."""
    return [r.to_json() for r in tracker_rows(m, bead_ids)]


CITY = """name = "rows"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
dir = "rig"
max_active_sessions = 2
min_active_sessions = 1
idle_timeout = "10m"
sleep_after_idle = "5m"
max_session_age = "1h"
max_session_age_jitter = "10m"
{extra}
"""


@pytest.fixture
def model(tmp_path):
    def make(extra: str = ""):
        p = tmp_path / "rows.toml"
        p.write_text(CITY.format(extra=extra))
        m = load_scenario(str(p)).model()
        m.do({"do": "tick"})
        return m
    return make


def row(m, what: str) -> dict:
    (r,) = [r for r in json_rows(m) if r["bead_id"] == "gc-1"]
    assert r["session_name"] == "worker-gc-1"
    return r[what]


def test_a_fresh_pool_session_row_in_full(model):
    """A pool instance resolves every tracker by its template (the fallback registration). The
    max-age offset, 7m51.818584217s, was computed with Go's hash/fnv over
    "rig/worker\\0worker-gc-1\\02026-07-19T12:00:00Z" modulo 10m (see test_trackers_timers)."""
    m = model()
    m.do({"do": "advance", "by": "11m"})
    assert row(m, "idle") == {"key": "rig/worker", "key_source": "template", "timeout": "10m0s",
                              "last_activity": "2026-07-19T12:00:00Z", "deadline": "2026-07-19T12:10:00Z",
                              "status": "fired", "reason": "idle_timeout", "sleep_after_idle": "5m",
                              "sleep_policy_source": "agent"}
    assert row(m, "max_age") == {"key": "rig/worker", "key_source": "template", "max_age": "1h0m0s",
                                 "jitter": "10m0s", "offset": "7m51.818584217s", "anchor": "2026-07-19T12:00:00Z",
                                 "deadline": "2026-07-19T13:07:51.818584Z", "status": "armed"}
    assert row(m, "defer") == {"limit": 3, "limit_source": "default", "count": 0, "anchor": "", "status": "clear"}
    assert row(m, "wake_failures") == {"wake_attempts": 0, "churn_count": 0, "quarantined_until": "",
                                       "last_woke_at": "2026-07-19T12:00:00Z", "status": "clear"}
    assert row(m, "circuit") == {"status": "disabled", "identity": ""}


def test_before_the_deadlines_both_timers_are_armed_and_a_hold_defers_them(model):
    m = model()
    assert row(m, "idle")["status"] == "armed" and "reason" not in row(m, "idle")
    m.do({"do": "advance", "by": "2h"})
    assert (row(m, "max_age")["status"], row(m, "max_age")["reason"]) == ("fired", "max_session_age")
    m.world.store.update_session("gc-1", {B.HELD_UNTIL: format_time(m.world.now + timedelta(hours=1))})
    assert (row(m, "idle")["status"], row(m, "idle")["reason"]) == ("deferred", "user_hold")
    assert (row(m, "max_age")["status"], row(m, "max_age")["reason"]) == ("deferred", "user_hold")


def test_a_dead_runtime_and_a_missing_anchor(model):
    m = model()
    m.world.store.update_session("gc-1", {B.CREATION_COMPLETE_AT: ""})
    assert row(m, "max_age")["status"] == "no_anchor" and row(m, "max_age")["deadline"] == ""
    m.world.runtime.stop("worker-gc-1")
    assert row(m, "idle")["status"] == "idle_runtime"
    m.world.store.update_session("gc-1", {B.CREATION_COMPLETE_AT: "2026-07-19T12:00:00Z"})
    assert row(m, "max_age")["status"] == "idle_runtime"


def test_timers_off_read_disabled(tmp_path):
    p = tmp_path / "off.toml"
    p.write_text(CITY.format(extra="").replace('idle_timeout = "10m"\n', "").replace('max_session_age = "1h"\n', ""))
    m = load_scenario(str(p)).model()
    m.do({"do": "tick"})
    assert row(m, "idle")["status"] == "disabled" and row(m, "idle")["timeout"] == ""
    assert row(m, "max_age")["status"] == "disabled" and row(m, "max_age")["max_age"] == ""


def test_a_detached_session_shows_when_it_sleeps(model):
    m = model()
    m.world.store.update_session("gc-1", {B.DETACHED_AT: "2026-07-19T12:01:00Z"})
    r = row(m, "idle")
    assert (r["idle_since"], r["sleep_deadline"]) == ("2026-07-19T12:01:00Z", "2026-07-19T12:06:00Z")


def test_the_defer_row_counts_against_a_configured_limit(model):
    m = model("assigned_work_defer_limit = 2")
    assert (row(m, "defer")["limit"], row(m, "defer")["limit_source"]) == (2, "template")
    m.world.memory = m.world.memory.set("defer", "worker-gc-1", DeferStreak("w-1", 2))
    assert row(m, "defer") == {"limit": 2, "limit_source": "template", "count": 2, "anchor": "w-1",
                               "status": "deferring", "reason": "assigned_work"}
    m.world.memory = m.world.memory.set("defer", "worker-gc-1", DeferStreak("w-1", 3))
    assert row(m, "defer") == {"limit": 2, "limit_source": "template", "count": 3, "anchor": "w-1",
                               "status": "exhausted", "reason": "assigned_work_exhausted"}


def test_the_wake_failure_row_counts_and_quarantines(model):
    m = model()
    m.world.store.update_session("gc-1", {B.WAKE_ATTEMPTS: "2", B.CHURN_COUNT: "x"})
    r = row(m, "wake_failures")
    assert (r["wake_attempts"], r["churn_count"], r["status"]) == (2, 0, "counting")
    m.world.store.update_session("gc-1", {B.WAKE_ATTEMPTS: "", B.CHURN_COUNT: "1"})
    assert row(m, "wake_failures")["status"] == "counting"
    until = m.world.now + timedelta(minutes=5)
    m.world.store.update_session("gc-1", {B.QUARANTINED_UNTIL: format_time(until)})
    r = row(m, "wake_failures")
    assert (r["status"], r["reason"], r["quarantined_until"]) == ("quarantined", "quarantine", format_time(until))
    m.world.store.update_session("gc-1", {B.SLEEP_REASON: "context-churn"})
    assert row(m, "wake_failures")["reason"] == "context-churn"
    m.world.advance(300)
    assert row(m, "wake_failures")["status"] == "counting"


NAMED = """name = "rows"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
[city.daemon]
session_circuit_breaker = true
max_restarts = 2
restart_window = "10m"
[[city.agent]]
name = "mayor"
max_active_sessions = 1
[[city.named_session]]
template = "mayor"
mode = "always"
"""


def test_the_circuit_row_closed_counting_and_open(tmp_path):
    from core.trackers import circuit as C
    from core.world.memory import Circuit

    p = tmp_path / "named.toml"
    p.write_text(NAMED)
    m = load_scenario(str(p)).model()
    m.do({"do": "tick"})
    (bead,) = m.world.store.open_sessions()

    def circuit() -> dict:
        (r,) = [r for r in json_rows(m) if r["bead_id"] == bead.id]
        return r["circuit"]

    m.world.memory = m.world.memory.drop("circuits", "mayor")
    assert circuit() == {"status": "closed", "identity": "mayor", "state": C.CLOSED, "restarts": 0, "max_restarts": 2}
    now = m.world.now
    old, recent = now - timedelta(minutes=11), now - timedelta(minutes=1)
    m.world.memory = m.world.memory.set("circuits", "mayor", Circuit(restarts=(old, recent), last_restart=recent,
                                                                     last_progress=old))
    assert circuit() == {"identity": "mayor", "state": C.CLOSED, "restarts": 1, "max_restarts": 2, "window": "10m0s",
                         "last_restart": format_time(recent), "last_progress": format_time(old), "status": "closed"}
    m.world.memory = m.world.memory.set("circuits", "mayor", Circuit(restarts=(recent,) * 3, last_restart=recent,
                                                                     state=C.OPEN, opened_at=recent))
    assert circuit() == {"identity": "mayor", "state": C.OPEN, "restarts": 3, "max_restarts": 2, "window": "10m0s",
                         "last_restart": format_time(recent), "last_progress": "", "status": "open",
                         "reason": "circuit_open", "opened_at": format_time(recent),
                         "reset_at": format_time(recent + timedelta(minutes=20))}
    m.world.memory = m.world.memory.set("circuits", "mayor", Circuit(state=C.OPEN))
    assert circuit()["reset_at"] == ""
    m.world.store.update_session(bead.id, {B.CONFIGURED_NAMED_IDENTITY: ""})
    assert circuit() == {"status": "disabled", "identity": ""}



def test_the_defer_row_resolves_its_limit_by_session_name_before_template():
    """An on-demand named session registers by its runtime name; the row reads that entry even
    when its template registers another limit."""
    from core.config.city_config import Agent
    from core.trackers.keys import LifecycleKeys
    from core.trackers.view import _defer
    from core.world.memory import Memory

    keys = LifecycleKeys(names={"mayor": Agent(name="mayor", assigned_work_defer_limit=4)},
                         templates={"rig/mayor": Agent(name="mayor", dir="rig", assigned_work_defer_limit=2)})
    assert _defer(Memory(), keys, "mayor", "rig/mayor").to_json() == {"limit": 4, "limit_source": "name", "count": 0,
                                                            "anchor": "", "status": "clear"}
    assert _defer(Memory(), keys, "mayor-2", "rig/mayor").limit_source == "template"


SINGLETON = """name = "rows"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "mayor"
max_active_sessions = 1
min_active_sessions = 1
idle_timeout = "10m"
max_session_age = "1h"
assigned_work_defer_limit = 5
"""


def test_the_tracker_keys_follow_the_models_identity_rules(tmp_path):
    """A max-1 agent with min set expands to instances (#1989's carve-out) and its pool beads
    fall back to its template registration; before #1989 it does not expand, registers only its
    bare name, and its pool-named bead has no tracker entry."""
    p = tmp_path / "one.toml"
    p.write_text(SINGLETON)
    for semantics, key, source, limit in (("current", "mayor", "template", (5, "template")),
                                          ("pre-1989", "", "", (3, "default"))):
        m = load_scenario(str(p)).model()
        m.semantics = semantics
        m.do({"do": "tick"})
        (r,) = json_rows(m)
        assert r["session_name"] == "mayor-gc-1"
        assert (r["idle"]["key"], r["idle"]["key_source"]) == (key, source), semantics
        assert (r["max_age"]["key"], r["max_age"]["key_source"]) == (key, source), semantics
        assert (r["defer"]["limit"], r["defer"]["limit_source"]) == limit, semantics


def test_a_quarantine_defers_the_timers_and_a_bead_template_names_its_agent_by_dir_and_name(model):
    m = model()
    bead = m.world.store.session("gc-1")
    m.world.store.update_session("gc-1", {B.QUARANTINED_UNTIL: format_time(m.world.now + timedelta(minutes=20))})
    m.world.advance(11 * 60)
    assert (row(m, "idle")["status"], row(m, "idle")["reason"]) == ("deferred", "quarantine")
    import dataclasses

    m.city.agents[:] = [dataclasses.replace(a, binding="gt") for a in m.city.agents]
    m.city = dataclasses.replace(m.city)
    assert m.city.agent(bead.template) is None and m.city.find_agent(bead.template) is not None
    assert row(m, "idle")["key"] == "rig/gt.worker"


def test_rows_for_chosen_beads_skip_the_others_and_keep_looking(model):
    """A bead left out of `bead_ids` is skipped; the beads after it still get their rows."""
    m = model()
    m.world.store.create_session({"template": "rig/worker", "session_name": "extra"}, m.world.now, bead_id="gc-9")
    assert [r["bead_id"] for r in json_rows(m, {"gc-9"})] == ["gc-9"]
    assert [r["bead_id"] for r in json_rows(m)] == ["gc-1", "gc-9"]


def test_a_row_names_its_trackers_in_column_order(model):
    """The state JSON row and the Trackers panel read the same five trackers, keyed and ordered
    as the panel's columns: idle, max age, defer, wake failures, circuit."""
    m = model()
    (r,) = [r for r in tracker_rows(m) if r.bead_id == "gc-1"]
    assert list(r.to_json()) == ["bead_id", "session_name", "idle", "max_age", "defer", "wake_failures", "circuit"]
    assert [r.trackers()[k] for k in ("idle", "max_age", "defer", "wake_failures", "circuit")] == [
        r.idle, r.max_age, r.defer, r.wake_failures, r.circuit]
