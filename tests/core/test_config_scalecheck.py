"""Live scale_check runs (`--run-scale-checks`): sh -c in the city directory, bounded output,
a timeout, and every failure kept as a partial read with its reason."""

from __future__ import annotations

import textwrap

import pytest

from core.config.load import load_city
from core.model.facade import Model
from core.model.scalecheck import (
    OUTPUT_LIMIT,
    refresh_scale_checks,
    run_scale_check,
    with_live_runs,
)


def city_with(tmp_path, checks: dict[str, str]):
    body = "[[rigs]]\nname = \"api\"\n"
    for name, cmd in checks.items():
        body += f"[[agent]]\nname = \"{name}\"\ndir = \"api\"\nmax_active_sessions = 5\nscale_check = '''{cmd}'''\n"
    (tmp_path / "city.toml").write_text(textwrap.dedent(body))
    return load_city(str(tmp_path))


@pytest.mark.parametrize("cmd,value,reason", [
    ("printf 3", 3, ""),
    ("printf ' 7\\n'", 7, ""),
    ("test -f city.toml && printf 1", 1, ""),  # runs in the city directory
    ('test "{{.Agent}}" = api/w && test "{{.Rig}}" = api && printf 2', 2, ""),
    ("exit 42", None, "exited with status 42"),
    ("echo broken >&2; exit 1", None, "exited with status 1: broken"),
    ("printf abc", None, 'output "abc" is not an integer'),
    ("printf 1_000", None, 'output "1_000" is not an integer'),
    ("printf -- -2", None, 'output "-2" is negative'),
    ("true", None, "produced empty output"),
    (f"head -c {OUTPUT_LIMIT + 10} /dev/zero | tr '\\\\0' 1", None, "output exceeds 64 KiB"),
])
def test_results(tmp_path, cmd, value, reason):
    city = city_with(tmp_path, {"w": cmd})
    r = run_scale_check(city, city.agent("api/w"), timeout=5)
    assert (r.value, r.reason) == (value, reason)
    assert r.world_value == (value if value is not None else "error")
    assert len(r.output) <= OUTPUT_LIMIT


def test_timeout_kills_the_command(tmp_path):
    city = city_with(tmp_path, {"w": "sleep 10; printf 1"})
    r = run_scale_check(city, city.agent("api/w"), timeout=0.2)
    assert r.value is None and r.reason == "timed out after 0.2s"


def test_refresh_writes_the_world_and_keeps_reasons(tmp_path):
    city = city_with(tmp_path, {"good": "printf 3", "bad": "printf abc", "slow": "sleep 10"})
    model = Model(city)
    results = refresh_scale_checks(model, timeout=0.2)
    assert sorted(results) == ["api/bad", "api/good", "api/slow"]
    assert model.world.scale_check("api/good") == 3
    assert model.world.scale_check("api/bad") == "error"
    assert model.world.scale_check("api/slow") == "error"
    runs = {t: (r.value, r.reason, r.tick) for t, r in model.world.scale_check_runs.items()}
    assert runs == {"api/good": (3, "", 1), "api/bad": (None, 'output "abc" is not an integer', 1),
                    "api/slow": (None, "timed out after 0.2s", 1)}


def run_live(model, timeout=5.0):
    """One press of the app's step with --run-scale-checks: the steps, and what they logged."""
    from core.model.patrol import tick_steps
    from core.outcome import Outcome

    steps = with_live_runs(model, tick_steps(model), timeout)
    out = Outcome()
    for st in steps:
        out.extend(model.do(st))
    return steps, out


