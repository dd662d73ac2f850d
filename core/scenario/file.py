"""Scenario files (scenario-format.md): parse with located errors, run, and check expectations.

Beyond the contract, citywatch accepts a few extensions, all documented in
docs/scenario-extensions.md; unknown keys are still errors everywhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import immutables
import tomli

from core.config.city_config import City
from core.config.errors import ConfigError
from core.config.load import load_city, load_city_from_table
from core.config.locate import locate, syntax_position
from core.config.validate import validate_city
from core.formats.timefmt import DEFAULT_START, parse_time
from core.guards.safeio import SCENARIO_MAX_BYTES, read_regular
from core.identity import SEMANTICS
from core.model.facade import Model, ModelError
from core.model.scalecheck import simulated_value
from core.outcome import Outcome
from core.scenario.expect import evaluate
from core.scenario.expect import validate as validate_expect
from core.steps import REGISTRY, Step, work_from_table
from core.steps import scenario_schema as SS
from core.steps.config import EditConfig
from core.views.state_json import state
from core.world.beads import SessionBead
from core.world.runtime import RuntimeSession
from core.world.world import DETACHED_PROBE_RESULTS, World, wait_from_json

TOP_KEYS = set(SS.TOP)
SESSION_KEYS = set(SS.SESSION)
RUNTIME_KEYS = set(SS.RUNTIME)
WORK_KEYS = set(SS.WORK)
SUSPENSION_KEYS = set(SS.SUSPENSION)
WAIT_KEYS = set(SS.WAIT)


class ScenarioError(Exception):
    """An invalid scenario file: rendered as `file: field: message (line N)` or `file:line:col: ...`."""

    def __init__(self, err: ConfigError) -> None:
        super().__init__(err.render())
        self.err = err


@dataclass
class Scenario:
    """A loaded scenario file: its city, start time, semantics, steps and expectations."""
    path: str
    text: str
    name: str
    source: str
    start: datetime
    semantics: str
    adopt_on_start: bool
    city: City
    data: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    xfail: str = ""
    expects: list[dict[str, Any]] = field(default_factory=list)
    packs_dir: str | None = None  # where later config steps also find remote packs (--packs)

    def model(self) -> Model:
        """A fresh model at step 0."""
        world = World(self.start, prefix="gc")
        d = self.data
        for k, v in (d.get("scale_check") or {}).items():
            world.set_scale_check(k, simulated_value(v))
        world.store.next_ids = list(d.get("new_bead_ids", []))
        world.detached_probe = immutables.Map(d.get("detached_probe", {}))
        if "suspension" in d:
            world.suspension = world.suspension.updated(d["suspension"])
        for k, v in (d.get("work_query") or {}).items():
            world.work_query = world.work_query.set(k, v)
        sessions = d.get("session", [])
        n = len(sessions)
        for i, s in enumerate(sessions):
            created = parse_time(s.get("created_at")) or (self.start - timedelta(seconds=n - i))
            b = SessionBead(str(s["id"]), created, {k: str(v) for k, v in (s.get("metadata") or {}).items() if str(v) != ""},
                            bool(s.get("open", True)), str(s.get("title", "")),
                            frozenset(s.get("labels", []) or ["gc:session"]))
            world.store.put_session(b)
        for r in d.get("runtime", []):
            world.runtime.put(RuntimeSession(
                name=str(r["name"]), session_id=str(r.get("session_id", "")),
                instance_token=str(r.get("instance_token", "")), template=str(r.get("template", "")),
                started_at=parse_time(r.get("started_at")) or self.start,
                last_activity=parse_time(r.get("last_activity")) or self.start,
                attached=bool(r.get("attached", False)), pending_interaction=bool(r.get("pending_interaction", False)),
                process_alive=bool(r.get("alive", True)), corpse=bool(r.get("corpse", False)),
                peek=str(r.get("peek", "")),
                meta={k: str(v) for k, v in (r.get("meta") or {}).items()}))
        for w in d.get("work", []):
            world.store.put_work(work_from_table(w, self.start))
        for w in d.get("wait", []):
            world.store.put_wait(wait_from_json(w))
        world.store.journal.clear()
        return Model(self.city, world, self.semantics, self.adopt_on_start)

    def load_step_city(self, step: EditConfig) -> City:
        """The config of the edit_config step `step` of this scenario, loaded now; an error is
        located at the step's place in the file."""
        return _load_scenario_city(self.path, self.text, step.to_table(), f"step[{step.at}].", self.packs_dir)

    def apply(self, model: Model, step: Step) -> Outcome:
        """Apply `step` (one of this scenario's steps, or one derived from it) to `model`; a
        config the step loads is located at its place in the file. Raises ModelError as
        Model.do does."""
        return model.do(step, load_city=self.load_step_city)


