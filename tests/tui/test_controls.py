"""Pilot tests: each control changes the model (through the driver) and the panels show it."""

from __future__ import annotations

import pathlib
from datetime import timedelta

from textual.command import CommandPalette

from tests.tui.conftest import SIZE, notices, settle
from tui.commands import MODEL, controls
from tui.screens.dialog import AskDialog
from tui.screens.help import HelpScreen
from tui.widgets.status import StatusBar


def status_text(app) -> str:
    return str(app.query_one(StatusBar).content)


async def select(app, pilot, key: str) -> None:
    app.sessions.focus_target().focus()
    assert app.sessions.table.select_key(key), f"{key} not on screen: {app.sessions.table.row_keys}"
    await pilot.pause()


async def answer(app, pilot, text: str | None) -> None:
    """Type into the open dialog (replacing its default) and accept it."""
    assert app.screen.query("#dialog-input"), f"no dialog with an input: {app.screen}"
    if text is not None:
        inp = app.screen.query_one("#dialog-input")
        inp.value = text
    await pilot.press("enter")
    await settle(app, pilot)


async def test_panels_are_titled_and_show_the_world(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = [str(p.border_title) for p in app.query(".panel")]
        assert titles == ["Agents", "Sessions", "Deferrals", "Alarms", "Trackers", "Why", "Events"]
        assert app.agents.table.row_keys == ["dock/refinery", "dock/worker"]
        assert app.agents.table.cells("dock/refinery")[1] == "canonical singleton"
        assert app.agents.table.cells("dock/refinery")[3] == "1"  # the simulated scale_check result
        assert app.sessions.table.row_keys == ["refinery-gc-1", "refinery-gc-2", "worker-gc-3"]
        summary = str(app.query_one("#sessions-summary").content)
        assert summary.startswith("desired 0 · running 2")
        deferrals = app.query_one("#deferrals")
        assert deferrals.row_keys == ["gc-2"]
        assert deferrals.cells("gc-2")[2:4] == ("dock/refinery", "gc-1")
        assert "dock" in status_text(app) and "tick 0" in status_text(app) and "paused" in status_text(app)


async def test_step_runs_a_tick_and_the_status_line_follows(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await settle(app, pilot)
        assert not app.last_error, app.last_error
        assert app.driver.live.tick == 1
        assert "tick 1" in status_text(app)
        assert any(ln.kind == "step" and ln.text == "tick" for ln in app.driver.lines())


async def test_run_pause_and_speed(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert app.running and app._timer is not None
        assert "running at 2 ticks/s" in status_text(app)
        await pilot.press("plus")
        assert app.speed == 4.0
        await pilot.press("minus", "minus", "minus")
        assert app.speed == 0.5
        await pilot.press("space")
        assert not app.running and app._timer is None
        assert "paused" in status_text(app)


async def test_time_travel_back_forward_and_live(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "worker-gc-3")
        await pilot.press("K")  # frame 1: the worker's runtime is gone
        await settle(app, pilot)
        steps = app.driver.live.index
        await pilot.press("X")  # on the same row: no runtime left, so the crash is refused up front
        await settle(app, pilot)
        assert app.driver.live.index == steps and app.last_error == ""  # no failed step, no error
        live = app.driver.live.index
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert app.driver.viewing_past
        assert app.driver.frame().index == live - 1
        assert "viewing step" in status_text(app)
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert app.driver.frame().index == 0  # stops at the oldest frame
        await settle(app, pilot)
        assert "running" in app.sessions.table.value("worker-gc-3", "runtime")  # the past still had it
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert app.driver.frame().index == 1
        assert app.sessions.table.value("worker-gc-3", "runtime") == "—"
        await pilot.press("L")
        await settle(app, pilot)
        assert not app.driver.viewing_past and "viewing" not in status_text(app)


async def test_pokes_are_refused_while_viewing_the_past(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "worker-gc-3")
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("left_square_bracket")
        before = len(app.driver.steps)
        await pilot.press("K")
        await settle(app, pilot)
        assert len(app.driver.steps) == before
        assert app.driver.model.world.runtime.get("worker-gc-3") is not None


async def test_kill_and_crash_the_selected_session(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "worker-gc-3")
        await pilot.press("K")
        await settle(app, pilot)
        assert app.driver.model.world.runtime.get("worker-gc-3") is None
        assert app.driver.steps.last.step.to_table() == {"do": "runtime_exit", "name": "worker-gc-3"}
        await select(app, pilot, "refinery-gc-1")
        await pilot.press("X")
        await settle(app, pilot)
        assert app.driver.model.world.runtime.get("refinery-gc-1") is None
        assert any(ln.kind == "event" and "session.crashed" in ln.text for ln in app.driver.lines())
        assert "session.crashed refinery-gc-1" in "\n".join(app.events_panel.shown_text)


async def test_activity_attach_detach_and_drain_ack(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "worker-gc-3")
        rt = app.driver.model.world.runtime
        start = rt.get("worker-gc-3").last_activity
        app.driver.apply({"do": "advance", "by": "2m"})
        await pilot.press("a")
        await settle(app, pilot)
        assert rt.get("worker-gc-3").last_activity == start + timedelta(minutes=2)
        await pilot.press("t")
        await settle(app, pilot)
        assert rt.get("worker-gc-3").attached
        assert "+attached" in app.sessions.table.value("worker-gc-3", "runtime")
        await pilot.press("t")
        await settle(app, pilot)
        assert not rt.get("worker-gc-3").attached
        steps = len(app.driver.steps)
        await pilot.press("D")  # no drain is pending: refused, and it says why
        await settle(app, pilot)
        assert len(app.driver.steps) == steps and rt.get("worker-gc-3").meta.get("GC_DRAIN_ACK") != "1"
        assert any("no pending drain" in n for n in notices(app))
        app.driver.apply({"do": "set_scale_check", "template": "dock/refinery", "value": 0})
        app.driver.step()  # no demand left: the controller asks the refinery to drain
        assert app.driver.model.world.memory.drains.get("gc-1") is not None
        app.refresh_view()
        await select(app, pilot, "refinery-gc-1")
        await pilot.press("D")
        await settle(app, pilot)
        assert app.driver.steps.last.step.to_table() == {"do": "drain_ack", "name": "refinery-gc-1"}


async def test_scale_check_dialog_sets_the_selected_template(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        app.agents.focus_target().focus()
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, AskDialog)
        await answer(app, pilot, "3")
        assert app.driver.model.world.scale_check("dock/refinery") == 3
        assert app.agents.table.cells("dock/refinery")[3] == "3"
        await pilot.press("n")
        await pilot.pause()
        await answer(app, pilot, "lots")
        assert app.driver.model.world.scale_check("dock/refinery") == 3  # refused, nothing changed


async def test_add_routed_work_and_assign_work(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "worker-gc-3")
        await pilot.press("w")
        await pilot.pause()
        await answer(app, pilot, "7")
        store = app.driver.model.world.store
        w2 = store.work_bead("w-2")
        assert w2 is not None and w2.routed_to == "dock/worker" and w2.priority == 7
        await pilot.press("W")
        await pilot.pause()
        assert app.screen.query_one("#dialog-input").value == "w-1"  # the oldest free routed bead
        await answer(app, pilot, None)
        w1 = store.work_bead("w-1")
        assert w1.assignee == "dock/worker-1" and w1.status == "in_progress"


async def test_advance_the_clock_and_escape_cancels(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        now = app.driver.model.world.now
        await pilot.press("A")
        await pilot.pause()
        await answer(app, pilot, "5m")
        assert app.driver.model.world.now == now + timedelta(minutes=5)
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.driver.model.world.now == now + timedelta(minutes=5)
        await pilot.press("A")
        await pilot.pause()
        await answer(app, pilot, "soon")
        assert app.driver.model.world.now == now + timedelta(minutes=5)


async def test_switch_semantics(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("M")
        await settle(app, pilot)
        assert app.driver.model.semantics == "pre-2053"
        assert "before Gas City #2053" in status_text(app)  # a pull request, not a year
        assert app.agents.table.cells("dock/refinery")[1] == "slot pool (1)"


async def test_filter_the_focused_panel_and_clear_it(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "refinery-gc-1")
        await pilot.press("slash")
        await pilot.pause()
        await answer(app, pilot, "worker")
        assert app.sessions.table.row_keys == ["worker-gc-3"]
        assert app.sessions.border_subtitle.startswith("/worker")
        await pilot.press("slash")
        await pilot.pause()
        await answer(app, pilot, "!worker")
        assert app.sessions.table.row_keys == ["refinery-gc-1", "refinery-gc-2"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.sessions.table.row_keys) == 3


async def test_changed_toggle_says_how_many_rows_are_hidden(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s")  # the second tick changes nothing
        await settle(app, pilot)
        assert app.sessions.table.row_keys == ["refinery-gc-1", "worker-gc-3"]  # all, by default
        assert "all rows" in app.sessions.border_subtitle
        await select(app, pilot, "worker-gc-3")
        await pilot.press("c")
        await pilot.pause()
        assert app.sessions.table.row_keys == []  # both in sync, neither changed by the last step
        assert "2 hidden" in app.sessions.border_subtitle and "changed rows" in app.sessions.border_subtitle
        app.driver.apply({"do": "runtime_exit", "name": "worker-gc-3"})
        app.refresh_view()
        await pilot.pause()
        assert app.sessions.table.row_keys == ["worker-gc-3"]  # changed by the last step (and now + to start)
        await pilot.press("c")
        await pilot.pause()
        assert len(app.sessions.table.row_keys) == 2


async def test_rows_changed_by_a_step_are_highlighted_for_a_moment(small_app):
    from tui.widgets.sessions import CHANGED_STYLE

    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "worker-gc-3")
        await pilot.press("K")
        await settle(app, pilot)
        name = app.sessions.table.cells("worker-gc-3")[1]
        assert str(name.style) == CHANGED_STYLE  # the row the kill changed
        assert str(app.sessions.table.cells("refinery-gc-1")[1]) == "refinery-gc-1"  # untouched: plain
        app._end_highlight()
        await settle(app, pilot)
        assert app.sessions.table.cells("worker-gc-3")[1] == "worker-gc-3"  # the moment is over


async def test_help_screen_lists_the_focused_panels_keys(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "worker-gc-3")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.panel == "sessions"
        keys = [str(c) for c in app.screen.query_one("#help-keys").content.columns[2].cells]
        assert keys[:3] == ["changed_toggle", "kill", "crash"] and "step" in keys
        await pilot.press("escape")
        app.agents.focus_target().focus()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.panel == "agents"
        keys = [str(c) for c in app.screen.query_one("#help-keys").content.columns[2].cells]
        assert "kill" not in keys and "scale_check" in keys


async def test_every_control_has_an_id_a_binding_and_a_palette_command(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        bound = set()
        for node in (app, app.sessions.table, app.agents.table, app.events_panel.log_widget):
            bound |= {b.id for b in type(node).BINDINGS if b.id}
        ids = {c.id for c in controls(MODEL)}
        assert ids <= bound, ids - bound
        titles = {cmd.title for cmd in app.get_system_commands(app.screen)}
        wanted = {c.title for c in controls(MODEL)
                  if c.id not in ("quit", "help", "palette") and not c.action.startswith("focus_panel(")}
        assert wanted <= titles, wanted - titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_a_failing_tick_shows_the_error_and_keeps_the_last_good_state(small_app):
    app = small_app

    def broken():
        app.driver.model.world.store.update_session("gc-1", {"state": "asleep"})  # half-done work
        raise RuntimeError("boom")

    async with app.run_test(size=SIZE) as pilot:
        app.driver.model.tick = broken
        await pilot.press("s")
        await settle(app, pilot)
        assert "boom" in app.last_error
        assert "last step failed" in status_text(app)
        assert app.driver.model.world.store.session("gc-1").state == "awake"
        assert app.driver.model.world.tick == 0
        assert any(ln.kind == "error" and "boom" in ln.text for ln in app.driver.lines())


async def test_why_follows_the_cursor_and_the_cursor_stays_on_its_session(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "refinery-gc-2")
        why = app.query_one("#why-panel")
        assert why.border_subtitle == "refinery-gc-2"
        text = str(app.query_one("#why").content)
        assert "deferred" in text and "dock/refinery" in text
        await pilot.press("down")
        await pilot.pause()
        assert why.border_subtitle == "worker-gc-3"
        await pilot.press("up")
        await pilot.pause()
        assert why.border_subtitle == "refinery-gc-2"
        app.driver.apply({"do": "runtime_start", "name": "aaa-first"})  # a new row sorts first
        app.refresh_view()
        await pilot.pause()
        assert app.sessions.table.row_keys[0] == "aaa-first"
        assert app.sessions.table.selected_key == "refinery-gc-2"


async def test_events_follow_until_scrolled_up(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(12):
            app.driver.apply({"do": "advance", "by": "1s"})
        app.refresh_view()
        app.events_panel.focus_target().focus()
        await pilot.pause()
        assert app.events_panel.follow
        await pilot.press("up")
        assert not app.events_panel.follow
        app.driver.apply({"do": "advance", "by": "1s"})
        app.refresh_view()
        await pilot.pause()
        assert "2 new below" in app.events_panel.border_subtitle
        await pilot.press("f")
        assert app.events_panel.follow and app.events_panel.border_subtitle == "following"
        await pilot.press("slash")
        await pilot.pause()
        await answer(app, pilot, "advance")
        assert app.events_panel.shown_text and all("advance" in t for t in app.events_panel.shown_text)


async def test_zoom_fills_the_screen_with_the_focused_panel(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        app.panel("deferrals").focus_target().focus()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is app.panel("deferrals")
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is None


REAL = __import__("gascity_fixtures").CITIES
REAL_CITIES = sorted(p.parent.name for p in REAL.glob("*/city.toml"))


@__import__("pytest").mark.parametrize("name", REAL_CITIES)
async def test_each_real_city_opens_steps_and_lists_its_agents(name):
    from core.session.driver import open_city
    from core.views.confignotes import config_notes
    from tui.app import CitywatchApp

    # Opened as a user opens it: a city only strict mode refuses runs as `gc start --no-strict` would.
    driver = open_city(str(REAL / name / "city.toml"))
    app = CitywatchApp(driver, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s")
        await settle(app, pilot)
        assert not app.last_error, app.last_error
        assert app.driver.live.tick == 2
        city = driver.model.city
        inactive = [a.qualified_name for a in city.unstamped + city.rig_defaults]
        assert app.agents.table.row_keys == [a.qualified_name for a in city.agents] + inactive
        notes = config_notes(driver.model.city)
        if notes:
            assert f"{len(notes)} config note{'s' if len(notes) > 1 else ''} in Events" in app.agents.border_subtitle
            assert any(ln.kind == "warning" for ln in app.driver.lines())


async def test_the_demo_exports_its_scripted_presses_from_a_replay(tmp_path):
    from core.demo import open_demo
    from core.scenario.file import load_scenario
    from core.settings import Settings
    from tui.app import CitywatchApp

    d = open_demo()
    for _ in range(12):
        d.step()
    assert d.steps.scripted == 12
    out = tmp_path / "demo.toml"
    app = CitywatchApp(d, watch=False, settings=Settings(export_dir=str(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await pilot.pause()
        await answer(app, pilot, str(out))
        assert any("replaying the session's" in n for n in notices(app))
        assert any(f"saved {out}" in n for n in notices(app))
    steps = load_scenario(str(out)).steps
    assert len(steps) == len(d.steps) and [s.to_table() for s in steps] == [r.step.to_table() for r in d.recorded()]


async def test_export_dialog_saves_a_scenario_that_loads(small_driver, tmp_path):
    from core.scenario.file import check, load_scenario, run
    from core.settings import Settings
    from tui.app import CitywatchApp
    from tui.screens.choice import ChoiceDialog

    app = CitywatchApp(small_driver, watch=False, settings=Settings(export_dir=str(tmp_path / "exports")))
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, "worker-gc-3")
        await pilot.press("K")
        await settle(app, pilot)
        await pilot.press("E")
        await pilot.pause()
        default = app.screen.query_one("#dialog-input").value
        assert default.startswith(str(tmp_path / "exports")) and default.endswith(".toml")  # the settings' folder
        await answer(app, pilot, None)
        scn = load_scenario(default)
        assert [s.do for s in scn.steps] == ["runtime_exit"]
        assert [s["id"] for s in scn.data["session"]] == ["gc-1", "gc-2", "gc-3"]
        assert scn.expects and check(run(scn, check_invariants=False)) == []  # it pins and checks itself
        before = pathlib.Path(default).read_text()
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("E")
        await pilot.pause()
        await answer(app, pilot, default)
        assert isinstance(app.screen, ChoiceDialog)  # the file exists: asked, not overwritten
        await pilot.press("n")
        await settle(app, pilot)
        assert pathlib.Path(default).read_text() == before
        await pilot.press("E")
        await pilot.pause()
        await answer(app, pilot, default)
        await pilot.press("y")
        await settle(app, pilot)
        assert pathlib.Path(default).read_text() != before
        assert len(load_scenario(default).steps) == 2


async def test_a_focus_event_after_the_last_screen_went_is_ignored(small_app):
    """An app closed right after its first frame can still be handed a focus event: it must not
    ask for the focused widget of a screen stack that is already empty."""
    from textual.events import DescendantFocus

    async with small_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = small_app.sessions.table
    assert not small_app.screen_stack
    small_app.on_descendant_focus(DescendantFocus(table))  # no ScreenStackError
