"""The citywatch app: one screen of panels over a `Driver`.

The app owns no model logic. Keys, the run timer and the config watcher call the driver (on a
worker thread, so a large tick never blocks the screen); when a step finishes, every panel
re-renders the frame being viewed. Widgets only ever read recorded frames. Where the panels go
is decided by tui.layout for whatever size the terminal has: a grid of panels sized to their
content, or one panel at a time with tabs on a small screen.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, CSSPathType, SystemCommand
from textual.command import CommandListItem
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable

from core.board import board, changes
from core.driver import Driver, OpenError, Result
from core.durations import DurationError, parse_duration
from core.explain import explain_session
from core.identity import SEMANTICS, semantics_label
from core.roster import agent_detail
from core.safetext import printable
from core.settings import Settings
from core.steps import Step
from core.steps.config import SetScaleCheck
from core.steps.controller import Advance
from core.steps.runtime import Activity, Attach, Detach, DrainAck, RuntimeExit
from core.world.suspension import city_note
from tui import layout
from tui.commands import CONTROLS, MODEL, PANEL_KEYS, bindings, by_id, controls
from tui.faults import FaultBook, Guarded, append_fault_log, guard
from tui.layout import Grid, Want
from tui.screens.choice import ChoiceDialog
from tui.screens.dialog import AskDialog
from tui.screens.help import HelpScreen
from tui.textual_internals import tidy_toast_racks
from tui.widgets.agents import AgentsPanel
from tui.widgets.alarms import AlarmsPanel
from tui.widgets.checks import ChecksPanel
from tui.widgets.deferrals import DeferralsPanel
from tui.widgets.events import EventsPanel
from tui.widgets.footer import Footer
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.panel import Panel, TablePanel
from tui.widgets.sessions import SessionsPanel
from tui.widgets.status import Banner, HeaderLine, RunState, StatusBar, TabBar
from tui.widgets.trackers import TrackersPanel
from tui.widgets.why import WhyPanel

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
SESSION_ACTIONS = {"kill", "crash", "activity", "attach", "drain_ack", "assign_work"}
TEMPLATE_ACTIONS = {"scale_check", "add_work"}
HIGHLIGHT_SECONDS = 1.5  # how long the rows changed by the last step stay highlighted
PREFETCH_AFTER = 0.25  # seconds stopped on a past frame before its neighbours are prepared
FILL_PANELS = frozenset({"sessions", "events"})  # they take the room the others leave

MODEL_GRID: Grid = (
    (("agents",), ("sessions",)),
    (("deferrals", "alarms", "checks"), ("trackers",), ("why",)),
    (("events",),),
)


class CitywatchApp(Guarded, App):
    _why_agents = False  # the Why panel shows the selected template (the Agents table was focused last)
    TITLE = "citywatch"
    CSS_PATH: ClassVar[CSSPathType | None] = "app.tcss"
    BINDINGS = bindings("app")
    ENABLE_COMMAND_PALETTE = True
    MODE = MODEL  # which controls are offered (tui.commands); attach mode subclasses with ATTACH
    GRID: Grid = MODEL_GRID
    # A fault in a handler is reported and the app goes on (tui/faults.py); the test suite sets
    # this so that a fault fails the test that set it off.
    reraise_faults = False

    def __init__(self, driver: Driver, *, running: bool = False, speed: float = 2.0, watch: bool = True,
                 watch_debounce_ms: int = 200, settings: Settings | None = None) -> None:
        tidy_toast_racks()  # a watch notifies for hours: expired toasts must not pile up
        super().__init__()
        self.driver = driver
        self.running = running
        self.speed = speed if speed in SPEEDS else 2.0
        self.watch_enabled = watch
        self.watch_debounce_ms = watch_debounce_ms
        self.busy = 0
        self.config_error = None  # the located ConfigError while the file on disk is broken
        self.last_error = ""
        self.reloads = 0  # reload attempts seen (tests wait on it)
        self._timer = None
        self._why_cache: dict[tuple[int | str, ...], dict[str, Any]] = {}  # one explanation, by what it explains
        self._highlight_until_render: int | None = None  # the frame whose changed rows are highlighted
        self._highlight_timer = None
        self._prefetch_timer = None
        self._announced: set[int] = set()  # frames whose new alarms were announced
        self._logged_config_error = ""
        self.last_plan = None  # the what-if plan of the last config edit seen on disk (`P`)
        self.init_view(settings)

    def init_view(self, settings: Settings | None) -> None:
        """What every citywatch screen keeps, in model and attach mode alike."""
        self.settings = settings or Settings()
        self.renders = 0  # frames drawn (tests count them: held keys must not queue renders)
        self.active_panel = "sessions"  # the panel the compact layout shows
        self._render_pending = False
        self._placed: dict[int, tuple] = {}  # the sizes the layout last gave each widget
        self.fault_book = FaultBook()
        self._reporting_fault = False

    # ------------------------------------------------------------------ faults
    def report_fault(self, where: str, error: Exception) -> None:
        """A handler raised: say so once (a notification and an `error` line in Events, the
        traceback in the fault log) and carry on from the state the app had. Repeats of the same
        fault are counted, not announced again."""
        if self.reraise_faults:
            raise error
        fault, new = self.fault_book.record(where, error)
        if not new or self._reporting_fault:
            return
        self._reporting_fault = True
        try:
            path = append_fault_log(fault)
            tail = f"; its traceback is in {path}" if path else ""
            self.notify(f"{fault.summary}{tail}", title="internal error: the app goes on", severity="error",
                        timeout=10)
            self.driver.note("error", f"internal error: {fault.summary}{tail}")
            self.request_render()
        except Exception:  # reporting must never be what ends the app
            pass
        finally:
            self._reporting_fault = False

    def _handle_exception(self, error: Exception) -> None:
        # The last resort, for a fault outside any guarded handler (drawing, say): end with one
        # line and the fault log's path instead of a screen of traceback.
        if self.reraise_faults or not isinstance(error, Exception):
            super()._handle_exception(error)
            return
        fault, _ = self.fault_book.record("the screen", error)
        path = append_fault_log(fault)
        self._return_code = 1
        tail = f"\nIts traceback is in {path}" if path else ""
        self.panic(Text(f"citywatch stopped on an internal error: {fault.summary}{tail}"))

    def call_from_thread(self, callback: Callable, *args: Any, **kwargs: Any) -> Any:
        return super().call_from_thread(guard(callback, self), *args, **kwargs)

    # One signature for Textual's two overloads: only the callback changes (guarded), the rest is passed on.
    def push_screen(self, screen: Any, callback: Callable | None = None,  # type: ignore[override]
                    wait_for_dismiss: bool = False) -> Any:
        return super().push_screen(screen, callback and guard(callback, self),  # type: ignore[call-overload]
                                   wait_for_dismiss=wait_for_dismiss)

    # ------------------------------------------------------------------ layout
    def present_panels(self) -> list[str]:
        """The panels this session has (Checks only for a scenario with expectations)."""
        return [p for p in layout.panels(self.GRID) if p != "checks" or self.driver.expects]

    def make_panel(self, panel_id: str) -> Panel:
        return {"agents": AgentsPanel, "sessions": SessionsPanel, "deferrals": DeferralsPanel,
                "alarms": AlarmsPanel, "checks": ChecksPanel, "trackers": TrackersPanel, "why": WhyPanel,
                "events": EventsPanel}[panel_id]()

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Banner(id="banner")
        yield TabBar(id="tabs")
        yield from self.compose_grid()
        yield Footer(compact=True, show_command_palette=False)

    def make_header(self) -> Widget:
        return StatusBar(id="status")

    def compose_grid(self) -> ComposeResult:
        present = set(self.present_panels())
        with Vertical(id="body"):
            for r, row in enumerate(self.GRID):
                with Horizontal(id=f"row-{r}", classes="grid-row"):
                    for c, column in enumerate(row):
                        ids = [p for p in column if p in present]
                        if not ids:
                            continue
                        with Vertical(id=f"col-{r}-{c}", classes="grid-col"):
                            for pid in ids:
                                yield self.make_panel(pid)

    def pin_console_size(self) -> None:
        """Give Rich's console the screen's size. Unset, every measure of a cell (thousands a
        table refresh) asks the operating system for the terminal's size, three system calls
        each; set, a measure reads two numbers. The values are the ones the terminal reports."""
        width, height = self.size
        if width > 0 and height > 0:
            self.console.size = (width, height)

    def on_mount(self) -> None:
        self.pin_console_size()
        self.query_one(Banner).clear_error()
        self.apply_settings()
        self.sessions.focus_target().focus()
        self.refresh_view()
        self._set_timer()
        self.start_watching()
        self.call_after_refresh(self.relayout)

    def on_resize(self, event) -> None:
        self.pin_console_size()
        for p in self.query(TablePanel):
            p.forget_wants()
        self.call_after_refresh(self.relayout)

    def relayout(self) -> bool:
        """Place the panels for the screen's size (tui.layout): sized to their content in a
        grid, or, on a small screen, the active panel alone (with Why under Sessions when there
        is height for both) and a tab bar to reach the others. True when a size changed."""
        width, height = self.size
        if width <= 0 or height <= 0:
            return False
        before = dict(self._placed)
        present = self.present_panels()
        compact = layout.compact(width, height)
        tabs = self.query_one(TabBar)
        tabs.display = compact
        header_lines = sum(w.outer_size.height for w in (self.query_one("#status"), self.query_one(Banner))
                           if w.display) or 1
        body = max(height - header_lines - (1 if compact else 0) - 1, 3)
        if self.active_panel not in present:
            self.active_panel = "sessions"
        shown = layout.shown_in_compact(self.active_panel, body, present) if compact else present
        with self.batch_update():
            if compact:
                order = sorted(present, key=lambda p: PANEL_KEYS.get(p, "9"))
                tabs.show_tabs([(p, PANEL_KEYS.get(p, ""), self.panel(p).title) for p in order], self.active_panel)
            for r, _row in enumerate(self.GRID):
                row_node = self.query_one(f"#row-{r}")
                columns = [col for col in row_node.children]
                row_node.display = any(_panel_ids(col) & set(shown) for col in columns)
                for col in columns:
                    col.display = bool(_panel_ids(col) & set(shown))
            for p in present:
                self.panel(p).display = p in shown
            if compact:
                self._size_compact(shown, body, width)
            else:
                self._size_grid(body, width)
            zoomed = self.screen.maximized
            if isinstance(zoomed, Panel):  # a zoomed panel fills the screen whatever its share was
                self._place(zoomed, "1fr", "1fr")
        changed = self._placed != before
        if changed:  # the tables fit their new sizes once the layout has been applied
            self.call_after_refresh(self._refit_tables)
        return changed

    def _place(self, widget: Widget, width: int | str | None = None, height: int | str | None = None) -> None:
        """Set a widget's size only when it changes (every change costs a layout pass)."""
        last = self._placed.get(id(widget), (None, None))
        width = last[0] if width is None else width
        height = last[1] if height is None else height
        if (width, height) == last:
            return
        self._placed[id(widget)] = (width, height)
        if width is not None:
            widget.styles.width = width
        if height is not None:
            widget.styles.height = height

    def _size_compact(self, shown: list[str], body: int, width: int) -> None:
        heights = [body] if len(shown) == 1 else layout.allocate(body, [Want(body * 3 // 5, body, True),
                                                                        Want(body * 2 // 5, body, True)])
        height_of = dict(zip(shown, heights, strict=False))
        for r, row in enumerate(self.GRID):
            row_node = self.query_one(f"#row-{r}")
            self._place(row_node, None, sum(height_of.get(p, 0) for p in _panel_ids_of(row)) or 1)
            for col in row_node.children:
                self._place(col, width, "1fr")
        for p, h in height_of.items():
            self._place(self.panel(p), width, h)

    def _size_grid(self, body: int, width: int) -> None:
        """Rows share the height by what their panels want; within a row, columns share the width.
        A row whose panels cannot all show their key columns side by side stacks them instead."""
        rows = [self.query_one(f"#row-{r}") for r in range(len(self.GRID))]
        stacked, row_wants = [], []
        for row_node in rows:
            cols = list(row_node.children)
            stack = len(cols) > 1 and sum(_column_width(c).least for c in cols) > width
            stacked.append(stack)
            heights = [_column_height(col) for col in cols]
            if stack:
                row_wants.append(Want(sum(w.least for w in heights), sum(w.whole for w in heights),
                                      fill=any(w.fill for w in heights)))
            else:
                row_wants.append(Want(max((w.least for w in heights), default=3),
                                      max((w.whole for w in heights), default=3), fill=any(w.fill for w in heights)))
        for row_node, h, stack in zip(rows, layout.allocate(body, row_wants), stacked, strict=True):
            self._place(row_node, None, h)
            direction = "vertical" if stack else "horizontal"
            if row_node.styles.layout is None or row_node.styles.layout.name != direction:
                row_node.styles.layout = direction
            cols = list(row_node.children)
            if stack:
                sizes = [(width, ch) for ch in layout.allocate(h, [_column_height(c) for c in cols])]
            else:
                sizes = [(cw, h) for cw in layout.allocate(width, [_column_width(c) for c in cols])]
            for col, (w, ch) in zip(cols, sizes, strict=True):
                self._place(col, w, ch)
                panels = [c for c in col.children if isinstance(c, Panel)]
                panel_heights = layout.allocate(ch, [p.wanted_height() for p in panels]) if len(panels) > 1 else [ch]
                for p, ph in zip(panels, panel_heights, strict=False):
                    self._place(p, w, ph)

    def action_show_panel(self, panel_id: str) -> None:
        """Show and focus a panel (a tab click, or its number key)."""
        self.action_focus_panel(panel_id)

    # ------------------------------------------------------------------ panels
    @property
    def sessions(self) -> SessionsPanel:
        return self.query_one(SessionsPanel)

    @property
    def agents(self) -> AgentsPanel:
        return self.query_one(AgentsPanel)

    @property
    def events_panel(self) -> EventsPanel:
        return self.query_one(EventsPanel)

    def panel(self, panel_id: str) -> Panel:
        return self.query_one(f"#{panel_id}-panel", Panel)

    def has_panel(self, panel_id: str) -> bool:
        return bool(self.query(f"#{panel_id}-panel"))

    def focused_panel(self) -> Panel:
        node: DOMNode | None = self.focused
        while node is not None:
            if isinstance(node, Panel):
                return node
            node = node.parent
        return self.sessions

    # ------------------------------------------------------------------ rendering
    def request_render(self) -> None:
        """Render once the keys already waiting have been handled: a held key moves the view
        as fast as it repeats and the screen shows where it stopped (renders never queue)."""
        if not self._render_pending:
            self._render_pending = True
            self.call_later(self._render_requested)

    def _render_requested(self) -> None:
        self._render_pending = False
        self.refresh_view()

    def refresh_view(self) -> None:
        """Render the frame the operator is looking at (live, or a travelled-to one)."""
        self.renders += 1
        d = self.driver
        frame = d.frame()
        b = board(frame)
        travel = ""
        if d.viewing_past:
            travel = f"⏪ viewing step {frame.index} of {d.live.index} (tick {frame.tick}) · L: live"
        loops = frame.loops
        alarms = loops.alarms if loops is not None else ()
        checks = d.checks_until(frame)
        from core.scenario import check_summary

        check_line = check_summary(d.expects, checks) if d.expects else ""
        fork = f"WHAT-IF fork from tick {d.fork.from_tick} · L: back" if d.fork is not None else ""
        changed = changes(frame, d.previous(frame))
        highlight = changed if self._highlight_until_render == frame.index else frozenset()
        with self.batch_update():
            self.query_one(StatusBar).show(
                city=frame.city.name, revision=frame.city.revision, tick=frame.tick, now=frame.now,
                run=RunState(self.running, self.speed, self.busy > 0), semantics=frame.semantics, travel=travel,
                script=d.script.describe(frame.model()), pending_reload=frame.pending_city is not None,
                reload_touches=self._reload_touches(frame),
                last_error=self.last_error, alarms=len(alarms), scenario=d.scenario_name(), checks=check_line,
                checks_failed=any(not c.passed for c in checks), fork=fork,
                suspended=city_note(frame.city, frame.world.suspension))
            self.agents.show(b, d.scale_checks_live)
            hidden = self.sessions.show_sessions(b.sessions, b.summary.line(), changed=changed, highlight=highlight,
                                                 alarmed=loops.bead_ids if loops else ())
            self.sessions.show_status(b, frame.tick, hidden)
            self.query_one(DeferralsPanel).show(b)
            self.query_one(TrackersPanel).show(b)
            self.query_one(AlarmsPanel).show_alarms(alarms)
            if self.has_panel("checks"):
                self.query_one(ChecksPanel).show_checks(d.expects, checks)
            self.events_panel.show(d.lines())
            self.update_why()
        self.call_after_refresh(self.relayout)

    def update_why(self) -> None:
        if not self.screen_stack or not self.query(WhyPanel):  # the screen is being taken down
            return
        why = self.query_one(WhyPanel)
        if self._why_agents:
            template = self.agents.selected
            if template is not None:
                frame = self.driver.frame()
                ck = (frame.index, "template:" + template)
                x = self._why_cache.get(ck)
                if x is None:
                    x = agent_detail(frame.model(), template)
                    self._why_cache = {ck: x} if x is not None else {}
                if x is not None:
                    why.show(template, x)
                    return
        row = self.sessions.selected
        if row is None:
            why.show(None, None)
            return
        frame = self.driver.frame()
        ck = (frame.index, row.key)
        x = self._why_cache.get(ck)
        if x is None:
            x = explain_session(frame.model(), row.bead_id or row.key)
            self._why_cache = {ck: x}
        why.show(row.key, x)

    @on(DataTable.RowHighlighted, "#sessions")
    def _session_moved(self, event: DataTable.RowHighlighted) -> None:
        if not self.screen_stack:  # the app is closing
            return
        if event.data_table.has_focus:
            self._why_agents = False
        if not self._why_agents:
            self.update_why()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#agents")
    def _agent_moved(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:
            self._why_agents = True
            self.update_why()

    def on_descendant_focus(self, event) -> None:
        """The Why panel follows the table last focused: a template's detail, or a session's chain.
        On a small screen the focused panel is the one shown."""
        if not self.screen_stack:  # the app is closing (a focus event can arrive after its last screen went)
            return
        panel = self.focused_panel()
        wid = getattr(event.widget, "id", None)
        if wid in ("agents", "sessions") and self._why_agents != (wid == "agents"):
            self._why_agents = wid == "agents"
            self.update_why()
        self.follow_focus(panel)

    def follow_focus(self, panel: Panel) -> None:
        """The focused panel is the active one (the one a small screen shows); focusing the Why
        panel shown under Sessions keeps the pair."""
        pid = panel.panel_id
        if pid and pid != self.active_panel:
            paired = layout.shown_in_compact(self.active_panel, self.size.height, self.present_panels())
            if pid not in paired or pid != "why":
                self.active_panel = pid
            self.call_after_refresh(self.relayout)

    # ------------------------------------------------------------------ running model steps
    def submit(self, fn: Callable[[], Result]) -> None:
        """Run a driver call on a worker thread; render when it is done."""
        self.busy += 1
        self.run_worker(partial(self._run_model_call, fn), thread=True, group="model", exit_on_error=False,
                        description="a model step")

    def _run_model_call(self, fn: Callable[[], Result]) -> None:
        try:
            result = fn()
            frame = result.frame
            board(frame)  # build the panels' data off the UI thread
            changes(frame, self.driver.previous(frame))
            err = result.error
        except Exception as e:  # a bug in the model outside a step: keep the app alive
            err = f"{type(e).__name__}: {e}"
        self.call_from_thread(self._model_call_done, err)

    def _model_call_done(self, err: str) -> None:
        self.busy -= 1
        self.last_error = err
        if err:
            self.notify(err, title="step failed: the last good state is kept", severity="error", timeout=6)
        self._announce(self.driver.live)
        self._highlight(self.driver.live.index)
        self.refresh_view()

    def _highlight(self, index: int) -> None:
        """Highlight the rows that changed at frame `index` for a moment."""
        self._highlight_until_render = index
        if self._highlight_timer is not None:
            self._highlight_timer.stop()
        self._highlight_timer = self.set_timer(HIGHLIGHT_SECONDS, self._end_highlight, name="row-highlight")

    def _end_highlight(self) -> None:
        self._highlight_timer = None
        self._highlight_until_render = None
        self.request_render()

    def _announce(self, frame) -> None:
        """A new loop alarm is loud: a notification (and the bell when the settings ask for it);
        its Events line and marked row come with the frame."""
        loops = frame.loops
        if loops is None or frame.index in self._announced or not loops.raised:
            return
        self._announced.add(frame.index)
        if len(self._announced) > 2 * len(self.driver.history):  # frames fallen off the history: forget them
            oldest = self.driver.history.oldest.index
            self._announced = {i for i in self._announced if i >= oldest}
        self.announce_alarms(loops.raised)

    def announce_alarms(self, raised) -> None:
        """A notification per new alarm (one for all when there are many), and the bell when the
        settings ask for it."""
        if not raised:
            return
        if len(raised) > 3:
            kinds = ", ".join(sorted({a.kind for a in raised}))
            self.notify(f"{len(raised)} new loop alarms ({kinds}): see the Alarms panel and Events",
                        title="loop alarms", severity="error", timeout=10)
        else:
            for a in raised:
                until = f" (until {a.until[11:19]})" if a.until and a.until[11:19] not in a.message else ""
                self.notify(f"{a.subject}: {a.message}{until}", title=f"loop alarm: {a.kind}", severity="error",
                            timeout=10)
        if self.settings.bell:
            self.bell()

    def _live_only(self, what: str) -> bool:
        if self.driver.viewing_past:
            self.notify(f"{what}: you are viewing the past; press L to return to live", severity="warning")
            return False
        return True

    # ------------------------------------------------------------------ clock actions
    def action_step(self) -> None:
        if not self.driver.viewing_past:
            self.submit(self.driver.step)
            return
        f = self.driver.frame()

        def done(answer: str | None) -> None:
            if answer == "branch":
                fork = self.driver.branch()
                self.notify(f"what-if fork from tick {fork.from_tick}: the {fork.set_aside} later steps are set "
                            "aside; L (when live) returns to them", title="what-if fork", timeout=6)
                self.submit(self.driver.step)
            elif answer == "live":
                self.driver.to_live()
                self.submit(self.driver.step)

        self.push_screen(ChoiceDialog(
            "Step from the past?",
            f"You are viewing step {f.index} (tick {f.tick}); the live model is at tick {self.driver.live.tick}. "
            "Branch a what-if fork from here (the later steps are set aside, not lost), or go back to live and "
            "step there?",
            [("branch", "b", "Branch from here"), ("live", "l", "Step at live")]), done)

    def action_toggle_run(self) -> None:
        if not self.running and self.driver.viewing_past:
            self.notify("run: you are viewing the past; press s to branch or step at live, or L to return",
                        severity="warning")
            return
        self.running = not self.running
        self._set_timer()
        self.refresh_view()

    def action_faster(self) -> None:
        i = SPEEDS.index(self.speed)
        self.speed = SPEEDS[min(i + 1, len(SPEEDS) - 1)]
        self._set_timer()
        self.refresh_view()

    def action_slower(self) -> None:
        i = SPEEDS.index(self.speed)
        self.speed = SPEEDS[max(i - 1, 0)]
        self._set_timer()
        self.refresh_view()

    def _set_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.running:
            self._timer = self.set_interval(1.0 / self.speed, self._auto_step, name="auto-step")

    def _auto_step(self) -> None:
        if self.busy or self.driver.viewing_past:
            return  # the previous tick is still running, or the operator is looking back: skip, never queue
        self.submit(self.driver.step)

    def _travel(self, move: Callable[[], Any]) -> None:
        move()
        self._highlight(self.driver.frame().index)
        self.request_render()
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(PREFETCH_AFTER, self._prefetch, name="travel-prefetch")

    def _prefetch(self) -> None:
        """Once the operator stops on a past frame, build the panels' data of the frames next to
        it (off the UI thread), so the next step back or forward renders at once. Held keys never
        get here: every press restarts the wait."""
        self._prefetch_timer = None
        d = self.driver
        if not d.viewing_past:
            return
        f = d.frame()
        near = [x for x in (d.previous(f), d.history.get(f.index + 1)) if x is not None]
        self.run_worker(partial(_warm, d, near), thread=True, group="prefetch", exclusive=True, exit_on_error=False,
                        description="prepare the frames next to the one viewed")  # (no repr of the frames)

    def action_step_back(self) -> None:
        self._travel(self.driver.back)

    def action_forward(self) -> None:
        self._travel(self.driver.forward)

    def action_first(self) -> None:
        self._travel(self.driver.first)

    def action_last(self) -> None:
        self._travel(self.driver.to_live)
        self.events_panel.set_follow(True)

    def action_goto(self) -> None:
        oldest, live = self.driver.history.oldest.tick, self.driver.live.tick

        def done(value: str | None) -> None:
            if not value:
                return
            try:
                tick = int(value.strip())
            except ValueError:
                self.notify(f"go to tick: {value!r} is not a whole number", severity="error")
                return
            self._travel(lambda: self.driver.frame_at_tick(tick))

        self.push_screen(AskDialog("Go to tick", f"tick to travel to ({oldest}..{live} are recorded)",
                                   str(self.driver.frame().tick)), done)

    def action_live(self) -> None:
        d = self.driver
        if not d.viewing_past and d.fork is not None:
            fork = d.fork
            d.leave_fork()
            self.notify(f"left the what-if fork from tick {fork.from_tick}: back on the recorded timeline",
                        title="what-if fork")
        else:
            d.to_live()
        self.request_render()

    def action_advance(self) -> None:
        if not self._live_only("advance the clock"):
            return
        default = self.driver.model.city.daemon.patrol_interval or "30s"

        def done(value: str | None) -> None:
            if not value:
                return
            try:
                parse_duration(value)
            except DurationError as e:
                self.notify(f"not a duration: {e}", severity="error")
                return
            self.submit(lambda: self.driver.apply(Advance(by=value.strip(), given=("by",))))

        self.push_screen(AskDialog("Advance the clock", "advance by (Go duration: 90s, 5m, 1h30m)", default), done)

    def action_semantics(self) -> None:
        if not self._live_only("switch semantics"):
            return
        cur = self.driver.model.semantics
        nxt = SEMANTICS[(SEMANTICS.index(cur) + 1) % len(SEMANTICS)]
        self.notify(f"identity rules: {semantics_label(cur)} → {semantics_label(nxt)} (applies from the next tick)")
        self.submit(lambda: self.driver.set_semantics(nxt))

    # ------------------------------------------------------------------ selection
    def selected_session(self):
        return self.sessions.selected

    def selected_template(self) -> str | None:
        focused = self.focused_panel()
        if isinstance(focused, AgentsPanel):
            return focused.selected
        row = self.sessions.selected
        if row is not None and row.template:
            return row.template
        return self.agents.selected

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SESSION_ACTIONS:
            return True if self.sessions.selected is not None else None
        if action in TEMPLATE_ACTIONS:
            return True if self.selected_template() else None
        return True

    def action_refuse(self, control_id: str) -> None:
        """A key this mode does not offer: say why instead of doing nothing."""
        c = by_id(control_id)
        self.notify(f"{c.title} ({c.help.rstrip('.')}): {self.refusal(c.id)}", title="not offered here",
                    severity="warning")

    def refusal(self, control_id: str) -> str:
        """Why a control is not offered in this mode."""
        return "only when attached to a live city (citywatch --attach CITY_DIR)"

    # ------------------------------------------------------------------ session actions
    def _session_step(self, what: str, make: Callable[[Any], Step | None]) -> None:
        if not self._live_only(what):
            return
        row = self.selected_session()
        if row is None:
            self.notify(f"{what}: select a session first", severity="warning")
            return
        if self.driver.frame().model().world.runtime.get(row.key) is None:
            self.notify(f"{what}: {row.key} has no runtime session (it is not running); nothing was done",
                        severity="warning")
            return
        step = make(row)
        if step is not None:
            self.submit(lambda: self.driver.apply(step))

    def action_kill(self) -> None:
        self._session_step("kill", lambda r: RuntimeExit(name=r.key))

    def action_crash(self) -> None:
        self._session_step("crash", lambda r: RuntimeExit(name=r.key, crash=True))

    def action_activity(self) -> None:
        self._session_step("activity", lambda r: Activity(name=r.key))

    def action_attach(self) -> None:
        def make(r):
            rt = self.driver.frame().model().world.runtime.get(r.key)
            return (Detach if rt is not None and rt.attached else Attach)(name=r.key)

        self._session_step("attach", make)

    def action_drain_ack(self) -> None:
        def make(r):
            world = self.driver.frame().model().world
            if not r.bead_id or world.memory.drains.get(r.bead_id) is None:
                self.notify(f"drain ack: {r.key} has no pending drain (the controller has not asked it to drain); "
                            "nothing was done", severity="warning")
                return None
            return DrainAck(name=r.key)

        self._session_step("drain ack", make)

    def action_assign_work(self) -> None:
        if not self._live_only("assign work"):
            return
        row = self.selected_session()
        if row is None:
            self.notify("assign work: select a session first", severity="warning")
            return
        identity = row.identity.split(" → ")[-1] or row.key
        suggestion = self.driver.suggest_work_for(row.template)

        def done(value: str | None) -> None:
            if value:
                self.submit(lambda: self.driver.assign_work(value.strip(), identity, row.template))

        self.push_screen(AskDialog("Assign work", f"work bead to assign to {identity} (a new id creates it)",
                                   suggestion), done)

    # ------------------------------------------------------------------ template actions
    def action_scale_check(self) -> None:
        if not self._live_only("set scale_check"):
            return
        template = self.selected_template()
        if not template:
            self.notify("scale_check: select a template first", severity="warning")
            return
        model = self.driver.frame().model()
        agent = model.city.agent(template)
        if agent is None:
            self.notify(f"{template} produces no session: it is not one of the city's agents", severity="warning")
            return
        current = str(model.world.scale_check(template))
        if not agent.has_scale_check:
            self.notify(f"{template} has no scale_check in its config, so the controller never runs one and "
                        "this result is not read; its demand comes from routed work (w adds some)",
                        title="scale_check not configured", severity="warning", timeout=8)

        def done(value: str | None) -> None:
            if value is None:
                return
            v = value.strip()
            if v != "error":
                try:
                    parsed: int | str = int(v)
                except ValueError:
                    self.notify("scale_check must be an integer or \"error\"", severity="error")
                    return
            else:
                parsed = v
            self.submit(lambda: self.driver.apply(SetScaleCheck(template=template, value=parsed)))

        self.push_screen(AskDialog("Set scale_check", f"scale_check result for {template} (integer or error)",
                                   current), done)

    def action_add_work(self) -> None:
        if not self._live_only("add work"):
            return
        template = self.selected_template()
        if not template:
            self.notify("add work: select a template first", severity="warning")
            return

        def done(value: str | None) -> None:
            if value is None:
                return
            try:
                prio = int(value.strip() or "0")
            except ValueError:
                self.notify("priority must be an integer", severity="error")
                return
            self.submit(lambda: self.driver.add_routed_work(template, prio))

        self.push_screen(AskDialog("Add work", f"add a ready work bead routed to {template}: priority", "0"), done)

    # ------------------------------------------------------------------ panels, filter, sort, jump, help
    def action_focus_panel(self, panel_id: str) -> None:
        if not self.has_panel(panel_id):
            self.notify(f"no {panel_id} panel here" + (": a scenario with [[expect]] blocks has one"
                                                       if panel_id == "checks" else ""), severity="warning")
            return
        self.active_panel = panel_id
        self.panel(panel_id).focus_target().focus()
        self.relayout()

    def action_zoom(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        else:
            self.screen.maximize(self.focused_panel(), container=False)
        self.relayout()
        self.call_after_refresh(self._refit_tables)  # a zoomed table shows every column, even at the same size

    def _refit_tables(self) -> None:
        for t in self.query(KeyedTable):
            t.refit()

    def action_toggle_changed(self) -> None:
        s = self.sessions
        s.changed_only = not s.changed_only
        self.refresh_view()

    def action_follow(self) -> None:
        self.events_panel.set_follow(True)

    def _table_panel(self) -> TablePanel | None:
        panel = self.focused_panel()
        return panel if isinstance(panel, TablePanel) else None

    def action_sort_next(self) -> None:
        panel = self._table_panel()
        if panel is None:
            self.notify("sort: focus a table first", severity="warning")
            return
        column = panel.next_sort()
        label = next((lb for lb, k in panel.table.all_columns if k == column), column)
        self.notify(f"{panel.title} sorted by {label or 'marker'}" if column else f"{panel.title}: its own order")
        self.refresh_view()

    def action_sort_reverse(self) -> None:
        panel = self._table_panel()
        if panel is None or panel.sort_column is None:
            self.notify("reverse: sort a table first (o, or click a column's header)", severity="warning")
            return
        panel.sort_by(panel.sort_column, not panel.sort_reverse)
        self.refresh_view()

    def action_filter(self) -> None:
        panel = self.focused_panel()
        if isinstance(panel, WhyPanel):
            panel = self.sessions

        def done(value: str | None) -> None:
            if value is None:
                return
            panel.set_filter(value)
            self.refresh_view()

        self.push_screen(AskDialog(f"Filter {panel.title}", "show rows containing (!text hides them)",
                                   panel.filter_text), done)

    def action_clear_filter(self) -> None:
        panel = self.focused_panel()
        if panel.filter_text:
            panel.set_filter("")
            self.refresh_view()

    def jump_targets(self) -> list[tuple[str, str, str]]:
        """(panel id, row key, what it shows) of every row a jump can land on."""
        out = [("sessions", k, f"session {k}") for k in self.sessions.all_keys()]
        out += [("agents", k, f"template {k}") for k in self.agents.all_keys()]
        return out

    def action_jump(self) -> None:
        items: list[CommandListItem] = [(label, partial(self.jump_to, pid, key)) for pid, key, label in
                                        self.jump_targets()]
        self.search_commands(items, placeholder="Jump to a session or template (fuzzy)…")

    def jump_to(self, panel_id: str, key: str) -> bool:
        """Put the cursor on row `key` of `panel_id` (showing it: the filter and `c` that hid it
        are cleared) and focus that panel."""
        panel = self.panel(panel_id)
        if not isinstance(panel, TablePanel):
            return False
        if key not in panel.table.row_keys:
            panel.set_filter("")
            if isinstance(panel, SessionsPanel):
                panel.changed_only = False
            self.refresh_view()
        self.action_focus_panel(panel_id)
        return panel.table.select_key(key)

    def selected_name(self) -> str:
        """The name the operator has selected in the focused panel ("" when none)."""
        panel = self.focused_panel()
        if isinstance(panel, WhyPanel):
            return panel.shown_key or ""
        if isinstance(panel, AlarmsPanel):
            a = panel.selected
            return a.subject if a else ""
        if isinstance(panel, TablePanel):
            return panel.selected_name()
        return ""

    def action_copy(self) -> None:
        name = self.selected_name()
        if not name:
            self.notify("copy: select a row first", severity="warning")
            return
        self.copy_to_clipboard(name)
        self.notify(f"copied {name}", title="clipboard")

    def action_help(self) -> None:
        panel = self.focused_panel()
        self.push_screen(HelpScreen(panel.panel_id, str(panel.title), panel.HELP, self.MODE,
                                    status=self.query_one("#status", HeaderLine).full_text, keymap=dict(self._keymap)))

    # ------------------------------------------------------------------ export
    def action_export(self) -> None:
        from core.export import default_export_path
        from tui.screens.export import ExportDialog

        d = self.driver
        f = d.frame()
        default = default_export_path(self.settings.export_dir, d.start.name, f.tick)
        self.push_screen(ExportDialog(default, f.steps_taken, f.tick), self._export_answered)

    def _export_answered(self, answer) -> None:
        from core.export import ExportError, check_target

        if answer is None or not answer.path:
            return
        try:
            path, exists = check_target(answer.path)
        except ExportError as e:
            self.notify(str(e), title="not exported", severity="error", timeout=8)
            return
        if not exists:
            self._export(path, answer.pin, overwrite=False)
            return

        def confirmed(choice: str | None) -> None:
            if choice == "replace":
                self._export(path, answer.pin, overwrite=True)
            else:
                self.notify(f"{path} was left as it was", title="not exported")

        self.push_screen(ChoiceDialog("Replace the file?", f"{path} already exists. Replace it?",
                                      [("keep", "n", "Keep it"), ("replace", "y", "Replace")]), confirmed)

    def _export(self, path: str, pin: bool, *, overwrite: bool) -> None:
        from core.export import ExportError, save

        try:
            saved = save(self.driver, path, pin=pin, overwrite=overwrite)
        except ExportError as e:  # ExportExists included: a file that appeared meanwhile is kept
            self.notify(str(e), title="not exported", severity="error", timeout=8)
            return
        self.notify(f"saved {saved.path} ({saved.steps} steps{', ' + str(saved.pinned) + ' expectations pinned' if saved.pinned else ''}); "
                    f"config copied to {saved.config_dir}" if saved.config_dir else f"saved {saved.path}",
                    title="exported", timeout=8)

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        for c in controls(self.MODE):
            if c.id in ("quit", "help", "palette") or c.action.startswith("focus_panel("):
                continue
            yield SystemCommand(c.title, c.help, partial(self.run_action, c.action))

    # ------------------------------------------------------------------ settings: keymap, theme
    def apply_settings(self) -> None:
        """Use the settings file's keymap (by binding id) and theme; keep the theme there when the
        operator changes it."""
        s = self.settings
        if s.keymap:
            known = {c.id for c in CONTROLS}
            unknown = sorted(k for k in s.keymap if k not in known)
            if unknown:
                msg = (f"{s.path}: citywatch.keymap: unknown binding id(s) {', '.join(unknown)} (the ids are in "
                       "the help screen, ?)")
                self.notify(msg, title="keymap", severity="warning", timeout=8)
                self.note_event("warning", msg)
            self.set_keymap({k: v for k, v in s.keymap.items() if k in known})
        if s.theme:
            if s.theme in self.available_themes:
                self.theme = s.theme
            else:
                self.notify(f"{s.path}: citywatch.theme: no theme named {s.theme!r}", severity="warning")
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme) -> None:
        from core.settings import save_theme

        s = self.settings
        if not s.path or theme.name == s.theme:
            return
        try:
            save_theme(s.path, theme.name)
        except OSError as e:
            self.notify(f"the theme could not be kept in {s.path}: {e.strerror or e}", severity="warning")
            return
        self.settings = Settings(s.path, theme.name, s.bell, s.export_dir, s.keymap, s.thresholds)

    def note_event(self, kind: str, text: str) -> None:
        """A line in Events that no step produced."""
        self.driver.note(kind, text)

    # ------------------------------------------------------------------ hot reload
    def start_watching(self) -> None:
        if not self.watch_enabled:
            return
        from core.reload import Reloader

        src = self.driver.config
        if src.kind != "file":
            return
        self._watch(Reloader(src.path, src.packs_dir, self.driver.model.city, strict=src.strict))

    @work(exclusive=True, group="config-watch", exit_on_error=False)
    async def _watch(self, reloader) -> None:
        from tui.watch import watch_config

        await watch_config(reloader, self._queued_revision, self._queue_reload, self._config_checked,
                           debounce_ms=self.watch_debounce_ms)

    def _queued_revision(self) -> str:
        model = self.driver.model
        return (model.pending_city or model.city).revision

    def _queue_reload(self, verdict) -> None:
        """A new valid revision (on the watcher's worker thread): work out what it would do to the
        model (its what-if plan), then queue it for the next tick."""
        from core.change_plan import PlanError

        city = verdict.loaded.city
        try:
            plan = self.driver.what_if(city, os.path.relpath(self.driver.config.path))
        except PlanError as e:
            plan, why = None, str(e)
        else:
            why = ""
        self.driver.reload(city, verdict.loaded.source)
        self.call_from_thread(self._show_what_if, city.revision, plan, why)

    def _reload_touches(self, frame) -> int | None:
        """How many sessions the queued edit would touch (None when none is queued or planned)."""
        plan = self.last_plan
        if frame.pending_city is None or plan is None or plan.new_city.revision != frame.pending_city.revision:
            return None
        return len({c.session for c in plan.changes})

    def _show_what_if(self, revision: str, plan, why: str) -> None:
        """Log what a queued edit will do and keep its plan for `P`."""
        if plan is None:
            self.note_event("warning", f"what if: no plan for revision {revision[:8]} ({why})")
            return
        self.last_plan = plan
        touched = len({c.session for c in plan.changes})
        head = f"what if (revision {revision[:8]}): {plan.summary_line()}"
        self.note_event("config", head + (f"; {touched} session(s) touched, P shows why" if touched else ""))
        for c in plan.changes[:12]:
            self.note_event("config", f"  {c.symbol} {c.kind} {c.session}: {c.detail}")
        if len(plan.changes) > 12:
            self.note_event("config", f"  … {len(plan.changes) - 12} more (P)")
        self.refresh_view()

    def action_show_plan(self) -> None:
        """`P`: the plan of the last config edit seen on disk."""
        from core.change_plan.render import render_plan
        from tui.screens.plan import PlanScreen

        plan = self.last_plan
        if plan is None:
            self.notify("No config edit seen yet: save the city's config and P shows what it would do.",
                        title="what if")
            return
        self.push_screen(PlanScreen(f"What if: {plan.new_path} (revision {plan.new_city.revision[:8]})",
                                    render_plan(plan)))

    def _config_checked(self, verdict) -> None:
        """The watcher looked at the config on disk: show its located error (and log it in
        Events once), or clear it."""
        self.reloads += 1
        banner = self.query_one(Banner)
        self.config_error = verdict.error
        revision = self.driver.model.city.revision
        if verdict.error is not None:
            rendered = [_short_paths(e).render() for e in verdict.errors]
            banner.show_error(rendered, revision)
            if "\n".join(rendered) != self._logged_config_error:
                self._logged_config_error = "\n".join(rendered)
                for r in rendered:
                    self.note_event("error", f"config error: {r} (still running on revision {revision[:8]})")
        else:
            banner.clear_error()
            if self._logged_config_error:
                self._logged_config_error = ""
                self.note_event("config", "config error fixed: the file on disk loads again")
        self.refresh_view()


def _warm(driver: Driver, frames: list) -> None:
    for f in frames:
        board(f)
        changes(f, driver.previous(f))


def _panel_ids(node: Widget) -> set[str]:
    return {p.panel_id for p in node.query(Panel)} | ({node.panel_id} if isinstance(node, Panel) else set())


def _panel_ids_of(row: tuple[tuple[str, ...], ...]) -> list[str]:
    return [p for col in row for p in col]


def _column_width(col: Widget) -> Want:
    """A column's width claim: the widest of its visible panels; it fills if one of them does."""
    panels = [p for p in col.children if isinstance(p, Panel)]
    if not panels:
        return Want(1, 1)
    wants = [p.wanted_width() for p in panels]
    fill = any(p.panel_id in FILL_PANELS for p in panels)
    return Want(max(w.least for w in wants), max(w.whole for w in wants), fill)


def _column_height(col: Widget) -> Want:
    """A column's height claim: its panels stacked."""
    panels = [p for p in col.children if isinstance(p, Panel)]
    wants = [p.wanted_height() for p in panels]
    return Want(sum(w.least for w in wants), sum(w.whole for w in wants),
                any(p.panel_id == "events" for p in panels))


def _short_paths(err):
    """The error with its file shown relative to the working directory when it lies below it."""
    rel = os.path.relpath(err.file) if err.file else err.file
    if not err.file or rel.startswith(os.pardir):
        return err
    return err.with_file(rel)


def make_driver(args: argparse.Namespace) -> tuple[Driver, bool]:
    """The session the command line asks for, and whether it starts running."""
    from core.driver import LiveScaleChecks, open_city, open_scenario

    if args.scenario:
        driver, running = open_scenario(args.scenario), False
    elif args.city:
        driver, running = open_city(args.city, args.semantics, getattr(args, "packs", None) or "",
                                    strict=not getattr(args, "no_strict", False)), False
    else:
        from core.demo import open_demo

        driver, running = open_demo(args.semantics), True
    if getattr(args, "run_scale_checks", False):
        try:
            timeout = parse_duration(args.scale_check_timeout)
        except DurationError as e:
            raise OpenError(f"--scale-check-timeout: {e}") from e
        driver.script = LiveScaleChecks(driver.script, timeout)
    return driver, running


def run_app(args: argparse.Namespace) -> int:
    """Open the city, scenario or live city `args` name and run the TUI until it quits; returns
    the exit status (2 if it cannot be opened)."""
    from core import heap
    from core.config.errors import ConfigError
    from core.settings import load_settings

    heap.tune_collector()
    try:
        settings = load_settings(args.settings, args.alarm or [])
    except ConfigError as e:
        print(f"citywatch: {e.render()}", file=sys.stderr)
        return 2
    try:
        driver, running = make_driver(args)
    except OpenError as e:
        for line in str(e).splitlines():  # one located reason per line
            print(f"citywatch: {printable(line)}", file=sys.stderr)
        return 2
    driver.set_thresholds(settings.thresholds)
    heap.settle()
    CitywatchApp(driver, running=running, settings=settings).run()
    return 0
