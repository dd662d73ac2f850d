"""An idle-timeout kill (idle_timeout of the forward pass): the runtime is stopped, a
session.idle_killed event names the session, and the bead sleeps by SleepPatch
(internal/session): asleep with the reason, state_reason, the wake stamp, the create claim and
its start time and the sleep intent cleared, slept_at stamped."""

from __future__ import annotations

from factories import NAMED_MAYOR_IDENTITY, scenario_model

CITY = f"""name = "idle-kill"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "mayor"
idle_timeout = "10m"
[[city.named_session]]
template = "mayor"
mode = "on_demand"
[[session]]
id = "gc-1"
[session.metadata]
{NAMED_MAYOR_IDENTITY.replace('"always"', '"on_demand"')}state = "active"
state_reason = "creation_complete"
generation = "1"
instance_token = "t"
last_woke_at = "2026-05-16T10:00:00Z"
pending_create_started_at = "2026-05-16T10:00:00Z"
[[runtime]]
name = "mayor"
session_id = "gc-1"
instance_token = "t"
last_activity = "2026-05-16T11:00:00Z"
"""


def test_an_idle_timeout_stops_the_session_and_puts_its_bead_to_sleep(tmp_path):
    m = scenario_model(tmp_path, CITY, "idle.toml")
    out = m.do({"do": "tick"})
    assert [(a.kind, a.bead_id, a.session_name, a.reason, a.detail, a.template) for a in out.actions] == [
        ("stop", "gc-1", "mayor", "idle-timeout", "", "mayor"),
        ("sleep", "gc-1", "mayor", "idle-timeout", "", "mayor")]
    assert [(e.type, e.subject, e.message, e.bead_id) for e in out.events] == [
        ("session.idle_killed", "mayor", "idle-timeout stop", "gc-1")]
    assert not m.world.runtime.is_running("mayor")
    b = m.world.store.session("gc-1")
    keys = ("state", "state_reason", "sleep_reason", "last_woke_at", "pending_create_claim",
            "pending_create_started_at", "sleep_intent", "slept_at")
    assert {k: b.get(k) for k in keys} == {
        "state": "asleep", "state_reason": "", "sleep_reason": "idle-timeout", "last_woke_at": "",
        "pending_create_claim": "", "pending_create_started_at": "", "sleep_intent": "",
        "slept_at": "2026-05-16T12:00:00Z"}
