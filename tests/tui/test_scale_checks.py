"""Pilot tests: what the Agents and Why panels show of a template's scale_check, simulated (the
default) or run for real (`--run-scale-checks`), and the event when a run's outcome changes."""

from __future__ import annotations

import argparse

from factories import write_city

from tests.tui.conftest import SIZE, settle
from tui.app import CitywatchApp, make_driver


def city(tmp_path, command: str):
    p = write_city(tmp_path, f"""\
        [workspace]
        name = "sc"

        [[agent]]
        name = "w"
        max_active_sessions = 3
        scale_check = '''{command}'''

        [[agent]]
        name = "plain"
        """)
    return argparse.Namespace(scenario=None, city=str(p), semantics="current", packs=None,
                              run_scale_checks=True, scale_check_timeout="1s")


def why_text(app) -> str:
    return str(app.query_one("#why").content)


async def test_without_the_flag_the_agents_panel_says_values_are_simulated(tmp_path):
    args = city(tmp_path, "touch ran; echo 2")
    args.run_scale_checks = False
    driver, _ = make_driver(args)
    app = CitywatchApp(driver, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert "scale: simulated (n to set)" in str(app.agents.border_subtitle)
        assert str(app.agents.table.cells("w")[3]) == "0"
        app.agents.focus_target().focus()
        await pilot.pause()
        assert "simulated: scale_check commands run only with --run-scale-checks" in why_text(app)
    assert not (tmp_path / "ran").exists()


async def test_a_failing_run_marks_the_template_partial_with_its_reason(tmp_path):
    (tmp_path / "n").write_text("2")
    driver, _ = make_driver(city(tmp_path, "cat n"))
    app = CitywatchApp(driver, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert str(app.agents.table.cells("w")[3]) == "2"
        assert str(app.agents.border_subtitle).startswith("2 agents · scale: run for real")
        (tmp_path / "n").unlink()  # cat fails: exit status 1 with its message
        for _ in range(2):
            await pilot.press("s")
            await settle(app, pilot)
        assert str(app.agents.table.cells("w")[3]) == "partial !"
        assert "scale: run for real, 1 partial" in str(app.agents.border_subtitle)
        events = [ln.text for ln in driver.lines() if "scale_check w" in ln.text and ln.kind == "warning"]
        assert len(events) == 1 and events[0].startswith("scale_check w partial: exited with status 1: ")
        assert events[0].endswith("(was 2)")
        # the Why panel follows the Agents panel: the template's full reason and when it ran
        app.agents.focus_target().focus()
        assert app.agents.table.select_key("w")
        await pilot.pause()
        text = why_text(app)
        assert "demand read partial, scale_check partial: exited with status 1: cat: n: No such file or directory" in text
        assert "ran for real at tick 3" in text
        # back on a session: its explanation carries the same reason
        app.sessions.focus_target().focus()
        await pilot.pause()
        assert "partial_reason: exited with status 1: cat: n: No such file or directory" in why_text(app)
