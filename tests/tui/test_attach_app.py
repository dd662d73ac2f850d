"""`citywatch --attach`: the panels over a live city built from Gas City's fixture files
(tests/attach/citykit.py), refreshed while the test writes as the controller would, offering
nothing that changes the world, and leaving the city byte-for-byte as the controller wrote it."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path

import pytest

from core.attach.session import AttachOptions, AttachSession
from tests.attach.citykit import NOW, beads_json, build_city, event_lines, tree
from tests.tui.conftest import SIZE
from tui.attach_app import AttachApp
from tui.commands import ATTACH, MODEL, controls
from tui.screens.help import HelpScreen
from tui.widgets.alarms import AlarmsPanel
from tui.widgets.attach_panels import AttachStatusBar, LifecyclePanel
from tui.widgets.deferrals import DeferralsPanel
from tui.widgets.drift import DriftPanel
from tui.widgets.status import Banner
from tui.widgets.why import WhyPanel

MODEL_ONLY = [c for c in controls(MODEL) if c not in controls(ATTACH)]


def tick_id(n: int) -> str:
    """The real tick id of the kit's controller (pid 4242, started an hour before NOW)."""
    return f"fixture-4242-{int((NOW - timedelta(hours=1)).timestamp()) * 10**9}-{n:06d}"


def digest(root: Path) -> dict[str, str]:
    """Every file and directory under root, files with their sha256."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
            for p in sorted(root.rglob("*"))}


def open_app(kit, tmp_path: Path, **kw) -> AttachApp:
    opts = AttachOptions(tmux_socket=str(tmp_path / "no-such-socket"), clock=lambda: NOW)
    kw.setdefault("watch", False)
    kw.setdefault("runtime_interval", 0)
    return AttachApp(AttachSession.open(str(kit.root), opts), watch_debounce_ms=50, **kw)


async def until(pilot, cond, what: str, timeout: float = 15.0) -> None:
    """Poll `cond` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def in_header(n: int) -> str:
    """How the header names tick n at the tests' width: its counter (the full id does not fit)."""
    return f"last tick …{n:06d} completed"


def header(app) -> str:
    return str(app.query_one(AttachStatusBar).content)


def why(app) -> str:
    return str(app.query_one("#why").content)


def events(app) -> str:
    return "\n".join(app.events_panel.shown_text)


