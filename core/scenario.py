"""Scenario files (scenario-format.md): parse with located errors, run, and check expectations.

Beyond the contract, citywatch accepts a few extensions, all documented in
docs/scenario-extensions.md; unknown keys are still errors everywhere.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import tomli

from core.config.errors import ConfigError
from core.config.load import load_city, load_city_from_table
from core.config.locate import locate, syntax_position
from core.config.model import City
from core.config.validate import validate_city
from core.durations import DurationError, parse_duration
from core.identity import SEMANTICS
from core.model import Model, ModelError, work_from_table
from core.outcome import Outcome
from core.state_json import state
from core.timefmt import DEFAULT_START, parse_time
from core.world.beads import SessionBead
from core.world.runtime import RuntimeSession
from core.world.world import World

TOP_KEYS = {"name", "source", "xfail", "start", "semantics", "adopt_on_start", "city", "city_file", "scale_check", "session",
            "runtime", "work", "step", "expect"}
SESSION_KEYS = {"id", "open", "created_at", "metadata", "title", "labels"}
RUNTIME_KEYS = {"name", "session_id", "started_at", "last_activity", "attached", "pending_interaction", "alive",
                "peek", "meta", "instance_token", "template", "corpse"}
WORK_KEYS = {"id", "status", "assignee", "routed_to", "priority", "ready", "title", "created_at"}
STEP_KEYS: dict[str, set[str]] = {
    "tick": {"count", "every"},
    "build": {"store"},
    "advance": {"by"},
    "runtime_exit": {"name", "crash"},
    "runtime_start": {"name", "session_id", "attached", "pending_interaction"},
    "activity": {"name"},
    "attach": {"name"},
    "detach": {"name"},
    "drain_ack": {"name"},
    "add_work": WORK_KEYS,
    "update_work": WORK_KEYS,
    "set_scale_check": {"template", "value", "ran", "reason"},  # ran/reason: citywatch, from --run-scale-checks
    "set_session": {"id", "metadata"},
    "edit_config": {"city", "city_file"},
    "restart_controller": set(),
    "set_semantics": {"semantics"},
    "set_runtime": {"name", "alive", "peek", "pending_interaction", "attached", "last_activity", "meta", "corpse"},
    "fail_start": {"name", "template", "count", "message"},
}
STEP_REQUIRED = {
    "runtime_exit": ["name"], "runtime_start": ["name"], "activity": ["name"], "attach": ["name"],
    "detach": ["name"], "drain_ack": ["name"], "add_work": ["id"], "update_work": ["id"],
    "set_scale_check": ["template", "value"], "set_session": ["id", "metadata"], "set_runtime": ["name"],
    "set_semantics": ["semantics"],
}
EXPECT_KEYS = {"after", "desired", "not_desired", "desired_count", "open_sessions", "no_identity", "session",
               "runtime", "deferral", "action", "entry", "no_action", "action_count", "trace", "event",
               "pool_desired", "pool_requests", "scale_check_counts", "log", "deferral_count", "tracker", "partial_templates",
               "named_demand", "named_routed_demand", "warning"}
EXPECT_SESSION_KEYS = {"id", "identity", "open", "metadata", "labels_include", "labels_exclude", "title"}
EXPECT_RUNTIME_KEYS = {"name", "alive", "running", "attached", "pending_interaction", "meta"}
EXPECT_DEFERRAL_KEYS = {"bead", "alias", "count", "holder"}
EXPECT_ACTION_KEYS = {"kind", "bead", "reason", "session_name", "template"}
EXPECT_ENTRY_KEYS = {"session_name", "identity", "bead", "template", "alias", "pool_slot", "source", "named",
                     "dependency_only", "manual", "env", "why_rules", "work_bead"}
EXPECT_TRACE_KEYS = {"record_type", "site_code", "reason_code", "outcome_code", "template", "session_name"}
EXPECT_EVENT_KEYS = {"type", "subject", "bead"}
EXPECT_TRACKER_KEYS = {"bead", "idle", "max_age", "defer", "wake_failures", "circuit"}


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
    steps: list[dict[str, Any]] = field(default_factory=list)
    xfail: str = ""
    expects: list[dict[str, Any]] = field(default_factory=list)
    packs_dir: str | None = None  # where later config steps also find remote packs (--packs)

    def model(self) -> Model:
        """A fresh model at step 0."""
        world = World(self.start, prefix="gc")
        d = self.data
        for k, v in (d.get("scale_check") or {}).items():
            world.set_scale_check(k, v)
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
        world.store.journal.clear()
        return Model(self.city, world, self.semantics, self.adopt_on_start)

    def load_step_city(self, step: dict[str, Any]) -> City:
        idx = step["_index"]
        return _load_scenario_city(self.path, self.text, step, f"step[{idx}].", self.packs_dir)

    def apply(self, model: Model, st: dict[str, Any], step: dict[str, Any] | None = None) -> Outcome:
        """Apply step `st` of this scenario to `model` (or `step`, one derived from it); a config the
        step loads is located at `st`'s index in the file. Raises ModelError as Model.do does."""
        return model.do(bare_step(st) if step is None else step, load_city=lambda _step: self.load_step_city(st))


