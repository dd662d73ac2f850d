"""A live city's files hold values of every wrong type: each field of a bead, an event, a trace
record or head.json replaced in turn by a list, a table, a number, a boolean, null, deep nesting
or a non-finite number. One-shot `attach` must finish in time without a traceback, and show
the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.hostile_kit import live_files, write_city, write_live_state
from tui.cli import main

pytestmark = pytest.mark.timeout(60)

WRONG = {"list": ["a", 1], "table": {"a": {"b": 1}}, "int": 7, "big": 10 ** 30, "float": 1.5, "bool": True,
         "null": None, "deep": None, "empty": ""}
ARGS = ["--json", "--tmux-socket", "/nonexistent/sock", "--now", "2026-06-01T12:00:00Z"]


def deep(n: int = 5000) -> str:
    return "[" * n + "]" * n


def dumps_with(value_kind: str, obj) -> str:
    """JSON text of `obj` where the placeholder "@@" stands for the hostile value."""
    text = json.dumps(obj)
    if value_kind == "deep":
        return text.replace('"@@"', deep())
    return text.replace('"@@"', json.dumps(WRONG[value_kind]))


def attach(root: Path, capsys) -> dict:
    rc = main(["attach", str(root), *ARGS])
    out, err = capsys.readouterr()
    assert rc == 0 and "Traceback" not in err, err
    return json.loads(out)


def bead_fields():
    return ["id", "title", "status", "issue_type", "created_at", "assignee", "priority", "labels", "metadata",
            "dependencies", "ephemeral", "defer_until", "is_blocked"]


@pytest.mark.parametrize("kind", sorted(WRONG))
@pytest.mark.parametrize("field", bead_fields() + ["metadata.template", "metadata.state", "metadata.pool_slot",
                                                   "seq", "beads", "deps"])
def test_wrong_types_in_the_bead_store(tmp_path: Path, field: str, kind: str, capsys):
    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    path = live_files(root)["beads.json"]
    data = json.loads(path.read_text())
    if field in ("seq", "beads", "deps"):
        data[field] = "@@"
    elif field.startswith("metadata."):
        data["beads"][0]["metadata"][field.split(".", 1)[1]] = "@@"
    else:
        data["beads"][0][field] = "@@"
    path.write_text(dumps_with(kind, data))
    attach(root, capsys)


def test_non_finite_numbers_in_the_bead_store_are_refused(tmp_path: Path, capsys):
    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    path = live_files(root)["beads.json"]
    path.write_text(path.read_text().replace('"seq": 2', '"seq": Infinity'))
    snap = attach(root, capsys)
    assert any("Infinity" in w["message"] for w in snap["warnings"]), snap["warnings"]


@pytest.mark.parametrize("kind", sorted(WRONG))
@pytest.mark.parametrize("field", ["seq", "type", "ts", "subject", "session_id", "payload", "payload.session_name",
                                   "whole"])
def test_wrong_types_in_the_events_log(tmp_path: Path, field: str, kind: str, capsys):
    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    path = live_files(root)["events.jsonl"]
    ev = json.loads(path.read_text())
    if field == "whole":
        ev = "@@"
    elif field.startswith("payload."):
        ev["payload"] = {field.split(".", 1)[1]: "@@"}
    else:
        ev[field] = "@@"
    path.write_text(path.read_text() + dumps_with(kind, ev) + "\n")
    attach(root, capsys)


@pytest.mark.parametrize("kind", sorted(WRONG))
@pytest.mark.parametrize("field", ["current_path", "current_bytes", "seq", "whole"])
def test_wrong_types_in_head_json(tmp_path: Path, field: str, kind: str, capsys):
    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    path = live_files(root)["head.json"]
    head = json.loads(path.read_text())
    if field == "whole":
        head = "@@"
    else:
        head[field] = "@@"
    path.write_text(dumps_with(kind, head))
    attach(root, capsys)


TRACE_FIELDS = ["record_type", "site_code", "reason_code", "outcome_code", "template", "session_name", "seq",
                "trace_id", "tick_id", "ts", "fields", "fields.state", "tick_trigger"]


@pytest.mark.parametrize("kind", sorted(WRONG))
@pytest.mark.parametrize("field", TRACE_FIELDS)
def test_wrong_types_in_trace_records(tmp_path: Path, field: str, kind: str, capsys):
    """Each record of the segment gets the hostile value, its batch re-framed so it verifies: the
    reader takes it, and everything downstream (cycles, decisions, drift) must cope."""
    from core.tracefile.framing import chained_crc

    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    seg = live_files(root)["segment"]
    lines = [json.loads(x) for x in seg.read_text().splitlines() if x.strip()]
    records = [r for r in lines if r.get("record_type") != "batch_commit"]
    commit = next(r for r in lines if r.get("record_type") == "batch_commit")
    for r in records:
        if field.startswith("fields."):
            r["fields"] = {field.split(".", 1)[1]: "@@"}
        else:
            r[field] = "@@"
    raw = [dumps_with(kind, r).encode() for r in records]
    commit = dict(commit, record_count=len(raw), batch_crc32=chained_crc(raw))
    seg.write_bytes(b"".join(x + b"\n" for x in raw) + json.dumps(commit).encode() + b"\n")
    attach(root, capsys)


def _segment_with_two_batches(tmp_path: Path) -> tuple[Path, Path]:
    """A live city whose only segment holds two committed batches."""
    from core.tracefile.cycle import CycleTracer, Provenance
    from core.tracefile.layout import CITY_TRACE_ROOT, list_segments
    from core.tracefile.writer import TraceWriter
    from tests.hostile.hostile_kit import NOW

    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    staging = tmp_path / "staging2"
    tracer = CycleTracer(TraceWriter(str(staging), fsync=False),
                         Provenance("hostile", str(root), host="h", pid=1, started_at=NOW, gc_version="1.4.0",
                                    gc_commit="9e89da7c"))
    for i in range(2):
        tracer.write_cycle([{"record_type": "decision", "site_code": "reconciler.session.start",
                             "reason_code": "start_candidate", "outcome_code": "success",
                             "template": "hostile/worker", "session_name": f"worker-{i}"}], NOW)
    trace = root / CITY_TRACE_ROOT
    seg = trace / list_segments(str(trace))[0]
    seg.write_bytes((staging / list_segments(str(staging))[0]).read_bytes())
    (trace / "head.json").unlink()
    return root, seg


@pytest.mark.parametrize("damage", ["crc", "garbage-line"])
def test_one_shot_attach_reports_a_damaged_batch_and_reads_the_batches_after_it(tmp_path: Path, damage: str,
                                                                                capsys):
    root, seg = _segment_with_two_batches(tmp_path)
    clean = attach(root, capsys)
    lines = seg.read_bytes().split(b"\n")
    first_commit = next(i for i, x in enumerate(lines) if b'"batch_commit"' in x)
    if damage == "crc":
        lines[0] = lines[0].replace(b'"seq":', b'"seq" :', 1)  # same record, other bytes: the CRC no longer matches
    else:
        lines.insert(first_commit, b"this is not json")
    seg.write_bytes(b"\n".join(lines))
    snap = attach(root, capsys)
    codes = {w["code"] for w in snap["warnings"]}
    assert codes & {"crc_mismatch", "count_mismatch"}, snap["warnings"]
    read = snap["sources"]["trace"]["batches_read"]
    assert read == clean["sources"]["trace"]["batches_read"] - 1 >= 1  # only the damaged batch is lost


def test_attach_does_not_model_a_config_that_validation_refuses(tmp_path: Path, capsys):
    root = write_city(tmp_path / "city")
    write_live_state(root, tmp_path / "staging")
    city = root / "city.toml"
    city.write_text(city.read_text().replace("max_active_sessions = 3", "max_active_sessions = 3\nmin_active_sessions = 9"))
    snap = attach(root, capsys)
    assert snap["city"]["config_loaded"] is False
    errors = [w for w in snap["warnings"] if w["code"] == "config_error"]
    assert errors and "min_active_sessions (9) must be <= max_active_sessions (3)" in errors[0]["message"], errors