async def test_the_panels_show_the_live_city(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=2)
    before = digest(kit.root)
    app = open_app(kit, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")
        await pilot.pause()
        titles = [str(p.border_title) for p in app.query(".panel")]
        assert titles == ["Agents", "Deferrals", "Sessions", "Drift", "Why", "Trackers", "Alarms", "Events"]
        h = header(app)
        assert "ATTACHED (read-only)" in h and "fixture" in h and in_header(2) in h
        assert " 5 alarms " in h and "drift 7" in h and "no server" in h

        # sessions: the open beads, joined with tmux (no server: nothing runs), with the model's markers
        sessions = app.sessions.table
        assert sorted(sessions.row_keys) == ["fixture--oldagent", "mayor", "worker-gc-1", "worker-gc-2",
                                             "worker-gc-3"]
        assert sessions.cells("worker-gc-3")[0].plain == "!"  # its alias is deferred
        assert sessions.cells("fixture--oldagent")[0].plain == "-"  # a template the config no longer has
        assert app.agents.table.row_keys == ["mayor", "fixture/worker", "fixture/refinery"]

        # deferrals from the pool_alias_conflict keys, trackers from the lifecycle keys
        # (the tables cut long values to fit: table.cells is each row as given)
        deferrals = app.query_one(DeferralsPanel)
        assert deferrals.table.row_keys == ["gc-3"] and deferrals.table.cells("gc-3")[2:4] == ("fixture/worker-1", "gc-1")
        trackers = app.query_one(LifecyclePanel)
        assert trackers.table.cells("gc-2")[2:4] == ("asleep (idle)", "2/1")
        assert str(trackers.table.cells("gc-5")[4]) == "until 12:10:00"
        assert trackers.table.cells("gc-3")[8] == "fixture/worker-1 ×7"

        # drift, and the model's why chain for the selected difference
        drift = app.query_one(DriftPanel)
        assert "undesired:fixture--oldagent:gc-5" in drift.table.row_keys
        assert "pool_desired:fixture/worker:" in drift.table.row_keys
        assert f"vs tick {tick_id(2)}" in str(drift.border_subtitle)
        drift.focus_target().focus()
        assert drift.table.select_key("undesired:fixture--oldagent:gc-5")
        await pilot.pause()
        assert "model expects fixture--oldagent not in the desired set, controller has an open bead gc-5" in why(app)
        assert "not desired" in why(app) and tick_id(2) in why(app)

        # alarms: each loop alarm of the fixture, in the panel and counted in the header
        alarms = app.query_one(AlarmsPanel).table
        assert alarms.row_keys == ["alias_conflict:worker-gc-3", "idle_spawns:fixture/worker",
                                   "quarantine:fixture--oldagent", "start_pending:worker-gc-3", "wakes:fixture/worker-3"]
        assert alarms.value("quarantine:fixture--oldagent", "until") == "12:10:00"
        assert sessions.cells("fixture--oldagent")[1].style  # its row is marked: an alarm is about it
        assert app.query_one(AlarmsPanel).table.cells("start_pending:worker-gc-3")[2:4] == ("20m0s", "5m0s")

        # selecting a session shows its explain chain again
        app.sessions.focus_target().focus()
        assert sessions.select_key("worker-gc-3")
        await pilot.pause()
        assert "alias.deferred" in why(app) and str(app.query_one(WhyPanel).border_subtitle) == "worker-gc-3"

        # events, then the controller's decisions and cycles with their real tick ids, and the
        # reader's warning about a reason code the vocabulary lacks
        text = events(app)
        assert "session.woke fixture/worker-3 (gc-3)  #106" in text
        assert f"reconciler.pool.accept resume → accepted worker-gc-1  tick {tick_id(1)}" in text
        assert f"cycle   tick {tick_id(2)} completed, trigger patrol" in text
        assert "warning trace unknown_code:" in text and "'resume'" in text
        assert not app.query_one(Banner).display
    assert digest(kit.root) == before


async def test_nothing_that_changes_the_world_is_offered(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=1)
    before = digest(kit.root)
    app = open_app(kit, tmp_path)
    forbidden_ids = {c.id for c in MODEL_ONLY}
    forbidden_actions = {c.action for c in MODEL_ONLY}
    assert {"kill", "crash", "add_work", "step", "run", "assign_work", "export", "semantics"} <= forbidden_ids
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")
        offered = set()
        for panel in app.query(".panel"):
            panel.focus_target().focus()
            await pilot.pause()
            for active in app.screen.active_bindings.values():
                b = active.binding
                assert b.id not in forbidden_ids, (panel.panel_id, b)
                assert b.action.removeprefix("app.") not in forbidden_actions, (panel.panel_id, b)
                offered.add(b.id)
            app.action_help()
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            ids = {str(c) for c in app.screen.query_one("#help-keys").content.columns[2].cells}
            assert not ids & forbidden_ids and "refresh" in ids
            await pilot.press("escape")
            await pilot.pause()
        assert {"refresh", "filter", "zoom", "help", "quit", "focus_drift", "follow", "changed_toggle"} <= offered
        titles = {cmd.title for cmd in app.get_system_commands(app.screen)}
        assert "Refresh" in titles and not titles & {c.title for c in MODEL_ONLY}
        assert all(app.check_action(a, ()) is False for a in forbidden_actions)
        # the model's keys do nothing here
        app.sessions.focus_target().focus()
        seen = app.boards
        await pilot.press("s", "space", "K", "X", "a", "t", "D", "W", "w", "n", "A", "M", "E", "left_square_bracket")
        await pilot.pause()
        assert len(app.screen_stack) == 1 and not app.query("AskDialog")
        await pilot.press("r")  # refresh is offered: it re-reads the city
        await until(pilot, lambda: app.boards > seen, "the refreshed picture")
    assert digest(kit.root) == before


async def arm_watcher(app, pilot, kit) -> None:
    """Write a scratch file under .gc until the watcher reports a batch (it arms asynchronously)."""
    for i in range(200):
        kit.write(".gc/test-nudge", str(i).encode())
        await pilot.pause(0.1)
        if app.watch_batches:
            return
    pytest.fail("the watcher never reported a change")


async def test_the_watcher_shows_what_the_controller_appends(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=2)
    app = open_app(kit, tmp_path, watch=True)  # no timer: only the watcher can notice
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")
        await arm_watcher(app, pilot, kit)

        kit.land(*kit.tick(NOW + timedelta(seconds=30)))  # one more controller cycle
        await until(pilot, lambda: in_header(3) in header(app), "the new cycle in the header")
        await until(pilot, lambda: f"accepted worker-gc-1  tick {tick_id(3)}" in events(app), "its decision")

        crash = {"seq": 300, "type": "session.crashed", "ts": "2026-06-01T12:00:10Z", "actor": "gc",
                 "subject": "worker-gc-1", "session_id": "gc-1", "message": "exit status 1"}
        kit.append(".gc/events.jsonl", event_lines([crash]))
        await until(pilot, lambda: "session.crashed worker-gc-1 (gc-1) exit status 1  #300" in events(app),
                    "the appended event")

        # the bead store is rewritten whole (temp file + rename): the session panel follows
        kit.write(".gc/beads.json", beads_json(edit={"gc-2": {"state": "active", "sleep_reason": ""}}), atomic=True)
        await until(pilot, lambda: app.sessions.table.value("worker-gc-2", "state") == "active", "the bead change")
    assert tree(kit.root) == kit.expected  # every byte is the controller's (the test's) own


async def test_damage_becomes_warnings_and_reading_goes_on(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=2)
    app = open_app(kit, tmp_path, runtime_interval=0.2)  # the slow timer re-reads everything
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")

        # a batch whose CRC does not match (held one poll, then reported), then a good one
        rel, data = kit.tick(NOW + timedelta(seconds=30))
        lines = data.split(b"\n")
        lines[1] = lines[1].replace(b'"session_baseline"', b'"session_baselinx"')  # still JSON, wrong CRC
        kit.land(rel, b"\n".join(lines))
        kit.land(*kit.tick(NOW + timedelta(seconds=60)))
        await until(pilot, lambda: "warning trace crc_mismatch" in events(app), "the CRC warning")
        await until(pilot, lambda: in_header(4) in header(app), "the next good cycle")

        # a torn events line waits for its newline; a malformed one is skipped with a warning
        ev = {"seq": 400, "type": "session.woke", "ts": "2026-06-01T12:00:20Z", "subject": "mayor",
              "session_id": "gc-4"}
        line = event_lines([ev])
        kit.append(".gc/events.jsonl", line[:9])
        seen = app.boards
        app.action_refresh()
        await until(pilot, lambda: app.boards > seen, "a poll after the torn line")
        assert "#400" not in events(app)
        kit.append(".gc/events.jsonl", line[9:] + b"{oops\n")
        await until(pilot, lambda: "session.woke mayor (gc-4)  #400" in events(app), "the completed line")
        await until(pilot, lambda: "warning events bad_line" in events(app), "the malformed-line warning")

        # the bead store becomes unreadable (a directory in its place)
        kit.remove(".gc/beads.json")
        (kit.root / ".gc" / "beads.json").mkdir()
        await until(pilot, lambda: "warning beads unreadable" in events(app), "the unreadable-file warning")
        assert "ATTACHED (read-only)" in header(app) and app.is_running
    assert tree(kit.root) == kit.expected


async def test_a_broken_city_toml_keeps_the_live_state_on_screen(tmp_path: Path) -> None:
    kit = build_city(tmp_path, ticks=1)
    kit.write("city.toml", b'[workspace]\nname = "fixture"\n\n[[agent]]\nname = \n')
    before = digest(kit.root)
    app = open_app(kit, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.boards, "the first picture")
        await pilot.pause()
        banner = app.query_one(Banner)
        assert banner.display and "city.toml is not loaded" in str(banner.content)
        assert "city.toml:5" in str(banner.content)
        assert "config not loaded" in header(app) and "drift ?" in header(app)
        assert sorted(app.sessions.table.row_keys) == ["fixture--oldagent", "mayor", "worker-gc-1", "worker-gc-2",
                                                       "worker-gc-3"]
        assert app.query_one(DeferralsPanel).query_one("#deferrals").row_keys == ["gc-3"]
        assert "unavailable" in str(app.query_one(DriftPanel).border_subtitle)
        app.sessions.table.select_key("mayor")
        await pilot.pause()
        assert "no why chain" in why(app)
        assert "warning config config_error" in events(app)
    assert digest(kit.root) == before
