"""The model's trace records are typed (TickRecord, BuildRecord, ReloadRecord) and keep each
origin's JSON form: the keys, their order, and which keys a record does not have."""

from __future__ import annotations

from factories import named_mayor_scenario, scenario_model

from core.tracefile.record import BuildRecord, ReloadRecord, TickRecord


def test_a_tick_numbers_every_record_it_holds_build_records_included(tmp_path):
    out = scenario_model(tmp_path, named_mayor_scenario("mayor", "")).do({"do": "tick"})
    assert [r.seq for r in out.trace] == list(range(1, len(out.trace) + 1))
    assert {type(r) for r in out.trace} == {TickRecord, BuildRecord}
    assert {(r.trace_id, r.tick) for r in out.trace} == {("cycle-0000000000000001", 1)}
    start = out.trace[0].to_json()
    assert list(start) == ["record_type", "seq", "trace_id", "tick", "ts", "site_code", "reason_code",
                           "outcome_code", "template", "session_name", "config_revision",
                           "tick_trigger", "trigger_detail", "trace_mode", "trace_source"]
    phase = next(r.to_json() for r in out.trace if isinstance(r, BuildRecord) and r.operation_name)
    assert list(phase) == ["record_type", "site_code", "reason_code", "outcome_code", "template",
                           "session_name", "operation_name", "fields", "seq", "trace_id", "tick"]


def test_a_tick_record_writes_its_kind_keys_after_fields_and_only_when_set():
    rec = TickRecord("mutation", "bead_metadata", "unknown", "success", "mayor", "mayor", {"diffs": {}},
                     seq=3, trace_id="cycle-1", tick=1, ts="t", config_revision="r")
    assert "target_id" not in rec.to_json()
    rec.target_kind, rec.target_id, rec.write_method = "session", "gc-1", "update"
    assert list(rec.to_json())[-4:] == ["fields", "target_kind", "target_id", "write_method"]


def test_a_build_record_outside_a_tick_is_unnumbered_and_an_empty_fields_map_is_absent():
    rec = BuildRecord("decision", "reconciler.pool.accept", "new", "accepted", "worker", "")
    assert rec.to_json() == {"record_type": "decision", "site_code": "reconciler.pool.accept", "reason_code": "new",
                             "outcome_code": "accepted", "template": "worker", "session_name": ""}
    rec.stamp(7, "cycle-2", 2)
    assert list(rec.to_json())[-3:] == ["seq", "trace_id", "tick"] and rec.to_json()["seq"] == 7


def test_a_reload_record_has_no_template_or_session_until_a_tick_stamps_it():
    rec = ReloadRecord("config_reload", "config.reload", "unknown", "applied", fields={"source": "watch"})
    assert list(rec.to_json()) == ["record_type", "site_code", "reason_code", "outcome_code", "fields"]
    rec.stamp(1, "cycle-3", 3)
    assert list(rec.to_json())[-5:] == ["seq", "trace_id", "tick", "template", "session_name"]
