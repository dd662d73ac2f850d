"""Hot reload through the real watcher: files are saved the way editors save them (a temporary
file renamed over the original) and the tests poll, with a deadline, until the app has seen it."""

from __future__ import annotations

import os
import time

import pytest
from factories import city_app, write_city

from core.session.reload import load, watch_targets
from tests.tui.conftest import SIZE, settle
from tui.widgets.status import Banner

CITY = """[workspace]
name = "quay"

[[agent]]
name = "worker"
dir = "quay"
max_active_sessions = 2
"""


def save(path, text: str) -> None:
    tmp = str(path) + ".swp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


async def wait_for(pilot, cond, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await pilot.pause(0.05)


@pytest.fixture
def city(tmp_path):
    return write_city(tmp_path, CITY)


def test_watch_targets_cover_every_file_the_loader_read(tmp_path):
    (tmp_path / "frag.toml").write_text('[[agent]]\nname = "extra"\n')
    (tmp_path / "city.toml").write_text('include = ["frag.toml"]\n' + CITY)
    loaded = load(str(tmp_path))
    assert loaded.ok, loaded.error
    dirs, files = watch_targets(loaded.city)
    assert dirs == [str(tmp_path)]
    assert files == {str(tmp_path / "city.toml"), str(tmp_path / "frag.toml")}


async def test_an_edit_is_queued_then_applied_at_the_next_tick(city):
    app = city_app(city, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        old_rev = app.driver.model.city.revision
        save(city, CITY + '\n[[agent]]\nname = "scout"\ndir = "quay"\n')
        await wait_for(pilot, lambda: app.driver.model.pending_city is not None, "the reload to be queued")
        await settle(app, pilot)
        assert app.driver.model.city.revision == old_rev  # not yet: Gas City applies it at the next tick
        assert any("config edit queued" in ln.text and "added quay/scout" in ln.text for ln in app.driver.lines())
        assert "reload queued" in str(app.query_one("#status").content)
        await pilot.press("s")
        await settle(app, pilot)
        assert app.driver.model.city.revision != old_rev
        assert "quay/scout" in app.agents.table.row_keys
        assert any(ln.kind == "config" and "config reloaded" in ln.text for ln in app.driver.lines())


async def test_a_bad_edit_shows_a_located_banner_until_it_is_fixed(city):
    app = city_app(city, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        banner = app.query_one(Banner)
        assert not banner.display
        good_rev = app.driver.model.city.revision
        save(city, CITY.replace("max_active_sessions = 2", "max_active_sessions = = 2"))
        await wait_for(pilot, lambda: app.config_error is not None, "the bad config to be reported")
        await pilot.pause()
        assert banner.display
        text = str(banner.content)
        assert f"{city}:7:" in text and good_rev[:8] in text
        errors = [ln for ln in app.driver.lines() if ln.kind == "error"]  # and one Events line says it
        assert len(errors) == 1 and errors[0].text.startswith("config error: ") and ":7:" in errors[0].text
        await pilot.press("s")  # the model keeps running on the last good config
        await settle(app, pilot)
        assert app.driver.live.tick == 1 and app.driver.model.city.revision == good_rev
        seen = app.reloads
        save(city, CITY.replace("max_active_sessions = 2", "max_active_sessions = 3"))
        await wait_for(pilot, lambda: app.reloads > seen and app.config_error is None, "the fix to be picked up")
        await settle(app, pilot)
        assert not banner.display
        assert any("changed quay/worker" in ln.text for ln in app.driver.lines())


async def test_a_reload_gas_city_refuses_keeps_the_last_good_config_and_shows_every_reason(city):
    """The edit parses, but a controller reload refuses it: an unknown key (strict mode) and two
    agents with one name (ValidateAgents). Both reasons are shown, each with its file and line."""
    app = city_app(city, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        good_rev = app.driver.model.city.revision
        save(city, CITY.replace("max_active_sessions = 2", "max_active_session = 2")
             + '\n[[agent]]\nname = "worker"\ndir = "quay"\n')
        await wait_for(pilot, lambda: app.config_error is not None, "the refusal to be reported")
        await pilot.pause()
        text = str(app.query_one(Banner).content)
        assert "config refused (2 reasons)" in text and good_rev[:8] in text
        assert f'{city}: agent[0].max_active_session: strict: unknown field "agent.max_active_session"' in text
        assert "(line 7)" in text
        assert f'{city}: agent[1].name: agent "quay/worker": duplicate name' in text and "(line 10)" in text
        await pilot.press("s")
        await settle(app, pilot)
        assert app.driver.model.city.revision == good_rev and app.driver.model.pending_city is None


async def test_an_edit_shows_its_what_if_plan_before_it_is_applied(city):
    """The watcher saw an edit: Events and the status line say what it will do before the next
    tick applies it, and P shows the same plan as `citywatch plan`."""
    from tui.screens.plan import PlanScreen

    city.write_text(CITY.replace('max_active_sessions = 2', 'max_active_sessions = 2\nmin_active_sessions = 2'))
    app = city_app(city, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("P")  # nothing edited yet: it says so instead of an empty plan
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
        for _ in range(2):
            await pilot.press("s")
            await settle(app, pilot)
        save(city, CITY + '\n[[agent]]\nname = "scout"\ndir = "quay"\nmax_active_sessions = 1\n'
                          'min_active_sessions = 1\n')
        await wait_for(pilot, lambda: app.last_plan is not None, "the what-if plan")
        await settle(app, pilot)
        assert app.driver.model.pending_city is not None  # still queued: nothing applied yet
        lines = [ln.text for ln in app.driver.lines() if ln.text.startswith(("what if", "  "))]
        assert any("what if" in t and "Plan: 1 to create, 0 to drain" in t for t in lines)
        assert any("+ create quay/scout" in t for t in lines)
        # the running workers stay: a lower min_active_sessions never drains a live session
        assert not any(t.startswith("  -") for t in lines)
        assert "reload queued: touches 1 session)" in str(app.query_one("#status").content)
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        shown = str(app.screen.query_one("#plan-text").content)
        assert "agent quay/scout" in shown and "because demand.min_fill" in shown
        await pilot.press("escape")
        await pilot.press("s")
        await settle(app, pilot)
        assert app.driver.model.pending_city is None
        assert "touches" not in str(app.query_one("#status").content)