def _loc(path: str, text: str, field_path: str, message: str) -> ScenarioError:
    return ScenarioError(ConfigError(path, message, field=field_path, line=locate(text, field_path)))


def _check_keys(path: str, text: str, table: Any, allowed: set[str], fp: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise _loc(path, text, fp, f"expected a table, got {type(table).__name__}")
    for k in table:
        if k not in allowed:
            from core.config.schema import suggest

            raise _loc(path, text, f"{fp}.{k}" if fp else k, f'unknown key "{k}"{suggest(k, allowed)}')
    return table


def _array(path: str, text: str, d: dict, key: str) -> list[dict[str, Any]]:
    v = d.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise _loc(path, text, key, f"{key} must be an array of tables ([[{key}]])")
    return v


def _typed(path: str, text: str, table: dict[str, Any], spec: dict[str, str], fp: str) -> None:
    """Refuse the first value of `table` whose type `spec` does not allow, where it is written."""
    p = SS.table_problem(table, spec, fp)
    if p is not None:
        raise _loc(path, text, p.field, p.message)


def _load_scenario_city(path: str, text: str, d: dict[str, Any], prefix: str, packs_dir: str | None = None) -> City:
    base = os.path.dirname(os.path.abspath(path))
    has_inline, has_file = "city" in d, "city_file" in d
    if has_inline == has_file:
        raise _loc(path, text, prefix.rstrip(".") or "city", "exactly one of [city] or city_file is required")
    try:
        if has_file:
            city_path = os.path.join(base, str(d["city_file"]))
            if not os.path.exists(city_path):
                raise _loc(path, text, prefix + "city_file", f'city_file "{d["city_file"]}" not found ({city_path})')
            city = load_city(city_path, packs_dir=packs_dir)
        else:
            if not isinstance(d["city"], dict):
                raise _loc(path, text, prefix + "city", "city must be a table")
            lp = tuple(p for p in (prefix.rstrip(".").split(".") if prefix else []) if p) + ("city",)
            lp = tuple(x.split("[")[0] for x in lp)
            city = load_city_from_table(d["city"], base, path, text, locate_prefix=lp if prefix else ("city",),
                                        packs_dir=packs_dir)
        validate_city(city)
    except ConfigError as e:
        if e.file == path and e.field and not e.field.startswith(prefix + "city"):
            e.field = prefix + "city." + e.field
        raise ScenarioError(e) from None
    return city


def _parse_scenario_text(path: str) -> tuple[str, dict[str, Any]]:
    """Read and parse the scenario's TOML; any failure is a located ScenarioError."""
    try:
        raw = read_regular(path, SCENARIO_MAX_BYTES)
    except OSError as e:
        raise ScenarioError(ConfigError(path, f"cannot read scenario: {e.strerror or e}")) from None
    try:
        text = raw.decode("utf-8")
        return text, tomli.loads(text)
    except UnicodeDecodeError:
        raise ScenarioError(ConfigError(path, "scenario is not UTF-8 text", line=1, col=1)) from None
    except RecursionError as e:  # tomli's limit on nested inline arrays and tables
        from core.config.reader import nesting_position

        line, col = nesting_position(text)
        raise ScenarioError(ConfigError(path, f"parsing scenario: {e}", line=line, col=col)) from None
    except tomli.TOMLDecodeError as e:
        at_line, at_col = syntax_position(str(e))
        detail = str(e).split(" (at line ")[0]  # the position is in the location already
        raise ScenarioError(ConfigError(path, f"parsing scenario: {detail}", line=at_line or 1, col=at_col or 1)) from None


def _check_header(path: str, text: str, d: dict[str, Any]) -> tuple[Any, datetime]:
    """The top-level keys, name, semantics and typed fields; returns (semantics, start)."""
    _check_keys(path, text, d, TOP_KEYS, "")
    if not isinstance(d.get("name"), str) or not d["name"].strip():
        raise _loc(path, text, "name", "name is required (a one-line story of what the scenario shows)")
    sem = d.get("semantics", "current")
    if isinstance(sem, str) and sem not in SEMANTICS:
        raise _loc(path, text, "semantics", f'semantics must be one of {", ".join(SEMANTICS)}, got "{sem}"')
    _typed(path, text, d, SS.TOP, "")
    start = parse_time(d["start"]) if "start" in d else DEFAULT_START
    assert start is not None  # checked by _typed
    return sem, start


def _check_scale_check(path: str, text: str, d: dict[str, Any], city: City) -> None:
    for k, v in d.get("scale_check", {}).items():
        p = SS.value_problem(SS.SCALE_OUTPUT, v, f"scale_check.{k}")
        if p is not None:
            raise _loc(path, text, p.field, p.message)
        if city.agent(k) is None:
            raise _loc(path, text, f"scale_check.{k}", f'scale_check names unknown template "{k}"')


def _check_unique(path: str, text: str, seen: set[str], value: Any, fp: str, what: str) -> None:
    if value in seen:
        raise _loc(path, text, fp, f'duplicate {what} "{value}"')
    seen.add(value)


def _check_world_tables(path: str, text: str, d: dict[str, Any]) -> set[str]:
    """[[session]], [[runtime]], [[work]] and [[wait]]: keys, types, required and unique ids;
    returns the work ids."""
    ids: set[str] = set()
    for i, s in enumerate(_array(path, text, d, "session")):
        _check_keys(path, text, s, SESSION_KEYS, f"session[{i}]")
        md = s.get("metadata", {})
        if not isinstance(md, dict) or not all(isinstance(v, str) for v in md.values()):
            raise _loc(path, text, f"session[{i}].metadata", "metadata values must all be strings")
        _typed(path, text, s, SS.SESSION, f"session[{i}]")
        if not s.get("id"):
            raise _loc(path, text, f"session[{i}].id", "session id is required")
        _check_unique(path, text, ids, s["id"], f"session[{i}].id", "session id")
    names: set[str] = set()
    for i, r in enumerate(_array(path, text, d, "runtime")):
        _check_keys(path, text, r, RUNTIME_KEYS, f"runtime[{i}]")
        _typed(path, text, r, SS.RUNTIME, f"runtime[{i}]")
        if not r.get("name"):
            raise _loc(path, text, f"runtime[{i}].name", "runtime name is required")
        _check_unique(path, text, names, r["name"], f"runtime[{i}].name", "runtime name")
    wids: set[str] = set()
    for i, w in enumerate(_array(path, text, d, "work")):
        _check_work(path, text, w, f"work[{i}]")
        _check_unique(path, text, wids, w["id"], f"work[{i}].id", "work id")
    return wids


def _check_world_inputs(path: str, text: str, d: dict[str, Any], city: City) -> None:
    """[suspension], [work_query], [detached_probe] and [[wait]]."""
    if "suspension" in d:
        _check_suspension(path, text, d["suspension"], "suspension", city)
    wq = d.get("work_query", {})
    if not isinstance(wq, dict):
        raise _loc(path, text, "work_query", "[work_query] must be a table of template = true/false")
    for k, v in wq.items():
        _check_work_query(path, text, f"work_query.{k}", k, v, city)
    for k, v in d.get("detached_probe", {}).items():
        if v not in DETACHED_PROBE_RESULTS:
            raise _loc(path, text, f"detached_probe.{k}",
                       f'a detached probe answers one of {", ".join(DETACHED_PROBE_RESULTS)}, got "{v}"')
    wait_ids: set[str] = set()
    for i, w in enumerate(_array(path, text, d, "wait")):
        _check_wait(path, text, w, f"wait[{i}]")
        _check_unique(path, text, wait_ids, w["id"], f"wait[{i}].id", "wait id")


@dataclass
class _StepScope:
    """What a step may refer to as the steps are read in order: the configs so far (the first
    and every edit), their templates, the work ids, and the work budget; and the located checks
    a step kind's definition (core/steps/) calls."""
    path: str
    text: str
    packs_dir: str | None
    cities: list[City]
    templates: set[str]
    wids: set[str]
    work: SS.WorkBudget

    def loc(self, fp: str, message: str) -> ScenarioError:
        return _loc(self.path, self.text, fp, message)

    def typed(self, table: dict[str, Any], spec: dict[str, str], fp: str) -> None:
        _typed(self.path, self.text, table, spec, fp)

    def check_work(self, table: dict[str, Any], fp: str, *, partial: bool) -> None:
        _check_work(self.path, self.text, table, fp, partial=partial, extra={"do"})

    def check_wait(self, table: dict[str, Any], fp: str) -> None:
        _check_wait(self.path, self.text, table, fp, partial=True)

    def check_suspension(self, table: dict[str, Any], fp: str) -> None:
        _check_suspension(self.path, self.text, table, fp, self.cities[-1])

    def check_work_query(self, fp: str, template: Any, found: Any) -> None:
        _check_work_query(self.path, self.text, fp, template, found, self.cities[-1])

    def load_city(self, table: dict[str, Any], fp: str) -> City:
        return _load_scenario_city(self.path, self.text, table, f"{fp}.", self.packs_dir)


def _load_step(sc: _StepScope, st: dict[str, Any], i: int) -> Step:
    """One [[step]] table checked (its kind, keys, required keys, types, share of the work
    budget, then what it names) and read as its kind's record."""
    fp = f"step[{i}]"
    do = st.get("do")
    cls = REGISTRY.get(do) if isinstance(do, str) else None
    if cls is None:
        raise sc.loc(f"{fp}.do", f'unknown step {SS.short(do)} (one of {", ".join(sorted(REGISTRY))})')
    _check_keys(sc.path, sc.text, st, set(cls.KEYS) | {"do"}, fp)
    for k in cls.REQUIRED:
        if k not in st:
            raise sc.loc(fp, f'step "{do}" needs "{k}"')
    cls.check_types(sc, st, fp)
    cls.check_budget(sc, st, fp)
    cls.check_refs(sc, st, fp)
    return cls.from_table(st, at=i) if cls is EditConfig else cls.from_table(st)


def _load_steps(sc: _StepScope, d: dict[str, Any]) -> list[Step]:
    """The [[step]] tables, each checked against the scope the steps before it built."""
    step_tables = _array(sc.path, sc.text, d, "step")
    if len(step_tables) > SS.MAX_STEPS:
        raise sc.loc(f"step[{SS.MAX_STEPS}]", f"a scenario has at most {SS.MAX_STEPS} steps")
    return [_load_step(sc, st, i) for i, st in enumerate(step_tables)]


def _load_expects(path: str, text: str, d: dict[str, Any], step_count: int) -> list[dict[str, Any]]:
    from core.config.schema import suggest

    expects = []
    for i, ex in enumerate(_array(path, text, d, "expect")):
        validate_expect(ex, f"expect[{i}]", step_count, lambda fp, msg: _loc(path, text, fp, msg), suggest)
        expects.append({**ex, "_index": i})
    return expects


def load_scenario(path: str, packs_dir: str | None = None) -> Scenario:
    """Parse and validate a scenario file (remote imports of its cities resolved from `packs_dir`
    first, as `--packs` does). Raises ScenarioError naming file, line and field."""
    text, d = _parse_scenario_text(path)
    sem, start = _check_header(path, text, d)
    city = _load_scenario_city(path, text, d, "", packs_dir)
    _check_scale_check(path, text, d, city)
    wids = _check_world_tables(path, text, d)
    _check_world_inputs(path, text, d, city)
    scope = _StepScope(path, text, packs_dir, cities=[city], templates={a.qualified_name for a in city.agents},
                       wids=wids, work=SS.WorkBudget(start))
    steps = _load_steps(scope, d)
    expects = _load_expects(path, text, d, len(steps))
    return Scenario(path=path, text=text, name=d["name"], source=str(d.get("source", "")), start=start,
                    semantics=sem, adopt_on_start=bool(d.get("adopt_on_start", True)), city=city, data=d,
                    steps=steps, expects=expects, xfail=str(d.get("xfail", "")), packs_dir=packs_dir)


WAIT_STATES = ("pending", "ready", "closed", "canceled", "expired", "failed")


def _check_wait(path: str, text: str, w: Any, fp: str, partial: bool = False) -> None:
    """A durable wait table: string fields, `deps` an array of work ids, a known state and
    dep_mode, an RFC 3339 `expires_at`; `session` required unless the step updates a wait."""
    _check_keys(path, text, w, WAIT_KEYS, fp)
    if not w.get("id") or not isinstance(w["id"], str):
        raise _loc(path, text, f"{fp}.id", "wait id is required (a string)")
    if not partial and not w.get("session"):
        raise _loc(path, text, f"{fp}.session", "a wait names its session bead id (session)")
    for key in ("session", "state", "kind", "dep_mode", "registered_epoch", "expires_at"):
        if key in w and not isinstance(w[key], str):
            raise _loc(path, text, f"{fp}.{key}", f"{key} must be a string")
    if "state" in w and w["state"] not in WAIT_STATES:
        raise _loc(path, text, f"{fp}.state", f'state must be one of {", ".join(WAIT_STATES)}, got "{w["state"]}"')
    if "dep_mode" in w and w["dep_mode"] not in ("all", "any"):
        raise _loc(path, text, f"{fp}.dep_mode", f'dep_mode must be "all" or "any", got "{w["dep_mode"]}"')
    if "deps" in w and (not isinstance(w["deps"], list) or not all(isinstance(x, str) for x in w["deps"])):
        raise _loc(path, text, f"{fp}.deps", "deps must be an array of work bead ids")
    if w.get("expires_at"):
        problem = SS.value_problem(SS.TIME, w["expires_at"], f"{fp}.expires_at")
        if problem is not None:
            raise _loc(path, text, problem.field, problem.message)


def _check_work_query(path: str, text: str, fp: str, template: Any, found: Any, city: City) -> None:
    if not isinstance(found, bool):
        raise _loc(path, text, fp, f"a work_query result must be true or false, got {found!r}")
    if not isinstance(template, str) or city.agent(template) is None:
        raise _loc(path, text, fp, f'work_query names unknown template "{template}"')


def _check_suspension(path: str, text: str, t: Any, fp: str, city: City) -> None:
    """A runtime suspension table: `city` and `gc_suspended` booleans, `rigs` a table of rig
    name = boolean naming rigs of the city."""
    _check_keys(path, text, t, SUSPENSION_KEYS, fp)
    for key in ("city", "gc_suspended"):
        if key in t and not isinstance(t[key], bool):
            raise _loc(path, text, f"{fp}.{key}", f"{key} must be true or false")
    rigs = t.get("rigs", {})
    if not isinstance(rigs, dict):
        raise _loc(path, text, f"{fp}.rigs", "rigs must be a table of rig name = true or false")
    for name, v in rigs.items():
        if not isinstance(v, bool):
            raise _loc(path, text, f"{fp}.rigs.{name}", "a rig's suspension must be true or false")
        if city.rig(name) is None:
            raise _loc(path, text, f"{fp}.rigs.{name}", f'unknown rig "{name}"')


def _check_work(path: str, text: str, w: dict, fp: str, partial: bool = False, extra: Collection[str] = frozenset()) -> None:
    _check_keys(path, text, w, WORK_KEYS | set(extra), fp)
    md = w.get("metadata", {})
    if not isinstance(md, dict) or not all(isinstance(v, str) for v in md.values()):
        raise _loc(path, text, f"{fp}.metadata", "metadata values must all be strings")
    _typed(path, text, w, SS.WORK, fp)
    if not w.get("id"):
        raise _loc(path, text, f"{fp}.id", "work id is required")
    if "status" in w and w["status"] not in ("open", "in_progress", "closed"):
        raise _loc(path, text, f"{fp}.status", f'status must be open, in_progress or closed, got "{w["status"]}"')
    if "gc.routed_to" in md:
        raise _loc(path, text, f"{fp}.metadata", 'gc.routed_to is the "routed_to" key, not metadata')


# ---------------------------------------------------------------------------- running


@dataclass
class Run:
    """A scenario run: the state after each step and any invariant failures."""
    scenario: Scenario
    states: list[dict[str, Any]]
    invariant_failures: list[str] = field(default_factory=list)


def run(scn: Scenario, *, check_invariants: bool = True, scale_check_timeout: float | None = None) -> Run:
    """Run every step; states[i] is the state after step i (states[0] before any step). With
    `scale_check_timeout` (`--run-scale-checks`) the city's scale_check commands run for real
    before each tick, as in the app."""
    from core.model.invariants import InvariantChecker

    model = scn.model()
    states = [state(model, 0, "", None)]
    failures: list[str] = []
    checker = InvariantChecker(model) if check_invariants else None
    for n, step in enumerate(scn.steps, 1):
        try:
            if scale_check_timeout is None:
                out = scn.apply(model, step)
            else:
                from core.model.scalecheck import with_live_runs

                out = Outcome()
                for sub in with_live_runs(model, [step], scale_check_timeout):
                    out.extend(scn.apply(model, sub))
        except ModelError as e:
            out = Outcome(error=str(e))
        states.append(state(model, n, step.do, out))
        if checker is not None:
            for msg in checker.after_step(out):
                failures.append(f"after step {n} ({step.do}): {msg}")
    if checker is not None:
        failures += checker.finish()
    return Run(scn, states, failures)


# ---------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class CheckResult:
    """One [[expect]] block evaluated: which (its index in the file), after which step, and what
    failed (nothing: it passed)."""

    index: int
    after: int
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def label(self) -> str:
        return f"expect[{self.index}] after step {self.after}"

    def line(self) -> str:
        """One line: pass, or fail with the first failure and how many more."""
        if self.passed:
            return f"{self.label}: pass"
        more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
        return f"{self.label}: FAIL: {self.failures[0]}{more}"


def check_summary(expects: list[dict[str, Any]], results: list[CheckResult]) -> str:
    """One line: how many of the scenario's expectations passed, failed, or are still to come."""
    if not expects:
        return "no expectations"
    latest = {r.index: r for r in results}
    passed = sum(1 for r in latest.values() if r.passed)
    failed = len(latest) - passed
    pending = len(expects) - len(latest)
    parts = [f"{passed}/{len(expects)} expectations passed"]
    if failed:
        parts.append(f"{failed} failed")
    if pending:
        parts.append(f"{pending} to come")
    return ", ".join(parts)


def evaluate_expect(e: dict[str, Any], st: dict[str, Any]) -> CheckResult:
    """Evaluate one [[expect]] block against the state after its step (core.views.state_json.state)."""
    return CheckResult(e["_index"], e["after"], tuple(evaluate(e, st)))


def check(run_: Run) -> list[str]:
    """Evaluate every [[expect]] block; return readable failure messages (empty = pass)."""
    fails: list[str] = []
    for e in run_.scenario.expects:
        r = evaluate_expect(e, run_.states[e["after"]])
        fails += [f"{r.label}: {m}" for m in r.failures]
    fails += [f"invariant: {m}" for m in run_.invariant_failures]
    return fails


def dumps_state(st: dict[str, Any]) -> str:
    """The state as compact JSON with sorted keys, so equal states give equal text."""
    return json.dumps(st, sort_keys=True, separators=(",", ":"))
