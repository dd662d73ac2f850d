"""The trace reader: round trips with the writer, Gas City-shaped segments, incremental tailing,
and every kind of damage reported as a warning while the rest is still read."""

from __future__ import annotations

import json
import os
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.tracefile import layout as L
from core.tracefile.reader import SegmentTail, TraceReader, read_trace, scan_segment
from core.tracefile.writer import TraceWriter

T0 = datetime(2026, 8, 21, 9, 0, 0, tzinfo=UTC)
SEG = "segments/2026/08/21/segment-000001.jsonl"


def rec(i: int = 0, kind: str = "decision", **extra) -> dict:
    return {"trace_id": f"cycle-{i:016x}", "tick_id": f"demo-1-1-{i:06d}", "record_type": kind,
            "ts": "2026-08-21T09:00:00Z", **extra}


def write(root: Path, batches: list[list[dict]], when: datetime = T0) -> TraceWriter:
    w = TraceWriter(str(root), fsync=False)
    for b in batches:
        w.append_batch(b, when)
    return w


def codes(delta) -> list[str]:
    return [w.code for w in delta.warnings]


# ------------------------------------------------------------------ round trips

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53), _text,
                    st.floats(allow_nan=False, allow_infinity=False))
_fields = st.dictionaries(_text, st.one_of(_scalar, st.lists(_scalar, max_size=3),
                                           st.dictionaries(_text, st.integers(), max_size=3)), max_size=4)
_record = st.fixed_dictionaries({
    "record_type": st.sampled_from(["decision", "operation", "session_result", "cycle_start"]),
    "template": _text, "session_name": _text, "reason_code": _text, "outcome_code": _text, "fields": _fields,
    "trace_id": st.just("cycle-0123456789abcdef"), "tick_id": st.just("demo-9-9-000001"),
    "ts": st.just("2026-08-21T09:00:00.5Z"), "cycle_offset_ms": st.integers(0, 10**6),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_record, min_size=1, max_size=4), min_size=1, max_size=4))
def test_whatever_the_writer_writes_reads_back_verified(tmp_path_factory, batches: list[list[dict]]) -> None:
    root = tmp_path_factory.mktemp("rt")
    w = TraceWriter(str(root), fsync=False)
    written = [w.append_batch(b, T0).batch for b in batches]
    d = read_trace(str(root))
    assert [w.code for w in d.warnings if w.code != "unknown_code"] == []
    assert [b.records for b in d.batches] == [b.records for b in written]
    assert [b.commit for b in d.batches] == [b.commit for b in written]
    seqs = [r["seq"] for b in d.batches for r in b.records + [b.commit]]
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_gas_city_shaped_segment_reads_as_written(tmp_path: Path) -> None:
    # Lines in the controller's exact shape, framed here with zlib directly (not the writer).
    lines = [
        b'{"trace_schema_version":1,"seq":41,"trace_id":"cycle-9b2f61d0c4a87e13","tick_id":"gascity-5120-1755763200000000000-000007","record_id":"cycle-9b2f61d0c4a87e13:41:0","record_type":"cycle_start","trace_mode":"baseline","trace_source":"always_on","ts":"2026-08-21T09:00:00.001200345Z","city_path":"/srv/gascity","controller_instance_id":"h:5120","controller_pid":5120,"controller_started_at":"2026-08-21T08:00:00Z","host":"h","tick_trigger":"patrol","trigger_detail":"controller_tick","gc_version":"0.9.3"}',
        b'{"trace_schema_version":1,"seq":42,"trace_id":"cycle-9b2f61d0c4a87e13","tick_id":"gascity-5120-1755763200000000000-000007","record_id":"cycle-9b2f61d0c4a87e13:42:1","record_type":"session_baseline","trace_mode":"baseline","trace_source":"always_on","ts":"2026-08-21T09:00:00.0031Z","fields":{"open_count":2}}',
    ]
    crc = 0
    for line in lines:
        crc = zlib.crc32(line, crc)
    commit = ('{"trace_schema_version":1,"seq":43,"trace_id":"cycle-9b2f61d0c4a87e13",'
              '"tick_id":"gascity-5120-1755763200000000000-000007","record_id":"cycle-9b2f61d0c4a87e13:43:2",'
              '"record_type":"batch_commit","trace_mode":"baseline","trace_source":"always_on",'
              f'"ts":"2026-08-21T09:00:00.004Z","durability_tier":"durable","record_count":2,"first_seq":41,'
              f'"last_seq":42,"batch_crc32":{crc}}}').encode()
    seg = tmp_path / SEG
    seg.parent.mkdir(parents=True)
    seg.write_bytes(b"\n".join(lines + [commit]) + b"\n")
    d = read_trace(str(tmp_path))
    assert d.warnings == []
    assert [r["seq"] for r in d.records()] == [41, 42]
    assert d.batches[0].commit["batch_crc32"] == crc and d.batches[0].durability == "durable"
    assert scan_segment(str(seg)).max_seq == 43


