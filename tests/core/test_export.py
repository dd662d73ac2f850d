"""An exported session is a scenario that replays to the same state."""

from __future__ import annotations

import os
import pathlib

import pytest

from core.demo import open_demo
from core.scenario.file import load_scenario, run
from core.session.driver import open_city
from core.session.export import export_text, save
from core.session.reload import load
from core.views.state_json import state

COMPARED = ("tick", "now", "semantics", "desired", "pool_desired", "sessions", "runtime", "work", "deferrals",
            "trackers")


def same_state(driver, replay_state) -> None:
    live = state(driver.model, 0, "", None)
    for key in COMPARED:
        assert replay_state[key] == live[key], f"{key} differs after replay"


def test_demo_session_with_pokes_replays_to_the_same_state(tmp_path):
    d = open_demo()
    for _ in range(6):
        assert d.step().ok
    running = sorted(d.model.world.runtime.sessions)
    assert d.apply({"do": "runtime_exit", "name": running[0], "crash": True}).ok
    assert d.add_routed_work("harbor/worker", 4).ok
    assert d.apply({"do": "set_scale_check", "template": "harbor/refinery", "value": 2}).ok
    assert d.set_semantics("pre-2053").ok
    for _ in range(4):
        assert d.step().ok
    path = save(d, str(tmp_path / "demo-session.toml")).path
    scn = load_scenario(path)
    assert len(scn.steps) == len(d.steps)
    same_state(d, run(scn, check_invariants=False).states[-1])


def test_export_is_deterministic_and_cuts_at_the_viewed_frame(tmp_path):
    path = str(tmp_path / "x.toml")
    a, b = open_demo(), open_demo()
    for d in (a, b):
        for _ in range(5):
            d.step()
    assert export_text(a, path) == export_text(b, path)
    a.back()
    a.back()
    scn_text = export_text(a, path)
    with open(path, "w") as f:
        f.write(scn_text)
    scn = load_scenario(path)
    assert len(scn.steps) == a.frame().steps_taken < len(a.steps)
    replayed = run(scn, check_invariants=False).states[-1]
    assert replayed["tick"] == a.frame().tick


CITY = """[workspace]
name = "quay"

[[agent]]
name = "worker"
dir = "quay"
max_active_sessions = 2
"""


def test_config_edits_replay_even_after_the_file_changed_again(tmp_path):
    city = tmp_path / "city.toml"
    city.write_text(CITY)
    d = open_city(str(city))
    assert d.add_routed_work("quay/worker").ok
    assert d.step().ok
    city.write_text(CITY + '\n[[agent]]\nname = "scout"\ndir = "quay"\n')
    loaded = load(str(city))
    assert d.reload(loaded.city, loaded.source).ok
    assert d.add_routed_work("quay/scout").ok
    assert d.step().ok
    assert d.model.city.agent("quay/scout") is not None
    city.write_text(CITY.replace("= 2", "= 5"))  # a later edit the session never saw
    out = tmp_path / "sub" / "session.toml"
    out.parent.mkdir()
    path = save(d, str(out)).path
    text = pathlib.Path(path).read_text()
    assert "[[step.city.agent]]" in text  # that revision is no longer on disk: inlined
    scn = load_scenario(path)
    same_state(d, run(scn, check_invariants=False).states[-1])


def test_an_unchanged_city_file_is_referenced_relative_to_the_export(tmp_path):
    city = tmp_path / "city.toml"
    city.write_text(CITY)
    d = open_city(str(city))
    d.step()
    out = tmp_path / "exports" / "s.toml"
    out.parent.mkdir()
    text = export_text(d, str(out))
    assert 'city_file = "../city.toml"' in text


def test_saving_to_an_unwritable_place_is_a_clear_error(tmp_path):
    from core.session.export import ExportError

    d = open_demo()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="cannot write"):
        save(d, str(blocker / "x.toml"))
    assert blocker.read_text() == "not a folder"


def test_an_existing_file_is_never_overwritten_unless_asked(tmp_path):
    from core.session.export import ExportExists

    d = open_demo()
    target = tmp_path / "mine.toml"
    target.write_text("the operator's notes\n")
    link = tmp_path / "link.toml"
    link.symlink_to(tmp_path / "elsewhere.toml")  # a dangling link is not followed either
    for p in (target, link):
        with pytest.raises(ExportExists, match="already exists"):
            save(d, str(p))
    assert target.read_text() == "the operator's notes\n" and not (tmp_path / "elsewhere.toml").exists()
    assert save(d, str(target), overwrite=True).path == str(target)
    assert target.read_text().startswith("# Recorded with citywatch")


def test_an_export_is_self_contained_and_replays_after_it_is_moved(tmp_path):
    import shutil

    d = open_demo()
    for _ in range(4):
        assert d.step().ok
    saved = save(d, str(tmp_path / "out" / "demo.toml"))
    text = pathlib.Path(saved.path).read_text()
    assert 'city_file = "demo.city/city.toml"' in text and "core/demo" not in text  # nothing of the install
    copied = sorted(p.name for p in (tmp_path / "out" / "demo.city").iterdir())
    assert "city.toml" in copied and "polecats.txt" in copied  # the namepool file it reads too
    moved = tmp_path / "elsewhere"
    shutil.move(str(tmp_path / "out"), str(moved))
    scn = load_scenario(str(moved / "demo.toml"))
    same_state(d, run(scn, check_invariants=False).states[-1])


def test_pinned_expectations_check_the_replay(tmp_path):
    from core.scenario.file import check

    d = open_demo()
    for _ in range(7):
        assert d.step().ok
    d.back()
    saved = save(d, str(tmp_path / "pinned.toml"), pin=True)
    assert saved.pinned == 1
    scn = load_scenario(saved.path)
    (expect,) = scn.expects
    assert expect["after"] == d.frame().steps_taken == len(scn.steps)
    assert expect["desired"] and expect["open_sessions"] and expect["session"]
    assert check(run(scn, check_invariants=False)) == []
    # the pins are real: a replay that ends elsewhere fails them
    scn.expects[0] = dict(expect, desired=expect["desired"] + ["harbor/ghost"])
    assert check(run(scn, check_invariants=False))


def test_an_export_never_goes_into_the_package_nor_over_a_file_unasked(tmp_path):
    from core.session.export import ExportError, default_export_path, package_dirs

    d = open_demo()
    with pytest.raises(ExportError, match="installed package"):
        save(d, os.path.join(package_dirs()[0], "demo", "mine.toml"))
    target = tmp_path / "kept.toml"
    target.write_text("# mine\n")
    with pytest.raises(ExportError, match="exists"):
        save(d, str(target))
    assert target.read_text() == "# mine\n"
    assert save(d, str(target), overwrite=True).path == str(target)
    default = default_export_path("~/exports", "harbor: the demo", 12)
    assert default == os.path.join(os.path.expanduser("~/exports"), "harbor-the-demo-tick12.toml")
