"""A few SVG snapshots of whole screens (pytest-textual-snapshot; update with --snapshot-update).

They use the small fixture scenario opened by a relative path, before any tick, so what they
show depends on the panels and the plan, not on the reconciler's tick-by-tick choices."""

from __future__ import annotations

from core.driver import open_scenario
from tui.app import CitywatchApp

FIXTURE = "tests/tui/fixtures/small.toml"


def app() -> CitywatchApp:
    return CitywatchApp(open_scenario(FIXTURE), watch=False)


def test_main_screen(snap_compare):
    assert snap_compare(app(), terminal_size=(160, 45))


def test_why_on_a_deferred_bead(snap_compare):
    async def select(pilot):
        pilot.app.sessions.table.select_key("refinery-gc-2")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(160, 45), run_before=select)


def test_help_for_the_sessions_panel(snap_compare):
    assert snap_compare(app(), press=["question_mark"], terminal_size=(120, 40))


def test_narrow_terminal_with_zoomed_deferrals(snap_compare):
    assert snap_compare(app(), press=["3", "z"], terminal_size=(80, 16))
