"""Shared helpers for the Pilot tests: every app runs headless, paused, without a watcher
unless a test asks for one, and waits for its model worker before asserting."""

from __future__ import annotations

import os
import pathlib

import pytest

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
SMALL = str(FIXTURES / "small.toml")
SIZE = (160, 45)


async def settle(app, pilot) -> None:
    """Wait until every model call has finished and the screen has caught up."""
    await pilot.pause()
    pending = [w for w in app.workers if w.group != "config-watch"]  # the watcher never ends
    if pending:  # an empty list would mean "all workers" to wait_for_complete
        await app.workers.wait_for_complete(pending)
    await pilot.pause()


@pytest.fixture
def small_driver():
    from core.session.driver import open_scenario

    return open_scenario(SMALL)


@pytest.fixture
def small_app(small_driver):
    from tui.app import CitywatchApp

    return CitywatchApp(small_driver, watch=False)


def notices(app) -> list[str]:
    """The texts of the notifications the app has raised and not yet dropped (titles included)."""
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def laid_out(app, pilot, rounds: int = 12) -> None:
    """Wait until the layout has settled: the panels sized to what their tables now hold, and every
    table on screen fitted to its size (each pass may change what a table asks for)."""
    from tui.widgets.keyed_table import KeyedTable

    for _ in range(rounds):
        await pilot.pause()
        app.refresh_view()
        await pilot.pause()
        if not app.relayout():
            break
    for _ in range(rounds):
        await pilot.pause()
        app._refit_tables()
        await pilot.pause()
        if all(t.fitted for t in app.query(KeyedTable) if t.display and t.size.width and t.row_count):
            break


async def steady(app, pilot, rounds: int = 6) -> None:
    """`laid_out`, again until two pictures in a row are the same (a busy machine may deliver a
    last resize or refresh after the first pass)."""
    import re

    def picture() -> str:
        return re.sub(r"terminal-\d+", "", app.export_screenshot())

    await laid_out(app, pilot)
    before = picture()
    for _ in range(rounds):
        await laid_out(app, pilot)
        now = picture()
        if now == before:
            return
        before = now
