"""`citywatch --attach CITY_DIR`: the operator's panels over a live city, read-only.

The app shows the real controller's state: sessions from the beads and tmux, deferrals from the
`pool_alias_conflict*` keys, trackers from the persisted lifecycle keys, events and trace
decisions with their real tick ids; beside them the drift between one model tick and the
controller, and the loop alarms. A watchfiles worker on `AttachSession.watch_paths()` re-reads
the sources a change touched; a slow timer lists tmux (and bd) and re-reads everything. Reading
runs on a worker thread (core.attach.polling) and the screen shows each new `AttachBoard`
(tui.attach_board). `LiveApp` is the screen on a live city; `AttachApp` is it on a city
directory, tui.api_attach_app's `ApiAttachApp` on a supervisor's city.

Nothing that changes the world or steps the model is offered: the app binds, lists and runs
only the controls tui.commands offers in attach mode.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import App
from textual.widgets import DataTable

from core.attach.polling import PollRequests
from core.attach.settle import Settle
from core.explain.records import Explanation
from core.guards.safetext import printable
from core.settings import Settings
from core.views.roster import AgentDetail
from tui import layout
from tui.attach_board import (
    AttachBoard,
    AttachState,
    alarm_explanation,
    drift_explanation,
    session_explanation,
)
from tui.base_app import BaseApp
from tui.commands import ATTACH, bindings, controls
from tui.layout import Grid
from tui.widgets.alarms import AlarmsPanel
from tui.widgets.attach_panels import (
    AttachAgentsPanel,
    AttachDeferralsPanel,
    AttachEventsPanel,
    AttachSessionsPanel,
    AttachStatusBar,
    AttachWhyPanel,
    LifecyclePanel,
)
from tui.widgets.deferrals import DeferralsPanel
from tui.widgets.drift import DriftPanel
from tui.widgets.panel import Panel
from tui.widgets.status import Banner
from tui.widgets.why import WhyPanel

OFFERED_ACTIONS = frozenset(c.action for c in controls(ATTACH))
WORLD_CHANGING = frozenset(c.action for c in controls() if c.action not in OFFERED_ACTIONS)


ATTACH_GRID: Grid = (
    (("agents", "deferrals"), ("sessions",)),
    (("drift",), ("why",)),
    (("trackers",), ("alarms",)),
    (("events",),),
)


class LiveApp(BaseApp, inherit_bindings=False):
    """The citywatch panels on a live city, read-only: the base's read-only controls (focus,
    zoom, filter, sort, jump, copy, help, follow, the changed/all toggle) and refresh; every
    other key says why it is not offered. How changes are seen is each subclass's
    (`watch_changes`): files on disk for a city directory, a supervisor's event stream."""

    TITLE = "citywatch (attached, read-only)"
    CSS_PATH = ["app.tcss", "attach.tcss"]
    BINDINGS = App.BINDINGS + bindings("app", mode=ATTACH)
    MODE = ATTACH
    GRID = ATTACH_GRID

    def __init__(self, session=None, *, watch: bool = True, runtime_interval: float = 5.0,
                 watch_debounce_ms: int = 200, settle: float = 0.5, max_delay: float = 2.0,
                 settings: Settings | None = None) -> None:
        super().__init__(settings)
        # None until a session is attached (`switch_session`: an API attach picks its city first)
        self.state: AttachState | None = AttachState(session) if session is not None else None
        self.watch_enabled = watch
        self.watch_debounce_ms = watch_debounce_ms
        self.runtime_interval = runtime_interval
        self.board: AttachBoard | None = None
        self.boards = 0  # boards shown (tests wait on it)
        self.watch_batches = 0  # batches of changes the watcher reported
        self.watch_halt = asyncio.Event()  # set as the app closes: the file watch ends at once
        self._why_from = "sessions"  # the table whose selection the Why panel explains
        self.requests = PollRequests()  # polls asked for, merged while one runs
        self._timer = None
        self.settle = Settle(settle, max_delay)  # drift (a model tick) waits for the city to settle
        self._settle_timer = None
        self._stale_inputs = -1

    # ------------------------------------------------------------------ layout
    def present_panels(self) -> list[str]:
        return layout.panels(self.GRID)

    def make_panel(self, panel_id: str) -> Panel:
        return {"agents": AttachAgentsPanel, "deferrals": AttachDeferralsPanel, "sessions": AttachSessionsPanel,
                "drift": DriftPanel, "why": AttachWhyPanel, "trackers": LifecyclePanel, "alarms": AlarmsPanel,
                "events": AttachEventsPanel}[panel_id]()

    def make_header(self):
        return AttachStatusBar(id="status")

    def start_sources(self) -> None:
        if self.state is not None:
            self.query_one(AttachStatusBar).update(f" citywatch  ATTACHED (read-only)  reading "
                                                   f"{self.state.session.root} …")
        self.request_poll(None, model=True)
        if self._timer is None and self.runtime_interval > 0:
            self._timer = self.set_interval(self.runtime_interval, self._runtime_poll, name="attach-runtime")
        if self.watch_enabled:
            self.run_worker(self.watch_changes(), exclusive=True, group="attach-watch", exit_on_error=False)

    async def watch_changes(self) -> None:
        """Until cancelled: turn the city's changes into polls (`request_poll`)."""
        raise NotImplementedError

    def switch_session(self, session) -> None:
        """Show `session` from now on (another city): the last one is closed, the panels follow
        the new city's first picture."""
        old = self.state
        self.state = AttachState(session)
        self.board = None
        self._why_cache = {}
        self.settle.take()
        self._stale_inputs = -1
        self.query_one(AttachStatusBar).update(f" citywatch  ATTACHED (read-only)  reading {session.root} …")
        if old is not None:  # off the screen's thread: a poll of the old city may still be waiting on it
            threading.Thread(target=old.close, name="attach-close", daemon=True).start()
        self.request_poll(None, model=True)

    def refusal(self, control_id: str) -> str:
        return ("attached to a live city, citywatch is read-only: nothing steps the model, travels its history or "
                "changes the world (open the city itself, citywatch CITY_DIR/city.toml, to do that)")

    def _runtime_poll(self) -> None:
        self.request_poll(None)

    def on_unmount(self) -> None:
        self.watch_halt.set()
        if self.state is not None:
            self.state.close()

    # ------------------------------------------------------------------ reading the city
    def action_refresh(self) -> None:
        """Re-read every source now (files, tmux, bd) and recompute drift."""
        self.request_poll(None, model=True)

    def request_poll(self, paths: Iterable[str] | None, *, model: bool = False) -> None:
        """Ask for a poll: every source (`paths` None) or those under `paths` (none: an empty
        list). `model` recomputes drift and the model's view now; without it they wait for the
        city to settle (`self.settle`). Requests made while a poll runs are merged into the next."""
        if self.state is None:
            return
        if self.requests.ask(paths, model=model):
            self.run_worker(self._poll_loop, thread=True, group="attach-poll", exit_on_error=False)

    @property
    def _polling(self) -> bool:  # the name the snapshot tests wait on
        return self.requests.polling

    def _poll_loop(self) -> None:
        while (req := self.requests.take()) is not None:
            state = self.state  # the city shown now (a switch makes the next board the new city's)
            assert state is not None  # request_poll starts polling only once a session is attached
            board = state.refresh(req.changed, model=req.model)  # never raises: failures are lines
            try:
                self.call_from_thread(self._show_board, board, state)
            except Exception:  # the app is closing
                self.requests.stop()
                return

    def _show_board(self, board: AttachBoard, state: AttachState | None = None) -> None:
        if state is not None and state is not self.state:
            return  # a picture of the city shown before a switch
        if self.board is not None and board.generation <= self.board.generation:
            return
        self.board = board
        self.boards += 1
        self.announce_alarms(board.raised)
        h = board.header
        if h.drift_stale and h.inputs_version != self._stale_inputs:  # a new change: wait for the city to settle
            self._stale_inputs = h.inputs_version
            self._schedule_model(self.settle.change(time.monotonic()))
        self.refresh_view()

    # ------------------------------------------------------------------ drift when the city settles
    def _schedule_model(self, due: float | None) -> None:
        if due is None:
            return
        if self._settle_timer is not None:
            self._settle_timer.stop()
        self._settle_timer = self.set_timer(max(due - time.monotonic(), 0.0), self._settled, name="attach-settle")

    def _settled(self) -> None:
        self._settle_timer = None
        if not self.settle.pending:
            return
        if not self.settle.due(time.monotonic()):
            self._schedule_model(self.settle.due_at())
            return
        self.settle.take()
        self.request_poll([], model=True)

    # ------------------------------------------------------------------ rendering
    def refresh_view(self) -> None:
        b = self.board
        if b is None or not self.screen_stack or not self.query(WhyPanel):  # nothing yet, or closing
            return
        self.renders += 1
        with self.batch_update():
            self.query_one(AttachStatusBar).show_attached(b.header)
            banner = self.query_one(Banner)
            if b.banner:
                banner.update(Text(printable(b.banner)))  # live text: no markup, no control characters
                banner.display = True
            else:
                banner.clear_error()
            self.query_one(AttachAgentsPanel).show_attached(b)
            self.query_one(AttachSessionsPanel).show_attached(b)
            self.query_one(DriftPanel).show(b)
            self.query_one(DeferralsPanel).show(b.board)
            self.query_one(LifecyclePanel).show_attached(b)
            self.query_one(AlarmsPanel).show_alarms(b.alarms)
            self.events_panel.show(list(b.lines))
            self.update_why()
        self.call_after_refresh(self.relayout)

    def update_why(self) -> None:
        if not self.screen_stack or not self.query(WhyPanel):  # the screen is being taken down
            return
        why = self.query_one(WhyPanel)
        b = self.board
        if b is None:
            why.show(None, None)
            return
        if self._why_from == "drift":
            drow = self.query_one(DriftPanel).selected
            if drow is not None:
                why.show(drow.subject, self._explained(b, "drift", drow.key, lambda: drift_explanation(b, drow)))
                return
        if self._why_from == "alarms":
            arow = self.query_one(AlarmsPanel).selected
            if arow is not None:
                why.show(arow.subject, self._explained(b, "alarms", arow.key, lambda: alarm_explanation(b, arow)))
                return
        row = self.sessions.selected
        if row is None:
            why.show(None, None)
            return
        why.show(row.key, self._explained(b, "sessions", row.key, lambda: session_explanation(b, row)))

    def _explained(self, b: AttachBoard, where: str, key: str, make) -> Explanation | AgentDetail:
        ck = (b.generation, where, key)
        x = self._why_cache.get(ck)
        if x is None:
            try:
                x = make()
            except Exception as e:  # live data is arbitrary input: say so in the panel
                x = Explanation(key, False, f"{key}: no explanation ({type(e).__name__}: {e})")
            self._why_cache = {ck: x}
        return x

    @on(DataTable.RowHighlighted, "#drift")
    def _drift_moved(self, event: DataTable.RowHighlighted) -> None:
        self._row_moved("drift", event)

    @on(DataTable.RowHighlighted, "#alarms")
    def _alarm_moved(self, event: DataTable.RowHighlighted) -> None:
        self._row_moved("alarms", event)

    @on(DataTable.RowHighlighted, "#sessions")
    def _session_moved(self, event: DataTable.RowHighlighted) -> None:
        self._row_moved("sessions", event)

    def _row_moved(self, source: str, event: DataTable.RowHighlighted) -> None:
        """The Why panel follows the cursor of the focused table (a table filling up or
        refreshing in the background moves its cursor too: that must not take the Why panel)."""
        if event.data_table.has_focus:
            self._why_from = source
        if self._why_from == source:
            self.update_why()

    def on_descendant_focus(self, event) -> None:
        """The Why panel explains the selection of the table last focused among Sessions, Drift
        and Alarms."""
        panel = self.focused_panel()
        sources: dict[type[Panel], str] = {DriftPanel: "drift", AlarmsPanel: "alarms", AttachSessionsPanel: "sessions"}
        source = sources.get(type(panel))
        if source and source != self._why_from:
            self._why_from = source
            self.update_why()
        self.follow_focus(panel)

    def note_event(self, kind: str, text: str) -> None:
        if self.state is not None:  # before a city is attached, the notification that came with it says it
            self.state.note(kind, text)
            self.request_poll(None)  # the feed shows with the next picture: take one now (notes are rare)

    # ------------------------------------------------------------------ nothing that changes the world
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a world-changing action is not offered while attached (its keys are bound to `refuse`: see BINDINGS)
        return action not in WORLD_CHANGING


