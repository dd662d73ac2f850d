"""How a run's steps become controller cycles (independent of what the model emits today)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from core.scenario.run_trace import write_run_trace
from core.tracefile.reader import read_trace

START = datetime(2026, 5, 16, 12, 0, 0, tzinfo=UTC)


def fake_run(steps: list[tuple[str, int, list[dict]]]) -> SimpleNamespace:
    """steps: (do, ticks, trace records); states carry what write_run_trace reads."""
    city = SimpleNamespace(workspace=SimpleNamespace(name="demo city"), root="/srv/demo")
    scn = SimpleNamespace(city=city, name="n", start=START)
    states = [{"step": 0, "do": "", "tick": 0, "now": "2026-05-16T12:00:00Z", "trace": [], "config_revision": "r0"}]
    tick = 0
    for i, (do, ticks, trace) in enumerate(steps, 1):
        tick += ticks
        states.append({"step": i, "do": do, "tick": tick, "now": f"2026-05-16T12:{i:02d}:00Z", "trace": trace,
                       "config_revision": "r1"})
    return SimpleNamespace(scenario=scn, states=states)


def dec(site: str) -> dict:
    return {"record_type": "decision", "site_code": site, "template": "demo/w"}


def cycles(root: Path) -> list[list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in read_trace(str(root)).records():
        out.setdefault(r["trace_id"], []).append(r)
    return list(out.values())


def test_steps_become_cycles(tmp_path: Path) -> None:
    run = fake_run([
        ("tick", 1, [dec("reconciler.pool.accept")]),
        ("advance", 0, []),
        ("tick", 2, []),  # two ticks, no markers: one cycle that says so
        ("build", 0, [dec("reconciler.pool.min_fill")]),
        ("tick", 2, [{"record_type": "config_reload"}, {"record_type": "cycle_start"}, dec("reconciler.pool.accept"),
                     {"record_type": "cycle_start"}, dec("reconciler.pool.agent_cap")]),
        ("restart_controller", 0, []),
        ("tick", 1, []),
    ])
    t = write_run_trace(run, str(tmp_path), fsync=False)
    assert len(t.cycles) == 6 and "wrote 6 cycle(s)" in t.summary()
    cs = cycles(tmp_path)
    starts = [next(r for r in c if r["record_type"] == "cycle_start") for c in cs]
    assert [(s["tick_trigger"], s["trigger_detail"]) for s in starts] == [
        ("startup", "initial_reconcile"), ("patrol", "controller_tick"), ("control", "build"),
        ("patrol", "controller_tick"), ("patrol", "controller_tick"), ("startup", "initial_reconcile")]
    results = [c[-1] for c in cs]
    assert [r["fields"]["model_step"] for r in results] == [1, 3, 4, 5, 5, 7]
    assert results[1]["fields"]["model_ticks"] == 2 and "model_ticks" not in results[3]["fields"]
    assert [r["record_type"] for r in cs[3]] == ["config_reload", "cycle_start", "decision", "cycle_result"]
    assert [s["controller_pid"] for s in starts] == [1, 1, 1, 1, 1, 2]
    assert starts[5]["controller_started_at"] == "2026-05-16T12:06:00Z"  # the restart's model time
    assert starts[0]["tick_id"].startswith("demo-city-1-") and starts[5]["tick_id"].endswith("-000001")
    assert all(r["config_revision"] == "r1" and r["city_path"] == "/srv/demo" for c in cs for r in c)


def test_a_run_that_never_ticks_writes_nothing(tmp_path: Path) -> None:
    t = write_run_trace(fake_run([("advance", 0, [])]), str(tmp_path), fsync=False)
    assert t.cycles == [] and "no trace records" in t.summary()
    assert read_trace(str(tmp_path)).batches == []
