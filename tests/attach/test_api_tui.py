"""`citywatch --attach URL`: the city picker, the attach panels over a city of the test supervisor
(supervisorkit), switching cities while the app keeps running, events arriving through the
stream, and a supervisor that goes away leaving the last view on screen marked stale."""

from __future__ import annotations

import random
import time

import pytest
from citykit import NOW
from supervisorkit import Supervisor, fixture_city, not_allowed

from core.attach.api.client import ApiTarget, SupervisorClient
from core.attach.api.session import ApiAttachSession, list_cities
from core.attach.api.stream import STOPPED, Backoff
from core.attach.session import AttachOptions
from tui.api_attach_app import ApiAttachApp
from tui.commands import API, ATTACH, controls
from tui.screens.city_picker import CityPickerScreen
from tui.widgets.attach_panels import AttachStatusBar
from tui.widgets.status import Banner

SIZE = (160, 45)


@pytest.fixture
def supervisor(tmp_path):
    stopped = fixture_city("beta")
    stopped.running, stopped.error, stopped.status_text = False, "city.toml: parse error", "init_failed"
    with Supervisor([fixture_city(), stopped, fixture_city("gamma")], tmp_path) as sup:
        yield sup
        assert not_allowed(sup.gets()) == []


def make_app(sup: Supervisor, **kw) -> ApiAttachApp:
    target = ApiTarget(sup.url, timeout=5, stream_idle=5)
    opened: list[ApiAttachSession] = []

    def opener(name: str) -> ApiAttachSession:
        s = ApiAttachSession.open(target, name, AttachOptions(clock=lambda: NOW),
                                  backoff=Backoff(initial=0.05, maximum=0.2, jitter=0.0), rng=random.Random(0))
        opened.append(s)
        return s

    def lister():
        client = SupervisorClient(target)
        try:
            return list_cities(client)
        finally:
            client.close()

    kw.setdefault("runtime_interval", 0)
    app = ApiAttachApp(sup.url, opener, lister, watch_debounce_ms=50, **kw)
    app.opened = opened  # type: ignore[attr-defined]
    return app


async def until(pilot, cond, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def header(app) -> str:
    return str(app.query_one(AttachStatusBar).content)


def events(app) -> str:
    return "\n".join(app.events_panel.shown_text)


async def pick(app, pilot, name: str) -> None:
    screen = app.screen
    assert isinstance(screen, CityPickerScreen)
    await until(pilot, lambda: screen.loaded, "the city list")
    table = screen.query_one("#picker-table")
    table.move_cursor(row=table.get_row_index(name))
    await pilot.press("enter")


async def test_the_picker_lists_the_cities_and_switching_keeps_the_app_running(supervisor) -> None:
    app = make_app(supervisor)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CityPickerScreen) and app.screen.loaded, "the picker")
        table = app.screen.query_one("#picker-table")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows == [["beta", "stopped", "init_failed", "city.toml: parse error"],
                        ["fixture", "running", "ok", ""], ["gamma", "running", "ok", ""]]
        await pick(app, pilot, "fixture")
        await until(pilot, lambda: app.board is not None and app.board.header.city == "fixture", "fixture's panels")
        assert "events: stream live" in header(app) or "stream connecting" in header(app)
        assert "runtime (api): 2 running" in header(app)
        assert app.sessions.table.row_count == 5
        supervisor.add_event("fixture", subject="fixture/worker-9", session_id="gc-1")
        await until(pilot, lambda: "#108" in events(app), "the streamed event in Events")
        first = app.opened[0]
        await pilot.press("C")
        await pick(app, pilot, "gamma")
        await until(pilot, lambda: app.board is not None and app.board.header.city == "gamma", "gamma's panels")
        assert app.switches == 2 and app.is_running
        await until(pilot, lambda: first.stream_status.phase == STOPPED, "the first city's stream to stop")
        assert "fixture/worker-9" not in events(app)  # the new city's feed, not the old one's


async def test_escape_on_the_first_picker_leaves_and_later_goes_back(supervisor) -> None:
    app = make_app(supervisor)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CityPickerScreen) and app.screen.loaded, "the picker")
        await pick(app, pilot, "gamma")
        await until(pilot, lambda: app.board is not None, "gamma's panels")
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, CityPickerScreen), "the picker again")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CityPickerScreen), "back to the panels")
        assert app.board.header.city == "gamma" and app.is_running
    app = make_app(supervisor)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CityPickerScreen), "the picker")
        await pilot.press("escape")
        await until(pilot, lambda: not app.is_running, "the app to leave")


async def test_a_supervisor_that_goes_away_leaves_the_view_marked_stale(supervisor) -> None:
    app = make_app(supervisor, runtime_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CityPickerScreen) and app.screen.loaded, "the picker")
        await pick(app, pilot, "fixture")
        await until(pilot, lambda: app.board is not None and app.board.header.city == "fixture", "the panels")
        rows = app.sessions.table.row_count
        supervisor.stop()
        banner = app.query_one(Banner)
        await until(pilot, lambda: banner.display and "has not answered" in str(banner.content), "the stale banner")
        assert "STALE" in header(app) and "RECONNECTING" in header(app)
        assert app.sessions.table.row_count == rows  # the last view stays on screen


async def test_the_city_picker_is_offered_only_on_a_supervisor() -> None:
    assert [c.id for c in controls(API) if c not in controls(ATTACH)] == ["cities"]
    assert "pick_city" in {b.action for b in ApiAttachApp.BINDINGS}
    from tui.attach_app import AttachApp

    assert "pick_city" not in {b.action for b in AttachApp.BINDINGS}


async def test_a_city_that_cannot_be_opened_says_why_and_the_picker_stays(supervisor) -> None:
    app = make_app(supervisor)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CityPickerScreen) and app.screen.loaded, "the picker")
        del supervisor.cities["gamma"]  # gone between the list and the pick
        await pick(app, pilot, "gamma")
        await until(pilot, lambda: any("runs no city named 'gamma'" in str(n.message) for n in app._notifications),
                    "the notification")
        await until(pilot, lambda: isinstance(app.screen, CityPickerScreen), "the picker again")
        assert app.state is None


async def test_hostile_names_and_errors_are_shown_escaped(tmp_path) -> None:
    """A supervisor is input like any other: a city name and error with terminal escapes and
    markup are shown escaped in the picker, and attaching to an unrequestable name says why."""
    evil = fixture_city("evil")
    evil.name = "ev[b]il\x1b[2J"
    evil.error = "[red]boom\x07\u202e"
    with Supervisor([fixture_city(), evil], tmp_path) as sup:
        app = make_app(sup)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, CityPickerScreen) and app.screen.loaded, "the picker")
            table = app.screen.query_one("#picker-table")
            cells = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
            assert "ev[b]il\\x1b[2J" in cells and "[red]boom\\x07\\u202e" in cells
            assert not any("\x1b" in c or "\x07" in c for c in cells)
            await pick(app, pilot, evil.name)
            await until(pilot, lambda: any("cannot read this city" in str(n.message) for n in app._notifications),
                        "the refusal")
            assert app.is_running
        assert not_allowed(sup.gets()) == []