class AttachApp(LiveApp):
    """The panels on a city directory: a watchfiles worker over the files the session reads
    (tui.attach_watch) polls only the sources a change touched."""

    async def watch_changes(self) -> None:
        from tui.attach_watch import watch_city

        assert self.state is not None  # watching starts once a session is attached
        await watch_city(self.state.watch_paths, self._changed, debounce_ms=self.watch_debounce_ms,
                         halt=self.watch_halt)

    def _changed(self, paths: set[str]) -> None:
        self.watch_batches += 1
        self.request_poll(paths)


def run_attach(args: argparse.Namespace) -> int:
    """Open the app on the city directory `args.attach` (a supervisor URL is tui.api_attach_app's);
    2 with a one-line message when that cannot be done."""
    from core.config.errors import ConfigError
    from core.settings import load_settings
    from tui.cli_attach import open_session
    from tui.cli_commands import err

    if args.city or args.scenario:
        return err("--attach takes the city directory itself; give no other city or --scenario")
    from tui.cli_attach import api_only_options

    if api_only_options(args):
        return err(f"{', '.join(api_only_options(args))}: only with --attach URL (a supervisor)")
    try:
        settings = load_settings(args.settings, args.alarm or [])  # the app's settings (the thresholds too)
    except ConfigError as e:
        return err(e.render())
    session = open_session(args, args.attach)
    if isinstance(session, int):
        return session
    AttachApp(session, settings=settings).run()
    return 0