# ------------------------------------------------------------------ damage

def test_crc_mismatch_is_reported_and_the_other_batches_still_read(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1, session_name="aaaa")], [rec(2, session_name="bbbb")], [rec(3)]])
    seg = tmp_path / SEG
    seg.write_bytes(seg.read_bytes().replace(b'"bbbb"', b'"bbbc"'))  # still valid JSON
    d = read_trace(str(tmp_path))
    assert codes(d) == ["crc_mismatch"]
    w = d.warnings[0]
    assert w.path == SEG and w.line == 4 and "seq 3-3" in w.message and "skipped" in w.message
    assert [r["trace_id"] for r in d.records()] == [rec(1)["trace_id"], rec(3)["trace_id"]]
    assert "crc" in scan_segment(str(seg)).error.lower()


def test_count_mismatch_is_reported(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1), rec(1)], [rec(2)]])
    seg = tmp_path / SEG
    seg.write_bytes(seg.read_bytes().replace(b'"record_count":2', b'"record_count":5', 1))
    d = read_trace(str(tmp_path))
    assert codes(d) == ["count_mismatch"]
    assert "says 5 records but 2 lines precede it" in d.warnings[0].message
    assert len(d.batches) == 1


def test_a_batch_that_lost_its_commit_is_reported_and_the_next_batch_still_verifies(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1), rec(1)], [rec(2)]])
    seg = tmp_path / SEG
    lines = seg.read_bytes().split(b"\n")
    del lines[2]  # the first batch's commit line
    seg.write_bytes(b"\n".join(lines))
    d = read_trace(str(tmp_path))
    assert codes(d) == ["truncated_batch"]
    assert d.warnings[0].line == 1 and "lines 1-2" in d.warnings[0].message
    assert [r["trace_id"] for r in d.records()] == [rec(2)["trace_id"]]


def test_truncated_batch_at_the_end_of_a_finished_segment(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1)]])
    with open(tmp_path / SEG, "ab") as f:
        f.write(json.dumps(rec(2)).encode() + b"\n")  # records, then a crash before the commit
    write(tmp_path, [[rec(3)]])  # a new process: segment 2 exists, so segment 1 is finished
    r = TraceReader(str(tmp_path))
    d = r.poll()
    assert codes(d) == ["truncated_batch"] and d.warnings[0].path == SEG
    assert len(d.batches) == 2


def test_an_unreadable_segment_is_reported_once_and_skipped(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1)]])
    write(tmp_path, [[rec(2)]])
    write(tmp_path, [[rec(4)]], T0 + timedelta(days=1))
    (tmp_path / "segments/2026/08/21/segment-000003.jsonl").mkdir()  # cannot be read as a file
    r = TraceReader(str(tmp_path))
    d = r.poll()
    assert codes(d) == ["unreadable"] and d.warnings[0].path.endswith("segment-000003.jsonl")
    assert len(d.batches) == 3
    assert r.poll().warnings == []


def test_unknown_record_types_and_codes_warn_once_and_are_kept(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1, kind="mystery_record", reason_code="sleepy"), rec(1, reason_code="sleepy"),
                      rec(1, site_code="reconciler.session.drain", reason_code="no-wake-reason",
                          outcome_code="evaporated")]])
    d = read_trace(str(tmp_path))
    msgs = [w.message for w in d.warnings]
    assert codes(d) == ["unknown_code"] * 3
    assert any("record_type 'mystery_record'" in m for m in msgs)
    assert any("reason_code 'sleepy'" in m for m in msgs)
    assert any("outcome_code 'evaporated'" in m for m in msgs)
    assert not any("no-wake-reason" in m for m in msgs)  # a drain site passes raw reasons through
    assert len(d.records()) == 3


def test_a_garbage_line_inside_a_batch_breaks_only_that_batch(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1)], [rec(2)]])
    seg = tmp_path / SEG
    lines = seg.read_bytes().split(b"\n")
    lines.insert(0, b"this is not json")
    seg.write_bytes(b"\n".join(lines))
    d = read_trace(str(tmp_path))
    assert codes(d) == ["truncated_batch"]  # the stray line has no commit; batch 1 resyncs on its own
    assert len(d.batches) == 2
    assert scan_segment(str(seg)).error == "line 1 does not parse"


def test_quarantined_segments_are_reported_not_read(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1)]])
    (tmp_path / "quarantine" / "segment-000009.jsonl.1755763200000000000").write_bytes(b"{}\n")
    r = TraceReader(str(tmp_path))
    d = r.poll()
    assert codes(d) == ["quarantined"] and d.warnings[0].path == "quarantine/segment-000009.jsonl.1755763200000000000"
    assert r.poll().warnings == []


def test_missing_trace_root_is_a_normal_state(tmp_path: Path) -> None:
    r = TraceReader(str(tmp_path / "nope"))
    d = r.poll()
    assert d.batches == [] and d.warnings == [] and not r.exists


