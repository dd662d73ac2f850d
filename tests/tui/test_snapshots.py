"""SVG snapshots of whole screens (pytest-textual-snapshot; update with --snapshot-update).

The demo and the attached city are shown at three sizes each (80x24: one panel at a time with
tabs; 120x40 and 200x60: the grid), paused and stepped by keys so every picture is the same on
every run. A few more show the small fixture scenario: the main screen, the Why panel on a
deferred bead, the help screen and a zoomed panel on a narrow terminal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.demo import open_demo
from core.session.driver import open_scenario
from tests.tui.conftest import laid_out, settle, steady
from tui.app import CitywatchApp

FIXTURE = "tests/tui/fixtures/small.toml"
SIZES = [(80, 24), (120, 40), (200, 60)]


def app() -> CitywatchApp:
    return CitywatchApp(open_scenario(FIXTURE), watch=False)


def test_main_screen(snap_compare):
    assert snap_compare(app(), terminal_size=(160, 45), run_before=laid_out_before)


def test_why_on_a_deferred_bead(snap_compare):
    async def select(pilot):
        pilot.app.sessions.table.select_key("refinery-gc-2")
        await laid_out(pilot.app, pilot)

    assert snap_compare(app(), terminal_size=(160, 45), run_before=select)


def test_help_for_the_sessions_panel(snap_compare):
    assert snap_compare(app(), press=["question_mark"], terminal_size=(120, 40))


def test_narrow_terminal_with_zoomed_deferrals(snap_compare):
    assert snap_compare(app(), press=["3", "z"], terminal_size=(80, 16))


async def laid_out_before(pilot) -> None:
    await laid_out(pilot.app, pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_demo(snap_compare, size):
    async def stepped(pilot):
        a = pilot.app
        for _ in range(8):
            await pilot.press("s")
            await settle(a, pilot)
        a._end_highlight()  # the moment's highlight would depend on timing
        await settle(a, pilot)
        await steady(a, pilot)

    assert snap_compare(CitywatchApp(open_demo(), watch=False), terminal_size=size, run_before=stepped)


@pytest.fixture
def attached():
    import shutil
    import tempfile

    from core.attach.session import AttachOptions, AttachSession
    from tests.attach.citykit import FIXTURE_BEADS, NOW, build_city
    from tui.attach_app import AttachApp

    if not FIXTURE_BEADS.is_file():
        pytest.skip(f"{FIXTURE_BEADS} is not present")
    # the config revision hashes the city's path: the same path every run keeps the picture the same
    tmp_path = Path(tempfile.gettempdir()) / "citywatch-snapshot-city"
    shutil.rmtree(tmp_path, ignore_errors=True)
    tmp_path.mkdir()
    kit = build_city(tmp_path, ticks=2)
    stamp = NOW.timestamp()
    for p in Path(kit.root).rglob("*"):  # the header says when the beads changed: a fixed time
        os.utime(p, (stamp, stamp))
    opts = AttachOptions(tmux_socket=str(tmp_path / "no-such-socket"), clock=lambda: NOW)
    yield AttachApp(AttachSession.open(str(kit.root), opts), watch=False, runtime_interval=0)
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_attached(snap_compare, attached, size):
    async def shown(pilot):
        a = pilot.app
        while not a.boards or a.board.header.drift_stale or a.settle.pending or a._polling:
            await pilot.pause(0.05)  # the first picture, with drift computed: nothing more is coming
        a.clear_notifications()
        await steady(a, pilot)

    assert snap_compare(attached, terminal_size=size, run_before=shown)
