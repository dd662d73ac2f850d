"""A manual session of a configured template: it keeps the identity persisted on its bead and its
own alias, never takes a pool slot, and carries its assigned work (sessionBeadQualifiedNameInfo)."""

from __future__ import annotations

from pathlib import Path

from core.scenario.file import load_scenario

CITY = '''name = "manual"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "worker"
dir = "rig"
max_active_sessions = 2
[[session]]
id = "gc-m"
[session.metadata]
template = "rig/worker"
session_name = "hand"
alias = "helper"
state = "awake"
session_origin = "manual"
manual_session = "true"
[[session]]
id = "gc-n"
[session.metadata]
template = "rig/worker"
session_name = "solo-hand"
state = "awake"
session_origin = "manual"
manual_session = "true"
[[work]]
id = "w-1"
status = "in_progress"
assignee = "gc-m"
'''


def test_manual_entries_keep_their_identity_and_alias(tmp_path: Path):
    p = tmp_path / "manual.toml"
    p.write_text(CITY)
    d = load_scenario(str(p)).model().do({"do": "build"}).desired
    hand, solo = d.entries["hand"], d.entries["solo-hand"]
    assert (hand.template, hand.identity, hand.alias, hand.pool_slot, hand.source, hand.bead_id, hand.manual,
            hand.env_identity_stamped, hand.work_bead_id) == (
        "rig/worker", "rig/helper", "helper", 0, "resume", "gc-m", True, False, "w-1")
    assert {k: hand.env[k] for k in ("GC_TEMPLATE", "GC_ALIAS", "GC_AGENT", "GC_SESSION_NAME", "GC_SESSION_ID",
                                     "GC_TRIGGER_BEAD_ID")} == {
        "GC_TEMPLATE": "rig/worker", "GC_ALIAS": "rig/helper", "GC_AGENT": "hand", "GC_SESSION_NAME": "hand",
        "GC_SESSION_ID": "gc-m", "GC_TRIGGER_BEAD_ID": "w-1"}
    assert [(w.rule, w.detail) for w in hand.why[-2:]] == [
        ("shape.manual", "manual session: keeps its persisted identity and alias"),
        ("alias.kept", "keeps its own alias helper")]
    assert (solo.identity, solo.alias, solo.pool_slot, solo.source, solo.work_bead_id) == (
        "rig/solo-hand", "rig/solo-hand", 0, "manual", "")
    assert [w.rule for w in solo.why] == ["shape.slot_pool", "demand.manual", "shape.manual", "alias.kept"]
