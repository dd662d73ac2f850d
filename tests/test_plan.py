"""`citywatch plan`: what a config change will do, as the difference of two futures of the model."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.change_plan import PlanError, make_plan
from core.change_plan.render import render_plan
from core.config.load import load_city
from core.model.facade import Model
from core.world.world import World

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "attach"))
from citykit import NOW, build_city, tree  # noqa: E402

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BASE = """\
[workspace]
name = "harbor"
[[agent]]
name = "refinery"
max_active_sessions = 1
scale_check = "echo 1"
[[agent]]
name = "mayor"
max_active_sessions = 1
[[named_session]]
template = "mayor"
mode = "always"
[[agent]]
name = "worker"
max_active_sessions = 4
min_active_sessions = 4
[[agent]]
name = "witness"
max_active_sessions = 1
min_active_sessions = 1
"""
RUNNING = """\
name = "harbor, running"
city_file = "city.toml"
start = "2026-06-01T12:00:00Z"
[scale_check]
refinery = 1
[[step]]
do = "tick"
count = 3
every = "30s"
"""


@pytest.fixture
def harbor(tmp_path: Path) -> Path:
    (tmp_path / "city.toml").write_text(BASE)
    (tmp_path / "running.toml").write_text(RUNNING)
    return tmp_path


def new_config(tmp_path: Path, text: str) -> str:
    p = tmp_path / "new" / "city.toml"
    p.parent.mkdir(exist_ok=True)
    p.write_text(text)
    return str(p)


def kinds(plan) -> list[tuple[str, str, str]]:
    return [(c.kind, c.agent, c.session) for c in plan.changes]


def test_an_unchanged_config_plans_nothing(harbor):
    plan = make_plan(str(harbor / "running.toml"), str(harbor / "city.toml"))
    assert plan.empty and plan.changes == []
    assert plan.summary_line() == "Plan: 0 to create, 0 to drain, 0 to rename, 0 deferred"
    assert "No changes" in render_plan(plan)


def test_a_singleton_keeps_its_canonical_identity(harbor):
    """The seed case: an unrelated edit must not turn `refinery` into a phantom `refinery-1`."""
    plan = make_plan(str(harbor / "running.toml"),
                     new_config(harbor, BASE + '[[agent]]\nname = "scout"\nmax_active_sessions = 1\n'
                                       'min_active_sessions = 1\n'))
    assert kinds(plan) == [("create", "scout", "scout")]
    assert not any(c.agent == "refinery" for c in plan.changes)


def test_an_older_controller_would_name_a_new_singleton_as_a_slot(harbor):
    """--semantics runs both futures under older rules: before Gas City #1989 a max = 1 agent
    expands to `name-1`, the phantom of the seed incident."""
    edit = new_config(harbor, BASE + '[[agent]]\nname = "scout"\nmax_active_sessions = 1\nmin_active_sessions = 1\n')
    plan = make_plan(str(harbor / "running.toml"), edit, semantics="pre-1989")
    assert plan.start.semantics == "pre-1989"
    assert [c.session for c in plan.changes if c.kind == "create"] == ["scout-1"]


def test_a_pool_cap_lowered_below_its_live_sessions_takes_sessions_down(harbor):
    plan = make_plan(str(harbor / "running.toml"),
                     new_config(harbor, BASE.replace("max_active_sessions = 4\nmin_active_sessions = 4",
                                                     "max_active_sessions = 2\nmin_active_sessions = 2")))
    worker = [c for c in plan.changes if c.agent == "worker"]
    assert {c.session for c in worker if c.symbol == "-"} == {"worker-3", "worker-4"}
    assert all(c.agent == "worker" for c in plan.changes)
    assert all("config drift" in c.rule or "retired" in c.rule for c in worker)
    s = plan.to_json()["summary"]
    assert s["close"] == 2


def test_an_agent_removed_closes_its_session_as_orphaned(harbor):
    text = BASE[:BASE.index('[[agent]]\nname = "witness"')]
    plan = make_plan(str(harbor / "running.toml"), new_config(harbor, text))
    assert kinds(plan) == [("close", "witness", "witness")]
    assert "orphaned" in plan.changes[0].rule and plan.changes[0].bead_id


def test_a_named_session_added_is_created_with_its_rule(harbor):
    plan = make_plan(str(harbor / "running.toml"),
                     new_config(harbor, BASE + '[[named_session]]\ntemplate = "witness"\nname = "watcher"\n'
                                       'mode = "always"\n'))
    created = [c for c in plan.changes if c.kind == "create"]
    assert [(c.agent, c.session) for c in created] == [("witness", "watcher")]
    assert created[0].rule.startswith("demand.named_always")
    assert any("named-always-min-conflict" in w for w in plan.warnings)


def test_depends_on_added_to_a_running_agent_restarts_it_for_config_drift(harbor):
    plan = make_plan(str(harbor / "running.toml"),
                     new_config(harbor, BASE.replace('name = "worker"\n', 'name = "worker"\ndepends_on = ["witness"]\n')))
    assert {c.session for c in plan.changes} == {"worker-1", "worker-2", "worker-3", "worker-4"}
    assert all(c.kind == "replace" and "config drift" in c.rule for c in plan.changes)


def test_changes_on_a_scale_check_template_say_the_value_was_simulated(harbor):
    plan = make_plan(str(harbor / "running.toml"),
                     new_config(harbor, BASE.replace('scale_check = "echo 1"', 'scale_check = "echo 1"\n'
                                                     'min_active_sessions = 1\nnamepool = ""')))
    for c in plan.changes:
        assert (c.agent == "refinery") == bool(c.scale_check_note)


def test_a_bad_new_config_is_refused_with_its_location(harbor, capsys):
    from tui.cli import main

    bad = new_config(harbor, BASE.replace('name = "mayor"', 'name = mayor'))
    with pytest.raises(PlanError) as e:
        make_plan(str(harbor / "running.toml"), bad)
    assert str(e.value).startswith(f"{bad}:")
    assert main(["plan", str(harbor / "running.toml"), "--config", bad]) == 2
    assert capsys.readouterr().err.startswith(f"citywatch: {bad}:")


def test_a_rename_of_the_city_is_refused(harbor):
    with pytest.raises(PlanError, match="renames the city"):
        make_plan(str(harbor / "running.toml"), new_config(harbor, BASE.replace('"harbor"', '"port"')))


def test_exit_code_gates_a_pull_request(harbor, capsys):
    from tui.cli import main

    same, changed = str(harbor / "city.toml"), new_config(harbor, BASE.replace("= 4", "= 3"))
    src = str(harbor / "running.toml")
    assert main(["plan", src, "--config", same, "--exit-code"]) == 0
    assert main(["plan", src, "--config", changed, "--exit-code"]) == 1
    assert main(["plan", src, "--config", changed]) == 0  # without --exit-code a plan is not a failure
    capsys.readouterr()
    assert main(["plan", src, "--config", changed, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == 1 and doc["source"]["kind"] == "scenario"
    assert doc["changes"] and {"kind", "symbol", "agent", "session", "rule"} <= set(doc["changes"][0])


def test_a_bare_city_plans_from_a_fresh_world(harbor):
    plan = make_plan(str(harbor / "city.toml"), new_config(harbor, BASE.replace("= 4", "= 3")), now=T0)
    assert plan.start.kind == "city" and plan.start.fresh
    assert [c.session for c in plan.changes if c.kind == "not_created"] == ["worker-4"]


def test_a_live_city_is_read_never_written(tmp_path):
    kit = build_city(tmp_path)
    before = tree(kit.root)
    new = tmp_path / "new.toml"
    new.write_text((kit.root / "city.toml").read_text())
    r = subprocess.run([sys.executable, "-m", "tui.cli", "plan", str(kit.root), "--config", str(new), "--now",
                        NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "--json"], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["source"]["kind"] == "live"
    assert tree(kit.root) == before


def test_an_unreadable_source_and_missing_files_are_bad_input(tmp_path, capsys):
    from tui.cli import main

    (tmp_path / "new.toml").write_text(BASE)
    assert main(["plan", str(tmp_path / "nowhere.toml"), "--config", str(tmp_path / "new.toml")]) == 2
    assert main(["plan", str(tmp_path / "new.toml"), "--config", str(tmp_path / "nowhere.toml")]) == 2
    assert main(["plan", str(tmp_path / "new.toml"), "--config", str(tmp_path / "new.toml"), "--ticks", "0"]) == 2


# ------------------------------------------------------------------ properties
def _city(agents: list[tuple[str, int, int]], named: list[str]) -> str:
    out = ['[workspace]\nname = "prop"\n']
    for name, lo, hi in agents:
        out.append(f'[[agent]]\nname = "{name}"\nmax_active_sessions = {hi}\nmin_active_sessions = {lo}\n')
    for name in named:
        out.append(f'[[named_session]]\ntemplate = "{name}"\nmode = "always"\n')
    return "".join(out)


_agent = st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 2), st.integers(1, 3)).map(
    lambda t: (t[0], min(t[1], t[2]), t[2]))
cities = st.tuples(st.lists(_agent, min_size=1, max_size=3, unique_by=lambda t: t[0]),
                   st.lists(st.sampled_from(["a", "b", "c"]), max_size=1, unique=True)).map(
    lambda t: _city(t[0], [n for n in t[1] if n in {a[0] for a in t[0]}]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=cities)
def test_a_config_planned_against_itself_is_empty(tmp_path_factory, text):
    d = tmp_path_factory.mktemp("p")
    (d / "city.toml").write_text(text)
    assert make_plan(str(d / "city.toml"), str(d / "city.toml"), now=T0).empty


def _open_sessions(text: str, path: Path, ticks: int) -> Counter:
    """Run a fresh world with the config on its own and count its open sessions by (template, name)."""
    path.write_text(text)
    model = Model(load_city(str(path)), World(T0, prefix="gc"))
    for i in range(ticks):
        if i:
            model.do({"do": "advance", "by": "30s"})
        model.tick()
    return Counter((b.template, b.alias or b.agent_name or b.session_name) for b in model.world.store.open_sessions())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=cities, new=cities)
def test_a_plan_is_exactly_the_difference_of_the_two_runs(tmp_path_factory, old, new):
    d = tmp_path_factory.mktemp("p")
    (d / "old.toml").write_text(old)
    (d / "new.toml").write_text(new)
    plan = make_plan(str(d / "old.toml"), str(d / "new.toml"), now=T0, ticks=4)
    a = _open_sessions(old, d / "a.toml", plan.ticks)
    b = _open_sessions(new, d / "b.toml", plan.ticks)
    planned_plus = Counter((c.agent, c.session) for c in plan.changes if c.kind == "create")
    planned_minus = Counter((c.agent, c.session) for c in plan.changes if c.kind == "not_created")
    assert planned_plus == b - a
    assert planned_minus == a - b
    if a == b:  # the same sessions at the end: at most changes of state or name along the way
        assert not planned_plus and not planned_minus


def test_docs_name_the_command():
    assert "citywatch plan" in (ROOT / "docs" / "plan.md").read_text()
    assert "citywatch plan" in (ROOT / "README.md").read_text()


def test_the_worked_example_in_the_docs_is_what_the_command_prints(capsys, monkeypatch):
    from tui.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["plan", "core/demo/demo.toml", "--config", "docs/examples/harbor-deacon-always"]) == 0
    out = capsys.readouterr().out.strip()
    assert out in (ROOT / "docs" / "plan.md").read_text()


def test_a_plan_for_the_apps_model_leaves_the_model_as_it_was(harbor):
    from core.scenario.file import load_scenario

    scn = load_scenario(str(harbor / "running.toml"))
    model = scn.model()
    for st_ in scn.steps:
        scn.apply(model, st_)
    before = model.world.snapshot()
    tick = model.world.tick
    from core.change_plan import plan_for_model

    plan = plan_for_model(model, load_city(new_config(harbor, BASE.replace("= 4", "= 3"))))
    assert [c.session for c in plan.changes if c.symbol == "-"] == ["worker-4"]
    assert model.world.tick == tick and model.world.snapshot() == before and model.pending_city is None