def test_seq_restart_after_quarantine_is_noted_and_records_stay_distinct(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1)], [rec(2)]])
    w = write(tmp_path, [[rec(3)]], T0 + timedelta(days=1))
    assert w.seq == 6
    (tmp_path / "head.json").unlink()
    aside = tmp_path.with_name(tmp_path.name + "-aside")
    os.replace(tmp_path / "segments/2026/08/22/segment-000001.jsonl", aside)  # out of the trace
    write(tmp_path, [[rec(4)]], T0 + timedelta(days=1))  # rescans: max seq 4, so seq 5 again
    os.replace(aside, tmp_path / "segments/2026/08/22/segment-000000.jsonl")
    d = read_trace(str(tmp_path))
    assert "seq_restarted" in codes(d)
    keys = [(r["trace_id"], r["seq"]) for r in d.records()]
    assert len(keys) == len(set(keys)) == 4


# ------------------------------------------------------------------ tailing

def test_tail_reads_only_new_committed_batches(tmp_path: Path) -> None:
    w = write(tmp_path, [[rec(1)]])
    r = TraceReader(str(tmp_path))
    assert len(r.poll().batches) == 1
    assert r.poll().batches == []
    w.append_batch([rec(2), rec(2)], T0)
    d = r.poll()
    assert [len(b.records) for b in d.batches] == [2] and d.warnings == []


def test_tail_waits_for_a_torn_write_to_finish(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    w = write(stage, [[rec(1)]])
    city = tmp_path / "city"
    (city / SEG).parent.mkdir(parents=True)
    (city / SEG).write_bytes((stage / SEG).read_bytes())
    r = TraceReader(str(city))
    assert len(r.poll().batches) == 1
    before = (stage / SEG).stat().st_size
    w.append_batch([rec(2), rec(2)], T0)
    new = (stage / SEG).read_bytes()[before:]
    for cut in (len(new) // 3, len(new) - 1):  # mid-line, then all but the final newline
        with open(city / SEG, "ab") as f:
            f.write(new[:cut] if cut == len(new) // 3 else new[len(new) // 3:cut])
        d = r.poll()
        assert d.batches == [] and d.warnings == []
    with open(city / SEG, "ab") as f:
        f.write(new[-1:])
    d = r.poll()
    assert [len(b.records) for b in d.batches] == [2] and d.warnings == []


def test_tail_holds_a_mismatching_batch_for_one_poll_before_skipping_it(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1, session_name="aaaa")]])
    seg = tmp_path / SEG
    seg.write_bytes(seg.read_bytes().replace(b'"aaaa"', b'"aaab"'))
    t = SegmentTail(str(tmp_path), SEG)
    first = t.poll()
    assert first.batches == [] and first.warnings == [] and t.offset == 0
    second = t.poll()
    assert codes(second) == ["crc_mismatch"] and t.offset == seg.stat().st_size
    assert t.poll().warnings == []


def test_rotation_pruning_and_history_limits(tmp_path: Path) -> None:
    w = write(tmp_path, [[rec(1)]])
    r = TraceReader(str(tmp_path))
    assert len(r.poll().batches) == 1
    for i in range(2, 4):
        w = write(tmp_path, [[rec(i)]])  # each new process rotates to a new segment
    d = r.poll()
    assert [b.segment for b in d.batches] == ["segments/2026/08/21/segment-000002.jsonl",
                                              "segments/2026/08/21/segment-000003.jsonl"]
    os.remove(tmp_path / SEG)  # pruned
    w.append_batch([rec(4)], T0)
    d = r.poll()
    assert len(d.batches) == 1 and d.warnings == []
    limited = TraceReader(str(tmp_path), history_segments=1)
    assert [b.segment for b in limited.poll().batches] == ["segments/2026/08/21/segment-000003.jsonl"] * 2
    fresh = TraceReader(str(tmp_path), history_segments=0)
    assert fresh.poll().batches == []
    w.append_batch([rec(5)], T0)
    assert len(fresh.poll().batches) == 1
    assert L.list_segments(str(tmp_path))[-1].endswith("segment-000003.jsonl")


def test_a_reused_segment_name_after_quarantine_is_read_as_a_new_file(tmp_path: Path) -> None:
    write(tmp_path, [[rec(1)]])
    write(tmp_path, [[rec(2)]])
    r = TraceReader(str(tmp_path))
    assert len(r.poll().batches) == 2  # segment 1 finished, segment 2 the newest
    for n in (1, 2):  # the controller quarantines both at its next start...
        os.replace(tmp_path / f"segments/2026/08/21/segment-00000{n}.jsonl",
                   tmp_path / f"quarantine/segment-00000{n}.jsonl.1")
    (tmp_path / "head.json").unlink()
    write(tmp_path, [[rec(3)]])  # ...and, finding no segment, reuses index 1
    d = r.poll()
    assert [b.records[0]["trace_id"] for b in d.batches] == [rec(3)["trace_id"]]
    assert sorted(w.code for w in d.warnings) == ["quarantined", "quarantined", "seq_restarted"]
