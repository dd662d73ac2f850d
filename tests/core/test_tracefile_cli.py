"""`citywatch scenario run FILE --trace-dir DIR`: the run's trace, in a real city's layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gascity_fixtures import STATE

from core.tracefile.reader import read_trace
from tui.cli import main

SCENARIO = """\
name = "trace dir demo"
source = "citywatch: trace writer round trip"
start = "2026-05-16T12:00:00Z"

[city.workspace]
name = "trace-city"

[[city.agent]]
name = "worker"
dir = "trace"
max_active_sessions = 2

[[work]]
id = "w-1"
routed_to = "trace/worker"

[[step]]
do = "tick"

[[step]]
do = "advance"
by = "1m"

[[step]]
do = "tick"
count = 2
every = "30s"

[[step]]
do = "restart_controller"

[[step]]
do = "tick"
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    p = tmp_path / "demo.toml"
    p.write_text(SCENARIO)
    return p


def test_run_writes_the_runs_cycles_with_a_new_segment_per_controller_process(
        scenario: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "trace"
    assert main(["scenario", "run", str(scenario), "--json", "--trace-dir", str(out)]) == 0
    cap = capsys.readouterr()
    states = [json.loads(line) for line in cap.out.splitlines()]  # stdout stays the state JSON contract
    assert len(states) == 6
    # One cycle per cycle_start the model emitted in a ticking step, else one per ticking step.
    want_steps = []
    for st in states[1:]:
        if st["do"] == "tick":
            n = sum(1 for r in st["trace"] if r["record_type"] == "cycle_start") or 1
            want_steps += [st["step"]] * n
    assert f"wrote {len(want_steps)} cycle(s)" in cap.err
    d = read_trace(str(out))
    assert [w for w in d.warnings if w.code != "unknown_code"] == []
    results = [r for r in d.records() if r["record_type"] == "cycle_result"]
    assert [r["fields"]["model_step"] for r in results] == want_steps
    starts = [r for r in d.records() if r["record_type"] == "cycle_start"]
    restarted = want_steps.index(5)
    assert [s["controller_pid"] for s in starts] == [1] * restarted + [2] * (len(starts) - restarted)
    assert [int(s["tick_id"].rsplit("-", 1)[1]) for s in starts] == \
        list(range(1, restarted + 1)) + list(range(1, len(starts) - restarted + 1))
    assert {b.segment for b in d.batches} == {"segments/2026/05/16/segment-000001.jsonl",
                                              "segments/2026/05/16/segment-000002.jsonl"}
    assert starts[0]["ts"].startswith("2026-05-16T12:00:00")  # the model clock, not the wall clock
    assert all(r["template"] == "trace/worker" for r in d.records() if r["record_type"] == "decision")
    seqs = [r["seq"] for b in d.batches for r in b.records + [b.commit]]
    assert seqs == list(range(1, len(seqs) + 1))


def test_records_fit_the_schema_of_gc_trace_show(scenario: Path, tmp_path: Path) -> None:
    schema = json.loads((STATE /
                         "schemas__trace__show__result.schema.json").read_text())
    item = schema["properties"]["records"]["items"]["properties"]
    types = {"integer": int, "string": str}
    assert main(["scenario", "run", str(scenario), "--trace-dir", str(tmp_path / "t")]) == 0
    d = read_trace(str(tmp_path / "t"))
    rows = [r for b in d.batches for r in b.records + [b.commit]]  # gc trace show lists commits too
    assert rows
    for r in rows:
        for key, spec in item.items():
            assert key in r or key in ("template", "session_name", "reason_code", "outcome_code"), key
            if key in r:
                assert isinstance(r[key], types[spec["type"]]) and not isinstance(r[key], bool)
                assert spec.get("minimum", 0) <= r[key] if spec["type"] == "integer" else True


def test_same_scenario_gives_byte_identical_traces(scenario: Path, tmp_path: Path) -> None:
    trees = []
    for name in ("a", "b"):
        assert main(["scenario", "run", str(scenario), "--trace-dir", str(tmp_path / name)]) == 0
        root = tmp_path / name
        trees.append({p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()})
    assert trees[0] == trees[1] and trees[0]


def test_refuses_a_city_gc_directory_with_a_clear_message(scenario: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "city" / ".gc" / "runtime" / "session-reconciler-trace"
    assert main(["scenario", "run", str(scenario), "--trace-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err and "refusing to write a trace inside a city's .gc directory" in err
    assert not (tmp_path / "city").exists()


def test_an_unwritable_trace_dir_is_a_clear_error(scenario: Path, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["scenario", "run", str(scenario), "--trace-dir", str(blocker / "trace")]) == 2
    assert "cannot write the trace" in capsys.readouterr().err
