"""Bring a model to the point `citywatch explain` looks at: a scenario run to its end (or its
first N steps), or a city.toml ticked on a fresh world. Keeps what the last step did and every
action of the run, so an explanation can say what just happened and how the session got here.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace

from core.awake_row import AwakeRow
from core.config.errors import ConfigError
from core.explain.explanation import ExplainError, explain_session, known_names
from core.explain.records import Explanation, RunAction, Target
from core.formats.timefmt import format_time
from core.guards.safeio import SCENARIO_MAX_BYTES, read_regular
from core.model.facade import Model, ModelError
from core.outcome import Outcome
from core.steps import Step

# Top-level keys only a scenario file has; a city.toml has none of them.
_SCENARIO_KEYS = frozenset({"step", "expect", "city", "city_file"})


@dataclass
class Ran:
    """A model after the requested steps, with the last step's outcome and the run's actions."""

    model: Model
    kind: str  # "scenario" | "city"
    path: str
    steps_run: int
    steps_total: int
    last: Outcome | None = None
    last_do: str = ""
    history: list[RunAction] = field(default_factory=list)  # every action of the run, in order
    awake: tuple[AwakeRow, ...] = ()  # the awake set of the last step that ticked


def target_kind(path: str) -> str:
    """"city" for a directory or a TOML file without scenario keys, else "scenario". A file that
    does not parse is left to the city loader, which reports the located syntax error."""
    if os.path.isdir(path):
        return "city"
    try:
        data = tomllib.loads(read_regular(path, SCENARIO_MAX_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise ExplainError(f"{path}: no such file") from None
    except IsADirectoryError:
        return "city"
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return "city"
    except OSError as e:
        raise ExplainError(f"{path}: cannot read ({e.strerror or e})") from None
    return "scenario" if _SCENARIO_KEYS & set(data) else "city"


def run_target(path: str, *, semantics: str | None = None, steps: int | None = None,
               scale_check_timeout: float | None = None, packs_dir: str | None = None) -> Ran:
    """Run `path` as `citywatch explain` does. Raises ExplainError with a located message.
    With `scale_check_timeout` (`--run-scale-checks`) every scale_check command runs for real
    before each tick, as in the app; otherwise its values are the simulated ones."""
    if steps is not None and steps < 0:
        raise ExplainError(f"--steps: must be 0 or more, got {steps}")
    if target_kind(path) == "scenario":
        return _run_scenario(path, semantics, steps, scale_check_timeout, packs_dir)
    return _run_city(path, semantics, steps, scale_check_timeout, packs_dir)


def _live(model: Model, steps: list[Step], timeout: float | None) -> list[Step]:
    if timeout is None:
        return steps
    from core.model.scalecheck import with_live_runs

    return with_live_runs(model, steps, timeout)


def _record(ran: Ran, n: int, do: str, out: Outcome) -> None:
    ran.last, ran.last_do, ran.steps_run = out, do, n
    if out.ticks:
        ran.awake = tuple(out.awake)
    for a in out.actions:
        ran.history.append(RunAction(n, do, a.kind, a.bead_id, a.session_name, a.reason))


def _run_scenario(path: str, semantics: str | None, steps: int | None, timeout: float | None,
                  packs_dir: str | None) -> Ran:
    from core.scenario.file import ScenarioError, load_scenario

    try:
        scn = load_scenario(path, packs_dir)
    except ScenarioError as e:
        raise ExplainError(str(e)) from None
    total = len(scn.steps)
    if steps is not None and steps > total:
        raise ExplainError(f"--steps {steps}: {path} has only {total} step(s)")
    model = scn.model()
    if semantics:
        model.set_semantics(semantics)
    ran = Ran(model, "scenario", path, 0, total)
    for n, step in enumerate(scn.steps[:total if steps is None else steps], 1):
        out = Outcome()
        try:
            for sub in _live(model, [step], timeout):
                out.extend(scn.apply(model, sub))
        except ModelError as e:
            out.extend(Outcome(error=str(e)))
        _record(ran, n, step.do, out)
    return ran


def _run_city(path: str, semantics: str | None, steps: int | None, timeout: float | None,
              packs_dir: str | None) -> Ran:
    from core.config.load import load_city
    from core.config.validate import validate_city
    from core.model.patrol import tick_steps

    ticks = 1 if steps is None else steps
    try:
        city = load_city(path, packs_dir=packs_dir)
        validate_city(city)
    except ConfigError as e:
        raise ExplainError(e.render()) from None
    except OSError as e:
        raise ExplainError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        model = Model(city, semantics=semantics or "current")
    except ModelError as e:
        raise ExplainError(str(e)) from None
    ran = Ran(model, "city", path, 0, ticks)
    for n in range(1, ticks + 1):
        out = Outcome()
        # The app's own cadence: one patrol interval between ticks, the first at once.
        for step in _live(model, tick_steps(model), timeout):
            out.extend(model.do(step))
        _record(ran, n, "tick", out)
    return ran


def explain_target(target: str, session: str, *, semantics: str | None = None,
                   steps: int | None = None, scale_check_timeout: float | None = None,
                   packs_dir: str | None = None) -> Explanation:
    """Run `target` (a scenario to its end or its first `steps` steps; a city.toml for one tick,
    or `steps` ticks, on a fresh world) and explain `session` there. With `scale_check_timeout`
    (`--run-scale-checks`) the scale_check commands run for real before each tick. Raises
    ExplainError for a bad file or step count, and for an unknown session (naming the known ones)."""
    ran = run_target(target, semantics=semantics, steps=steps, scale_check_timeout=scale_check_timeout,
                     packs_dir=packs_dir)
    model = ran.model
    x = explain_session(model, session, outcome=ran.last, history=ran.history, awake=ran.awake)
    if not x.found:
        names = known_names(model)
        listing = ", ".join(names) if names else "(none: no session beads or desired entries)"
        partial = [f"{qn} scale_check {r.describe()}" for qn, r in sorted(model.world.scale_check_runs.items())
                   if not r.ok]
        note = f"; demand read partial: {'; '.join(partial)}" if partial else ""
        raise ExplainError(f"{target}: no session {session!r} after {ran.steps_run} step(s); known: {listing}{note}")
    return replace(x, target=Target(target, ran.kind, ran.steps_run, ran.steps_total, model.world.tick,
                                    format_time(model.world.now), model.semantics,
                                    "run" if scale_check_timeout is not None else "simulated"))
