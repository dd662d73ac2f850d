"""`citywatch bench`: the command's output and the synthetic city it measures (correctness only;
timings are reported by the command, never asserted here)."""

from __future__ import annotations

import json

from core.bench.census import SHAPES, census
from core.bench.city import SIZES
from core.bench.measure import PHASES, percentiles, step, world_digest
from core.bench.session import open_bench
from tui.cli import main


def test_bench_json_has_every_measurement(capsys):
    assert main(["bench", "--size", "S", "--ticks", "3", "--json", "--no-ui"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["size"], r["ticks"]) == ("S", 3)
    s = SIZES["S"]
    assert (r["city"]["agents"], r["city"]["session_beads"], r["city"]["work_beads"]) == (s.agents, s.sessions, s.work)
    tick = r["tick_ms"]
    assert set(tick["phases"]) == set(PHASES)
    for v in (tick, *tick["phases"].values(), r["board_ms"], r["reload_ms"]):
        assert 0 < v["p50"] <= v["p95"]
    assert r["peak_rss_mb"] > 10
    assert 0 < r["history_mb_per_tick"] < 100
    assert r["table_refresh_ms"] is None  # --no-ui
    assert r["actions_per_tick"] > 0
    assert r["machine"]["cpus"] >= 1
    assert isinstance(r["over_target"], list)


def test_bench_rejects_a_bad_tick_count(capsys):
    assert main(["bench", "--size", "S", "--ticks", "0"]) == 2
    assert "--ticks" in capsys.readouterr().err


def test_the_synthetic_city_and_its_churn_are_deterministic(tmp_path):
    a = open_bench("S", str(tmp_path / "a"), seed=7)
    b = open_bench("S", str(tmp_path / "b"), seed=7)
    assert a.model.world.dumps() == b.model.world.dumps()
    for _ in range(3):
        step(a)
        step(b)
    assert world_digest(a) == world_digest(b)
    assert [f.lines for f in a.driver.history] == [f.lines for f in b.driver.history]
    c = open_bench("S", str(tmp_path / "c"), seed=8)
    for _ in range(3):
        step(c)
    assert world_digest(c) != world_digest(a)


def test_the_m_city_holds_every_identity_shape(tmp_path):
    s = open_bench("M", str(tmp_path), seed=0)
    c = census(s.model.city, s.model.world)
    missing = [k for k in SHAPES if c[k] == 0]
    assert not missing, f"the synthetic M city lacks {missing}"
    m = SIZES["M"]
    assert (c["agents"], c["session_beads"], c["work_beads"]) == (m.agents, m.sessions, m.work)
    assert c["rig_agents"] == m.agents
    assert 0 < c["open_sessions"] < m.sessions and 0 < c["runtime_sessions"] <= c["open_sessions"]


def test_a_tick_reports_every_phase_timing(tmp_path):
    s = open_bench("S", str(tmp_path))
    timings, board_s = step(s)
    assert set(timings) == {*PHASES, "tick"}
    assert all(v >= 0 for v in timings.values()) and board_s >= 0
    assert sum(timings[p] for p in PHASES) <= timings["tick"]


def test_percentiles_are_nearest_rank():
    assert percentiles(range(1, 21)) == {"p50": 10, "p95": 19}
    assert percentiles([5.04]) == {"p50": 5.0, "p95": 5.0}
    assert percentiles([]) == {"p50": 0.0, "p95": 0.0}


def test_over_target_names_what_misses_its_target():
    from core.bench import over_target

    r = {"size": "M", "tick_ms": {"p50": 120.0, "p95": 200.0}, "history_mb_per_tick": 0.2,
         "reload_ms": {"p50": 100.0, "p95": 350.0}, "table_refresh_ms": None}
    assert over_target(r) == ["tick_ms.p50", "reload_ms.p95"]
    assert over_target({**r, "size": "L"}) == ["reload_ms.p95"]  # tick and history targets are for M
