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
    """The smoke run: every measurement is there and plausible (never compared with a target)."""
    assert main(["bench", "--size", "S", "--ticks", "3", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["size"], r["ticks"]) == ("S", 3)
    s = SIZES["S"]
    assert (r["city"]["agents"], r["city"]["session_beads"], r["city"]["work_beads"]) == (s.agents, s.sessions, s.work)
    tick = r["tick_ms"]
    assert set(tick["phases"]) == set(PHASES)
    keys = r["keys_ms"]
    assert keys["size"] == "S" and r["table_refresh_ms"]["size"] == "S" and r["attach_ms"]["size"] == "S"
    pressed = [keys[k] for k in ("step", "back", "forward", "filter", "zoom")]
    for v in (tick, *tick["phases"].values(), r["board_ms"], r["reload_ms"], r["table_refresh_ms"], r["attach_ms"],
              *pressed, *(k["cpu"] for k in pressed), keys["step"]["tick"]):
        assert 0 < v["p50"] <= v["p95"]
    assert keys["step"]["beyond_tick"]["p50"] > 0  # the frame comes after the tick
    held = r["held_travel"]
    assert held["presses"] == 30 and held["ms"] > 0
    assert 1 <= held["renders"] <= 2 and held["boards"] <= 2  # the held key's presses coalesced
    assert set(r["first_frame_ms"]) == {"demo", "S"} and all(v > 0 for v in r["first_frame_ms"].values())
    assert r["peak_rss_mb"] > 10
    assert 0 < r["history_mb_per_tick"] < 100
    assert r["actions_per_tick"] > 0
    assert r["machine"]["cpus"] >= 1
    assert isinstance(r["over_target"], list)


def test_bench_without_the_ui_skips_the_app_and_attach(capsys):
    assert main(["bench", "--size", "S", "--ticks", "1", "--json", "--no-ui"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["reload_ms"]["p50"] > 0
    assert all(r[k] is None for k in ("table_refresh_ms", "keys_ms", "held_travel", "first_frame_ms", "attach_ms"))


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

    r = {"size": "M", "tick_ms": {"p50": 120.0, "p95": 200.0}, "history_mb_per_tick": 0.1, "peak_rss_mb": 900.0,
         "reload_ms": {"p50": 100.0, "p95": 350.0}, "table_refresh_ms": None,
         "keys_ms": {"back": {"p50": 5.0, "p95": 9.0}, "step": {"beyond_tick": {"p50": 9.0, "p95": 40.0}}}}
    assert over_target(r) == ["tick_ms.p50", "reload_ms.p95", "keys_ms.step.beyond_tick.p95"]
    # the tick and history targets are for M, peak RSS for L
    assert over_target({**r, "size": "L"}) == ["peak_rss_mb", "reload_ms.p95", "keys_ms.step.beyond_tick.p95"]


def test_the_live_city_reads_back_through_attach(tmp_path):
    """The benchmark's live city directory is a city attach reads without a warning: its
    session beads, events and traced cycles all arrive."""
    from core.attach.session import AttachOptions, AttachSession
    from core.bench.live_city import write_live_city

    now = write_live_city("S", str(tmp_path), ticks=2)
    s = AttachSession.open(str(tmp_path), AttachOptions(one_shot=True, clock=lambda: now))
    try:
        snap = s.snapshot()
    finally:
        s.close()
    assert not snap.warnings
    assert len(snap.sessions) >= SIZES["S"].sessions  # every session bead, and those the ticks created
    assert snap.events and snap.trace.last_cycle is not None
