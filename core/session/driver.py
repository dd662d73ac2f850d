"""Drives a Model one recorded step at a time: what the TUI's keys, timer and watcher call.

Every change is a scenario step (scenario-format.md's `do` table, plus citywatch's extensions),
run through `Model.do`, so what an operator does in the app is exactly what an exported scenario
replays. After each press the driver records a `Frame`; the UI only ever reads frames, so a tick
may run on a worker thread while the screen redraws the last one.

A step that raises leaves the model as it was before the press (the last good state) and
records the error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from core.alarms import AlarmThresholds
from core.config.city_config import City
from core.model.facade import Model, ModelError
from core.model.patrol import tick_steps
from core.outcome import Outcome
from core.scenario.file import CheckResult
from core.session.history import DEFAULT_LIMIT, EventLine, Frame, History, outcome_lines
from core.session.reload import ConfigSource
from core.session.replay import Origin, replayed_steps
from core.session.steplog import Recorded, StepLog
from core.steps import Step, UnknownStep, as_step
from core.steps.beads import AddWork, UpdateWork
from core.steps.config import EditConfig
from core.steps.controller import SetSemantics
from core.views.event_line import StepLines
from core.world.tables import world_tables

if TYPE_CHECKING:
    from core.change_plan import Plan

# Closed session beads, and closed work beads, a session keeps in memory (World.forget_closed): a
# day-long watch of a city that churns pool sessions closes one every few ticks.
KEEP_CLOSED_SESSIONS = 2000


class Script(Protocol):
    """Decides what one press of "step" does."""

    def next_steps(self, model: Model) -> Sequence[Step | Mapping[str, Any]]:
        """The steps of the next press (without consuming them): typed records, or their tables."""
        ...

    # A script may say `replayable = True`: next_steps is a function of the model alone and done()
    # changes nothing, so its presses are kept as sizes and made again for an export.

    def done(self) -> None:
        """The steps last returned ran: move on (a failed press is retried as it was)."""
        ...

    def describe(self, model: Model) -> str: ...

    def checkpoint(self) -> Any:
        """Where the script stands now (a what-if fork resumes from a frame's checkpoint)."""
        ...

    def restore(self, state: Any) -> None:
        """Go back to a `checkpoint()`."""
        ...

    def checks(self, model: Model, outcome: Outcome | None) -> tuple[CheckResult, ...]:
        """The scenario expectations due now the step that was just done ran (none for a plain city)."""
        ...


class Unscripted:
    """What a script without expectations or a position of its own does for the optional hooks."""

    def checkpoint(self) -> Any:
        return None

    def restore(self, state: Any) -> None:
        pass

    def checks(self, model: Model, outcome: Outcome | None) -> tuple[CheckResult, ...]:
        return ()


class Ticks(Unscripted):
    """The plain script: every press is one patrol interval and one tick."""

    def next_steps(self, model: Model) -> list[Step]:
        return tick_steps(model)

    def done(self) -> None:
        pass

    def describe(self, model: Model) -> str:
        return f"tick every {model.city.daemon.patrol_interval or '30s'}"


@dataclass
class Start:
    """What an export writes before its steps: the session's first config and world."""

    name: str
    config: ConfigSource
    world: dict[str, Any]  # scenario tables: start, scale_check, session, runtime, work
    semantics: str
    adopt_on_start: bool
    steps_base: str = ""  # directory that relative paths in recorded steps resolve against


@dataclass
class Result:
    """What a press did: the frame it recorded, and the error if it failed."""

    frame: Frame
    error: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds by tick phase (Outcome.timings)

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class Fork:
    """A what-if fork: the session went on from a past frame instead of the live one. The main
    line (everything after that frame) is kept aside and comes back when the fork is left."""

    from_index: int
    from_tick: int
    set_aside: int  # frames of the main line after the fork point


@dataclass
class _Line:
    """A line of history set aside while a what-if fork runs: enough to put it all back."""

    world: Any
    city: City
    semantics: str
    last_desired: Any
    pending_city: City | None
    frames: list[Frame]
    steps: StepLog
    config: ConfigSource
    counter: int
    script_state: Any
    notes: list[str]


class Driver:
    def __init__(self, model: Model, start: Start, *, script: Script | None = None,
                 load_step_city: Callable[[EditConfig], City] | None = None,
                 history_limit: int = DEFAULT_LIMIT, start_notes: Sequence[str] = (),
                 thresholds: AlarmThresholds | None = None, keep_closed: int = KEEP_CLOSED_SESSIONS) -> None:
        self.model = model
        self.keep_closed = keep_closed
        self.forgotten = 0  # closed beads forgotten so far (World.forget_closed)
        self.start = start
        self.script: Script = script or Ticks()
        self._load_step_city = load_step_city
        self.history = History(history_limit)
        self.steps = StepLog()
        # A replayable script's presses are kept as sizes; an export replays them from here.
        self._origin = Origin.of(model) if getattr(self.script, "replayable", False) else None
        self.config = start.config
        self.thresholds = thresholds or AlarmThresholds()
        self._lock = threading.RLock()
        self._counter = 0
        self.view_index: int | None = None  # None = live
        self.fork: Fork | None = None
        self._main: _Line | None = None
        self.expects: list[dict[str, Any]] = list(getattr(self.script, "expects", []) or [])  # [[expect]] blocks
        from core.views.confignotes import config_notes

        self._notes = config_notes(model.city)  # the config notes last logged
        self.history.append(self._frame("start", Outcome(warnings=list(start_notes) + list(self._notes)), "",
                                        _checks(self.script, model, None)))

    # ------------------------------------------------------------------ reading
    @property
    def live(self) -> Frame:
        return self.history.latest

    @property
    def viewing_past(self) -> bool:
        return self.view_index is not None

    @property
    def scale_checks_live(self) -> bool:
        """Whether scale_check commands run for real (`--run-scale-checks`); else values are simulated."""
        return isinstance(self.script, LiveScaleChecks)

    def frame(self) -> Frame:
        """The frame the operator is looking at: live, or the one time travel stopped on."""
        if self.view_index is None:
            return self.history.latest
        f = self.history.get(self.view_index)
        if f is None:
            self.view_index = None
            return self.history.latest
        return f

    def previous(self, frame: Frame) -> Frame | None:
        """The frame recorded just before `frame`, if it is still kept."""
        return self.history.get(frame.index - 1)

    def lines(self, limit: int = 2000) -> list[EventLine]:
        return self.history.lines_until(self.frame().index, limit)

    def scenario_name(self) -> str:
        """The scenario's name when the session is a scenario with a script of its own, else ""."""
        return self.start.name if isinstance(_inner(self.script), ScenarioSteps) else ""

    def checks_until(self, frame: Frame | None = None) -> list[CheckResult]:
        """The scenario expectations evaluated up to `frame` (default: the viewed one), in order."""
        upto = (frame or self.frame()).index
        return [c for f in self.history if f.index <= upto for c in f.checks]

    # ------------------------------------------------------------------ time travel
    def back(self, n: int = 1) -> Frame:
        """Step the view `n` recorded frames back (stops at the oldest kept frame)."""
        return self.go_to(self.frame().index - n)

    def forward(self, n: int = 1) -> Frame:
        """Step the view `n` frames forward; reaching the newest frame returns to live."""
        if self.view_index is None:
            return self.frame()
        return self.go_to(self.view_index + n)

    def go_to(self, index: int) -> Frame:
        """View the frame recorded as `index` (clamped to the kept ones; the newest is live)."""
        target = min(max(index, self.history.oldest.index), self.history.latest.index)
        self.view_index = None if target == self.history.latest.index else target
        return self.frame()

    def first(self) -> Frame:
        """View the oldest kept frame."""
        return self.go_to(self.history.oldest.index)

    def frame_at_tick(self, tick: int) -> Frame:
        """View the first kept frame at controller tick `tick` (the nearest when there is none)."""
        best = min(self.history, key=lambda f: (abs(f.tick - tick), f.index))
        return self.go_to(best.index)

    def to_live(self) -> Frame:
        self.view_index = None
        return self.frame()

    # ------------------------------------------------------------------ what-if forks
    def branch(self) -> Fork:
        """Go on from the viewed past frame: the model returns to it and becomes live there (a
        what-if fork). The frames after it are set aside, not lost: `leave_fork` brings the main
        line back. Branching again inside a fork forks from the fork."""
        with self._lock:
            f = self.frame()
            m = self.model
            if self._main is None:
                self._main = _Line(m.world.snapshot(), m.city, m.semantics, m.last_desired, m.pending_city,
                                   self.history.frames(), StepLog(self.steps), self.config, self._counter,
                                   _checkpoint(self.script), list(self._notes))
            dropped = self.history.truncate(f.index)
            self._restore_frame(f)
            self.view_index = None
            self.fork = Fork(f.index, f.tick, (self.fork.set_aside if self.fork else 0) + len(dropped))
            return self.fork

    def leave_fork(self) -> Frame:
        """End a what-if fork: the main line comes back, live."""
        with self._lock:
            line = self._main
            if line is None:
                return self.frame()
            m = self.model
            m.world.restore(line.world)
            m.city, m.semantics, m.last_desired, m.pending_city = line.city, line.semantics, line.last_desired, \
                line.pending_city
            self.history.reset(line.frames)
            self.steps, self.config, self._counter = line.steps, line.config, line.counter
            _restore_script(self.script, line.script_state)
            self._notes = line.notes
            self._main, self.fork, self.view_index = None, None, None
            return self.frame()

    def _restore_frame(self, f: Frame) -> None:
        """Make the model what it was after frame `f`, with the steps and script that led there."""
        m = self.model
        m.world.restore(f.world)
        m.city, m.semantics, m.last_desired, m.pending_city = f.city, f.semantics, f.desired, f.pending_city
        m.adopt_on_start = f.adopt_on_start
        self.steps = self.steps.upto(f.steps_taken)
        self.config = self.steps.last_config() or self.start.config
        self._counter = f.index + 1
        _restore_script(self.script, f.script_state)
        from core.views.confignotes import config_notes

        self._notes = config_notes(f.city)

    # ------------------------------------------------------------------ changing the model
    def step(self) -> Result:
        """One press of "step": whatever the script says (normally one tick)."""
        with self._lock:
            steps = self.script.next_steps(self.model)
            label = ", ".join(_label(s) for s in steps)
            return self._run(steps, label, scripted=True)

    def apply(self, step: Step | Mapping[str, Any], config: ConfigSource | None = None, label: str = "") -> Result:
        """Run one operator step (a poke such as a kill, or a config edit) now."""
        with self._lock:
            return self._run([step], label or _label(step), configs={0: config} if config else None)

    def reload(self, city: City, source: ConfigSource) -> Result:
        """Queue a new config; the model applies it at its next tick (Gas City's hot reload)."""
        from core.model.facade import diff_cities

        with self._lock:
            base = self.model.pending_city or self.model.city
            label = f"config edit queued (revision {city.revision}): {diff_cities(base, city).summary()}"
            result = self.apply(EditConfig(loaded=city), config=source, label=label)
            if result.ok:
                from core.views.confignotes import config_notes

                result = Result(self._amend(self._note_lines(config_notes(city))))
            return result

    def what_if(self, city: City, label: str = "the edited config") -> Plan:
        """What `city` would do to the live model if it were applied now: the plan of
        core.change_plan, run on a copy taken under the lock (the model is not touched, and the
        copy runs outside the lock so stepping is not held up). Raises PlanError as plan does."""
        from core.change_plan import plan_from
        from core.change_plan.source import Start as PlanStart
        from core.world.world import World

        with self._lock:
            m = self.model
            start = PlanStart("model", "the running model", m.pending_city or m.city,
                              World.from_state(m.world.snapshot(), prefix=m.world.store.prefix), m.semantics,
                              fresh=False)
        return plan_from(start, label, city)

    def note(self, kind: str, text: str, session: str = "") -> Frame:
        """Log a line in Events that no step produced (a config error seen on disk, say), on the
        newest frame."""
        with self._lock:
            return self._amend([(kind, text)], session)

    def _amend(self, lines: list[tuple[str, str]], session: str = "") -> Frame:
        f = self.history.latest
        extra = tuple(EventLine(f.index, f.tick, f.now, kind, text, session) for kind, text in lines)
        frame = _with_lines(f, StepLines(f.index, f.tick, f.now, [*f.lines, *extra], _lines_of(f)))
        self.history.replace_latest(frame)
        return frame

    def set_thresholds(self, thresholds: AlarmThresholds) -> None:
        """Use these alarm thresholds from now on (the newest frame's alarms are recomputed)."""
        from dataclasses import replace

        from core.session.loops import observe, recent_events

        with self._lock:
            self.thresholds = thresholds
            f = self.history.latest
            prev = self.previous(f)
            earlier = recent_events(((x.now, x.loops) for x in reversed(self.history) if x.index < f.index), f.now)
            loops = observe(f.model(), prev.loops if prev else None, f.loops.events if f.loops else (), earlier,
                            thresholds)
            self.history.replace_latest(replace(f, loops=loops))

    def _note_lines(self, notes: list[str]) -> list[tuple[str, str]]:
        """The Events lines for a reloaded config's notes: each note the config before it did not
        have, as a warning, then how many are unchanged and how many went. A note that went and
        comes back is new again."""
        before = set(self._notes)
        fresh = [n for n in notes if n not in before]
        kept = len(notes) - len(fresh)
        gone = len(before - set(notes))
        self._notes = list(notes)
        lines = [("warning", n) for n in fresh]
        counts = [f"{kept} unchanged" if kept else "", f"{gone} gone" if gone else ""]
        if any(counts):
            word = "warning" if kept + gone == 1 else "warnings"
            lines.append(("config", f"config {word}: " + ", ".join(c for c in counts if c)))
        return lines

    def add_routed_work(self, template: str, priority: int = 0) -> Result:
        """A new ready work bead routed to `template` (its id is the next free `w-N`)."""
        with self._lock:
            wid = self.model.new_work_id()
            return self.apply(AddWork(id=wid, routed_to=template, priority=priority,
                                      given=("id", "routed_to", "priority")))

    def has_runtime_session(self, name: str) -> bool:
        """Whether the runtime of the frame on screen has a session named `name` (alive or not).
        Read from the frame, not the live model, so it never waits for a tick in progress."""
        return self.frame().model().world.runtime.get(name) is not None

    def suggest_work_for(self, template: str) -> str:
        """The work bead an operator most likely wants to assign: the oldest open, unassigned bead
        routed to `template`, else a fresh id."""
        with self._lock:
            store = self.model.world.store
            free = [w for w in store.open_work() if w.routed_to == template and not w.assignee]
            return free[0].id if free else self.model.new_work_id()

    def assign_work(self, work_id: str, identity: str, template: str = "") -> Result:
        """Assign `work_id` to `identity` (in progress); a work id that does not exist yet is
        created, routed to `template`."""
        with self._lock:
            if self.model.world.store.work_bead(work_id) is None:
                keys = ("id", "status", "assignee") + (("routed_to",) if template else ())
                return self.apply(AddWork(id=work_id, status="in_progress", assignee=identity, routed_to=template,
                                          given=keys))
            return self.apply(UpdateWork(id=work_id, assignee=identity, status="in_progress",
                                         given=("id", "assignee", "status")))

    def set_semantics(self, semantics: str) -> Result:
        return self.apply(SetSemantics(semantics=semantics))

    def _run(self, steps: Sequence[Step | Mapping[str, Any]], label: str,
             configs: dict[int, ConfigSource] | None = None, scripted: bool = False) -> Result:
        m = self.model
        saved = (m.world.snapshot(), m.city, m.semantics, m.last_desired, m.pending_city)
        out = Outcome()
        try:
            for st in steps:
                out.extend(m.do(st, load_city=self._step_city))
        except Exception as e:  # a model bug or a refused poke: keep the last good state
            ws, m.city, m.semantics, m.last_desired, m.pending_city = saved
            m.world.restore(ws)
            msg = str(e) if isinstance(e, ModelError) else f"{type(e).__name__}: {e}"
            frame = self._frame(f"failed: {label}", Outcome(error=f"{label} failed: {msg}"), msg)
            self.history.append(frame)
            return Result(frame, msg)
        self.steps.add([Recorded(as_step(st), (configs or {}).get(i)) for i, st in enumerate(steps)],
                       scripted=scripted and self._origin is not None)
        for i in range(len(steps)):
            if configs and configs.get(i) is not None:
                self.config = configs[i]
        forgot = m.world.forget_closed(self.keep_closed)
        if forgot and not self.forgotten:
            out.notes.append(f"citywatch keeps the newest {self.keep_closed} closed session beads and closed work "
                            "beads in memory; older ones nothing refers to any more are forgotten as the session "
                            "runs on")
        self.forgotten += forgot
        checks: tuple[CheckResult, ...] = ()
        if scripted:
            self.script.done()
            checks = _checks(self.script, m, out)
        frame = self._frame(label, out, "", checks)
        self.history.append(frame)
        return Result(frame, timings=out.timings)

    def recorded(self, upto: int | None = None) -> list[Recorded]:
        """The steps run so far (the first `upto`), each as it ran: presses the script made are
        made again by replaying the session from its start (core/session/replay.py)."""
        with self._lock:
            log = self.steps if upto is None else self.steps.upto(upto)
            origin, script, keep = self._origin, self.script, self.keep_closed
        if not log.scripted or origin is None:
            return [r for r in log if isinstance(r, Recorded)]
        return list(replayed_steps(origin, log, script.next_steps, self._step_city, keep))

    def _step_city(self, step: EditConfig) -> City:
        if self._load_step_city is None:
            raise ModelError("this session cannot load a config from a step")
        return self._load_step_city(step)

    def _frame(self, label: str, out: Outcome, error: str, checks: tuple[CheckResult, ...] = ()) -> Frame:
        from core.session.loops import event_records, observe, recent_events

        m = self.model
        prev = self.history.latest if len(self.history) else None
        if m.last_desired is not None and prev is not None:
            m.last_desired.share_unchanged(prev.desired)
            if prev.desired is not None:
                prev.desired.retire(m.last_desired)
        idx = self._counter
        self._counter += 1
        now = m.world.now
        lines = outcome_lines(out, idx, m.world.tick, now)
        if label and label != "start" and not error:
            lines.insert(0, EventLine(idx, m.world.tick, now, "step", label))
        earlier = recent_events(((f.now, f.loops) for f in reversed(self.history)), now)
        loops = observe(m, prev.loops if prev is not None else None, event_records(out.events, now), earlier,
                        self.thresholds)
        for a in loops.raised:
            lines.append(EventLine(idx, m.world.tick, now, "alarm", f"{a.kind} {a.subject}: {a.message}",
                                   a.bead_ids[0] if a.bead_ids else a.subject))
        for c in checks:
            lines.append(EventLine(idx, m.world.tick, now, "check", c.line()))
        return Frame(idx, label, len(self.steps), m.world.snapshot(), m.city, m.semantics, m.last_desired,
                     m.pending_city, StepLines(idx, m.world.tick, now, lines, _lines_of(prev)), error, m.adopt_on_start, m.world.store.prefix, loops,
                     _checkpoint(self.script), checks)


def _lines_of(frame: Frame | None) -> StepLines | None:
    """The frame's lines when they are kept as StepLines: a new step's lines share the lines
    they repeat with them."""
    return frame.lines if frame is not None and isinstance(frame.lines, StepLines) else None


def _inner(script: Script) -> Script:
    return script.inner if isinstance(script, LiveScaleChecks) else script


# A script need not implement the optional hooks (a benchmark's churn script does not).
def _checks(script: Script, model: Model, outcome: Outcome | None) -> tuple[CheckResult, ...]:
    hook = getattr(script, "checks", None)
    return tuple(hook(model, outcome)) if hook is not None else ()


def _checkpoint(script: Script) -> Any:
    hook = getattr(script, "checkpoint", None)
    return hook() if hook is not None else None


def _restore_script(script: Script, state: Any) -> None:
    hook = getattr(script, "restore", None)
    if hook is not None:
        hook(state)


def _with_lines(frame: Frame, lines: Sequence[EventLine]) -> Frame:
    from dataclasses import replace

    return replace(frame, lines=lines, _cache={})


def _label(step: Step | Mapping[str, Any]) -> str:
    """The step's label (core/steps); a table no kind reads is named by its `do` (running it fails)."""
    try:
        return as_step(step).label()
    except UnknownStep:
        return str(step.get("do") if isinstance(step, Mapping) else step)


class ScenarioSteps(Unscripted):
    """A scenario's own steps, one per press; then plain ticks once they run out. With the
    scenario's [[expect]] blocks, each is evaluated as soon as the step it follows has run."""

    def __init__(self, steps: list[Step], expects: list[dict[str, Any]] | None = None,
                 name: str = "") -> None:
        self.all = list(steps)
        self.pending = list(steps)
        self.total = len(steps)
        self.expects = list(expects or [])
        self.name = name

    def next_steps(self, model: Model) -> list[Step]:
        if self.pending:
            return [self.pending[0]]
        return tick_steps(model)

    def done(self) -> None:
        if self.pending:
            self.pending.pop(0)
            self._just_ran = True
        else:
            self._just_ran = False

    _just_ran = False

    @property
    def taken(self) -> int:
        return self.total - len(self.pending)

    def describe(self, model: Model) -> str:
        done = self.taken
        if self.pending:
            return f"scenario step {done + 1}/{self.total} next: {_label(self.pending[0])}"
        return f"scenario done ({self.total} steps); then {Ticks().describe(model)}"

    def checkpoint(self) -> Any:
        return self.taken

    def restore(self, state: Any) -> None:
        self.pending = self.all[int(state or 0):]

    def checks(self, model: Model, outcome: Outcome | None) -> tuple[CheckResult, ...]:
        """The expectations that follow the step just taken (those after step 0 at the start)."""
        from core.scenario.file import evaluate_expect
        from core.views.state_json import state

        if outcome is not None and not self._just_ran:
            return ()  # past the scenario's end: plain ticks check nothing
        n = self.taken if outcome is not None else 0
        due = [e for e in self.expects if e["after"] == n]
        if not due:
            return ()
        do = self.all[n - 1].do if n else ""
        st = state(model, n, do, outcome)
        return tuple(evaluate_expect(e, st) for e in due)


class LiveScaleChecks(Unscripted):
    """Wraps a script: before each tick, run every scale_check command for real (only when the
    operator opted in) and record changed outcomes as `set_scale_check` steps (`ran`, and the
    reason of a failure), so an export replays the values the commands printed; the tick records
    when the unchanged ones ran (core/model/scalecheck.py `with_live_runs`)."""

    def __init__(self, inner: Script, timeout: float) -> None:
        self.inner = inner
        self.timeout = timeout

    def next_steps(self, model: Model) -> list[Step]:
        from core.model.scalecheck import with_live_runs

        return with_live_runs(model, self.inner.next_steps(model), self.timeout)

    def done(self) -> None:
        self.inner.done()

    def describe(self, model: Model) -> str:
        return self.inner.describe(model) + " · scale_checks run for real"

    def checkpoint(self) -> Any:
        return _checkpoint(self.inner)

    def restore(self, state: Any) -> None:
        _restore_script(self.inner, state)

    def checks(self, model: Model, outcome: Outcome | None) -> tuple[CheckResult, ...]:
        return _checks(self.inner, model, outcome)


class OpenError(Exception):
    """A city or scenario that cannot be opened; the message is located (file, line, field)."""


def open_city(path: str, semantics: str = "current", packs_dir: str = "", *, strict: bool = True) -> Driver:
    """A session on a city.toml (or a directory holding one), starting from an empty world;
    `packs_dir` holds local copies of remote packs by name (`--packs`). A city Gas City's loader
    or validators refuse is not opened: OpenError lists every reason, one located reason per
    line. A city that only strict mode refuses (`gc start`'s default) is opened as
    `gc start --no-strict` would run it, the only way a controller can, and the first Events
    lines say what strict mode refused; its reloads are then not strict either."""
    from core.session.reload import load

    if packs_dir and not os.path.isdir(packs_dir):
        raise OpenError(f"--packs {packs_dir}: not a directory")
    loaded = load(path, packs_dir, strict=strict)
    notes: list[str] = []
    if not loaded.ok and strict:
        relaxed = load(path, packs_dir, strict=False)
        if relaxed.ok:
            notes = [f"gc start would refuse this city in strict mode (its default): {e.render()}"
                     for e in loaded.reasons]
            notes.append("citywatch runs it as `gc start --no-strict` would; reloads are not strict either")
            loaded = relaxed
    if not loaded.ok:
        raise OpenError("\n".join(e.render() for e in loaded.reasons))
    assert loaded.city is not None and loaded.source is not None
    model = Model(loaded.city, semantics=semantics)
    start = Start(loaded.city.name, loaded.source, world_tables(model.world), semantics, True,
                  loaded.source.base_dir)
    return Driver(model, start, start_notes=notes)


def open_scenario(path: str, *, script: Script | None = None, history_limit: int = DEFAULT_LIMIT) -> Driver:
    """A session on a scenario file: its config and world at step 0; "step" runs its steps.
    `history_limit`: how many recorded steps time travel keeps."""
    from core.scenario.file import ScenarioError, load_scenario
    from core.session.reload import file_source, inline_source

    try:
        scn = load_scenario(path)
    except ScenarioError as e:
        raise OpenError(str(e)) from e
    except OSError as e:
        raise OpenError(f"{path}: cannot read the scenario: {e.strerror or e}") from e
    model = scn.model()
    base = os.path.dirname(os.path.abspath(path))
    if "city_file" in scn.data:
        source = file_source(os.path.abspath(os.path.join(base, str(scn.data["city_file"]))), scn.city.revision)
    else:
        source = inline_source(scn.data["city"], path, scn.city.revision)
    start = Start(scn.name, source, world_tables(model.world), scn.semantics, scn.adopt_on_start, base)
    return Driver(model, start, script=script or ScenarioSteps(scn.steps, scn.expects, scn.name),
                  load_step_city=scn.load_step_city, history_limit=history_limit)
