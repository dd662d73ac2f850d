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
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

from core.config.model import City
from core.durations import format_duration, parse_duration
from core.history import DEFAULT_LIMIT, EventLine, Frame, History, outcome_lines
from core.model import Model, ModelError
from core.outcome import Outcome
from core.reload import ConfigSource


class Script(Protocol):
    """Decides what one press of "step" does."""

    def next_steps(self, model: Model) -> list[dict[str, Any]]:
        """The steps of the next press (without consuming them)."""
        ...

    def done(self) -> None:
        """The steps last returned ran: move on (a failed press is retried as it was)."""
        ...

    def describe(self, model: Model) -> str: ...


def tick_steps(model: Model) -> list[dict[str, Any]]:
    """One controller tick one patrol interval after the last (the first tick runs at once)."""
    steps: list[dict[str, Any]] = []
    if model.world.tick > 0:
        steps.append({"do": "advance", "by": model.city.daemon.patrol_interval or "30s"})
    steps.append({"do": "tick"})
    return steps


class Ticks:
    """The plain script: every press is one patrol interval and one tick."""

    def next_steps(self, model: Model) -> list[dict[str, Any]]:
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


@dataclass
class Recorded:
    """One step the driver ran, and for a config edit the config it installed."""
    step: dict[str, Any]
    config: ConfigSource | None = None  # for edit_config steps


class Driver:
    def __init__(self, model: Model, start: Start, *, script: Script | None = None,
                 load_step_city: Callable[[dict[str, Any]], City] | None = None,
                 history_limit: int = DEFAULT_LIMIT, start_notes: Sequence[str] = ()) -> None:
        self.model = model
        self.start = start
        self.script: Script = script or Ticks()
        self._load_step_city = load_step_city
        self.history = History(history_limit)
        self.steps: list[Recorded] = []
        self.config = start.config
        self._lock = threading.RLock()
        self._counter = 0
        self.view_index: int | None = None  # None = live
        from core.reload import config_notes

        self._notes = config_notes(model.city)  # the config notes last logged
        self.history.append(self._frame("start", Outcome(warnings=list(start_notes) + list(self._notes)), ""))

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

    def lines(self, limit: int = 2000) -> list[EventLine]:
        return self.history.lines_until(self.frame().index, limit)

    # ------------------------------------------------------------------ time travel
    def back(self) -> Frame:
        """Step the view one recorded frame back (stops at the oldest kept frame)."""
        cur = self.frame().index
        target = max(cur - 1, self.history.oldest.index)
        self.view_index = target if target != self.history.latest.index else None
        return self.frame()

    def forward(self) -> Frame:
        """Step the view one frame forward; reaching the newest frame returns to live."""
        if self.view_index is None:
            return self.frame()
        target = self.view_index + 1
        self.view_index = None if target >= self.history.latest.index else target
        return self.frame()

    def to_live(self) -> Frame:
        self.view_index = None
        return self.frame()

    # ------------------------------------------------------------------ changing the model
    def step(self) -> Result:
        """One press of "step": whatever the script says (normally one tick)."""
        with self._lock:
            steps = self.script.next_steps(self.model)
            label = ", ".join(_label(s) for s in steps)
            result = self._run(steps, label)
            if result.ok:
                self.script.done()
            return result

    def apply(self, step: dict[str, Any], config: ConfigSource | None = None, label: str = "") -> Result:
        """Run one operator step (a poke such as a kill, or a config edit) now."""
        with self._lock:
            return self._run([step], label or _label(step), configs={0: config} if config else None)

    def reload(self, city: City, source: ConfigSource) -> Result:
        """Queue a new config; the model applies it at its next tick (Gas City's hot reload)."""
        from core.model import diff_cities

        with self._lock:
            base = self.model.pending_city or self.model.city
            label = f"config edit queued (revision {city.revision}): {diff_cities(base, city).summary()}"
            result = self.apply({"do": "edit_config", "_city": city}, config=source, label=label)
            if result.ok:
                from core.reload import config_notes

                f = result.frame
                extra = tuple(EventLine(f.index, f.tick, f.now, kind, text)
                              for kind, text in self._note_lines(config_notes(city)))
                frame = _with_lines(result.frame, result.frame.lines + extra)
                self.history.replace_latest(frame)
                result = Result(frame)
            return result

    def note(self, kind: str, text: str) -> None:
        """Add one line of `kind` to the Events panel, at the newest recorded frame (something
        that happened beside the model, such as a config error the watcher found)."""
        with self._lock:
            f = self.history.latest
            self.history.replace_latest(_with_lines(f, f.lines + (EventLine(f.index, f.tick, f.now, kind, text),)))

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
            return self.apply({"do": "add_work", "id": wid, "routed_to": template, "priority": priority})

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
                step = {"do": "add_work", "id": work_id, "status": "in_progress", "assignee": identity}
                if template:
                    step["routed_to"] = template
                return self.apply(step)
            return self.apply({"do": "update_work", "id": work_id, "assignee": identity, "status": "in_progress"})

    def set_semantics(self, semantics: str) -> Result:
        return self.apply({"do": "set_semantics", "semantics": semantics})

    def _run(self, steps: list[dict[str, Any]], label: str,
             configs: dict[int, ConfigSource] | None = None) -> Result:
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
        for i, st in enumerate(steps):
            self.steps.append(Recorded(st, (configs or {}).get(i)))
            if configs and configs.get(i) is not None:
                self.config = configs[i]
        frame = self._frame(label, out, "")
        self.history.append(frame)
        return Result(frame, timings=out.timings)

    def _step_city(self, step: dict[str, Any]) -> City:
        if "_city" in step:
            return step["_city"]
        if self._load_step_city is None:
            raise ModelError("this session cannot load a config from a step")
        return self._load_step_city(step)

    def _frame(self, label: str, out: Outcome, error: str) -> Frame:
        m = self.model
        if m.last_desired is not None and len(self.history):
            m.last_desired.share_unchanged(self.history.latest.desired)
        idx = self._counter
        self._counter += 1
        lines = tuple(outcome_lines(out, idx, m.world.tick, m.world.now))
        if label and label != "start" and not error:
            lines = (EventLine(idx, m.world.tick, m.world.now, "step", label),) + lines
        return Frame(idx, label, len(self.steps), m.world.snapshot(), m.city, m.semantics, m.last_desired,
                     m.pending_city, lines, error, m.adopt_on_start, m.world.store.prefix)


