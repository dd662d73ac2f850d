"""Gas City's legacy no-store build (a scenario's `build` step with `store = false`): the desired
count is scale_check (or, without one, the ready routed work) clamped to [min, max], an error
counting min; identities are slots 1..count; no bead is read or written."""

from __future__ import annotations

from pathlib import Path

from core.scenario.file import load_scenario

CITY = '''name = "no store"
start = "2026-07-19T12:00:00Z"
[city.workspace]
name = "t"
[[city.agent]]
name = "asleep"
suspended = true
scale_check = "printf 1"
[[city.agent]]
name = "worker"
dir = "rig"
max_active_sessions = 2
min_active_sessions = 1
scale_check = "printf 3"
depends_on = ["rig/db"]
[[city.agent]]
name = "db"
dir = "rig"
max_active_sessions = 3
[[city.agent]]
name = "mayor"
max_active_sessions = 1
scale_check = "printf 1"
[[city.agent]]
name = "scout"
[[city.agent]]
name = "broken"
min_active_sessions = 1
scale_check = "x"
[[city.agent]]
name = "dog"
max_active_sessions = -1
scale_check = "printf 4"
[[city.agent]]
name = "idle"
scale_check = "printf 0"
[[city.agent]]
name = "off"
max_active_sessions = 0
scale_check = "printf 1"
[[city.agent]]
name = "sleepy"
suspended = true
scale_check = "printf 1"
[scale_check]
"rig/worker" = 3
mayor = 1
broken = "error"
dog = 4
idle = 0
off = 1
sleepy = 1
asleep = 1
[[work]]
id = "w-1"
status = "open"
routed_to = "scout"
[[work]]
id = "w-2"
status = "open"
routed_to = "scout"
[[work]]
id = "w-3"
status = "in_progress"
assignee = "scout-9"
routed_to = "scout"
'''


def build(tmp_path: Path):
    p = tmp_path / "ns.toml"
    p.write_text(CITY)
    m = load_scenario(str(p)).model()
    return m, m.do({"do": "build", "store": False}).desired


def test_counts_are_scale_check_clamped_to_min_and_max(tmp_path):
    m, d = build(tmp_path)
    counts = {"rig/worker": 2, "rig/db": 0, "mayor": 1, "scout": 2, "broken": 1, "dog": 4, "idle": 0}
    assert dict(d.scale_check_counts) == counts
    assert dict(d.pool_desired) == dict(d.pool_requests) == {k: v for k, v in counts.items() if v}
    assert d.partial_templates == {"broken"}
    assert d.partial_reasons == {"broken": "scale_check result 'error' is not a non-negative integer"}
    assert len(m.world.store.sessions) == 0
    assert not d.entries.of_template("rig/db")  # no bead is read, so no root and no dependency floor


def test_identities_are_slots_one_to_count_under_legacy_names(tmp_path):
    _, d = build(tmp_path)
    got = {sn: (e.identity, e.pool_slot, e.alias, e.template, e.source) for sn, e in d.entries.items()}
    assert got == {
        "rig--worker-1": ("rig/worker-1", 1, "rig/worker-1", "rig/worker", "new"),
        "rig--worker-2": ("rig/worker-2", 2, "rig/worker-2", "rig/worker", "new"),
        "mayor": ("mayor", 0, "mayor", "mayor", "new"),
        "scout-1": ("scout-1", 1, "scout-1", "scout", "new"),
        "scout-2": ("scout-2", 2, "scout-2", "scout", "new"),
        "broken-1": ("broken-1", 1, "broken-1", "broken", "new"),
        **{f"dog-{i}": (f"dog-{i}", i, f"dog-{i}", "dog", "new") for i in range(1, 5)},
    }
    e = d.entries["rig--worker-2"]
    assert e.env == {"GC_TEMPLATE": "rig/worker", "GC_ALIAS": "rig/worker-2", "GC_AGENT": "rig/worker-2",
                     "GC_SESSION_ORIGIN": "ephemeral", "GC_SESSION_NAME": "rig--worker-2",
                     "GC_SESSION_ID": "rig/worker-2"}
    assert [w.rule for w in e.why] == ["shape.slot_pool", "demand.new", "slot.lowest_free", "alias.claimed"]
    assert [w.rule for w in d.entries["mayor"].why] == ["shape.canonical_singleton", "demand.new", "slot.canonical",
                                                        "alias.claimed"]
    assert e.why[1].detail == "no bead store: scale_check clamped to [min, max] gives 2; slot 2"
    assert e.why[2].detail == "slot 2 of 2"
    assert d.entries["mayor"].why[2].detail == "canonical singletons never take a slot"
    assert d.entries["mayor"].why[3].detail == "mayor (no store: identities are not reserved)"


def test_older_semantics_and_a_session_template_reach_the_names(tmp_path):
    p = tmp_path / "old.toml"
    p.write_text(CITY.replace('name = "no store"', 'name = "no store"\nsemantics = "pre-2053"')
                 .replace('[city.workspace]\nname = "t"', '[city.workspace]\nname = "t"\nsession_template = "c-{{.Agent}}"'))
    d = load_scenario(str(p)).model().do({"do": "build", "store": False}).desired
    assert (d.entries["c-mayor-1"].identity, d.entries["c-mayor-1"].pool_slot) == ("mayor-1", 1)
    assert d.entries["c-rig--worker-2"].env["GC_SESSION_NAME"] == "c-rig--worker-2"


def test_a_boolean_scale_check_result_is_an_error_not_a_count(tmp_path):
    """A true/false result is no integer (Gas City's Atoi refuses "true"): the agent counts its
    min and is partial, as for any other unreadable result."""
    p = tmp_path / "ns.toml"
    p.write_text(CITY)
    m = load_scenario(str(p)).model()
    m.world.set_scale_check("idle", True)
    d = m.do({"do": "build", "store": False}).desired
    assert d.scale_check_counts["idle"] == 0 and not d.entries.of_template("idle")
    assert d.partial_templates == {"broken", "idle"}
    assert d.partial_reasons["idle"] == "scale_check result True is not a non-negative integer"
