"""The attach screen as an operator uses it: drift recomputed once the city settles (not on
every batch of changes), tables that fit their panels, and the Why panel following the focused
table. Headless Pilot runs over a city built from Gas City's fixture files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.attach.session import AttachOptions, AttachSession
from core.attach.settle import Settle
from tests.attach.citykit import NOW, beads_json, build_city
from tests.tui.conftest import laid_out
from tui.attach_app import AttachApp
from tui.widgets.alarms import AlarmsPanel
from tui.widgets.attach_panels import AttachAgentsPanel, AttachStatusBar
from tui.widgets.drift import DriftPanel
from tui.widgets.why import WhyPanel


def open_app(kit, tmp_path: Path, **kw) -> AttachApp:
    opts = AttachOptions(tmux_socket=str(tmp_path / "no-such-socket"), clock=lambda: NOW)
    kw.setdefault("watch", False)
    kw.setdefault("runtime_interval", 0)
    return AttachApp(AttachSession.open(str(kit.root), opts), **kw)


async def until(pilot, cond, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def header(app) -> str:
    return str(app.query_one(AttachStatusBar).content)


def test_settle_waits_for_quiet_but_never_longer_than_the_max_delay() -> None:
    s = Settle(settle=0.5, max_delay=2.0)
    assert not s.pending and s.due_at() is None
    assert s.change(10.0) == 10.5
    assert s.change(10.3) == 10.8 and not s.due(10.7) and s.due(10.8)
    t = 10.3
    while t < 13.0:  # a city that never quiets down: a change every 0.3 s
        t += 0.3
        s.change(t)
    assert s.due_at() == 12.0 and s.due(12.0)  # the first change waited max_delay, no more
    s.take()
    assert not s.pending and not s.due(100.0)


async def test_a_burst_of_changes_recomputes_drift_once_the_city_settles(tmp_path: Path) -> None:
    """No timing is assumed: the quiet time is longer than any test, each write is waited for
    until its picture is shown, and the city is then declared settled by making the pending
    recompute due now (what the settle timer does when the quiet time has passed)."""
    kit = build_city(tmp_path, ticks=2)
    app = open_app(kit, tmp_path, settle=600.0, max_delay=600.0)
    session = app.state.session
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")
        drift_runs, model_runs = session.drift_runs, app.state.model_runs
        assert drift_runs == 1 and model_runs == 1
        beads = str(kit.root / ".gc" / "beads.json")
        n = 20
        for i in range(n):  # the controller rewrites the bead store again and again; each write is a batch
            kit.write(".gc/beads.json", beads_json(edit={"gc-2": {"wake_attempts": str(i)}}), atomic=True)
            seen = app.boards
            app._changed({beads})
            await until(pilot, lambda before=seen: app.boards > before, f"the picture after write {i + 1}")
        assert app.watch_batches == n
        assert app.settle.pending and app.board.header.drift_stale  # drift waits while the city is busy
        assert session.drift_runs == drift_runs and app.state.model_runs == model_runs
        app.settle.settle = 0.0  # the city has been quiet long enough: the pending recompute is due
        app._settled()
        await until(pilot, lambda: app.board is not None and not app.board.header.drift_stale
                    and not app.settle.pending, "drift recomputed after the burst")
        assert session.drift_runs - drift_runs == 1  # one model tick for drift, not twenty
        assert app.state.model_runs - model_runs == 1  # and one for the sessions' markers
        assert app.query_one("#trackers-panel").table.cells("gc-2")[3] == f"{n - 1}/1"  # the last write shows
        assert "drift 7 @12:00:00" in header(app) and "(updating)" not in header(app)

        # events alone never make drift stale: they feed only the feed and the alarms
        kit.append(".gc/events.jsonl", b'{"seq":500,"type":"session.woke","ts":"2026-06-01T12:00:05Z",'
                                       b'"subject":"mayor","session_id":"gc-4"}\n')
        seen = app.boards
        app._changed({str(kit.root / ".gc" / "events.jsonl")})
        await until(pilot, lambda before=seen: app.boards > before, "the events batch")
        assert not app.board.header.drift_stale and not app.settle.pending  # nothing is waiting to recompute
        assert session.drift_runs - drift_runs == 1


async def test_the_header_says_when_drift_waits_for_the_city_to_settle(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=2)
    app = open_app(kit, tmp_path, settle=30.0, max_delay=60.0)  # the recompute will not come in this test
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")
        seen = app.boards
        kit.write(".gc/beads.json", beads_json(edit={"gc-2": {"state": "active", "sleep_reason": ""}}), atomic=True)
        app._changed({str(kit.root / ".gc" / "beads.json")})
        await until(pilot, lambda before=seen: app.boards > before, "the new picture")
        assert app.board.header.drift_stale and "drift 7 @12:00:00 (updating)" in header(app)
        assert app.settle.pending
        runs = app.state.session.drift_runs
        app.action_refresh()  # `r` re-reads everything and recomputes now, without waiting
        await until(pilot, lambda: not app.board.header.drift_stale, "the refresh")
        assert app.state.session.drift_runs == runs + 1 and "(updating)" not in header(app)


@pytest.mark.parametrize("size", [(120, 40), (160, 45), (200, 50)])
async def test_tables_fit_their_panels(tmp_path: Path, size: tuple[int, int]) -> None:
    kit = build_city(tmp_path, ticks=2)
    app = open_app(kit, tmp_path)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")
        await laid_out(app, pilot)

        def fits(panel) -> bool:
            t = panel.table
            return sum(c.get_render_width(t) for c in t.columns.values()) <= t.size.width - 1

        drift = app.query_one(DriftPanel)
        alarms = app.query_one(AlarmsPanel)
        assert fits(drift) and fits(alarms)
        # every table fits at every size: the least important columns give way first
        for panel in (app.query_one(AttachAgentsPanel), app.query_one("#deferrals-panel"), app.sessions,
                      app.query_one("#trackers-panel")):
            assert fits(panel), (size, panel.id, panel.table.visible_columns)
        assert {"session", "identity"} <= set(app.sessions.table.visible_columns)
        if size[0] >= 160:
            assert {"alias", "template", "state"} <= set(app.sessions.table.visible_columns)
        assert {"alarm", "subject"} <= set(alarms.table.visible_columns)
        if size[0] >= 200:
            header_line = header(app).splitlines()[0]
            assert "last tick fixture-4242-" in header_line  # the whole tick id fits
        # a value cut short ends in "…"; the full one is kept for the Why panel
        key = "undesired:fixture--oldagent:gc-5"
        full = drift.table.cells(key)[5]
        assert full == "an open bead gc-5 (state active, not running)"
        shown = drift.table.shown_cells(key)["controller"]
        assert shown == full or (shown.endswith("…") and full.startswith(shown[:-1]))
        # the layout follows a resize: zooming Drift gives its columns the whole width
        drift.focus_target().focus()
        await pilot.pause()
        app.action_zoom()
        await pilot.pause(0.2)
        zoomed = drift.table.shown_cells(key)["controller"]
        assert zoomed == full or len(zoomed) > len(shown)
        app.action_zoom()
        await pilot.pause(0.2)
        assert fits(drift)


async def test_why_follows_the_focused_table_not_background_refreshes(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=2)
    app = open_app(kit, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")
        await pilot.pause()
        why = app.query_one(WhyPanel)
        assert app.sessions.table.has_focus
        assert str(why.border_subtitle) == app.sessions.table.selected_key  # not the last table filled
        drift = app.query_one(DriftPanel)
        drift.focus_target().focus()
        assert drift.table.select_key("state:worker-gc-1:gc-1")
        await pilot.pause()
        text = str(app.query_one("#why").content)
        assert "model expects bead gc-1 state asleep, controller has state active" in text
        assert "no action recorded" in text and "not in the desired set" not in text  # the session's chain follows
        seen = app.boards
        app.action_refresh()  # a refresh rebuilds every table; the Why panel stays on the drift row
        await until(pilot, lambda before=seen: app.boards > before, "the refresh")
        await pilot.pause()
        assert str(why.border_subtitle) == "worker-gc-1" and "state asleep" in str(app.query_one("#why").content)


async def test_an_unknown_keymap_id_is_a_warning_line_in_the_attached_events(tmp_path: Path) -> None:
    from core.settings import Settings

    kit = build_city(tmp_path, ticks=1)
    settings = Settings(path="", keymap={"refresh": "f5", "no_such_control": "f6"})
    app = open_app(kit, tmp_path, settings=settings)
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.board is not None and any(
            ln.kind == "warning" and "no_such_control" in ln.text for ln in app.board.lines), "the keymap warning")
        assert not app.fault_book.total  # said in Events, not an internal error
        shown = app.boards
        await pilot.press("f5")  # rebound by id: refresh
        await until(pilot, lambda: app.boards > shown, "the refresh the rebound key asked for")
