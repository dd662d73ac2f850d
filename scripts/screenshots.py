"""Make the README's screenshots from real, headless runs of the app on the demo city.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]     (default: screenshots/)

Each picture is a scripted session: the same keys an operator would press, so the pictures
show what the app really does. The error-banner picture edits a copy of the demo city in a
temporary directory, through the real file watcher. The attach picture opens `--attach` on a
live-looking city the attach tests build from Gas City's fixture files (tests/fixtures/gascity/state).
The two API attach pictures open `--attach URL` on the attach tests' supervisor (a real HTTP
server on the loopback interface serving the same city through Gas City's API shapes): its city
picker, then the city attached through the API with an event arriving on the stream.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))  # the test kits import their fixture paths
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from core.demo import DEMO_DIR, DemoScript, open_demo  # noqa: E402
from core.session.driver import open_scenario  # noqa: E402
from tui.app import CitywatchApp  # noqa: E402

SIZE = (180, 48)


async def settle(app, pilot) -> None:
    await pilot.pause()
    pending = [w for w in app.workers if w.group != "config-watch"]
    if pending:
        await app.workers.wait_for_complete(pending)
    await pilot.pause()


async def press_steps(app, pilot, n: int) -> None:
    for _ in range(n):
        await pilot.press("s")
        await settle(app, pilot)


async def laid_out(app, pilot) -> None:
    """The highlight of the last step over, the panels sized to what they now hold, and every
    table fitted to its size."""
    from tui.widgets.keyed_table import KeyedTable

    if isinstance(app, CitywatchApp):  # the attach apps highlight no step
        app._end_highlight()
    await settle(app, pilot)
    for _ in range(12):
        app.refresh_view()
        await pilot.pause()
        if not app.relayout():
            break
    for _ in range(12):
        await pilot.pause()
        app._refit_tables()
        await pilot.pause()
        if all(t.fitted for t in app.query(KeyedTable) if t.display and t.size.width and t.row_count):
            break


def save(app, out: str, name: str, title: str) -> str:
    path = os.path.join(out, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(app.export_screenshot(title=title))
    return path


async def main_screen(out: str) -> str:
    app = CitywatchApp(open_demo(), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await press_steps(app, pilot, 8)
        app.sessions.table.select_key("witness-gc-5")
        await laid_out(app, pilot)
        return save(app, out, "demo-main.svg", "citywatch: the demo city, tick 8")


async def small_screen(out: str) -> str:
    app = CitywatchApp(open_demo(), watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_steps(app, pilot, 8)
        await laid_out(app, pilot)
        return save(app, out, "demo-80x24.svg", "citywatch at 80x24: one panel at a time, tabs to the others")


async def loop_alarm(out: str) -> str:
    app = CitywatchApp(open_demo(), watch=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await press_steps(app, pilot, 3)
        for _ in range(8):  # mayor's agent dies right after every wake
            if any(a.kind == "quarantine" for a in app.driver.live.loops.alarms):
                break
            rt = app.driver.model.world.runtime.get("mayor")
            if rt is not None and rt.process_alive:
                app.sessions.focus_target().focus()
                app.sessions.table.select_key("mayor")
                await pilot.press("X")
                await settle(app, pilot)
            await press_steps(app, pilot, 1)
        app.sessions.table.select_key("mayor")
        await laid_out(app, pilot)
        return save(app, out, "loop-alarm.svg", "citywatch: a crash loop, quarantined, in every panel")


async def scenario_checks(out: str) -> str:
    app = CitywatchApp(open_scenario(os.path.join(ROOT, "tests", "tui", "fixtures", "checked.toml")), watch=False)
    async with app.run_test(size=(140, 36)) as pilot:
        await press_steps(app, pilot, 2)
        app.panel("checks").focus_target().focus()
        await laid_out(app, pilot)
        return save(app, out, "scenario-checks.svg", "citywatch --scenario: each expectation checked as its step runs")


async def why_deferred(out: str) -> str:
    app = CitywatchApp(open_demo(), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await press_steps(app, pilot, 3)
        await pilot.press("left_square_bracket", "left_square_bracket")  # back to tick 1
        await settle(app, pilot)
        app.sessions.table.select_key("refinery-gc-1")
        app.panel("why").focus_target().focus()
        await laid_out(app, pilot)
        return save(app, out, "why-deferred-singleton.svg", "citywatch: why the refinery's alias is deferred")


async def deferrals_panel(out: str) -> str:
    app = CitywatchApp(open_demo(), watch=False)
    async with app.run_test(size=(140, 14)) as pilot:
        await press_steps(app, pilot, 1)
        app.panel("deferrals").focus_target().focus()
        await pilot.press("z")
        await laid_out(app, pilot)
        return save(app, out, "deferrals-panel.svg", "citywatch: the Deferrals panel")


async def error_banner(out: str) -> str:
    tmp = os.path.join(tempfile.gettempdir(), "citywatch-demo")
    shutil.rmtree(tmp, ignore_errors=True)
    harbor = os.path.join(tmp, "harbor")
    shutil.copytree(DEMO_DIR, harbor)
    driver = open_scenario(os.path.join(harbor, "demo.toml"), script=DemoScript())
    app = CitywatchApp(driver, watch=True, watch_debounce_ms=50)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await press_steps(app, pilot, 4)
            city = os.path.join(harbor, "city.toml")
            with open(city) as f:
                text = f.read()
            bad = text.replace("max_active_sessions = 4", "max_active_sessions = 4,")
            with open(city + ".swp", "w") as f:
                f.write(bad)
            os.replace(city + ".swp", city)
            deadline = time.monotonic() + 10
            while app.config_error is None:
                if time.monotonic() > deadline:
                    raise SystemExit("the watcher never reported the bad edit")
                await pilot.pause(0.05)
            await press_steps(app, pilot, 1)  # the model keeps running on the last good config
            await laid_out(app, pilot)
            return save(app, out, "error-banner.svg", "citywatch: a bad edit, and the model keeps running")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def attach_screen(out: str) -> list[str]:
    from pathlib import Path

    from core.attach.session import AttachOptions, AttachSession
    from tests.attach.citykit import FIXTURE_BEADS, NOW, build_city
    from tui.attach_app import AttachApp
    from tui.widgets.drift import DriftPanel

    if not FIXTURE_BEADS.is_file():
        print(f"skipped the attach pictures: {FIXTURE_BEADS} is not present", file=sys.stderr)
        return []
    tmp = tempfile.mkdtemp(prefix="citywatch-attach-")
    try:
        kit = build_city(Path(tmp), ticks=2)
        opts = AttachOptions(tmux_socket=os.path.join(tmp, "no-such-socket"), clock=lambda: NOW)
        shots = []
        for size, name, title in ((SIZE, "attach-live-city.svg", "citywatch --attach: a live city, read-only"),
                                  ((80, 24), "attach-80x24.svg", "citywatch --attach at 80x24")):
            app = AttachApp(AttachSession.open(str(kit.root), opts), watch=False, runtime_interval=0)
            async with app.run_test(size=size) as pilot:
                deadline = time.monotonic() + 10
                while not app.boards:
                    if time.monotonic() > deadline:
                        raise SystemExit("the attached app never showed the city")
                    await pilot.pause(0.05)
                app.clear_notifications()
                drift = app.query_one(DriftPanel)
                if size == SIZE:
                    drift.focus_target().focus()
                    drift.table.select_key("undesired:fixture--oldagent:gc-5")
                await laid_out(app, pilot)
                shots.append(save(app, out, name, title))
        return shots
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def api_attach_screens(out: str) -> list[str]:
    """The city picker of `--attach URL`, and a city attached through the supervisor's API."""
    from pathlib import Path

    sys.path.insert(0, os.path.join(ROOT, "tests", "attach"))
    from citykit import NOW
    from supervisorkit import Supervisor, fixture_city

    from core.attach.api.client import ApiTarget, SupervisorClient
    from core.attach.api.session import ApiAttachSession, list_cities
    from core.attach.session import AttachOptions
    from tui.api_attach_app import ApiAttachApp
    from tui.screens.city_picker import CityPickerScreen

    tmp = tempfile.mkdtemp(prefix="citywatch-api-")
    stopped = fixture_city("billing")
    stopped.running, stopped.status_text = False, "init_failed"
    stopped.error = "city.toml:12: agent[3].max_active_sessions: not an integer"
    cities = [fixture_city("fixture", provider="k8s"), stopped, fixture_city("staging", provider="subprocess")]
    shots = []
    sup = Supervisor(cities, Path(tmp))
    try:
        try:
            sup.start(8372)  # Gas City's default supervisor port, when free: the same URL in every picture
        except OSError:
            sup.start()
        target = ApiTarget(sup.url, timeout=5)

        def lister():
            client = SupervisorClient(target)
            try:
                return list_cities(client)
            finally:
                client.close()

        def opener(name):
            return ApiAttachSession.open(target, name, AttachOptions(clock=lambda: NOW))

        app = ApiAttachApp(sup.url, opener, lister, runtime_interval=0, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 10
            while not (isinstance(app.screen, CityPickerScreen) and app.screen.loaded):
                if time.monotonic() > deadline:
                    raise SystemExit("the city picker never showed the cities")
                await pilot.pause(0.05)
            table = app.screen.query_one("#picker-table")
            table.move_cursor(row=table.get_row_index("fixture"))
            await settle(app, pilot)
            shots.append(save(app, out, "attach-api-city-picker.svg",
                              "citywatch --attach URL: the supervisor's cities"))
            await pilot.press("enter")
            while app.board is None or app.board.header.city != "fixture":
                if time.monotonic() > deadline + 10:
                    raise SystemExit("the API attach never showed the city")
                await pilot.pause(0.05)
            sup.add_event("fixture", "session.woke", subject="fixture/worker-1", session_id="gc-1")
            while "#108" not in "\n".join(app.events_panel.shown_text):
                app.request_poll(["stream"])  # what the stream watcher does (off here: `settle` waits for workers)
                if time.monotonic() > deadline + 20:
                    raise SystemExit("the streamed event never reached Events")
                await pilot.pause(0.05)
            await settle(app, pilot)
            shots.append(save(app, out, "attach-api-live-city.svg",
                              "citywatch --attach URL: a city through the supervisor's API, read-only"))
    finally:
        sup.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return shots


async def run(out: str) -> list[str]:
    os.makedirs(out, exist_ok=True)
    shots = [await main_screen(out), await small_screen(out), await why_deferred(out), await deferrals_panel(out),
             await error_banner(out), await loop_alarm(out), await scenario_checks(out)]
    return shots + await attach_screen(out) + [p for p in await api_attach_screens(out) if p]


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "screenshots")
    for p in asyncio.run(run(target)):
        print(p)
