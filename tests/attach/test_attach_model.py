"""The live state through the model: world mapping, trackers, the trace's cycles, drift, alarms
and their settings."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from citykit import CITY_TOML, NOW, beads_json, build_city, session_events

from core.alarms import AlarmMemory, AlarmThresholds, evaluate_alarms
from core.attach.beads_source import parse_file_store
from core.attach.controller_drift import compute_drift
from core.attach.lifecycle import AliasConflict, Until, lifecycle_rows
from core.attach.settings import load_thresholds
from core.attach.tmux import TmuxListing, TmuxSession
from core.attach.trace_view import SessionRecord, TraceView
from core.attach.world_map import effective_session_name, live_world
from core.config.errors import ConfigError
from core.config.load import load_city_text


def beads(edit: dict | None = None):
    return parse_file_store(json.loads(beads_json(edit=edit)), "beads.json")


def tmux(*names: str, dead: tuple[str, ...] = ()) -> TmuxListing:
    ids = {"worker-gc-1": "gc-1", "worker-gc-2": "gc-2", "mayor": "gc-4", "fixture--oldagent": "gc-5"}
    return TmuxListing(True, True, [TmuxSession(n, NOW - timedelta(hours=1), NOW, False, n not in dead, ("claude",),
                                                {"GC_SESSION_ID": ids.get(n, ""), "GC_TEMPLATE": "t", "GC_DRAIN": "1"})
                                    for n in names])


def city():
    return load_city_text(CITY_TOML, "/srv/fixture", "city.toml")


# ------------------------------------------------------------------ world and trackers


def test_live_world_holds_beads_work_and_runtime() -> None:
    w = live_world(beads(), tmux("worker-gc-1", "mayor", dead=("mayor",)), NOW, scale_checks={"fixture/worker": 2})
    assert [b.id for b in w.store.open_sessions()] == ["gc-1", "gc-2", "gc-3", "gc-4", "gc-5"]
    assert not w.store.session("gc-6").open
    assert w.store.session("gc-1").get("pool_managed") == "true"
    w1 = w.store.work_bead("w-1")
    assert (w1.status, w1.assignee, w1.routed_to) == ("in_progress", "fixture/worker-1", "fixture/worker")
    assert w.store.work_bead("w-2").ready and not w.store.work_bead("run-anchor").ready  # a molecule
    rs = w.runtime.get("worker-gc-1")
    assert (rs.session_id, rs.process_alive, rs.meta, rs.env.get("GC_TEMPLATE")) == ("gc-1", True, {"GC_DRAIN": "1"}, "t")
    assert not w.runtime.alive("mayor")
    assert w.scale_check("fixture/worker") == 2 and w.memory.adopted
    assert w.store.next_id == 201  # the file store's seq + 1
    assert effective_session_name("rig/x-1", {}) == "s-rig--x-1"


def test_lifecycle_rows_read_the_persisted_trackers() -> None:
    rows = {r.bead_id: r for r in lifecycle_rows(live_world(beads(), None, NOW), NOW)}
    assert (rows["gc-2"].wake_attempts, rows["gc-2"].churn_count, rows["gc-2"].sleep_reason) == (2, 1, "idle")
    assert rows["gc-5"].quarantine == Until("2026-06-01T12:10:00Z", True)
    assert rows["gc-5"].hold == Until("2026-06-01T11:50:00Z", False)
    assert rows["gc-3"].alias_conflict == AliasConflict("fixture/worker-1", 7, "2026-06-01T11:59:00Z")
    assert rows["gc-1"].quarantine is None and "gc-6" not in rows


# ------------------------------------------------------------------ trace view


def test_trace_view_folds_cycles_across_batches(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=2)
    v = TraceView(str(kit.trace_root), history_segments=None)
    changed, warns = v.poll()
    assert changed and [w.code for w in warns] == ["unknown_code"]  # reason "resume"
    last = v.last_cycle()
    assert last.tick_id == f"fixture-4242-{int((NOW - timedelta(hours=1)).timestamp()) * 10**9}-000002"
    assert last.completion == "completed" and last.snapshot["pool_desired"] == {"fixture/worker": 3}
    assert last.results["worker-gc-2"] == SessionRecord("fixture/worker", "asleep", "idle")
    assert last.controller == "ctl-host:4242" and last.trigger == "patrol"
    assert [d.tick_id for d in v.decisions] == [c.tick_id for c in v.cycles.values()]
    assert v.decisions[-1].fields["note"] == "<nil> & more"
    assert v.poll() == (False, [])


# ------------------------------------------------------------------ drift


def test_drift_lists_differences_with_the_models_why(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=1)
    v = TraceView(str(kit.trace_root))
    v.poll()
    w = live_world(beads(), tmux("worker-gc-1", "mayor", "fixture--oldagent"), NOW)
    before = w.dumps()
    rep = compute_drift(city(), w, v.last_cycle(), runtime_observable=True)
    assert rep.error == "" and w.dumps() == before  # the live world is never touched
    by_kind = {}
    for i in rep.items:
        by_kind.setdefault(i.kind, []).append(i)
    orphan = next(i for i in by_kind["undesired"] if i.bead_id == "gc-5")
    assert orphan.text == ("model expects fixture--oldagent not in the desired set, controller has an open bead gc-5 "
                           "(state active, running)")
    assert orphan.why
    pool = by_kind["pool_desired"][0]
    assert pool.subject == "fixture/worker" and pool.controller == "3 in its last traced cycle"
    assert pool.tick_id == v.last_cycle().tick_id and pool.model.startswith("pool_desired[fixture/worker] = ")
    assert rep.compared_tick_id == v.last_cycle().tick_id
    assert any(e.session_name == "mayor" and e.why for e in rep.model_desired)
    for i in rep.items:
        assert i.text.startswith("model expects ") and ", controller has " in i.text


def test_drift_compares_counts_with_the_last_traced_cycle(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=0)
    kit.land(*kit.tick(NOW - timedelta(seconds=30), pool_desired=5))
    v = TraceView(str(kit.trace_root))
    v.poll()
    rep = compute_drift(city(), live_world(beads(), None, NOW), v.last_cycle(), runtime_observable=False)
    items = {i.kind: i for i in rep.items if i.subject in ("fixture/worker", "(city)")}
    assert set(items) == {"pool_desired", "template_desired", "desired_count"}
    t = items["template_desired"]
    assert t.controller == "5 in its last traced cycle" and t.tick_id == v.last_cycle().tick_id
    n = int(t.model.split()[0])
    assert n <= 3 and len(t.why) == n  # max_active_sessions = 3: one why row per desired worker
    assert items["desired_count"].controller == "6 in its last traced cycle"


def test_odd_values_in_the_controllers_records_are_ignored_not_fatal(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=0)
    kit.tracer.write_cycle([
        {"record_type": "cycle_input_snapshot", "fields": {"pool_desired": ["fixture/worker"],
                                                           "scale_check_counts": {"a": "3", "b": 2, "c": True},
                                                           "desired_session_count": "many"}},
        {"record_type": "template_tick_summary", "template": "fixture/worker", "fields": {"desired_count": None}},
    ], NOW)
    rel = "segments/2026/06/01/segment-000001.jsonl"
    kit.land(rel, (kit.staging / rel).read_bytes())
    v = TraceView(str(kit.trace_root))
    v.poll()
    c = v.last_cycle()
    assert c.counts("pool_desired") == {} and c.counts("scale_check_counts") == {"b": 2}
    rep = compute_drift(city(), live_world(beads(), None, NOW), c, runtime_observable=False)
    assert rep.error == "" and not [i for i in rep.items if i.kind in ("template_desired", "desired_count")]


def test_drift_without_tmux_skips_post_tick_comparisons_and_says_so() -> None:
    rep = compute_drift(city(), live_world(beads(), None, NOW), None, runtime_observable=False)
    assert rep.error == "" and "unobservable" in rep.notes[0]
    assert {i.kind for i in rep.items} <= {"missing_bead", "alias", "undesired"}
    assert rep.compared_tick_id == ""


def test_drift_needs_a_config() -> None:
    assert "city.toml" in compute_drift(None, live_world(beads(), None, NOW), None, runtime_observable=False).error


# ------------------------------------------------------------------ alarms


def test_every_alarm_kind_fires_on_the_fixture_city() -> None:
    w = live_world(beads(), None, NOW)
    alarms = evaluate_alarms(w, session_events(), NOW, AlarmThresholds())
    assert [(a.kind, a.subject) for a in alarms] == [
        ("alias_conflict", "worker-gc-3"), ("idle_spawns", "fixture/worker"), ("quarantine", "fixture--oldagent"),
        ("start_pending", "worker-gc-3"), ("wakes", "fixture/worker-3")]
    wakes = alarms[-1]
    assert (wakes.value, wakes.threshold, wakes.bead_ids) == (7, 6, ["gc-3"])
    idle = alarms[1]
    assert idle.value == 7 and idle.bead_ids == ["gc-3"]  # gc-1 woke too but holds w-1: not idle
    quarantine = alarms[2]  # the fixture's crash-looping bead, with the time its quarantine ends
    assert quarantine.until == "2026-06-01T12:10:00Z" and "quarantined until 12:10:00" in quarantine.message
    assert alarms[3].value == 1200


def test_alarms_stay_quiet_below_their_thresholds() -> None:
    w = live_world(beads(edit={"gc-3": {"pool_alias_conflict_count": "2", "pending_create_started_at":
                                        "2026-06-01T11:58:00Z"}}), None, NOW)
    t = AlarmThresholds(wakes_per_hour=8, idle_spawns_per_hour=8)

    def loops(alarms):  # a quarantine holds whatever the thresholds: the fixture has one
        return [a for a in alarms if a.kind != "quarantine"]

    assert loops(evaluate_alarms(w, session_events(), NOW, t)) == []
    old = [dict(e, ts="2026-06-01T10:00:00Z") for e in session_events()]  # outside the hour
    assert loops(evaluate_alarms(w, old, NOW, AlarmThresholds())) == []


def test_alias_conflicts_that_keep_climbing_alarm_before_the_count_threshold() -> None:
    mem = AlarmMemory()
    t = AlarmThresholds(alias_conflict_count=100, alias_conflict_rises=3)
    for n in range(1, 5):
        w = live_world(beads(edit={"gc-3": {"pool_alias_conflict_count": str(n)}}), None, NOW)
        mem.observe_conflicts(w)
        fired = [a for a in evaluate_alarms(w, [], NOW, t, mem) if a.kind == "alias_conflict"]
        assert bool(fired) == (n == 4)
    assert "rose 3 times" in fired[0].message


# ------------------------------------------------------------------ settings


def test_thresholds_from_the_settings_file_and_overrides(tmp_path: Path) -> None:
    p = tmp_path / "citywatch.toml"
    p.write_text('[citywatch.alarms]\nwakes_per_hour = 10\nstart_pending_timeout = "90s"\n')
    t = load_thresholds(str(p), ["idle_spawns_per_hour=4", "idle_spawn_grace=1m"])
    assert (t.wakes_per_hour, t.start_pending_timeout_s, t.idle_spawns_per_hour, t.idle_spawn_grace_s) == (10, 90, 4, 60)
    assert t.alias_conflict_count == AlarmThresholds().alias_conflict_count


def test_a_missing_default_settings_file_means_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_thresholds(None) == AlarmThresholds()
    (tmp_path / "citywatch").mkdir()
    (tmp_path / "citywatch" / "citywatch.toml").write_text("[citywatch.alarms]\nwakes_per_hour = 2\n")
    assert load_thresholds(None).wakes_per_hour == 2


@pytest.mark.parametrize("text,field,line", [
    ('[citywatch.alarms]\nwakes_per_hour = 3\nwake_per_hour = 2\n', "citywatch.alarms.wake_per_hour", 3),
    ('[citywatch.alarms]\n\nwakes_per_hour = "lots"\n', "citywatch.alarms.wakes_per_hour", 3),
    ('[citywatch.alarms]\nstart_pending_timeout = "5 minutes"\n', "citywatch.alarms.start_pending_timeout", 2),
    ('[citywatch.alarms]\nidle_spawns_per_hour = 0\n', "citywatch.alarms.idle_spawns_per_hour", 2),
])
def test_bad_settings_name_file_line_and_field(tmp_path: Path, text: str, field: str, line: int) -> None:
    p = tmp_path / "s.toml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_thresholds(str(p))
    assert (e.value.file, e.value.field, e.value.line) == (str(p), field, line)
    assert e.value.render().startswith(f"{p}: {field}: ")


def test_bad_settings_syntax_and_overrides(tmp_path: Path, monkeypatch) -> None:
    p = tmp_path / "s.toml"
    p.write_text("[citywatch.alarms\n")
    with pytest.raises(ConfigError) as e:
        load_thresholds(str(p))
    assert e.value.line == 1 and e.value.file == str(p)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_thresholds(None, ["nonsense"])
    with pytest.raises(ConfigError, match="cannot read the settings file"):
        load_thresholds(str(tmp_path / "absent.toml"))
