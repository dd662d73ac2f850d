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
    from core.driver import open_scenario

    return open_scenario(SMALL)


@pytest.fixture
def small_app(small_driver):
    from tui.app import CitywatchApp

    return CitywatchApp(small_driver, watch=False)
