"""The session driver: recorded frames, time travel, failures keeping the last good state,
and the plan rows the Sessions panel shows."""

from __future__ import annotations

import pytest

from core.demo import DemoScript, open_demo
from core.session.driver import OpenError, open_city, open_scenario
from core.session.history import History
from core.views.board import board
from core.views.plan import DEFER, STOP

SMALL = "tests/tui/fixtures/small.toml"


def test_history_is_bounded_and_travel_stops_at_its_ends():
    d = open_scenario(SMALL)
    d.history = History(limit=3)
    d.history.append(d._frame("start", __import__("core.outcome").outcome.Outcome(), ""))
    for _ in range(5):
        assert d.apply({"do": "advance", "by": "1s"}).ok
    assert len(d.history) == 3
    assert [f.index for f in d.history] == [4, 5, 6]
    assert d.back().index == 5
    assert d.back().index == 4
    assert d.back().index == 4  # the oldest kept frame
    assert d.forward().index == 5
    assert d.forward().index == 6 and not d.viewing_past


def test_frames_are_snapshots_the_live_model_does_not_change():
    d = open_scenario(SMALL)
    first = d.frame()
    assert d.apply({"do": "runtime_exit", "name": "worker-gc-3"}).ok
    assert first.model().world.runtime.get("worker-gc-3") is not None
    assert d.frame().model().world.runtime.get("worker-gc-3") is None


def test_a_refused_poke_records_the_error_and_changes_nothing():
    d = open_scenario(SMALL)
    before = d.model.world.snapshot()
    r = d.apply({"do": "runtime_exit", "name": "nobody"})
    assert not r.ok and "nobody" in r.error
    assert d.model.world.snapshot().runtime == before.runtime
    assert len(d.steps) == 0 and d.steps.last is None
    assert [ln.kind for ln in r.frame.lines] == ["error"]


def test_scenario_steps_run_one_per_press_and_a_failed_one_is_retried(monkeypatch):
    d = open_scenario("tests/scenarios/desired/B9-two-tick-reclaim.toml")
    calls = {"n": 0}
    real = d.model.tick

    def flaky():
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("transient")
        return real()

    monkeypatch.setattr(d.model, "tick", flaky)
    assert not d.step().ok
    assert "step 1/3" in d.script.describe(d.model)
    assert d.step().ok and d.model.world.tick == 1
    assert "step 2/3" in d.script.describe(d.model)


def test_opening_a_broken_city_is_a_located_error(tmp_path):
    p = tmp_path / "city.toml"
    p.write_text("[workspace\nname = 1\n")
    with pytest.raises(OpenError, match=r"city\.toml:1:"):
        open_city(str(p))
    with pytest.raises(OpenError, match="cannot read"):
        open_scenario(str(tmp_path / "missing.toml"))


def test_plan_rows_mark_deferred_and_undesired_sessions():
    d = open_scenario(SMALL)
    rows = {r.key: r for r in board(d.frame()).sessions}
    assert rows["refinery-gc-2"].marker == DEFER
    assert "held by gc-1" in rows["refinery-gc-2"].reason
    assert rows["worker-gc-3"].marker == STOP  # running, and nothing was built yet
    assert board(d.frame()).summary.deferred == 1


def test_demo_is_deterministic_and_exercises_every_identity_shape():
    a, b = open_demo(), open_demo()
    for _ in range(30):
        a.step()
        b.step()
    assert a.model.world.dumps() == b.model.world.dumps()
    kinds = {ag.shape for ag in board(a.frame()).agents}
    assert {"canonical singleton", "slot pool (4)", "namepool"} <= kinds
    modes = {n.effective_mode for n in a.model.city.named_sessions}
    assert modes == {"always", "on_demand"}
    assert any(ag.depends_on for ag in a.model.city.agents)
    city = a.model.city
    assert city.agent("harbor/polecat").max_session_age and city.agent("harbor/worker").sleep_after_idle


def test_demo_shows_a_deferral_a_reclaim_and_a_tracker_within_a_minute():
    d = open_demo()
    presses = 120  # one minute at the default two ticks per second
    for _ in range(presses):
        assert d.step().ok
    actions = [ln.text.split()[0] for f in d.history for ln in f.lines if ln.kind == "action"]
    assert "defer_alias" in actions
    assert "normalize" in actions  # the deferred singleton reclaims its alias
    assert {"drain", "sleep", "restart", "quarantine"} & set(actions)  # a lifecycle tracker fired


def test_demo_script_cues_are_in_range(tmp_path):
    bad = tmp_path / "script.toml"
    bad.write_text('period = 4\n[[at]]\ntick = 9\ndo = "tick"\n')
    with pytest.raises(ValueError, match="outside 1..4"):
        DemoScript(str(bad))


def test_live_scale_checks_are_recorded_as_steps(tmp_path):
    import argparse

    from tui.app import make_driver

    p = tmp_path / "city.toml"
    p.write_text('[workspace]\nname = "q"\n[[agent]]\nname = "r"\nmax_active_sessions = 1\nscale_check = "printf 3"\n')
    args = argparse.Namespace(scenario=None, city=str(p), semantics="current", run_scale_checks=True,
                              scale_check_timeout="5s")
    d, running = make_driver(args)
    assert not running
    assert d.step().ok
    assert d.model.world.scale_check("r") == 3
    assert {"do": "set_scale_check", "template": "r", "value": 3, "ran": True} in [r.step.to_table() for r in d.steps]
    args.run_scale_checks = False
    plain, _ = make_driver(args)
    plain.step()
    assert plain.model.world.scale_check("r") == 0