def bare_step(st: dict[str, Any]) -> dict[str, Any]:
    """A scenario step without the file position the loader records in it."""
    return {k: v for k, v in st.items() if k != "_index"}


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


def _duration(path: str, text: str, fp: str, v: Any) -> None:
    try:
        parse_duration(str(v))
    except DurationError:
        raise _loc(path, text, fp, f'invalid duration "{v}" (Go form, e.g. "90s", "5m", "1h30m")') from None


def _time(path: str, text: str, fp: str, v: Any) -> datetime:
    t = parse_time(str(v)) if isinstance(v, str) else None
    if t is None:
        raise _loc(path, text, fp, f'invalid time "{v}" (RFC 3339 UTC, e.g. "2026-07-19T12:00:00Z")')
    return t


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


def load_scenario(path: str, packs_dir: str | None = None) -> Scenario:
    """Parse and validate a scenario file (remote imports of its cities resolved from `packs_dir`
    first, as `--packs` does). Raises ScenarioError naming file, line and field."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise ScenarioError(ConfigError(path, f"cannot read scenario: {e.strerror or e}")) from None
    try:
        text = raw.decode("utf-8")
        d = tomli.loads(text)
    except UnicodeDecodeError:
        raise ScenarioError(ConfigError(path, "scenario is not UTF-8 text", line=1, col=1)) from None
    except RecursionError as e:  # tomli's limit on nested inline arrays and tables
        from core.config.reader import nesting_position

        line, col = nesting_position(text)
        raise ScenarioError(ConfigError(path, f"parsing scenario: {e}", line=line, col=col)) from None
    except tomli.TOMLDecodeError as e:
        line, col = syntax_position(str(e))
        detail = str(e).split(" (at line ")[0]  # the position is in the location already
        raise ScenarioError(ConfigError(path, f"parsing scenario: {detail}", line=line or 1, col=col or 1)) from None
    _check_keys(path, text, d, TOP_KEYS, "")
    if not isinstance(d.get("name"), str) or not d["name"].strip():
        raise _loc(path, text, "name", "name is required (a one-line story of what the scenario shows)")
    start = _time(path, text, "start", d["start"]) if "start" in d else DEFAULT_START
    sem = d.get("semantics", "current")
    if sem not in SEMANTICS:
        raise _loc(path, text, "semantics", f'semantics must be one of {", ".join(SEMANTICS)}, got "{sem}"')
    city = _load_scenario_city(path, text, d, "", packs_dir)
    sc = d.get("scale_check", {})
    if not isinstance(sc, dict):
        raise _loc(path, text, "scale_check", "[scale_check] must be a table of template = integer or \"error\"")
    for k, v in sc.items():
        if not (isinstance(v, int) and not isinstance(v, bool)) and v != "error":
            raise _loc(path, text, f"scale_check.{k}", f'scale_check value must be an integer or "error", got {v!r}')
        if city.agent(k) is None:
            raise _loc(path, text, f"scale_check.{k}", f'scale_check names unknown template "{k}"')
    ids: set[str] = set()
    for i, s in enumerate(_array(path, text, d, "session")):
        _check_keys(path, text, s, SESSION_KEYS, f"session[{i}]")
        if not s.get("id"):
            raise _loc(path, text, f"session[{i}].id", "session id is required")
        if s["id"] in ids:
            raise _loc(path, text, f"session[{i}].id", f'duplicate session id "{s["id"]}"')
        ids.add(s["id"])
        if "created_at" in s:
            _time(path, text, f"session[{i}].created_at", s["created_at"])
        md = s.get("metadata", {})
        if not isinstance(md, dict) or not all(isinstance(v, str) for v in md.values()):
            raise _loc(path, text, f"session[{i}].metadata", "metadata values must all be strings")
    names: set[str] = set()
    for i, r in enumerate(_array(path, text, d, "runtime")):
        _check_keys(path, text, r, RUNTIME_KEYS, f"runtime[{i}]")
        if not r.get("name"):
            raise _loc(path, text, f"runtime[{i}].name", "runtime name is required")
        if r["name"] in names:
            raise _loc(path, text, f"runtime[{i}].name", f'duplicate runtime name "{r["name"]}"')
        names.add(r["name"])
        for k in ("started_at", "last_activity"):
            if k in r:
                _time(path, text, f"runtime[{i}].{k}", r[k])
    wids: set[str] = set()
    for i, w in enumerate(_array(path, text, d, "work")):
        _check_work(path, text, w, f"work[{i}]")
        if w["id"] in wids:
            raise _loc(path, text, f"work[{i}].id", f'duplicate work id "{w["id"]}"')
        wids.add(w["id"])
    steps = []
    templates = {a.qualified_name for a in city.agents}  # grows with each edit_config
    cities = [city]  # the configs a step may refer to: the first and every edit so far
    for i, st in enumerate(_array(path, text, d, "step")):
        fp = f"step[{i}]"
        kind = st.get("do")
        if kind not in STEP_KEYS:
            raise _loc(path, text, f"{fp}.do", f'unknown step "{kind}" (one of {", ".join(sorted(STEP_KEYS))})')
        _check_keys(path, text, st, STEP_KEYS[kind] | {"do"}, fp)
        for k in STEP_REQUIRED.get(kind, []):
            if k not in st:
                raise _loc(path, text, fp, f'step "{kind}" needs "{k}"')
        if kind == "tick":
            if "every" in st:
                _duration(path, text, f"{fp}.every", st["every"])
            if "count" in st and (not isinstance(st["count"], int) or st["count"] < 1):
                raise _loc(path, text, f"{fp}.count", "count must be a positive integer")
        if kind == "build" and "store" in st and not isinstance(st["store"], bool):
            raise _loc(path, text, f"{fp}.store", "store must be true or false")
        if kind == "advance" and "by" in st:
            _duration(path, text, f"{fp}.by", st["by"])
        if kind in ("add_work", "update_work"):
            _check_work(path, text, st, fp, partial=kind == "update_work", extra={"do"})
            if kind == "update_work" and st["id"] not in wids:
                raise _loc(path, text, f"{fp}.id", f'update_work names unknown work "{st["id"]}" (not in [[work]] '
                                                   "or an earlier add_work)")
            wids.add(st["id"])
        if kind == "set_scale_check":
            if all(c.agent(st["template"]) is None for c in cities):
                raise _loc(path, text, f"{fp}.template", f'unknown template "{st["template"]}"')
        if kind == "fail_start" and not (st.get("name") or st.get("template")):
            raise _loc(path, text, fp, 'fail_start needs "name" or "template"')
        if kind == "fail_start" and st.get("template") and st["template"] not in templates:
            raise _loc(path, text, f"{fp}.template", f'fail_start names unknown template "{st["template"]}"')
        if kind == "edit_config":
            cities.append(_load_scenario_city(path, text, st, f"{fp}.", packs_dir))
            templates |= {a.qualified_name for a in cities[-1].agents}
        if kind == "set_semantics" and st["semantics"] not in SEMANTICS:
            raise _loc(path, text, f"{fp}.semantics",
                       f'semantics must be one of {", ".join(SEMANTICS)}, got "{st["semantics"]}"')
        steps.append({**st, "_index": i})
    expects = []
    for i, e in enumerate(_array(path, text, d, "expect")):
        fp = f"expect[{i}]"
        _check_keys(path, text, e, EXPECT_KEYS, fp)
        after = e.get("after")
        if not isinstance(after, int) or isinstance(after, bool) or not (0 <= after <= len(steps)):
            raise _loc(path, text, f"{fp}.after", f"after must be a step number between 0 and {len(steps)}")
        for key, allowed in (("session", EXPECT_SESSION_KEYS), ("runtime", EXPECT_RUNTIME_KEYS),
                             ("deferral", EXPECT_DEFERRAL_KEYS), ("action", EXPECT_ACTION_KEYS),
                             ("no_action", EXPECT_ACTION_KEYS), ("entry", EXPECT_ENTRY_KEYS),
                             ("trace", EXPECT_TRACE_KEYS), ("event", EXPECT_EVENT_KEYS),
                             ("tracker", EXPECT_TRACKER_KEYS)):
            for j, sub in enumerate(_array(path, text, e, key) if key in e else []):
                _check_keys(path, text, sub, allowed, f"{fp}.{key}[{j}]")
        expects.append({**e, "_index": i})
    return Scenario(path=path, text=text, name=d["name"], source=str(d.get("source", "")), start=start,
                    semantics=sem, adopt_on_start=bool(d.get("adopt_on_start", True)), city=city, data=d,
                    steps=steps, expects=expects, xfail=str(d.get("xfail", "")), packs_dir=packs_dir)


def _check_work(path: str, text: str, w: dict, fp: str, partial: bool = False, extra: set[str] = frozenset()) -> None:
    _check_keys(path, text, w, WORK_KEYS | set(extra), fp)
    if not w.get("id"):
        raise _loc(path, text, f"{fp}.id", "work id is required")
    if "status" in w and w["status"] not in ("open", "in_progress", "closed"):
        raise _loc(path, text, f"{fp}.status", f'status must be open, in_progress or closed, got "{w["status"]}"')
    if "priority" in w and (not isinstance(w["priority"], int) or isinstance(w["priority"], bool)):
        raise _loc(path, text, f"{fp}.priority", "priority must be an integer")
    if "ready" in w and not isinstance(w["ready"], bool):
        raise _loc(path, text, f"{fp}.ready", "ready must be true or false")


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
    from core.invariants import InvariantChecker

    model = scn.model()
    states = [state(model, 0, "", None)]
    failures: list[str] = []
    checker = InvariantChecker(model) if check_invariants else None
    for n, st in enumerate(scn.steps, 1):
        step = bare_step(st)
        try:
            if scale_check_timeout is None:
                out = scn.apply(model, st)
            else:
                from core.scalecheck import with_live_runs

                out = Outcome()
                for sub in with_live_runs(model, [step], scale_check_timeout):
                    out.extend(scn.apply(model, st, sub))
        except ModelError as e:
            out = Outcome(error=str(e))
        states.append(state(model, n, step["do"], out))
        if checker is not None:
            for msg in checker.after_step(out):
                failures.append(f"after step {n} ({step['do']}): {msg}")
    if checker is not None:
        failures += checker.finish()
    return Run(scn, states, failures)


# ---------------------------------------------------------------------------- checking


def _norm_bool(v: Any) -> Any:
    return v


def check(run_: Run) -> list[str]:
    """Evaluate every [[expect]] block; return readable failure messages (empty = pass)."""
    fails: list[str] = []
    for e in run_.scenario.expects:
        st = run_.states[e["after"]]
        label = f"expect[{e['_index']}] after step {e['after']}"
        fails += [f"{label}: {m}" for m in _check_one(e, st)]
    fails += [f"invariant: {m}" for m in run_.invariant_failures]
    return fails


def _open_beads(st: dict) -> list[dict]:
    return [s for s in st["sessions"] if s["open"]]


def _check_one(e: dict[str, Any], st: dict[str, Any]) -> list[str]:
    out: list[str] = []
    desired_ids = sorted(d["identity"] for d in st["desired"])
    if "desired" in e and sorted(e["desired"]) != desired_ids:
        out.append(f"desired identities: want {sorted(e['desired'])}, got {desired_ids}")
    for ident in e.get("not_desired", []):
        if ident in desired_ids:
            out.append(f"{ident!r} is desired but should not be")
    for tpl, n in (e.get("desired_count") or {}).items():
        got = sum(1 for d in st["desired"] if d["template"] == tpl)
        if got != n:
            out.append(f"desired_count[{tpl}]: want {n}, got {got}")
    for tpl, n in (e.get("open_sessions") or {}).items():
        got = sum(1 for s in _open_beads(st) if s["metadata"].get("template") == tpl)
        if got != n:
            out.append(f"open_sessions[{tpl}]: want {n}, got {got}")
    for ident in e.get("no_identity", []):
        holders = [s["id"] for s in _open_beads(st) if ident in (s["metadata"].get("agent_name"), s["metadata"].get("alias"))]
        if holders:
            out.append(f"no_identity {ident!r}: held by open bead(s) {holders}")
    for key in ("pool_desired", "pool_requests"):
        for tpl, n in (e.get(key) or {}).items():
            got = st[key].get(tpl, 0)
            if got != n:
                out.append(f"{key}[{tpl}]: want {n}, got {got}")
    for tpl, n in (e.get("scale_check_counts") or {}).items():
        got = st["scale_check_counts"].get(tpl, 0)
        if got != n:
            out.append(f"scale_check_counts[{tpl}]: want {n}, got {got}")
    for key in ("named_demand", "named_routed_demand"):
        for ident, want in (e.get(key) or {}).items():
            got = st[key].get(ident, False)
            if got != want:
                out.append(f"{key}[{ident}]: want {want}, got {got}")
    if "partial_templates" in e and sorted(e["partial_templates"]) != st["partial_templates"]:
        out.append(f"partial_templates: want {sorted(e['partial_templates'])}, got {st['partial_templates']}")
    if "deferral_count" in e and e["deferral_count"] != len(st["deferrals"]):
        out.append(f"deferral_count: want {e['deferral_count']}, got {len(st['deferrals'])}")
    for s in e.get("session", []):
        out += _check_session(s, st)
    for r in e.get("runtime", []):
        got = next((x for x in st["runtime"] if x["name"] == r["name"]), None)
        for k, want in r.items():
            if k == "name":
                continue
            if k in ("alive", "running"):
                have = bool(got) and bool(got["alive"] if k == "alive" else got.get("running", True))
                if have != want:
                    out.append(f"runtime {r['name']}: {k} want {want}, got {have}")
            elif got is None:
                out.append(f"runtime {r['name']}: not running (wanted {k} = {want!r})")
            elif k == "meta":
                for mk, mv in want.items():
                    if got["meta"].get(mk, "") != mv:
                        out.append(f"runtime {r['name']}: meta.{mk} want {mv!r}, got {got['meta'].get(mk, '')!r}")
            elif got.get(k) != want:
                out.append(f"runtime {r['name']}: {k} want {want!r}, got {got.get(k)!r}")
    for dfr in e.get("deferral", []):
        match = [x for x in st["deferrals"] if x["bead_id"] == dfr["bead"]]
        if not match:
            out.append(f"deferral for {dfr['bead']}: none (deferrals: {[x['bead_id'] for x in st['deferrals']]})")
            continue
        x = match[0]
        for k, src in (("alias", "alias"), ("count", "count"), ("holder", "holder")):
            if k in dfr and x[src] != dfr[k]:
                out.append(f"deferral {dfr['bead']}: {k} want {dfr[k]!r}, got {x[src]!r}")
    for a in e.get("action", []):
        if not any(_action_matches(a, x) for x in st["actions"]):
            out.append(f"no action matching {_fmt(a)}; actions were {[_fmt_action(x) for x in st['actions']]}")
    for a in e.get("no_action", []):
        hits = [x for x in st["actions"] if _action_matches(a, x)]
        if hits:
            out.append(f"unexpected action(s) matching {_fmt(a)}: {[_fmt_action(x) for x in hits]}")
    for kind, n in (e.get("action_count") or {}).items():
        got = sum(1 for x in st["actions"] if x["kind"] == kind)
        if got != n:
            out.append(f"action_count[{kind}]: want {n}, got {got}")
    for ent in e.get("entry", []):
        out += _check_entry(ent, st)
    for t in e.get("trace", []):
        if not any(all(rec.get(k) == v for k, v in t.items()) for rec in st["trace"]):
            out.append(f"no trace record matching {_fmt(t)}")
    for ev in e.get("event", []):
        if not any(ev.get("type") == x["type"] and ev.get("subject", x["subject"]) == x["subject"]
                   and ev.get("bead", x["bead_id"]) == x["bead_id"] for x in st["events"]):
            out.append(f"no event matching {_fmt(ev)}; events were {[x['type'] + ':' + x['subject'] for x in st['events']]}")
    for line in e.get("log", []):
        if not any(line in x for x in st["logs"]):
            out.append(f"no log line containing {line!r}")
    for text in e.get("warning", []):
        if not any(text in x for x in st["warnings"]):
            out.append(f"no warning containing {text!r}; warnings were {st['warnings']}")
    for t in e.get("tracker", []):
        row = next((x for x in st["trackers"] if x["bead_id"] == t["bead"]), None)
        if row is None:
            out.append(f"tracker for {t['bead']}: none")
            continue
        for k, want in t.items():
            if k == "bead":
                continue
            for kk, vv in want.items():
                if row[k].get(kk) != vv:
                    out.append(f"tracker {t['bead']}.{k}.{kk}: want {vv!r}, got {row[k].get(kk)!r}")
    return out


def _check_session(s: dict, st: dict) -> list[str]:
    if "id" in s:
        cands = [x for x in st["sessions"] if x["id"] == s["id"]]
        label = s["id"]
    else:
        ident = s.get("identity", "")
        cands = [x for x in _open_beads(st) if x["metadata"].get("agent_name") == ident] or \
                [x for x in st["sessions"] if x["metadata"].get("agent_name") == ident]
        label = f"identity {ident}"
    if not cands:
        return [f"session {label}: no such bead"]
    best: list[str] | None = None
    for x in cands:
        errs = []
        if "open" in s and x["open"] != s["open"]:
            errs.append(f"session {label}: open want {s['open']}, got {x['open']}")
        for k, v in (s.get("metadata") or {}).items():
            have = x["metadata"].get(k, "")
            if have != v:
                errs.append(f"session {label}: metadata.{k} want {v!r}, got {have!r}")
        for lab in s.get("labels_include", []):
            if lab not in x["labels"]:
                errs.append(f"session {label}: label {lab!r} missing (labels {x['labels']})")
        for lab in s.get("labels_exclude", []):
            if lab in x["labels"]:
                errs.append(f"session {label}: label {lab!r} present")
        if "title" in s and x["title"] != s["title"]:
            errs.append(f"session {label}: title want {s['title']!r}, got {x['title']!r}")
        if not errs:
            return []
        if best is None:
            best = errs
    return best or []


def _check_entry(ent: dict, st: dict) -> list[str]:
    def sel(d: dict) -> bool:
        return all(d.get(k) == ent[k] for k in ("session_name", "identity") if k in ent) and \
            ("bead" not in ent or d["bead_id"] == ent["bead"])

    cands = [d for d in st["desired"] if sel(d)]
    label = _fmt({k: ent[k] for k in ("session_name", "identity", "bead") if k in ent})
    if not cands:
        return [f"desired entry {label}: none (desired: {[d['identity'] for d in st['desired']]})"]
    best: list[str] | None = None
    for d in cands:
        errs = []
        for k, v in ent.items():
            if k in ("session_name", "identity", "bead"):
                continue
            if k == "env":
                for ek, ev in v.items():
                    if d["env"].get(ek, "") != ev:
                        errs.append(f"desired entry {label}: env.{ek} want {ev!r}, got {d['env'].get(ek, '')!r}")
            elif k == "why_rules":
                rules = [w["rule"] for w in d["why"]]
                for r in v:
                    if r not in rules:
                        errs.append(f"desired entry {label}: why rule {r!r} missing (rules {rules})")
            elif k == "work_bead":
                if d["work_bead_id"] != v:
                    errs.append(f"desired entry {label}: work_bead want {v!r}, got {d['work_bead_id']!r}")
            elif d.get(k) != v:
                errs.append(f"desired entry {label}: {k} want {v!r}, got {d.get(k)!r}")
        if not errs:
            return []
        if best is None:
            best = errs
    return best or []


def _action_matches(want: dict, x: dict) -> bool:
    keymap = {"bead": "bead_id"}
    return all(x.get(keymap.get(k, k), "") == v for k, v in want.items())


def _fmt(d: dict) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in d.items()) + "}"


def _fmt_action(x: dict) -> str:
    return f"{x['kind']}:{x['bead_id']}:{x['reason']}"


def dumps_state(st: dict[str, Any]) -> str:
    """The state as compact JSON with sorted keys, so equal states give equal text."""
    return json.dumps(st, sort_keys=True, separators=(",", ":"))