def test_each_tick_records_the_outcome_and_when_it_ran(tmp_path):
    (tmp_path / "n").write_text("2")
    city = city_with(tmp_path, {"w": "cat n", "bad": "echo 'no such queue' >&2; exit 3"})
    model = Model(city)
    steps, out = run_live(model)
    assert [s.do for s in steps] == ["set_scale_check", "set_scale_check", "tick"]
    bad = model.world.scale_check_run("api/bad")
    assert (bad.value, bad.reason, bad.tick, bad.at) == (None, "exited with status 3: no such queue", 1,
                                                        model.world.now)
    assert bad.cell == "partial !"
    assert bad.describe().startswith("partial: exited with status 3: no such queue (ran for real at tick 1, ")
    assert model.world.scale_check_run("api/w").value == 2
    assert "api/bad" in model.last_desired.partial_templates
    assert any("scale_check api/bad partial: exited with status 3" in w for w in out.warnings)

    # unchanged outcomes: no step and no event, but the tick records that they ran again
    steps, out = run_live(model)
    assert [s.do for s in steps] == ["advance", "tick"]
    assert steps[1].scale_check_runs == (("api/bad", None, "exited with status 3: no such queue"),
                                             ("api/w", 2, ""))
    assert not out.warnings and not any("scale_check" in log for log in out.logs + out.notes)
    assert model.world.scale_check_run("api/bad").tick == 2
    assert model.world.scale_check_run("api/w").at == model.world.now

    # a changed outcome is a step (an export replays it) and an event saying what it was
    (tmp_path / "n").write_text("oops")
    steps, out = run_live(model)
    assert steps[1].to_table() == {"do": "set_scale_check", "template": "api/w", "value": "error", "ran": True,
                        "reason": 'output "oops" is not an integer'}
    assert out.warnings == ['scale_check api/w partial: output "oops" is not an integer (was 2)']
    (tmp_path / "n").write_text("4")
    _, out = run_live(model)
    assert any(log.startswith("scale_check api/w = 4: its command ran (was partial: ") for log in out.notes)


def test_a_timeout_is_partial_with_its_reason(tmp_path):
    city = city_with(tmp_path, {"slow": "sleep 10; echo 1"})
    model = Model(city)
    run_live(model, timeout=0.2)
    r = model.world.scale_check_run("api/slow")
    assert (r.value, r.reason, r.outcome()) == (None, "timed out after 0.2s", "partial: timed out after 0.2s")


def test_a_simulated_value_forgets_the_last_run(tmp_path):
    city = city_with(tmp_path, {"w": "printf 1"})
    model = Model(city)
    run_live(model)
    assert model.world.scale_check_run("api/w") is not None
    model.do({"do": "set_scale_check", "template": "api/w", "value": 5})
    assert model.world.scale_check_run("api/w") is None and model.world.scale_check("api/w") == 5


def test_runs_survive_snapshots_and_the_world_json(tmp_path):
    from core.world.world import World

    city = city_with(tmp_path, {"bad": "printf -- -1", "good": "printf 2"})
    model = Model(city)
    run_live(model)
    snap = model.world.snapshot()
    model.do({"do": "set_scale_check", "template": "api/bad", "value": 0})
    model.world.restore(snap)
    assert model.world.scale_check_run("api/bad").reason == 'output "-1" is negative'
    back = World.from_json(model.world.to_json())
    assert dict(back.scale_check_runs) == dict(model.world.scale_check_runs)


def test_roster_and_explain_show_the_outcome(tmp_path):
    from core.explain.explanation import explain_session
    from core.views.roster import agent_detail, agent_rows

    city = city_with(tmp_path, {"bad": "printf abc", "good": "printf 1"})
    model = Model(city)
    rows = {r.key: r for r in agent_rows(model)}
    assert (rows["api/bad"].scale_check, rows["api/bad"].scale_source) == ("0", "simulated")
    run_live(model)
    rows = {r.key: r for r in agent_rows(model)}
    assert (rows["api/bad"].scale_check, rows["api/bad"].scale_source) == ("partial !", "run")
    assert rows["api/bad"].scale_detail.startswith('partial: output "abc" is not an integer (ran for real at tick 1')
    assert rows["api/good"].scale_check == "1"
    detail = agent_detail(model, "api/bad")
    assert detail is not None and detail.summary.startswith('api/bad: demand read partial, scale_check partial: output "abc" is not')
    x = explain_session(model, "api/good-1")
    read = x.demand.scale_check if x.demand is not None else None
    assert read is not None and read.source == "run" and read.value == 1


def test_partial_read_reaches_the_build(tmp_path):
    city = city_with(tmp_path, {"bad": "exit 3"})
    model = Model(city)
    refresh_scale_checks(model, timeout=5)
    out = model.build()
    assert "api/bad" in out.desired.partial_templates
