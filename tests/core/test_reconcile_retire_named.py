"""retireRemovedConfiguredNamedSessionBead (session_beads.go): a named session bead whose
[[named_session]] was removed from the config is stopped, then archived open as history
(RetireNamedSessionPatch over ArchivePatch): its identifiers, holds and sleep state are freed,
the identity is kept in retired_named_identity, its work is unclaimed and its live durable waits
canceled (cancelStateAssignedToRetiredSessionBead: terminal waits and other sessions' waits are
left as they are). A failed stop leaves the bead untouched. Run by the sync close pass
(skipClose off, `gc start`'s final one-shot sync)."""

from __future__ import annotations

from factories import NAMED_MAYOR_IDENTITY, scenario_model

CITY = """name = "retire"
start = "2026-05-16T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "deacon"
[[session]]
id = "gc-1"
[session.metadata]
""" + NAMED_MAYOR_IDENTITY + """state = "asleep"
session_name_explicit = "true"
canonical_instance_name = "mayor"
canonical_pool_slot = "0"
pending_create_claim = "true"
pending_create_started_at = "2026-05-16T11:00:00Z"
held_until = "2026-05-17T12:00:00Z"
quarantined_until = "2026-05-17T12:00:00Z"
wait_hold = "true"
sleep_intent = "idle-stop-pending"
sleep_reason = "idle"
[[runtime]]
name = "mayor"
session_id = "gc-1"
[[work]]
id = "w-1"
status = "in_progress"
assignee = "mayor"
[[wait]]
id = "wait-1"
session = "gc-1"
kind = "deps"
deps = ["w-1"]
[[wait]]
id = "wait-2"
session = "gc-9"
kind = "deps"
deps = ["w-1"]
[[wait]]
id = "wait-3"
session = "gc-1"
state = "expired"
kind = "deps"
deps = ["w-1"]
"""
NOW = "2026-05-16T12:00:00Z"
FREED = ("pending_create_claim", "pending_create_started_at", "alias", "session_name", "session_name_explicit",
         "canonical_instance_name", "canonical_pool_slot", "held_until", "quarantined_until", "wait_hold",
         "sleep_intent", "sleep_reason")


def tick(tmp_path, text=CITY):
    m = scenario_model(tmp_path, text)
    out = m.do({"do": "sync", "close": True})
    return m, out, m.world.store.session("gc-1")


def test_a_removed_named_session_is_stopped_and_archived_open_as_history(tmp_path):
    m, out, b = tick(tmp_path)
    assert not m.world.runtime.alive("mayor") and b.open
    assert {k: b.get(k) for k in ("state", "state_reason", "archived_at", "continuity_eligible", "synced_at",
                                  "retired_named_identity")} == {
        "state": "archived", "state_reason": "removed-configured-named-session", "archived_at": NOW,
        "continuity_eligible": "false", "synced_at": NOW, "retired_named_identity": "mayor"}
    assert {k: b.get(k) for k in FREED} == dict.fromkeys(FREED, "")
    assert [(a.kind, a.reason) for a in out.actions if a.bead_id == "gc-1"][:1] == [("stop", "removed named session")]


def test_its_work_is_unclaimed_and_only_its_live_waits_are_canceled(tmp_path):
    m, _, _ = tick(tmp_path)
    w = m.world.store.work_bead("w-1")
    assert (w.status, w.assignee) == ("open", "")
    waits = {w.id: (w.session_id, w.state, w.reason) for w in m.world.store.waits_in_order()}
    assert waits == {"wait-1": ("gc-1", "canceled", ""), "wait-2": ("gc-9", "pending", ""),
                     "wait-3": ("gc-1", "expired", "")}


def test_a_failed_stop_leaves_the_bead_and_its_work_as_they_are(tmp_path):
    m = scenario_model(tmp_path, CITY)
    m.do({"do": "fail_stop", "name": "mayor", "message": "boom"})
    out = m.do({"do": "sync", "close": True})
    b = m.world.store.session("gc-1")
    assert m.world.runtime.alive("mayor")
    assert "session beads: stopping removed named session \"mayor\" (bead gc-1): boom" in out.logs
    assert b.get("state") != "archived" and b.get("retired_named_identity") == "" and b.get("alias") == "mayor"
    assert m.world.store.work_bead("w-1").assignee == "mayor"
    assert {w.id: w.state for w in m.world.store.waits_in_order()}["wait-1"] == "pending"
