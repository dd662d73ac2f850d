"""What an operator walking through the app hit: keys and states that were hidden on common
terminal sizes, pokes that failed as errors, empty panels with the wrong advice, and reloads
that did not say what they changed."""

from __future__ import annotations

from factories import city_app, write_city

from core.session.reload import load
from tests.tui.conftest import SIZE, settle
from tui.app import CitywatchApp
from tui.widgets.events import EventLog
from tui.widgets.status import StatusBar

CITY = """[workspace]
name = "quay"
max_active_sessions = 2

[[agent]]
name = "worker"
dir = "quay"
max_active_sessions = 2
"""


def _app(tmp_path, text: str = CITY) -> CitywatchApp:
    return city_app(write_city(tmp_path, text))


def notes(app) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


def recorded_notes(app) -> list[str]:
    """Every notification the app raises from now on, kept: a toast expires after a few seconds,
    which a loaded machine can spend between a key and the assertion."""
    seen: list[str] = []
    notify = app.notify

    def record(message, *, title="", **options):
        seen.append(f"{title} {message}")
        return notify(message, title=title, **options)

    app.notify = record
    return seen


async def select(app, pilot, key: str) -> None:
    app.sessions.focus_target().focus()
    assert app.sessions.table.select_key(key), app.sessions.table.row_keys
    await pilot.pause()


async def test_time_travel_is_visible_on_a_100_column_terminal(small_app):
    app = small_app
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s", "s")
        await settle(app, pilot)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        await settle(app, pilot)
        bar = app.query_one(StatusBar)
        text = str(bar.content)
        assert text.index("viewing step") < 40  # before the city, revision and clock
        assert bar.region.height == 1 and "tick" in text and "dock" in text  # one line: it never shifts the panels
        assert "paused" in bar.full_text  # what did not fit is in the help screen
        await pilot.press("L")
        await settle(app, pilot)
        assert app.query_one(StatusBar).region.height == 1 and "viewing" not in str(app.query_one(StatusBar).content)


async def test_the_footer_shows_step_run_and_help_at_100_columns(small_app):
    from textual.widgets._footer import FooterKey

    app = small_app
    async with app.run_test(size=(100, 30)) as pilot:
        app.sessions.focus_target().focus()
        await pilot.pause()
        visible = {k.key for k in app.screen.query(FooterKey) if k.region.right <= 100 and k.region.width}
        assert {"s", "space", "question_mark"} <= visible, visible


async def test_a_zoomed_panel_keeps_its_right_border_on_screen(small_app):
    app = small_app
    async with app.run_test(size=SIZE) as pilot:
        for key in ("4", "3"):  # Trackers, Deferrals
            await pilot.press(key, "z")
            await pilot.pause()
            panel = app.screen.maximized
            assert panel is not None and panel.region.right == SIZE[0], (key, panel.region)
            await pilot.press("z")
            await pilot.pause()


async def test_kill_or_crash_without_a_runtime_is_refused_with_a_warning(small_app):
    app = small_app
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select(app, pilot, "worker-gc-3")
        await pilot.press("K")
        await settle(app, pilot)
        steps = app.driver.live.index
        seen = recorded_notes(app)
        for key in ("X", "K", "a", "D"):
            await pilot.press(key)
            await settle(app, pilot)
        assert app.driver.live.index == steps  # nothing was recorded
        assert not app.last_error and "last step failed" not in str(app.query_one(StatusBar).content)
        assert any("crash: worker-gc-3 has no runtime session" in n for n in seen), seen


async def test_scale_check_on_a_template_without_one_says_it_is_not_read(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("1", "n")
        await pilot.pause()
        assert any("quay/worker has no scale_check in its config" in n for n in notes(app)), notes(app)


async def test_empty_sessions_panel_gives_advice_that_fits_the_city(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert "s: step a tick" in app.sessions.border_subtitle
        await pilot.press("s", "s")
        await settle(app, pilot)
        assert "nothing is desired (w on a template adds work)" in app.sessions.border_subtitle
        assert app.agents.border_subtitle == "1 agent"
    empty = _app(tmp_path, '[workspace]\nname = "bare"\n')
    async with empty.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await settle(empty, pilot)
        assert "the config defines no agents" in empty.sessions.border_subtitle


async def test_a_reload_that_changes_only_city_settings_says_which(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        (tmp_path / "city.toml").write_text(CITY.replace("max_active_sessions = 2\n\n", "max_active_sessions = 1\n\n"))
        loaded = load(str(tmp_path / "city.toml"))
        assert loaded.ok
        app.submit(lambda: app.driver.reload(loaded.city, loaded.source))
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        text = "\n".join(ln.text for ln in app.driver.lines())
        assert "config edit queued" in text and "workspace.max_active_sessions 2 → 1" in text
        assert "config reloaded" in text and "no agent changes" not in text


async def test_long_event_lines_wrap_instead_of_being_cut(tmp_path):
    long_name = "w" * 150
    app = _app(tmp_path, CITY + f'\n[imports.{long_name[:20]}]\nsource = "https://example.com/{long_name}.git"\n')
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        rows = log.rows_text()
        shown = "".join(rows)
        assert "not fetched" in shown and long_name in shown.replace(" ", "")
        assert max(len(r) for r in rows) <= log.size.width  # nothing runs off the right
