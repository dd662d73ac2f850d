"""The demo script's presses are kept as sizes and made again by a replay when exported; the
export is the same as with every step kept (core/session/replay.py)."""

from __future__ import annotations

import pytest

from core.demo import DEMO_SCENARIO, DemoScript
from core.session.driver import Driver, open_scenario
from core.session.export import ExportError, export_text
from core.session.steplog import Recorded, Scripted


class KeptWhole(DemoScript):
    replayable = False  # every step kept, as any other script's


def drive(d: Driver) -> Driver:
    """Scripted presses, with operator pokes, a failed poke, a semantics switch and a what-if
    fork from the past in between."""
    for _ in range(40):
        assert d.step().ok
    running = sorted(d.model.world.runtime.sessions)
    assert d.apply({"do": "runtime_exit", "name": running[0], "crash": True}).ok
    assert not d.apply({"do": "runtime_exit", "name": "no-such-session"}).ok
    assert d.add_routed_work("harbor/worker", 4).ok
    for _ in range(30):
        assert d.step().ok
    assert d.set_semantics("pre-2053").ok
    for _ in range(10):
        assert d.step().ok
    d.back(7)
    d.branch()
    for _ in range(25):
        assert d.step().ok
    return d


def pair() -> tuple[Driver, Driver]:
    return (drive(open_scenario(DEMO_SCENARIO, script=DemoScript())),
            drive(open_scenario(DEMO_SCENARIO, script=KeptWhole())))


def test_an_export_replays_the_scripted_presses_to_the_same_file(tmp_path):
    sized, whole = pair()
    assert sized.steps.scripted > 90 and whole.steps.scripted == 0
    assert len(sized.steps) == len(whole.steps)
    path = str(tmp_path / "s.toml")
    assert export_text(sized, path) == export_text(whole, path)
    sized.back(5)
    whole.back(5)
    assert export_text(sized, path) == export_text(whole, path)


def test_the_steps_made_again_are_the_steps_that_ran():
    sized, whole = pair()
    again = sized.recorded()
    assert [r.step for r in again] == [r.step for r in whole.recorded()]
    assert all(isinstance(r, Recorded) for r in again)


def test_scripted_presses_cost_a_byte_each():
    d = open_scenario(DEMO_SCENARIO, script=DemoScript())
    for _ in range(300):
        d.step()
    assert d.steps.scripted == 300 and d.steps.runs == 1
    assert isinstance(d.steps.last, Scripted)


def test_a_cut_inside_a_scripted_press_is_refused():
    d = open_scenario(DEMO_SCENARIO, script=DemoScript())
    for _ in range(3):
        d.step()
    sizes = [p.size for p in d.steps.presses() if isinstance(p, Scripted)]
    assert len(sizes) == 3 and sizes[1] > 1
    with pytest.raises(ValueError, match="inside a scripted press"):
        d.steps.upto(sizes[0] + 1)
    assert len(d.steps.upto(sizes[0] + sizes[1])) == sizes[0] + sizes[1]


def test_a_script_that_does_not_make_the_same_press_again_fails_the_export_with_a_message(tmp_path):
    class Forgetful(DemoScript):
        calls = 0

        def next_steps(self, model):
            Forgetful.calls += 1
            steps = super().next_steps(model)
            return steps if Forgetful.calls <= 5 else steps[-1:]

    d = open_scenario(DEMO_SCENARIO, script=Forgetful())
    for _ in range(5):
        d.step()
    with pytest.raises(ExportError, match=r"press 2: the script now makes a press of 1 step\(s\), not the 3 that ran"):
        export_text(d, str(tmp_path / "x.toml"))
