"""The byte level of Gas City's trace: Go-compatible JSON, the chained CRC, batch framing."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.tracefile.framing import chained_crc, frame_batch
from core.tracefile.gojson import (
    GoJSONError,
    encode_record,
    encode_value,
    format_ts_ns,
    go_float,
    go_string,
    parse_ts_ns,
)

# Lines shaped exactly as Gas City's controller writes them (Go encoding/json of
# SessionReconcilerTraceRecord): struct field order, omitempty, sorted map keys, HTML escapes,
# nanosecond timestamps with trailing zeros trimmed, Go float forms, a null list in `fields`.
GO_LINES = [
    b'{"trace_schema_version":1,"seq":17,"trace_id":"cycle-3f9a0c2b7d1e4a65",'
    b'"tick_id":"gascity-91234-1755763200123456789-000042","record_id":"cycle-3f9a0c2b7d1e4a65:17:3",'
    b'"record_type":"decision","trace_mode":"detail","trace_source":"auto",'
    b'"site_code":"reconciler.session.wake_decision","ts":"2026-08-21T09:15:02.48211907Z","cycle_offset_ms":37,'
    b'"city_path":"/home/op/gascity","config_revision":"rev-7c1f","template":"repo/polecat",'
    b'"session_name":"polecat-mc-5o1","controller_instance_id":"build-01:91234","controller_pid":91234,'
    b'"controller_started_at":"2026-08-21T08:00:00.123456789Z","host":"build-01","gc_version":"0.9.3",'
    b'"gc_commit":"9e89da7c","build_date":"2026-08-20T11:02:03Z","reason_code":"wake",'
    b'"outcome_code":"start_candidate","fields":{"error":"exit status 1: \\u003cnil\\u003e \\u0026 more",'
    b'"ratio":0.25,"tiny":1e-7,"wake_attempts":2}}',
    b'{"trace_schema_version":1,"seq":18,"trace_id":"cycle-3f9a0c2b7d1e4a65",'
    b'"tick_id":"gascity-91234-1755763200123456789-000042","record_id":"cycle-3f9a0c2b7d1e4a65:18:4",'
    b'"record_type":"cycle_result","trace_mode":"baseline","trace_source":"always_on","site_code":"cycle.finish",'
    b'"ts":"2026-08-21T09:15:02.5Z","cycle_offset_ms":55,"completion_status":"completed","duration_ms":55,'
    b'"record_count":5,"fields":{"active_template_count":0,"big":1e+21,"decision_counts":{},'
    b'"drop_reason_counts":{},"templates_touched":null,"whole":3}}',
]


def test_go_shaped_lines_reencode_byte_for_byte() -> None:
    for line in GO_LINES:
        assert encode_record(json.loads(line)) == line


def test_crc_is_crc32_ieee_chained_without_resetting() -> None:
    # 0xCBF43926 is the CRC-32/IEEE check value of "123456789"; chaining two parts must give it.
    assert chained_crc([b"12345", b"6789"]) == 0xCBF43926
    assert chained_crc([]) == 0


@given(st.lists(st.binary(max_size=40), max_size=8))
def test_chained_crc_equals_one_crc_over_the_concatenation(parts: list[bytes]) -> None:
    assert chained_crc(parts) == zlib.crc32(b"".join(parts))


@pytest.mark.parametrize("value,text", [
    (1.0, "1"), (0.25, "0.25"), (-2.5, "-2.5"), (1e-7, "1e-7"), (1.5e-10, "1.5e-10"), (1e21, "1e+21"),
    (1e20, "100000000000000000000"), (123456789.125, "123456789.125"), (0.000001, "0.000001"), (-0.0, "-0"),
])
def test_floats_take_gos_shortest_form(value: float, text: str) -> None:
    assert go_float(value) == text


def test_go_refuses_nan() -> None:
    with pytest.raises(GoJSONError):
        go_float(float("nan"))


def test_strings_escape_html_and_line_separators_like_go() -> None:
    assert go_string("a<b>&c\u2028\u2029") == '"a\\u003cb\\u003e\\u0026c\\u2028\\u2029"'
    assert go_string("tab\tnl\n\x01é") == '"tab\\tnl\\n\\u0001é"'


def test_maps_are_sorted_and_compact() -> None:
    assert encode_value({"b": [1, True, None], "a": {"y": 1, "x": "s"}}) == '{"a":{"x":"s","y":1},"b":[1,true,null]}'


def test_timestamps_trim_trailing_nanosecond_zeros_and_parse_any_offset() -> None:
    ns = parse_ts_ns("2026-08-21T09:15:02.482119070Z")
    assert format_ts_ns(ns) == "2026-08-21T09:15:02.48211907Z"
    assert format_ts_ns(parse_ts_ns("2026-08-21T02:15:02-07:00")) == "2026-08-21T09:15:02Z"
    assert parse_ts_ns("not a time") is None


def test_record_fields_follow_struct_order_and_omitempty() -> None:
    line = encode_record({"fields": {}, "record_type": "cycle_start", "ts": "2026-01-01T00:00:00Z", "seq": 2,
                          "template": "", "controller_pid": 0, "trace_id": "cycle-1", "tick_id": "t", "record_id": "r",
                          "trace_schema_version": 1, "vcs_dirty": False})
    assert line == (b'{"trace_schema_version":1,"seq":2,"trace_id":"cycle-1","tick_id":"t","record_id":"r",'
                    b'"record_type":"cycle_start","ts":"2026-01-01T00:00:00Z"}')


def test_unknown_top_level_field_is_refused() -> None:
    with pytest.raises(GoJSONError, match="no field 'bead_id'"):
        encode_record({"record_type": "decision", "bead_id": "gc-1"})


def test_frame_batch_numbers_records_and_commits_with_count_range_and_crc() -> None:
    recs = [{"trace_id": "cycle-a", "tick_id": "c-1-2-000001", "record_type": "cycle_start", "ts": "2026-01-01T00:00:00Z"},
            {"trace_id": "cycle-a", "tick_id": "c-1-2-000001", "record_type": "decision", "ts": "2026-01-01T00:00:01Z",
             "reason_code": "wake"}]
    b = frame_batch(recs, 5, "2026-01-01T00:00:02Z", "durable")
    lines = b.data.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 4
    assert [json.loads(x)["seq"] for x in lines[:3]] == [5, 6, 7]
    assert json.loads(lines[1])["record_id"] == "cycle-a:6:1"
    commit = json.loads(lines[2])
    assert commit == b.commit
    assert commit["record_type"] == "batch_commit" and commit["record_id"] == "cycle-a:7:2"
    assert (commit["first_seq"], commit["last_seq"], commit["record_count"]) == (5, 6, 2)
    assert commit["batch_crc32"] == zlib.crc32(lines[1], zlib.crc32(lines[0]))
    assert commit["durability_tier"] == "durable" and "fields" not in commit
    assert b.records == [json.loads(x) for x in lines[:2]]
