"""The citywatch app: one screen of panels over a `Driver`.

The app owns no model logic. Keys, the run timer and the config watcher call the driver (on a
worker thread, so a large tick never blocks the screen); when a step finishes, every panel
re-renders the frame being viewed. Widgets only ever read recorded frames.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from typing import Any, Callable

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable

from core.board import board
from core.driver import Driver, OpenError, Result
from core.durations import DurationError, parse_duration
from core.explain import explain_session
from core.identity import SEMANTICS
from core.roster import agent_detail
from core.safetext import printable
from tui.commands import MODEL, bindings, controls
from tui.screens.dialog import AskDialog
from tui.screens.help import HelpScreen
from tui.widgets.footer import Footer
from tui.widgets.agents import AgentsPanel
from tui.widgets.deferrals import DeferralsPanel
from tui.widgets.events import EventsPanel
from tui.widgets.panel import Panel
from tui.widgets.sessions import SessionsPanel
from tui.widgets.status import Banner, RunState, StatusBar
from tui.widgets.trackers import TrackersPanel
from tui.widgets.why import WhyPanel

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
SESSION_ACTIONS = {"kill", "crash", "activity", "attach", "drain_ack", "assign_work"}
TEMPLATE_ACTIONS = {"scale_check", "add_work"}


class CitywatchApp(App):
    _why_agents = False  # the Why panel shows the selected template (the Agents table was focused last)
    TITLE = "citywatch"
    CSS_PATH = "app.tcss"
    BINDINGS = bindings("app")
    ENABLE_COMMAND_PALETTE = True
    MODE = MODEL  # which controls are offered (tui.commands); attach mode subclasses with ATTACH

    def __init__(self, driver: Driver, *, running: bool = False, speed: float = 2.0, watch: bool = True,
                 watch_debounce_ms: int = 200) -> None:
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
        self._why_cache: dict[tuple[int, str], dict] = {}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Banner(id="banner")
        with Horizontal(id="top"):
            yield AgentsPanel()
            yield SessionsPanel()
        with Horizontal(id="middle"):
            yield DeferralsPanel()
            yield TrackersPanel()
            yield WhyPanel()
        yield EventsPanel()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Banner).clear_error()
        self.sessions.focus_target().focus()
        self.refresh_view()
        self._set_timer()
        self.start_watching()

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

    def focused_panel(self) -> Panel:
        node = self.focused
        while node is not None:
            if isinstance(node, Panel):
                return node
            node = node.parent
        return self.sessions

    # ------------------------------------------------------------------ rendering
    def refresh_view(self) -> None:
        """Render the frame the operator is looking at (live, or a travelled-to one)."""
        d = self.driver
        frame = d.frame()
        b = board(frame)
        travel = ""
        if d.viewing_past:
            travel = f"⏪ viewing step {frame.index} of {d.live.index} (tick {frame.tick}) · L: live"
        with self.batch_update():
            self.query_one(StatusBar).show(
                city=frame.city.name, revision=frame.city.revision, tick=frame.tick, now=frame.now,
                run=RunState(self.running, self.speed, self.busy > 0), semantics=frame.semantics, travel=travel,
                script=d.script.describe(frame.model()), pending_reload=frame.pending_city is not None,
                last_error=self.last_error)
            self.agents.show(b, d.scale_checks_live)
            self.sessions.show(b, frame.tick)
            self.query_one(DeferralsPanel).show(b)
            self.query_one(TrackersPanel).show(b)
            self.events_panel.show(d.lines())
            self.update_why()

    def update_why(self) -> None:
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
        self._why_agents = False
        self.update_why()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#agents")
    def _agent_moved(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:
            self._why_agents = True
            self.update_why()

    def on_descendant_focus(self, event) -> None:
        """The Why panel follows the table last focused: a template's detail, or a session's chain."""
        wid = getattr(event.widget, "id", None)
        if wid in ("agents", "sessions") and self._why_agents != (wid == "agents"):
            self._why_agents = wid == "agents"
            self.update_why()

    # ------------------------------------------------------------------ running model steps
    def submit(self, fn: Callable[[], Result]) -> None:
        """Run a driver call on a worker thread; render when it is done."""
        self.busy += 1
        self.run_worker(partial(self._run_model_call, fn), thread=True, group="model", exit_on_error=False)

    def _run_model_call(self, fn: Callable[[], Result]) -> None:
        try:
            result = fn()
            board(result.frame)  # build the panels' data off the UI thread
            err = result.error
        except Exception as e:  # a bug in the model outside a step: keep the app alive
            err = f"{type(e).__name__}: {e}"
        self.call_from_thread(self._model_call_done, err)

    def _model_call_done(self, err: str) -> None:
        self.busy -= 1
        self.last_error = err
        if err:
            self.notify(err, title="step failed: the last good state is kept", severity="error", timeout=6)
        self.refresh_view()

    def _live_only(self, what: str) -> bool:
        if self.driver.viewing_past:
            self.notify(f"{what}: you are viewing the past; press L to return to live", severity="warning")
            return False
        return True

    # ------------------------------------------------------------------ clock actions
    def action_step(self) -> None:
        if self.driver.viewing_past:
            self.driver.to_live()
        self.submit(self.driver.step)

    def action_toggle_run(self) -> None:
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
        if self.busy:
            return  # the previous tick is still running: skip rather than queue
        self.submit(self.driver.step)

    def action_back(self) -> None:
        self.driver.back()
        self.refresh_view()

    def action_forward(self) -> None:
        self.driver.forward()
        self.refresh_view()

    def action_live(self) -> None:
        self.driver.to_live()
        self.refresh_view()

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
            self.submit(lambda: self.driver.apply({"do": "advance", "by": value.strip()}))

        self.push_screen(AskDialog("Advance the clock", "advance by (Go duration: 90s, 5m, 1h30m)", default), done)

    def action_semantics(self) -> None:
        if not self._live_only("switch semantics"):
            return
        cur = self.driver.model.semantics
        nxt = SEMANTICS[(SEMANTICS.index(cur) + 1) % len(SEMANTICS)]
        self.notify(f"semantics {cur} → {nxt} (applies from the next tick)")
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

    # ------------------------------------------------------------------ session actions
    def _session_step(self, what: str, make: Callable[[Any], dict[str, Any] | None]) -> None:
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
        self._session_step("kill", lambda r: {"do": "runtime_exit", "name": r.key})

    def action_crash(self) -> None:
        self._session_step("crash", lambda r: {"do": "runtime_exit", "name": r.key, "crash": True})

    def action_activity(self) -> None:
        self._session_step("activity", lambda r: {"do": "activity", "name": r.key})

    def action_attach(self) -> None:
        def make(r):
            rt = self.driver.frame().model().world.runtime.get(r.key)
            return {"do": "detach" if rt is not None and rt.attached else "attach", "name": r.key}

        self._session_step("attach", make)

    def action_drain_ack(self) -> None:
        self._session_step("drain ack", lambda r: {"do": "drain_ack", "name": r.key})

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
        current = str(model.world.scale_check(template))
        agent = model.city.agent(template)
        if agent is not None and not agent.has_scale_check:
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
            self.submit(lambda: self.driver.apply({"do": "set_scale_check", "template": template, "value": parsed}))

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

    # ------------------------------------------------------------------ panels, filter, help, export
    def action_focus(self, panel_id: str) -> None:
        self.panel(panel_id).focus_target().focus()

    def action_zoom(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        else:
            self.screen.maximize(self.focused_panel(), container=False)

    def action_toggle_changed(self) -> None:
        s = self.sessions
        s.changed_only = not s.changed_only
        self.refresh_view()

    def action_follow(self) -> None:
        self.events_panel.set_follow(True)

    def action_filter(self) -> None:
        panel = self.focused_panel()
        if isinstance(panel, WhyPanel):
            panel = self.sessions

        def done(value: str | None) -> None:
            if value is None:
                return
            panel.set_filter(value)
            self.refresh_view()

        self.push_screen(AskDialog(f"Filter {panel.border_title}", "show rows containing (!text hides them)",
                                   panel.filter_text), done)

    def action_clear_filter(self) -> None:
        panel = self.focused_panel()
        if panel.filter_text:
            panel.set_filter("")
            self.refresh_view()

    def action_help(self) -> None:
        panel = self.focused_panel()
        self.push_screen(HelpScreen(panel.panel_id, str(panel.border_title), panel.HELP, self.MODE))

    def action_export(self) -> None:
        from core.export import ExportError, ExportExists, save

        default = os.path.join(os.getcwd(), f"{_slug(self.driver.start.name)}-session.toml")

        def write(target: str, overwrite: bool) -> None:
            try:
                path = save(self.driver, target, overwrite=overwrite)
            except ExportExists:
                self.push_screen(AskDialog("Export scenario", f"{target} exists: type yes to replace it", ""),
                                 lambda answer: answer and answer.strip().lower() in ("y", "yes")
                                 and write(target, True))
                return
            except ExportError as e:
                self.notify(str(e), severity="error")
                return
            self.notify(f"saved {path} ({self.driver.frame().steps_taken} steps)", title="exported")

        def done(value: str | None) -> None:
            if value and value.strip():
                write(value.strip(), False)

        self.push_screen(AskDialog("Export scenario", "save this session (up to the viewed step) as", default), done)

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        for c in controls(self.MODE):
            if c.id in ("quit", "help") or c.action.startswith("focus("):
                continue
            yield SystemCommand(c.title, c.help, partial(self.run_action, c.action))

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
        """A new valid revision (on the watcher's worker thread): queue it for the next tick."""
        self.driver.reload(verdict.loaded.city, verdict.loaded.source)

    def _config_checked(self, verdict) -> None:
        """The watcher looked at the config on disk: show its located error, or clear it."""
        self.reloads += 1
        banner = self.query_one(Banner)
        was = self.config_error
        self.config_error = verdict.error
        if verdict.error is not None:
            reasons = [_short_paths(e).render() for e in verdict.errors]
            banner.show_error(reasons, self.driver.model.city.revision)
            if was is None or was.render() != verdict.error.render():  # each new error once, not every look
                for reason in reasons:
                    self.driver.note("error", f"config error: {reason}")
        else:
            banner.clear_error()
        self.refresh_view()


def _short_paths(err):
    """The error with its file shown relative to the working directory when it lies below it."""
    rel = os.path.relpath(err.file) if err.file else err.file
    if not err.file or rel.startswith(os.pardir):
        return err
    return err.with_file(rel)


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.lower()).strip("-") or "city"


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

    heap.tune_collector()
    try:
        driver, running = make_driver(args)
    except OpenError as e:
        for line in str(e).splitlines():  # one located reason per line
            print(f"citywatch: {printable(line)}", file=sys.stderr)
        return 2
    heap.settle()
    CitywatchApp(driver, running=running).run()
    return 0
