"""A suspended city, rig or agent is shown as such: the status line names what suspends the city
and the Agents panel marks every agent it suspends (the suspension itself is core's verdict,
core/world/suspension.py); the Why panel gives a sleeping session its REASON."""

from __future__ import annotations

from factories import NAMED_MAYOR_IDENTITY, named_mayor_scenario, scenario_app

from tests.tui.conftest import SIZE, settle
from tui.app import CitywatchApp
from tui.widgets.status import StatusBar

ASLEEP_MAYOR = NAMED_MAYOR_IDENTITY + 'state = "asleep"\n'
SCENARIO = named_mayor_scenario("a named mayor", ASLEEP_MAYOR, workspace="suspended_on_start = {suspended}\n")


def _app(tmp_path, suspended: str) -> CitywatchApp:
    return scenario_app(tmp_path, SCENARIO.format(suspended=suspended))


async def test_a_suspended_city_is_shown_in_the_header_the_agents_panel_and_why(tmp_path):
    app = _app(tmp_path, "true")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await settle(app, pilot)
        assert "City suspended ([workspace] suspended_on_start)" in str(app.query_one(StatusBar).content)
        cells = [str(app.agents.table.get_row_at(i)[0]) for i in range(app.agents.table.row_count)]
        assert any("mayor (suspended)" in c for c in cells), cells
        app.sessions.focus_target().focus()
        assert app.sessions.table.select_key(app.sessions.table.row_keys[0]), app.sessions.table.row_keys
        await settle(app, pilot)
        assert "REASON suspended" in str(app.query_one("#why").content)


async def test_a_running_city_shows_no_suspension(tmp_path):
    app = _app(tmp_path, "false")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "suspended" not in str(app.query_one(StatusBar).content).lower()
        cells = [str(app.agents.table.get_row_at(i)[0]) for i in range(app.agents.table.row_count)]
        assert not any("(suspended)" in c for c in cells), cells


PARTS = """
name = "a rig and an agent"
start = "2026-05-16T12:00:00Z"

[city.workspace]
name = "test-city"

[[city.rigs]]
name = "repo"
path = "/tmp/repo"
suspended = {rig}

[[city.agent]]
name = "builder"
dir = "repo"

[[city.agent]]
name = "mayor"
suspended = {agent}

[[city.agent]]
name = "helper"

[[city.named_session]]
template = "mayor"
mode = "always"

[[session]]
id = "gc-1"
[session.metadata]
""" + ASLEEP_MAYOR + "{mayor}\n"


async def _parts_app(tmp_path, pilot_fn, *, rig="false", agent="false", mayor=""):
    app = scenario_app(tmp_path, PARTS.format(rig=rig, agent=agent, mayor=mayor))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        cells = {str(app.agents.table.get_row_at(i)[0]) for i in range(app.agents.table.row_count)}
        await pilot_fn(app, pilot, str(app.query_one(StatusBar).content), cells)


async def test_a_suspended_rig_is_named_in_the_header_and_marks_its_agents(tmp_path):
    async def check(app, pilot, header, cells):
        assert "rig repo suspended" in header
        assert any("repo/builder (suspended)" in c for c in cells), cells
        assert not any(c.startswith("helper (suspended)") or "mayor (suspended)" in c for c in cells), cells
    await _parts_app(tmp_path, check, rig="true")


async def test_a_suspended_agent_is_marked_in_the_agents_panel_and_its_session_says_why(tmp_path):
    async def check(app, pilot, header, cells):
        assert "suspended" not in header.lower()  # the city and its rigs are not suspended
        assert any("mayor (suspended)" in c for c in cells), cells
        assert not any("builder (suspended)" in c for c in cells), cells
        app.sessions.focus_target().focus()
        assert app.sessions.table.select_key(app.sessions.table.row_keys[0])
        await settle(app, pilot)
        assert "REASON suspended" in str(app.query_one("#why").content)
    await _parts_app(tmp_path, check, agent="true")


async def test_an_open_circuit_shows_its_reset_hint_in_why(tmp_path):
    async def check(app, pilot, header, cells):
        app.sessions.focus_target().focus()
        assert app.sessions.table.select_key(app.sessions.table.row_keys[0])
        await settle(app, pilot)
        why = " ".join(str(app.query_one("#why").content).split())
        assert "REASON circuit-open" in why and "gc session reset mayor" in why, why
    await _parts_app(tmp_path, check, mayor='session_circuit_state = "CIRCUIT_OPEN"')
