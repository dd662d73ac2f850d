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
from typing import Any

from textual import on, work
from textual.widget import Widget
from textual.widgets import DataTable

from core.explain.explanation import explain_session
from core.formats.durations import DurationError, parse_duration
from core.guards.safetext import printable
from core.identity import SEMANTICS, semantics_label
from core.model.scalecheck import operator_value
from core.session.driver import Driver, OpenError, Result
from core.settings import Settings
from core.steps import Step
from core.steps.config import SetScaleCheck
from core.steps.controller import Advance
from core.steps.runtime import Activity, Attach, Detach, DrainAck, RuntimeExit
from core.views.board import board, changes
from core.views.roster import agent_detail
from core.world.suspension import city_note
from tui import layout
from tui.base_app import BaseApp
from tui.commands import MODEL, bindings
from tui.layout import Grid
from tui.screens.choice import ChoiceDialog
from tui.screens.dialog import AskDialog
from tui.widgets.agents import AgentsPanel
from tui.widgets.alarms import AlarmsPanel
from tui.widgets.checks import ChecksPanel
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
HIGHLIGHT_SECONDS = 1.5  # how long the rows changed by the last step stay highlighted
PREFETCH_AFTER = 0.25  # seconds stopped on a past frame before its neighbours are prepared

MODEL_GRID: Grid = (
    (("agents",), ("sessions",)),
    (("deferrals", "alarms", "checks"), ("trackers",), ("why",)),
    (("events",),),
)


class CitywatchApp(BaseApp):
    """The panels over a model the operator steps, travels and changes (see the module doc)."""

    _why_agents = False  # the Why panel shows the selected template (the Agents table was focused last)
    TITLE = "citywatch"
    BINDINGS = bindings("app")
    MODE = MODEL
    GRID: Grid = MODEL_GRID

    def __init__(self, driver: Driver, *, running: bool = False, speed: float = 2.0, watch: bool = True,
                 watch_debounce_ms: int = 200, settings: Settings | None = None) -> None:
        super().__init__(settings)
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
        self._highlight_until_render: int | None = None  # the frame whose changed rows are highlighted
        self._highlight_timer = None
        self._prefetch_timer = None
        self._announced: set[int] = set()  # frames whose new alarms were announced
        self._logged_config_error = ""
        self.last_plan = None  # the what-if plan of the last config edit seen on disk (`P`)

    # ------------------------------------------------------------------ layout
    def present_panels(self) -> list[str]:
        """The panels this session has (Checks only for a scenario with expectations)."""
        return [p for p in layout.panels(self.GRID) if p != "checks" or self.driver.expects]

    def make_panel(self, panel_id: str) -> Panel:
        return {"agents": AgentsPanel, "sessions": SessionsPanel, "deferrals": DeferralsPanel,
                "alarms": AlarmsPanel, "checks": ChecksPanel, "trackers": TrackersPanel, "why": WhyPanel,
                "events": EventsPanel}[panel_id]()

    def make_header(self) -> Widget:
        return StatusBar(id="status")

    def start_sources(self) -> None:
        self._set_timer()
        self.start_watching()

    # ------------------------------------------------------------------ rendering
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
        from core.scenario.file import check_summary

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

    def refusal(self, control_id: str) -> str:
        return "only when attached to a live city (citywatch --attach CITY_DIR)"

    # ------------------------------------------------------------------ session actions
    def _session_step(self, what: str, make: Callable[[Any], Step | None]) -> None:
        if not self._live_only(what):
            return
        row = self.selected_session()
        if row is None:
            self.notify(f"{what}: select a session first", severity="warning")
            return
        if not self.driver.has_runtime_session(row.key):
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
        identity = row.target_identity or row.key
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
            try:
                parsed = operator_value(value)
            except ValueError as e:
                self.notify(f"scale_check: {e}; type a count or \"error\"", severity="error")
                return
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

    # ------------------------------------------------------------------ export
    def action_export(self) -> None:
        from core.session.export import default_export_path
        from tui.screens.export import ExportDialog

        d = self.driver
        f = d.frame()
        default = default_export_path(self.settings.export_dir, d.start.name, f.tick)
        self.push_screen(ExportDialog(default, f.steps_taken, f.tick), self._export_answered)

    def _export_answered(self, answer) -> None:
        from core.session.export import ExportError, check_target

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
        """Write the export off the UI thread: the demo script's presses are made again by
        replaying the session (core/session/replay.py), which takes a while after a long watch."""
        from core.session.export import ExportError, save

        d = self.driver
        if d.steps.scripted:
            self.notify(f"replaying the session's {d.frame().steps_taken} steps to write them…", title="exporting",
                        timeout=4)

        def work() -> None:
            try:
                saved = save(d, path, pin=pin, overwrite=overwrite)
            except Exception as e:  # noqa: BLE001 - ExportError (ExportExists included: a file that appeared
                # meanwhile is kept), or a bug: either way the app stays and says why
                msg = str(e) if isinstance(e, ExportError) else f"{type(e).__name__}: {e}"
                self.call_from_thread(self.notify, msg, title="not exported", severity="error", timeout=8)
                return
            self.call_from_thread(self._exported, saved)

        self.run_worker(work, thread=True, group="export", exit_on_error=False,
                        description="write the session as a scenario")

    def _exported(self, saved) -> None:
        self.notify(f"saved {saved.path} ({saved.steps} steps{', ' + str(saved.pinned) + ' expectations pinned' if saved.pinned else ''}); "
                    f"config copied to {saved.config_dir}" if saved.config_dir else f"saved {saved.path}",
                    title="exported", timeout=8)

    # ------------------------------------------------------------------ events
    def note_event(self, kind: str, text: str) -> None:
        self.driver.note(kind, text)

    # ------------------------------------------------------------------ hot reload
    def start_watching(self) -> None:
        if not self.watch_enabled:
            return
        from core.session.reload import Reloader

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


def _short_paths(err):
    """The error with its file shown relative to the working directory when it lies below it."""
    rel = os.path.relpath(err.file) if err.file else err.file
    if not err.file or rel.startswith(os.pardir):
        return err
    return err.with_file(rel)


def make_driver(args: argparse.Namespace) -> tuple[Driver, bool]:
    """The session the command line asks for, and whether it starts running."""
    from core.session.driver import LiveScaleChecks, open_city, open_scenario

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
    from core import gc_tuning as heap
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
