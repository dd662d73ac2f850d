"""The model an operator drives: a loaded city, its world, and the calls that change them.

The TUI, the scenario runner and the headless CLI all go through this class, so a keypress
and a scenario step do exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from time import perf_counter
from typing import Any

from core.actions import Action, Event
from core.config.city_config import City
from core.desired.entries import DesiredResult
from core.formats.memo import new_tick
from core.formats.timefmt import format_time
from core.guards.limits import MAX_TEMPLATE_SESSIONS
from core.identity import SEMANTICS
from core.outcome import Outcome
from core.steps import LoadCity, Step, UnknownStep, as_step, work_from_table
from core.tracefile.record import ReloadRecord
from core.world import beads as B
from core.world.beads import WorkBead
from core.world.memory import Memory
from core.world.runtime import RuntimeSession
from core.world.world import ClockRangeError, World


class ModelError(ValueError):
    """An operator or scenario asked for something that cannot be done (unknown name, bad value)."""


@dataclass
class ConfigChange:
    """Which agents a config reload added, removed or changed, and the city settings it changed."""
    added: list[str]
    removed: list[str]
    changed: list[str]
    settings: list[str] = field(default_factory=list)  # city-wide settings, as "field old → new"

    def summary(self) -> str:
        parts = []
        if self.added:
            parts.append("added " + ", ".join(self.added))
        if self.removed:
            parts.append("removed " + ", ".join(self.removed))
        if self.changed:
            parts.append("changed " + ", ".join(self.changed))
        parts.extend(self.settings)
        if parts:
            return "; ".join(parts)
        return "no change the model reads"


def diff_cities(old: City, new: City) -> ConfigChange:
    """The agent and city-setting differences from `old` to `new`."""
    o = {a.qualified_name: a for a in old.agents}
    n = {a.qualified_name: a for a in new.agents}
    changed = [q for q in sorted(set(o) & set(n)) if _agent_sig(o[q]) != _agent_sig(n[q])]
    return ConfigChange(sorted(set(n) - set(o)), sorted(set(o) - set(n)), changed, _settings_diff(old, new))


def _settings_diff(old: City, new: City) -> list[str]:
    """The city-wide settings an edit changed (workspace, daemon, sleep defaults, named sessions,
    rigs), each as `field old → new`, so a reload that touches no agent still says what it did."""
    def show(v: Any) -> str:
        return "unset" if v in (None, "", (), [], {}) else str(v)

    out = []
    for table in ("workspace", "daemon", "session"):
        a, b = getattr(old, table), getattr(new, table)
        for f in fields(a):
            va, vb = getattr(a, f.name), getattr(b, f.name)
            if va != vb and f.name != "name":  # a rename is refused before it gets here
                out.append(f"{table}.{f.name} {show(va)} → {show(vb)}")
    if old.session_sleep != new.session_sleep:
        out.append(f"session_sleep {show(old.session_sleep)} → {show(new.session_sleep)}")
    named = ({(ns.identity, ns.effective_mode) for ns in old.named_sessions},
             {(ns.identity, ns.effective_mode) for ns in new.named_sessions})
    if named[0] != named[1]:
        gone = sorted(f"{i} ({m})" for i, m in named[0] - named[1])
        came = sorted(f"{i} ({m})" for i, m in named[1] - named[0])
        out.append("named sessions " + ", ".join(["-" + x for x in gone] + ["+" + x for x in came]))
    rigs = ({r.name: (r.suspended, r.max_active_sessions) for r in old.rigs},
            {r.name: (r.suspended, r.max_active_sessions) for r in new.rigs})
    for name in sorted(set(rigs[0]) | set(rigs[1])):
        a, b = rigs[0].get(name), rigs[1].get(name)
        if a is None or b is None:
            out.append(f"rig {name} {'added' if a is None else 'removed'}")
        elif a != b:
            out.append(f"rig {name} suspended={b[0]} max_active_sessions={show(b[1])}")
    return out


def _agent_sig(a) -> tuple:
    return (a.max_active_sessions, a.min_active_sessions, a.scale_check, a.namepool, a.namepool_names,
            a.depends_on, a.suspended, a.core_fingerprint(), a.idle_timeout, a.sleep_after_idle, a.max_session_age,
            a.wake_mode, a.tmux_alias)


class Model:
    def __init__(self, city: City, world: World | None = None, semantics: str = "current",
                 adopt_on_start: bool = True) -> None:
        if semantics not in SEMANTICS:
            raise ModelError(f'semantics must be one of {", ".join(SEMANTICS)}, got "{semantics}"')
        self.city = city
        self.world = world or World(prefix="gc")
        self.semantics = semantics
        self.adopt_on_start = adopt_on_start
        self.last_desired: DesiredResult | None = None
        self.pending_city: City | None = None  # hot reload: applied at the next tick
        self.config_events: list[str] = []
        if not adopt_on_start:
            self.world.memory = self.world.memory.with_(adopted=True)

    # ------------------------------------------------------------------ ticks
    def tick(self) -> Outcome:
        """One regular controller tick (the adoption barrier first if the controller just started)."""
        from core.reconcile.tick import run_tick

        started = perf_counter()
        new_tick()  # parse and sort memos keep only what the last two ticks used
        out = self._apply_pending_config()
        self.world.store.journal.clear()
        self.world.runtime.starts.clear()
        if not self.world.memory.adopted:
            from core.reconcile.adoption import adoption_barrier

            out.extend(adoption_barrier(self.city, self.world, self.semantics))
            self.world.memory = self.world.memory.with_(adopted=True)
        try:
            out.extend(run_tick(self.city, self.world, self.semantics))
        except Exception as e:  # noqa: BLE001 - safeTick: a panicking tick is logged, the controller goes on
            line = f"gc start: reconciler tick panicked (trigger=patrol): {e} (type={type(e).__name__})"
            out.logs.append(line)
            out.panic = line
            out.ticks += 1
        if out.desired is not None:
            self.last_desired = out.desired
        out.timings["tick"] = out.timings.get("tick", 0.0) + perf_counter() - started
        return out

    def build(self, store: bool = True) -> Outcome:
        """Only the desired-state build (a scenario's `build` step). `store=False` runs Gas City's
        legacy no-store build, which reads and writes no beads."""
        from core.reconcile.tick import run_build

        if store:
            out = run_build(self.city, self.world, self.semantics)
        else:
            from core.desired.build import build_desired

            out = Outcome()
            out.desired = build_desired(self.city, self.world, self.semantics, out.actions, out.trace,
                                        store_backed=False)
            out.logs += out.desired.logs
        self.last_desired = out.desired
        return out

    def sync_only(self, close: bool = False) -> Outcome:
        """The tick up to and including session bead sync, no reconcile (a scenario's `sync` step);
        a pending config edit is applied first, as a tick does. `close` runs sync's close pass
        too (gc start's one-shot sync)."""
        from core.reconcile.tick import run_sync_only

        out = self._apply_pending_config()
        synced = run_sync_only(self.city, self.world, self.semantics, close)
        out.extend(synced)
        out.desired = synced.desired
        self.last_desired = synced.desired
        return out

    def hygiene_only(self) -> Outcome:
        """Only the tick's runtime and bead hygiene phase (a scenario's `hygiene` step); a
        pending config edit is applied first, as a tick does."""
        from core.reconcile.tick import run_hygiene_only

        out = self._apply_pending_config()
        out.extend(run_hygiene_only(self.city, self.world, self.semantics))
        return out

    def _apply_pending_config(self) -> Outcome:
        """Apply an edited config waiting for the next tick (hot reload), if any."""
        if self.pending_city is None:
            return Outcome()
        out = self.apply_config(self.pending_city)
        self.pending_city = None
        return out

    # ------------------------------------------------------------------ config
    def apply_config(self, new: City) -> Outcome:
        """Swap in a new, already validated config; in-memory trackers are rebuilt as on reload."""
        out = Outcome()
        change = diff_cities(self.city, new)
        old_revision = self.city.revision
        self.city = new
        self.world.memory = self.world.memory.after_reload()
        line = f"config reloaded (revision {new.revision}): {change.summary()}"
        out.notes.append(line)
        out.events.append(Event("config.reloaded", new.path, line))
        # RecordConfigReload: reason unknown, outcome applied, Gas City's field names (plus the
        # changed templates, which it does not record).
        out.trace.append(ReloadRecord("config_reload", "config.reload", "unknown", "applied",
                                      fields={"previous_config_revision": old_revision,
                                              "new_config_revision": new.revision, "source": "watch",
                                              "added_templates": change.added, "removed_templates": change.removed,
                                              "changed_templates": change.changed}))
        return out

    def set_semantics(self, semantics: str) -> None:
        if semantics not in SEMANTICS:
            raise ModelError(f'semantics must be one of {", ".join(SEMANTICS)}, got "{semantics}"')
        self.semantics = semantics

    def restart_controller(self) -> Outcome:
        """The controller process restarts: in-memory state is lost; adoption runs next tick."""
        self.world.memory = Memory()
        out = Outcome()
        out.notes.append("controller restarted: in-memory trackers cleared; adoption barrier runs before the next tick")
        return out

    # ------------------------------------------------------------------ world pokes
    def advance(self, seconds: float) -> Outcome:
        if seconds < 0:
            raise ModelError("the clock only moves forward")
        from core.reconcile.tick import run_async_commits

        try:
            out = run_async_commits(self.city, self.world, self.semantics, seconds)
        except ClockRangeError as e:
            raise ModelError(str(e)) from None
        out.notes.append(f"clock advanced {seconds:g}s to {format_time(self.world.now)}")
        return out

    def _runtime(self, name: str) -> RuntimeSession:
        s = self.world.runtime.get(name)
        if s is None:
            raise ModelError(f'no runtime session named "{name}"')
        return s

    def runtime_exit(self, name: str, crash: bool = False) -> Outcome:
        s = self._runtime(name)
        self.world.runtime.stop(name)
        out = Outcome()
        kind = "crashed" if crash else "exited"
        out.notes.append(f"runtime {name} {kind}")
        if crash:
            out.events.append(Event("session.crashed", name, "runtime died (operator crash)", s.session_id))
        return out

    def runtime_start(self, name: str, session_id: str = "", **extra: Any) -> Outcome:
        if self.world.runtime.get(name) is not None:
            raise ModelError(f'runtime session "{name}" is already running')
        now = self.world.now
        self.world.runtime.put(RuntimeSession(name=name, session_id=session_id, started_at=now, last_activity=now,
                                              **extra))
        return Outcome(notes=[f"runtime {name} appeared outside the controller"])

    def activity(self, name: str) -> Outcome:
        self._runtime(name)
        self.world.runtime.update(name, last_activity=self.world.now)
        return Outcome(notes=[f"activity on {name}"])

    def set_attached(self, name: str, attached: bool) -> Outcome:
        self._runtime(name)
        self.world.runtime.update(name, attached=attached, last_activity=self.world.now)
        return Outcome(notes=[f"{'attached to' if attached else 'detached from'} {name}"])

    def set_runtime(self, name: str, **changes: Any) -> Outcome:
        self._runtime(name)
        self.world.runtime.update(name, **changes)
        return Outcome(notes=[f"runtime {name}: " + ", ".join(f"{k}={v}" for k, v in changes.items())])

    def drain_ack(self, name: str) -> Outcome:
        self._runtime(name)
        self.world.runtime.set_meta(name, {"GC_DRAIN_ACK": "1", "GC_DRAIN_ACK_SOURCE": "agent"})
        return Outcome(notes=[f"{name} acknowledged a drain"])

    def fail_start(self, selector: str, count: int = 1, message: str = "") -> Outcome:
        self.world.runtime.inject_start_failure(selector, count, message)
        return Outcome(notes=[f"next {count} start(s) of {selector} will fail"])

    def add_work(self, w: WorkBead) -> Outcome:
        if self.world.store.work_bead(w.id) is not None:
            raise ModelError(f'work bead "{w.id}" already exists')
        if w.created_at is None:
            w = w.with_(created_at=self.world.now)
        self.world.store.put_work(w)
        return Outcome(notes=[f"work {w.id} added" + (f" routed to {w.routed_to}" if w.routed_to else "")
                             + (f" assigned to {w.assignee}" if w.assignee else "")])

    def update_work(self, wid: str, **changes: Any) -> Outcome:
        w = self.world.store.work_bead(wid)
        if w is None:
            raise ModelError(f'no work bead "{wid}"')
        if "metadata" in changes:  # merged into the bead's metadata; "" deletes a key
            merged = dict(w.metadata)
            for k, v in (changes["metadata"] or {}).items():
                if str(v) == "":
                    merged.pop(str(k), None)
                else:
                    merged[str(k)] = str(v)
            changes["metadata"] = tuple(sorted(merged.items()))
        self.world.store.put_work(w.with_(**changes))
        return Outcome(notes=[f"work {wid}: " + ", ".join(f"{k}={v}" for k, v in changes.items())])

    def set_scale_check(self, template: str, value: int | str, ran: bool = False, reason: str = "") -> Outcome:
        """The scale_check result of `template`, an agent of the running config or of the one
        queued for the next tick. `ran`: the value is what its command printed when run for real
        (`--run-scale-checks`; `reason` says why that run failed), recorded as the template's
        last run; otherwise it is a simulated value and any earlier run is forgotten."""
        if all(c.agent(template) is None for c in (self.city, self.pending_city) if c is not None):
            raise ModelError(f'no agent "{template}" in the city')
        if isinstance(value, int) and not 0 <= value <= MAX_TEMPLATE_SESSIONS:
            raise ModelError(f"scale_check {template}: {value} is outside 0..{MAX_TEMPLATE_SESSIONS} (what citywatch "
                             "models)")
        self.world.set_scale_check(template, value)
        if not ran:
            self.world.forget_scale_check_run(template)
            return Outcome(notes=[f"scale_check {template} = {value}"])
        before = self.world.scale_check_run(template)
        run = self.world.stamp_scale_check_run(template, value, reason)
        self.world.record_scale_check_run(run)
        was = f" (was {before.outcome()})" if before is not None else ""
        if run.ok:
            return Outcome(notes=[f"scale_check {template} = {run.value}: its command ran{was}"])
        return Outcome(warnings=[f"scale_check {template} {run.outcome()}{was}"])

    def record_scale_check_runs(self, runs: list[tuple[str, int | None, str]]) -> None:
        """Real runs (template, value or None, reason) read for the tick about to run, whose
        outcome is the one already recorded: only when they ran changes."""
        for template, value, reason in runs:
            if self.world.scale_check_run(template) is not None:
                self.world.record_scale_check_run(self.world.stamp_scale_check_run(template, value, reason))

    def set_wait(self, table: dict[str, Any]) -> Outcome:
        """Register a durable wait (`gc wait`) or change one: its fields as a scenario's [[wait]]
        table gives them; an existing wait keeps the fields the step leaves out."""
        from core.world.world import wait_from_json

        old = self.world.store.waits.get(str(table["id"]))
        base = {} if old is None else {"session": old.session_id, "state": old.state, "kind": old.kind,
                                       "deps": list(old.dep_ids), "dep_mode": old.dep_mode,
                                       "registered_epoch": old.registered_epoch, "expires_at": old.expires_at}
        w = wait_from_json({**base, **table})
        if not w.session_id:
            raise ModelError(f'wait "{w.id}" names no session')
        self.world.store.put_wait(w)
        return Outcome(notes=[f"wait {w.id} for {w.session_id}: {w.state}"])

    def set_suspension(self, table: dict[str, Any]) -> Outcome:
        """What `gc suspend` / `gc resume` (`city`), `gc rig suspend` / `gc rig resume` (`rigs`)
        write to the runtime suspension state, or GC_SUSPENDED=1 (`gc_suspended`); read from the
        next tick on."""
        self.world.suspension = self.world.suspension.updated(table)
        parts = [f"{k}={v}" for k, v in sorted(table.items())]
        return Outcome(notes=["runtime suspension state: " + ", ".join(parts)])

    def set_session(self, bead_id: str, metadata: dict[str, str]) -> Outcome:
        if self.world.store.session(bead_id) is None:
            raise ModelError(f'no session bead "{bead_id}"')
        self.world.store.update_session(bead_id, {k: str(v) for k, v in metadata.items()})
        return Outcome(notes=[f"session {bead_id} edited: " + ", ".join(metadata)])

    def close_session(self, bead_id: str) -> Outcome:
        """Close a session bead outside the controller, as a plain store close (`bd close`) does:
        the bead leaves the open set and its metadata is left as it was."""
        if self.world.store.session(bead_id) is None:
            raise ModelError(f'no session bead "{bead_id}"')
        self.world.store.close_session_plain(bead_id)
        return Outcome(notes=[f"session {bead_id} closed outside the controller"])

    def new_work_id(self) -> str:
        # Forgotten closed work still counts: an id is never handed out twice in a session.
        n = len(self.world.store.work) + self.world.store.forgotten_work + 1
        while self.world.store.work_bead(f"w-{n}") is not None:
            n += 1
        return f"w-{n}"

    # ------------------------------------------------------------------ scenario steps
    def do(self, step: Step | Mapping[str, Any], load_city: LoadCity | None = None) -> Outcome:
        """Run one scenario step: a typed record of core/steps, or its table (the `do` table of
        scenario-format.md, plus citywatch's extensions). `load_city` loads the config of an
        edit_config step that carries none. Raises ModelError for an unknown step or one that
        cannot be done."""
        try:
            return as_step(step).apply(self, load_city)
        except UnknownStep as e:
            raise ModelError(str(e)) from None
        except ClockRangeError as e:
            raise ModelError(str(e)) from None


__all__ = ["Model", "ModelError", "Action", "work_from_table", "B"]
