"""The segment writer behaves like Gas City's trace store: layout, head.json, seq numbering,
rotation, recovery, pruning, and it never writes into a city's `.gc/` nor changes what it did not
write."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.tracefile import layout as L
from core.tracefile.cycle import CycleTracer, Provenance
from core.tracefile.gojson import parse_ts_ns
from core.tracefile.reader import read_trace
from core.tracefile.writer import TraceWriter, TraceWriteRefused

T0 = datetime(2026, 8, 21, 9, 0, 0, tzinfo=UTC)


def rec(kind: str = "decision", i: int = 0, **extra) -> dict:
    return {"trace_id": "cycle-00000000000000aa", "tick_id": "c-1-1-000001", "record_type": kind,
            "ts": f"2026-08-21T09:00:{i % 60:02d}Z", **extra}


def writer(root: Path, **kw) -> TraceWriter:
    return TraceWriter(str(root), fsync=False, **kw)


def segments(root: Path) -> list[str]:
    return L.list_segments(str(root))


def test_layout_head_and_permissions(tmp_path: Path) -> None:
    w = writer(tmp_path / "t")
    w.append_batch([rec(), rec(i=1)], T0)
    root = tmp_path / "t"
    assert segments(root) == ["segments/2026/08/21/segment-000001.jsonl"]
    seg = root / "segments/2026/08/21/segment-000001.jsonl"
    head_text = (root / "head.json").read_text()
    assert head_text == json.dumps({"schema_version": 1, "seq": 3,
                                    "current_path": "segments/2026/08/21/segment-000001.jsonl",
                                    "current_bytes": seg.stat().st_size, "current_batches": 1,
                                    "updated_at": "2026-08-21T09:00:00Z"}, indent=2)
    assert stat.S_IMODE(seg.stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "head.json").stat().st_mode) == 0o600
    for d in (root, root / "segments", root / "segments/2026/08/21", root / "quarantine"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert not [p for p in root.iterdir() if ".tmp." in p.name]


def test_uncommitted_tail_is_ignored_and_a_reopened_store_starts_a_new_segment(tmp_path: Path) -> None:
    # Ported behaviour: two records + commit make seq 3; garbage after the commit is not a
    # record; the next process continues at seq 4 in segment 2.
    root = tmp_path / "t"
    writer(root).append_batch([rec(), rec(i=1)], T0)
    seg1 = root / "segments/2026/08/21/segment-000001.jsonl"
    with open(seg1, "ab") as f:
        f.write(b'{"trace_schema_version":1,"seq":4,"record_type":"decision"')  # torn write, no commit
    w2 = writer(root)  # head no longer matches the file size: rescan
    assert w2.seq == 3 and not w2.damaged
    w2.append_batch([rec(i=2)], T0)
    assert segments(root)[-1] == "segments/2026/08/21/segment-000002.jsonl"
    d = read_trace(str(root))
    assert [r["seq"] for r in d.records()] == [1, 2, 4]
    assert [b.commit["seq"] for b in d.batches] == [3, 5]
    assert [w.code for w in d.warnings] == ["torn_tail"]


def test_recovery_reports_a_segment_with_interior_corruption_and_leaves_it_in_place(tmp_path: Path) -> None:
    """Gas City's writer moves it to quarantine/; citywatch did not write it in this run, so it
    stays where it is, byte for byte, and the next batch goes to a new segment."""
    root = tmp_path / "t"
    w = writer(root)
    w.append_batch([rec(), rec(i=1)], T0)
    w.append_batch([rec(i=2)], T0)
    seg = root / "segments/2026/08/21/segment-000001.jsonl"
    damaged = seg.read_bytes().replace(b'"record_count":2', b'"record_count":3', 1)
    seg.write_bytes(damaged)
    (root / "head.json").unlink()
    w2 = writer(root)
    assert w2.damaged == ["segments/2026/08/21/segment-000001.jsonl"] and w2.seq == 0
    assert seg.read_bytes() == damaged and not list((root / "quarantine").iterdir())
    w2.append_batch([rec(i=3)], T0)
    assert w2.current_rel == "segments/2026/08/21/segment-000002.jsonl" and seg.read_bytes() == damaged


def test_trusted_head_keeps_seq_without_rescanning(tmp_path: Path) -> None:
    root = tmp_path / "t"
    writer(root).append_batch([rec()] * 4, T0)
    w2 = writer(root)
    assert w2.seq == 5 and w2.current_rel == ""
    w2.append_batch([rec()], T0)
    assert json.loads((root / "head.json").read_text())["current_path"].endswith("segment-000002.jsonl")


def test_rotation_after_512_batches(tmp_path: Path) -> None:
    root = tmp_path / "t"
    w = writer(root)
    for i in range(L.MAX_SEGMENT_BATCHES + 1):
        w.append_batch([rec(i=i)], T0)
    seg1, seg2 = segments(root)
    text = (root / seg1).read_bytes()
    assert text.count(b'"record_type":"batch_commit"') == 512
    assert (root / seg2).read_bytes().count(b'"record_type":"batch_commit"') == 1
    assert json.loads((root / "head.json").read_text())["current_batches"] == 1


def test_rotation_at_16_mib(tmp_path: Path) -> None:
    root = tmp_path / "t"
    w = writer(root)
    big = "x" * (1 << 20)
    n = 0
    while len(segments(root)) < 2:
        w.append_batch([rec(fields={"blob": big})], T0)
        n += 1
    assert n == 17  # the 16th batch crosses 16 MiB; the 17th goes to a new segment
    assert (root / segments(root)[0]).stat().st_size >= L.MAX_SEGMENT_BYTES


def test_a_new_utc_day_starts_a_new_segment_in_its_own_directory(tmp_path: Path) -> None:
    root = tmp_path / "t"
    w = writer(root)
    w.append_batch([rec()], T0)
    w.append_batch([rec()], T0 + timedelta(days=1))
    assert segments(root) == ["segments/2026/08/21/segment-000001.jsonl", "segments/2026/08/22/segment-000001.jsonl"]


def test_low_space_writes_metadata_tier_until_well_clear(tmp_path: Path) -> None:
    free = [100 << 20]
    w = writer(tmp_path / "t", free_bytes=lambda _p: free[0])
    assert w.append_batch([rec()], T0).batch.commit["durability_tier"] == "metadata"
    free[0] = 200 << 20  # above the entry threshold but below the exit threshold: still low
    assert w.append_batch([rec()], T0).batch.commit["durability_tier"] == "metadata"
    free[0] = 300 << 20
    assert w.append_batch([rec()], T0).batch.commit["durability_tier"] == "durable"


def test_prune_removes_its_own_old_segments_but_never_the_current_one_nor_another_writers(tmp_path: Path) -> None:
    root = tmp_path / "t"
    wall = [1_000_000_000.0]
    eight_days = 8 * 24 * 3600
    w0 = writer(root, wall_clock=lambda: wall[0])  # an earlier run: not this writer's file
    w0.append_batch([rec()], T0)
    earlier = root / segments(root)[0]
    w = writer(root, wall_clock=lambda: wall[0])
    w.append_batch([rec()], T0)
    own_old = root / w.current_rel
    w.append_batch([rec()], T0 + timedelta(days=1))  # a new day: a new current segment
    cur = root / w.current_rel
    for p in (earlier, own_old, cur):
        os.utime(p, (wall[0] - eight_days, wall[0] - eight_days))
    assert w.prune(wall[0]) == [str(own_old.relative_to(root))]
    assert cur.exists() and earlier.exists() and not own_old.exists()


@pytest.mark.parametrize("rel", [".gc", ".gc/runtime/session-reconciler-trace", "city/.gc/runtime"])
def test_refuses_a_city_gc_directory(tmp_path: Path, rel: str) -> None:
    with pytest.raises(TraceWriteRefused, match="inside a city's .gc directory"):
        writer(tmp_path / rel)
    assert not (tmp_path / rel).exists()


def test_refuses_a_symlink_that_leads_into_gc(tmp_path: Path) -> None:
    (tmp_path / "city/.gc").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "city/.gc")
    with pytest.raises(TraceWriteRefused):
        writer(tmp_path / "link/trace")


def tracer(root: Path, pid: int = 77) -> CycleTracer:
    return CycleTracer(writer(root), Provenance("demo", "/srv/demo", host="h1", pid=pid, started_at=T0,
                                                gc_version="1.2.3", gc_commit="abc123", build_date="2026-08-01"))


def test_a_cycle_gets_provenance_framing_and_the_controllers_two_flushes(tmp_path: Path) -> None:
    root = tmp_path / "t"
    model_records = [
        {"record_type": "session_baseline", "fields": {"open_count": 1}},
        {"record_type": "session_baseline", "template": "demo/w", "session_name": "w-gc-1",
         "fields": {"state": "asleep", "sleep_reason": "idle"}},
        {"record_type": "decision", "site_code": "reconciler.pool.accept", "reason_code": "min_fill",
         "outcome_code": "accepted", "template": "demo/w", "bead_id": "gc-1"},
        {"record_type": "session_result", "template": "demo/w", "session_name": "w-gc-1", "outcome_code": "complete",
         "fields": {"state": "active"}},
    ]
    c = tracer(root).write_cycle(model_records, T0 + timedelta(minutes=5), config_revision="rev1")
    assert c.tick_id == f"demo-77-{int(T0.timestamp()) * 10**9}-000001"
    assert c.trace_id.startswith("cycle-") and len(c.trace_id) == len("cycle-") + 16
    d = read_trace(str(root))
    assert not d.warnings
    assert [len(b.records) for b in d.batches] == [2, 4]  # flushed after the open-count baseline
    recs = d.records()
    assert [r["record_type"] for r in recs] == ["cycle_start", "session_baseline", "session_baseline", "decision",
                                                "session_result", "cycle_result"]
    for r in recs:
        assert (r["trace_id"], r["tick_id"], r["city_path"], r["controller_instance_id"], r["controller_pid"],
                r["host"], r["gc_version"], r["gc_commit"], r["build_date"], r["config_revision"]) == \
            (c.trace_id, c.tick_id, "/srv/demo", "h1:77", 77, "h1", "1.2.3", "abc123", "2026-08-01", "rev1")
        assert r["controller_started_at"] == "2026-08-21T09:00:00Z"
    assert recs[0]["tick_trigger"] == "patrol" and recs[0]["trigger_detail"] == "controller_tick"
    decision = recs[3]
    assert (decision["trace_mode"], decision["trace_source"]) == ("detail", "manual")
    assert decision["fields"] == {"bead_id": "gc-1"}  # not a record field: kept in fields
    assert (recs[1]["trace_mode"], recs[1]["trace_source"]) == ("baseline", "always_on")
    result = recs[-1]
    assert result["site_code"] == "cycle.finish" and result["completion_status"] == "completed"
    assert result["record_count"] == 6
    assert result["fields"]["decision_counts"] == {"reconciler.pool.accept": 1}
    assert result["fields"]["templates_touched"] == ["demo/w"]
    assert result["fields"]["reason_counts"] == {"min_fill": 1}
    stamps = [parse_ts_ns(r["ts"]) for r in recs]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_a_cycle_without_templates_writes_a_null_templates_touched(tmp_path: Path) -> None:
    tracer(tmp_path / "t").write_cycle([], T0)
    seg = (tmp_path / "t" / segments(tmp_path / "t")[0]).read_bytes()
    assert b'"templates_touched":null' in seg


def test_same_inputs_give_byte_identical_trees(tmp_path: Path) -> None:
    for name in ("a", "b"):
        t = tracer(tmp_path / name)
        for i in range(3):
            t.write_cycle([{"record_type": "decision", "site_code": "reconciler.pool.min_fill", "template": "x"}],
                          T0 + timedelta(seconds=30 * i))
    files = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    assert files == {p.relative_to(tmp_path / "b"): p.read_bytes()
                     for p in (tmp_path / "b").rglob("*") if p.is_file()}


def test_an_existing_shared_folder_keeps_its_mode(tmp_path: Path) -> None:
    """A 1777 folder (shared, sticky) that holds only a trace stays 1777; the writer only sets
    the mode of directories it creates."""
    root = tmp_path / "shared"
    root.mkdir()
    os.chmod(root, 0o1777)
    w = writer(root)
    w.append_batch([rec()], T0)
    assert stat.S_IMODE(root.stat().st_mode) == 0o1777
    assert stat.S_IMODE((root / "segments").stat().st_mode) == 0o700


@pytest.mark.parametrize("foreign", ["notes.txt", "segments/readme", "segments/2026/08/21/x.jsonl",
                                     "quarantine/photo.png", "other/dir/file"])
def test_refuses_a_folder_holding_anything_but_a_trace(tmp_path: Path, foreign: str) -> None:
    root = tmp_path / "t"
    writer(root).append_batch([rec()], T0)
    p = root / foreign
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("the operator's")
    before = {q: q.read_bytes() for q in root.rglob("*") if q.is_file()}
    modes = {q: q.stat().st_mode for q in root.rglob("*")}
    with pytest.raises(TraceWriteRefused, match="not part of a citywatch trace"):
        writer(root)
    assert {q: q.read_bytes() for q in root.rglob("*") if q.is_file()} == before
    assert {q: q.stat().st_mode for q in root.rglob("*")} == modes
