"""The operator's screen (issue #11): loud loop alarms, quarantines said where they are seen,
time travel that keeps up and branches, a scenario checking itself, every agent listed, sort,
jump, copy, keymap and kept theme, events that re-wrap, config errors in Events, and keys that
say why they are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import city_app
from textual import events
from textual.command import CommandPalette

from core.demo import open_demo
from core.session.driver import open_scenario
from core.settings import Settings
from tests.tui.conftest import SIZE, notices, settle
from tui.app import CitywatchApp
from tui.screens.choice import ChoiceDialog
from tui.screens.dialog import AskDialog
from tui.widgets.alarms import AlarmsPanel
from tui.widgets.sessions import ALARM_STYLE
from tui.widgets.status import StatusBar

FIXTURES = Path(__file__).parent / "fixtures"


def header(app) -> str:
    return str(app.query_one(StatusBar).content)


def event_texts(app, kind: str) -> list[str]:
    return [ln.text for ln in app.driver.lines() if ln.kind == kind]


async def crash_loop(app, pilot, name: str = "mayor", crashes: int = 8) -> None:
    """Crash `name` right after each wake, as a session whose agent dies on start does, until the
    controller quarantines it (at most `crashes` times)."""
    for _ in range(crashes):
        if any(a.kind == "quarantine" for a in app.driver.live.loops.alarms):
            return
        rt = app.driver.model.world.runtime.get(name)
        if rt is not None and rt.process_alive:
            app.sessions.focus_target().focus()
            assert app.sessions.table.select_key(name)
            await pilot.press("X")
            await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)


# ---------------------------------------------------------------------------- loop alarms
async def test_an_induced_crash_loop_is_loud_in_the_model_view():
    app = CitywatchApp(open_demo(), watch=False, settings=Settings(bell=True))
    rings = []
    app.bell = lambda: rings.append(1)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await pilot.press("s")
            await settle(app, pilot)
        assert not app.driver.live.loops.alarms
        await crash_loop(app, pilot)
        alarms = {a.kind: a for a in app.driver.live.loops.alarms}
        assert "quarantine" in alarms, alarms
        q = alarms["quarantine"]
        # a notification, a line in Events, a row in Alarms, a marked row in Sessions, the header
        assert any("loop alarm: churn" in n for n in notices(app)) and any("loop alarm: quarantine" in n
                                                                         for n in notices(app))
        assert any(t.startswith("quarantine mayor:") for t in event_texts(app, "alarm"))
        assert "quarantine:mayor" in app.query_one(AlarmsPanel).table.row_keys
        assert app.query_one(AlarmsPanel).table.value("quarantine:mayor", "until") == q.until[11:19]
        name = app.sessions.table.cells("mayor")[1]
        assert str(name.style) == ALARM_STYLE
        assert "1 alarm" in header(app)
        assert rings  # the settings asked for the bell
        # the quarantine itself, with the time it ends, in Sessions and first in Why
        row = app.sessions.row("mayor")
        assert row.marker == "×" and row.reason.startswith(f"quarantined until {q.until[11:19]}")
        assert app.sessions.table.select_key("mayor")
        await pilot.pause()
        why = str(app.query_one("#why").content)
        assert why.startswith(f"QUARANTINED until {q.until[11:19]} (crash loop: churn 3")


async def test_no_bell_unless_the_settings_ask_for_it():
    app = CitywatchApp(open_demo(), watch=False)
    rings = []
    app.bell = lambda: rings.append(1)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await pilot.press("s")
            await settle(app, pilot)
        await crash_loop(app, pilot)
        assert app.driver.live.loops.alarms and not rings


# ---------------------------------------------------------------------------- time travel
async def test_held_travel_keys_coalesce_into_one_render(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(6):
            await pilot.press("s")
            await settle(app, pilot)
        renders = app.renders
        for _ in range(30):  # a held key: the presses arrive before the screen can draw
            app.post_message(events.Key("left_square_bracket", "["))
        await settle(app, pilot)
        assert app.driver.frame().index == 0  # every press moved the view
        assert app.renders - renders <= 2  # but the screen drew where they stopped, not thirty times
        assert "viewing step 0" in header(app)


async def test_home_end_and_go_to_a_tick(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(5):
            await pilot.press("s")
            await settle(app, pilot)
        await pilot.press("home")
        await settle(app, pilot)
        assert app.driver.frame().index == app.driver.history.oldest.index
        await pilot.press("end")
        await settle(app, pilot)
        assert not app.driver.viewing_past
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, AskDialog)
        app.screen.query_one("#dialog-input").value = "3"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.driver.frame().tick == 3 and "tick 3" in header(app)


async def test_stepping_in_the_past_asks_and_a_what_if_fork_is_marked_and_can_be_left(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            await pilot.press("s")
            await settle(app, pilot)
        live_tick = app.driver.live.tick
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(app, pilot)
        past = app.driver.frame()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)  # never silently jumps to live
        await pilot.press("b")
        await settle(app, pilot)
        assert app.driver.fork is not None and app.driver.fork.from_tick == past.tick
        assert app.driver.live.tick == past.tick + 1 < live_tick  # the fork went on from the past frame
        assert "WHAT-IF" in header(app)
        await pilot.press("L")  # live already: leave the fork
        await settle(app, pilot)
        assert app.driver.fork is None and app.driver.live.tick == live_tick  # the main line is back
        assert "WHAT-IF" not in header(app)
        await pilot.press("left_square_bracket", "s")
        await pilot.pause()
        await pilot.press("l")  # step at live instead
        await settle(app, pilot)
        assert app.driver.fork is None and app.driver.live.tick == live_tick + 1


# ---------------------------------------------------------------------------- a scenario checks itself
async def test_a_scenario_names_itself_and_checks_each_expectation_as_its_step_runs():
    driver = open_scenario(str(FIXTURES / "checked.toml"))
    app = CitywatchApp(driver, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "a worker is started" in app.query_one(StatusBar).full_text
        checks = app.panel("checks").table
        assert [checks.value(k, "result") for k in checks.row_keys] == ["pass", "to come", "to come"]
        await pilot.press("s")
        await settle(app, pilot)
        assert checks.value("1", "result") == "pass"
        await pilot.press("s")
        await settle(app, pilot)
        assert checks.value("2", "result") == "FAIL" and "want 2, got 1" in checks.value("2", "failure")
        assert "2/3 expectations passed, 1 failed" in header(app)
        lines = event_texts(app, "check")
        assert lines == ["expect[0] after step 0: pass", "expect[1] after step 1: pass",
                         "expect[2] after step 2: FAIL: desired_count[quay/worker]: want 2, got 1"]
        await pilot.press("left_square_bracket")  # back in time: the results as they stood then
        await settle(app, pilot)
        assert checks.value("2", "result") == "to come"


# ---------------------------------------------------------------------------- every agent, every note
async def test_every_agent_is_listed_and_those_without_a_session_say_why():
    from core.views.confignotes import config_notes

    app = city_app(FIXTURES / "yard" / "city.toml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await settle(app, pilot)
        table = app.agents.table
        assert table.row_keys == ["boss", "crew.hand"]
        cell = table.cells("crew.hand")[0]
        assert "dim" in str(cell.style)  # greyed
        assert "no rig receives" in table.value("crew.hand", "note")
        app.agents.focus_target().focus()
        assert table.select_key("crew.hand")
        await pilot.pause()
        assert "crew.hand produces no session: rig-scope template no rig receives" in str(app.query_one("#why").content)
        notes = config_notes(app.driver.model.city)
        assert f"{len(notes)} config notes in Events" in app.agents.border_subtitle
        logged = event_texts(app, "warning")
        assert all(n in logged for n in notes)  # exactly the notes `config show` prints


# ---------------------------------------------------------------------------- sort, jump, copy
async def test_sort_by_a_column_by_key_and_by_header_click(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await settle(app, pilot)
        app.sessions.focus_target().focus()
        app.sessions.sort_by("session", reverse=True)
        app.refresh_view()
        await pilot.pause()
        assert app.sessions.table.row_keys == ["worker-gc-3", "refinery-gc-1"]
        assert "session ▼" in [str(c.label) for c in app.sessions.table.columns.values()]  # the header says so
        await pilot.press("O")  # reverse
        await settle(app, pilot)
        assert app.sessions.table.row_keys == ["refinery-gc-1", "worker-gc-3"]
        await pilot.press("o")  # the next column
        await settle(app, pilot)
        assert app.sessions.sort_column == "identity"
        table = app.sessions.table
        cols = list(table.columns.values())
        at = [str(c.key.value) for c in cols].index("session")
        x = sum(c.get_render_width(table) for c in cols[:at]) + 2
        await pilot.click(table, offset=(x, 0))  # the session column's header
        await settle(app, pilot)
        assert app.sessions.sort_column == "session"


async def test_jump_to_a_session_by_a_fuzzy_name_and_copy_it(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        app.agents.focus_target().focus()
        await pilot.press("colon")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"wkr3")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.focused_panel() is app.sessions and app.sessions.table.selected_key == "worker-gc-3"
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == "worker-gc-3"


# ---------------------------------------------------------------------------- settings: keymap, theme
async def test_the_keymap_rebinds_by_id_and_says_which_ids_it_does_not_know(small_driver):
    settings = Settings(path="", keymap={"step": "f5", "no_such_control": "f6"})
    app = CitywatchApp(small_driver, watch=False, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(app, pilot)
        assert app.driver.live.tick == 1
        assert any("no_such_control" in t for t in event_texts(app, "warning"))


async def test_a_theme_chosen_in_the_app_is_kept_in_the_settings_file(small_driver, tmp_path):
    from core.settings import load_settings

    path = tmp_path / "citywatch.toml"
    path.write_text("# mine\n[citywatch]\nbell = true\n")
    app = CitywatchApp(small_driver, watch=False, settings=load_settings(str(path)))
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        await pilot.pause()
    kept = load_settings(str(path))
    assert kept.theme == "nord" and kept.bell and path.read_text().startswith("# mine")
    again = CitywatchApp(open_scenario(str(FIXTURES / "small.toml")), watch=False, settings=kept)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "nord"


# ---------------------------------------------------------------------------- events re-wrap, errors
async def test_events_rewrap_when_the_terminal_is_resized(tmp_path):
    city = tmp_path / "city.toml"
    city.write_text('[workspace]\nname = "quay"\n\n[imports.far]\nsource = "https://example.com/' + "x" * 120
                    + '.git"\n')
    app = city_app(city)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        log = app.events_panel.log_widget
        wide = log.rows_text()
        await pilot.resize_terminal(110, 40)
        await pilot.pause(0.3)
        narrow = log.rows_text()
        assert len(narrow) > len(wide)  # the long line wraps onto more rows now
        assert max(len(r) for r in narrow) <= log.size.width
        await pilot.resize_terminal(200, 50)
        await pilot.pause(0.3)
        assert log.rows_text() == wide


async def test_a_config_error_on_disk_is_logged_in_events_once_and_its_fix_too(small_app):
    from core.config.errors import ConfigError

    class Verdict:
        def __init__(self, error):
            self.error = error
            self.errors = [error] if error is not None else []

    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        err = ConfigError("city.toml", "expected a value", line=3, col=5)
        for _ in range(2):  # the watcher reports the same broken file twice
            app._config_checked(Verdict(err))
            await pilot.pause()
        assert len([t for t in event_texts(app, "error") if t.startswith("config error: city.toml:3:5")]) == 1
        app._config_checked(Verdict(None))
        await pilot.pause()
        assert any("config error fixed" in t for t in event_texts(app, "config"))


# ---------------------------------------------------------------------------- refused keys say why
async def test_keys_of_the_other_mode_say_why_they_do_nothing(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")  # attach only
        await pilot.pause()
        assert any("only when attached to a live city" in n for n in notices(app))


async def test_attached_model_keys_say_the_view_is_read_only(tmp_path):
    from core.attach.session import AttachOptions, AttachSession
    from tests.attach.citykit import FIXTURE_BEADS, NOW, build_city
    from tui.attach_app import AttachApp

    if not FIXTURE_BEADS.is_file():
        pytest.skip(f"{FIXTURE_BEADS} is not present")
    kit = build_city(tmp_path, ticks=1)
    before = {p: p.read_bytes() for p in Path(kit.root).rglob("*") if p.is_file()}
    opts = AttachOptions(tmux_socket=str(tmp_path / "no-such-socket"), clock=lambda: NOW)
    app = AttachApp(AttachSession.open(str(kit.root), opts), watch=False, runtime_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        while not app.boards:
            await pilot.pause(0.05)
        app.clear_notifications()
        for key in ("K", "s", "space", "E", "left_square_bracket"):
            await pilot.press(key)
            await pilot.pause()
        said = [n for n in notices(app) if "read-only" in n]
        assert len(said) == 5, notices(app)
        assert any(n.startswith("not offered here: Kill") for n in said)
    assert {p: p.read_bytes() for p in Path(kit.root).rglob("*") if p.is_file()} == before