def _with_lines(frame: Frame, lines: tuple[EventLine, ...]) -> Frame:
    from dataclasses import replace

    return replace(frame, lines=lines, _cache={})


def _label(step: dict[str, Any]) -> str:
    kind = step["do"]
    if kind == "tick":
        return "tick"
    if kind == "advance":
        return f"advance {format_duration(parse_duration(step.get('by', '30s')))}"
    if kind == "edit_config":
        return "config edit"
    if kind == "set_scale_check" and step.get("ran"):
        return f"scale_check {step['template']} read {step['value']}"
    args = [str(v) for k, v in step.items() if k not in ("do",) and not k.startswith("_")]
    return f"{kind} " + " ".join(args) if args else kind


class ScenarioSteps:
    """A scenario's own steps, one per press; then plain ticks once they run out."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        self.pending = list(steps)
        self.total = len(steps)

    def next_steps(self, model: Model) -> list[dict[str, Any]]:
        if self.pending:
            return [self.pending[0]]
        return tick_steps(model)

    def done(self) -> None:
        if self.pending:
            self.pending.pop(0)

    def describe(self, model: Model) -> str:
        done = self.total - len(self.pending)
        if self.pending:
            return f"scenario step {done + 1}/{self.total} next: {_label(self.pending[0])}"
        return f"scenario done ({self.total} steps); then {Ticks().describe(model)}"


class LiveScaleChecks:
    """Wraps a script: before each tick, run every scale_check command for real (only when the
    operator opted in) and record changed outcomes as `set_scale_check` steps (`ran`, and the
    reason of a failure), so an export replays the values the commands printed; the tick records
    when the unchanged ones ran (core/scalecheck.py `with_live_runs`)."""

    def __init__(self, inner: Script, timeout: float) -> None:
        self.inner = inner
        self.timeout = timeout

    def next_steps(self, model: Model) -> list[dict[str, Any]]:
        from core.scalecheck import with_live_runs

        return with_live_runs(model, self.inner.next_steps(model), self.timeout)

    def done(self) -> None:
        self.inner.done()

    def describe(self, model: Model) -> str:
        return self.inner.describe(model) + " · scale_checks run for real"


class OpenError(Exception):
    """A city or scenario that cannot be opened; the message is located (file, line, field)."""


def open_city(path: str, semantics: str = "current", packs_dir: str = "", *, strict: bool = True) -> Driver:
    """A session on a city.toml (or a directory holding one), starting from an empty world;
    `packs_dir` holds local copies of remote packs by name (`--packs`). A city Gas City's loader
    or validators refuse is not opened: OpenError lists every reason, one located reason per
    line. A city that only strict mode refuses (`gc start`'s default) is opened as
    `gc start --no-strict` would run it, the only way a controller can, and the first Events
    lines say what strict mode refused; its reloads are then not strict either."""
    from core.export import world_tables
    from core.reload import load

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
    from core.export import world_tables
    from core.reload import file_source, inline_source
    from core.scenario import ScenarioError, load_scenario

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
    return Driver(model, start, script=script or ScenarioSteps(scn.steps), load_step_city=scn.load_step_city,
                  history_limit=history_limit)
