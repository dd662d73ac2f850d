"""The whole simulated world: store, runtime, clock, scale_check results, controller memory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import immutables

from core.formats.timefmt import (
    DEFAULT_START,
    EARLIEST,
    LATEST,
    format_time,
    parse_stamp,
    parse_time,
)
from core.world.beads import CONFIGURED_NAMED_IDENTITY, SessionBead, WaitBead, WorkBead, natural_key
from core.world.memory import Circuit, DeferStreak, Drain, IdleProbe, Memory
from core.world.runtime import PendingStart, Runtime, RuntimeSession, RuntimeState
from core.world.scaleruns import ScaleCheckRun
from core.world.store import Store, StoreState
from core.world.suspension import RuntimeSuspension


class ClockRangeError(ValueError):
    """A clock move that would leave the times Go's clock can hold (timefmt.EARLIEST..LATEST)."""


DETACHED_PROBE_RESULTS = ("alive", "dead", "error")  # what a scenario can say a detached-work probe answers

@dataclass(frozen=True)
class WorldState:
    """An immutable snapshot of a World (cheap: persistent maps share structure)."""

    store: StoreState
    runtime: RuntimeState
    now: datetime
    scale_checks: immutables.Map
    memory: Memory
    tick: int
    scale_check_runs: immutables.Map = immutables.Map()  # template -> ScaleCheckRun (--run-scale-checks)
    suspension: RuntimeSuspension = RuntimeSuspension()
    work_query: immutables.Map = immutables.Map()  # template -> bool, a scenario-given work_query result
    detached_probe: immutables.Map = immutables.Map()  # gc.detached spec -> "alive" | "dead" | "error"


class World:
    def __init__(self, now: datetime = DEFAULT_START, prefix: str = "gc") -> None:
        self.store = Store(prefix)
        self.runtime = Runtime()
        self.now = now
        self.scale_checks: immutables.Map = immutables.Map()  # template -> int | "error"
        self.scale_check_runs: immutables.Map = immutables.Map()  # template -> ScaleCheckRun, the last real run
        self.memory = Memory()
        self.tick = 0
        self.suspension = RuntimeSuspension()  # gc suspend / gc resume overrides, GC_SUSPENDED
        # template -> whether its work_query found work: given by a scenario only (the controller never
        # runs work_query; Gas City's tick keeps the awake computation's WorkSet empty)
        self.work_query: immutables.Map = immutables.Map()
        # gc.detached spec -> what probing it answers ("alive", "dead", "error"): given by a scenario
        # only (Gas City runs `tmux has-session`; citywatch runs no probe command)
        self.detached_probe: immutables.Map = immutables.Map()

    # ---- clock ----
    def advance(self, seconds: float) -> None:
        """Move the clock forward; raises ClockRangeError past timefmt.LATEST (the clock stays
        where it was)."""
        if not (EARLIEST - self.now).total_seconds() <= seconds <= (LATEST - self.now).total_seconds():
            raise ClockRangeError(f"the clock must stay between {format_time(EARLIEST)} and {format_time(LATEST)} "
                                  "(the times Go's clock holds)")
        self.now = self.now + timedelta(seconds=seconds)

    # ---- retention ----
    def forget_closed(self, keep: int) -> int:
        """Forget the oldest closed session beads, and the oldest closed work beads, beyond the
        newest `keep` of each that nothing in the world can reach any more, so a long watch
        stays in bounded memory (a bd store keeps every closed bead; the controller reads open
        work only and looks closed session beads up by what still refers to them). Kept whatever
        their age: a closed session bead of a configured named session (what a re-added named
        session reopens), one whose session name still runs, one that open work is assigned to
        (by id, session name or alias), and any bead a live wait names. Each kind is scanned
        only once its closed beads pass `keep` by a tenth. Returns how many beads were
        forgotten."""
        if keep < 0:
            return 0
        slack = keep + max(keep // 10, 1)
        store = self.store
        closed_sessions = store.closed_session_count()
        closed_work = store.closed_work_count() if len(store.work) > slack else 0
        if closed_sessions <= slack and closed_work <= slack:
            return 0
        waited = {i for wait in store.waits.values() if wait.state in ("pending", "ready")
                  for i in (wait.session_id, *wait.dep_ids)}
        forgotten = 0
        if closed_sessions > slack:
            held = set(waited)
            for s in self.runtime.sessions.values():
                held.update((s.name, s.session_id))
            held.update(w.assignee for w in store.work.values() if w.status != "closed" and w.assignee)
            held.discard("")
            old = [b for b in store.sessions.values()
                   if not b.open and not b.get(CONFIGURED_NAMED_IDENTITY).strip()
                   and b.id not in held and b.session_name not in held and b.alias not in held]
            old.sort(key=lambda b: (b.created_at, natural_key(b.id)))
            forgotten += store.forget_sessions(b.id for b in old[:closed_sessions - keep])
        if closed_work > slack:
            done = [w for w in store.work.values() if w.status == "closed" and w.id not in waited]
            done.sort(key=lambda w: (w.created_at or EARLIEST, natural_key(w.id)))
            forgotten += store.forget_work(w.id for w in done[:closed_work - keep])
        return forgotten

    # ---- snapshots ----
    def snapshot(self) -> WorldState:
        return WorldState(self.store.snapshot(), self.runtime.snapshot(), self.now, self.scale_checks,
                          self.memory, self.tick, self.scale_check_runs, self.suspension, self.work_query,
                          self.detached_probe)

    def restore(self, st: WorldState) -> None:
        self.store.restore(st.store)
        self.runtime.restore(st.runtime)
        self.now = st.now
        self.scale_checks = st.scale_checks
        self.scale_check_runs = st.scale_check_runs
        self.memory = st.memory
        self.tick = st.tick
        self.suspension = st.suspension
        self.work_query = st.work_query
        self.detached_probe = st.detached_probe

    @classmethod
    def from_state(cls, st: WorldState, prefix: str = "gc") -> World:
        w = cls(st.now, prefix)
        w.restore(st)
        return w

    def scale_check(self, template: str) -> int | str:
        return self.scale_checks.get(template, 0)

    def set_scale_check(self, template: str, value: int | str) -> None:
        self.scale_checks = self.scale_checks.set(template, value)

    def scale_check_run(self, template: str) -> ScaleCheckRun | None:
        """The last real run of `template`'s scale_check, or None (its value is simulated)."""
        return self.scale_check_runs.get(template)

    def stamp_scale_check_run(self, template: str, value: int | str | None, reason: str) -> ScaleCheckRun:
        """The record of a real run read for the tick about to run (this world's time, its next
        tick); a value that is not a non-negative integer is a failed read."""
        n = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
        if n is None and not reason:
            reason = f"result {value!r} is not a non-negative integer"
        return ScaleCheckRun(template, n, "" if n is not None else reason, self.now, self.tick + 1)

    def record_scale_check_run(self, run: ScaleCheckRun) -> None:
        self.scale_check_runs = self.scale_check_runs.set(run.template, run)

    def forget_scale_check_run(self, template: str) -> None:
        if template in self.scale_check_runs:
            self.scale_check_runs = self.scale_check_runs.delete(template)

    # ---- JSON (save and load a whole world, losing nothing) ----
    def to_json(self) -> dict[str, Any]:
        m = self.memory
        return {
            "now": format_time(self.now),
            "tick": self.tick,
            "next_id": self.store.next_id,
            **({"next_ids": list(self.store.next_ids)} if self.store.next_ids else {}),
            "prefix": self.store.prefix,
            "sessions": [session_json(b) for b in self.store.all_sessions()],
            "work": [work_json(w) for w in sorted(self.store.work.values(), key=lambda w: w.id)],
            **({"waits": [wait_json(w) for w in self.store.waits_in_order()]} if self.store.waits else {}),
            **({"read_faults": {k: list(v) for k, v in sorted(self.store.read_faults.items())}}
               if self.store.read_faults else {}),
            **({"write_faults": [list(f) for f in self.store.write_faults]} if self.store.write_faults else {}),
            # "alive" is false for a corpse whatever its process did: keep process_alive itself too
            "runtime": [{**runtime_json(s), "process_alive": s.process_alive}
                        for s in sorted(self.runtime.sessions.values(), key=lambda s: s.name)],
            "start_failures": [list(f) for f in self.runtime.start_failures],
            **({"stop_failures": [list(f) for f in self.runtime.stop_failures]} if self.runtime.stop_failures else {}),
            **({"slow_starts": [list(f) for f in self.runtime.slow_starts]} if self.runtime.slow_starts else {}),
            **({"pending_starts": [_pending_json(p) for _, p in sorted(self.runtime.pending_starts.items())]}
               if self.runtime.pending_starts else {}),
            "scale_checks": dict(sorted(self.scale_checks.items())),
            **({"scale_check_runs": {k: v.to_json() for k, v in sorted(self.scale_check_runs.items())}}
               if self.scale_check_runs else {}),
            **({"suspension": self.suspension.to_json()} if self.suspension.to_json() else {}),
            **({"work_query": dict(sorted(self.work_query.items()))} if self.work_query else {}),
            **({"detached_probe": dict(sorted(self.detached_probe.items()))} if self.detached_probe else {}),
            "memory": {
                "adopted": m.adopted,
                "drains": {k: _drain_json(v) for k, v in sorted(m.drains.items())},
                "defer": {k: {"anchor": v.anchor, "count": v.count} for k, v in sorted(m.defer.items())},
                "circuits": {k: _circuit_json(v) for k, v in sorted(m.circuits.items())},
                **({"circuit_generations": dict(sorted(m.circuit_generations.items()))}
                   if m.circuit_generations else {}),
                "named_absence": dict(sorted(m.named_absence.items())),
                "idle_probes": {k: _probe_json(v) for k, v in sorted(m.idle_probes.items())},
                "idle_probe_cursor": m.idle_probe_cursor,
                **({"reset_stalls": sorted(m.reset_stalls.keys())} if m.reset_stalls else {}),
                **({"detached_probe_errors": dict(sorted(m.detached_probe_errors.items()))}
                   if m.detached_probe_errors else {}),
            },
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> World:
        w = cls(parse_time(d["now"]) or DEFAULT_START, d.get("prefix", "gc"))
        w.tick = int(d.get("tick", 0))
        w.suspension = RuntimeSuspension.from_json(d.get("suspension"))
        w.work_query = immutables.Map({str(k): v is True for k, v in (d.get("work_query") or {}).items()})
        w.detached_probe = immutables.Map({str(k): str(v) for k, v in (d.get("detached_probe") or {}).items()
                                           if v in DETACHED_PROBE_RESULTS})
        for s in d.get("sessions", []):
            b = SessionBead(s["id"], parse_time(s["created_at"]) or w.now, dict(s.get("metadata", {})),
                            bool(s.get("open", True)), s.get("title", ""), frozenset(s.get("labels", [])))
            w.store.put_session(b)
        for x in d.get("work", []):
            w.store.put_work(WorkBead(x["id"], x.get("status", "open"), x.get("assignee", ""), x.get("routed_to", ""),
                                      int(x.get("priority", 0)), bool(x.get("ready", True)),
                                      parse_time(x.get("created_at")), x.get("title", ""), x.get("store", ""),
                                      x.get("type", ""), tuple(sorted(dict(x.get("metadata", {})).items()))))
        for r in d.get("runtime", []):
            w.runtime.put(RuntimeSession(
                name=r["name"], session_id=r.get("session_id", ""), instance_token=r.get("instance_token", ""),
                template=r.get("template", ""), started_at=parse_time(r.get("started_at")),
                last_activity=parse_time(r.get("last_activity")), attached=bool(r.get("attached", False)),
                pending_interaction=bool(r.get("pending_interaction", False)),
                process_alive=bool(r.get("process_alive", r.get("alive", True))), corpse=bool(r.get("corpse", False)),
                peek=r.get("peek", ""), meta=dict(r.get("meta", {})),
                env=dict(r.get("env", {})), command=str(r.get("command", ""))))
        for x in d.get("waits", []):
            w.store.put_wait(wait_from_json(x))
        w.store.read_faults = {k: (str(v[0]), int(v[1]), str(v[2]) if len(v) > 2 else "")
                              for k, v in d.get("read_faults", {}).items()}
        w.store.write_faults = [list(f) for f in d.get("write_faults", [])]
        w.runtime.start_failures = [list(f) for f in d.get("start_failures", [])]
        w.runtime.stop_failures = [list(f) for f in d.get("stop_failures", [])]
        w.runtime.slow_starts = [list(f) for f in d.get("slow_starts", [])]
        w.runtime.pending_starts = {p["name"]: _pending_from(p) for p in d.get("pending_starts", [])}
        w.store.next_id = int(d.get("next_id", w.store.next_id))
        w.store.next_ids = [str(x) for x in d.get("next_ids", [])]
        w.store.journal.clear()
        w.scale_checks = immutables.Map(d.get("scale_checks", {}))
        w.scale_check_runs = immutables.Map({k: ScaleCheckRun.from_json(k, v)
                                             for k, v in d.get("scale_check_runs", {}).items()})
        mem = d.get("memory", {})
        w.memory = Memory(
            drains=immutables.Map({k: _drain_from(v) for k, v in mem.get("drains", {}).items()}),
            defer=immutables.Map({k: DeferStreak(v["anchor"], int(v["count"])) for k, v in mem.get("defer", {}).items()}),
            circuits=immutables.Map({k: _circuit_from(v) for k, v in mem.get("circuits", {}).items()}),
            circuit_generations=immutables.Map({str(k): int(v) for k, v in mem.get("circuit_generations", {}).items()}),
            named_absence=immutables.Map(mem.get("named_absence", {})),
            idle_probes=immutables.Map({k: _probe_from(v) for k, v in mem.get("idle_probes", {}).items()}),
            idle_probe_cursor=int(mem.get("idle_probe_cursor", 0)),
            reset_stalls=immutables.Map({k: True for k in mem.get("reset_stalls", [])}),
            detached_probe_errors=immutables.Map({str(k): int(v) for k, v in mem.get("detached_probe_errors", {}).items()}),
            adopted=bool(mem.get("adopted", False)),
        )
        return w

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, indent=1)


def session_json(b: SessionBead) -> dict[str, Any]:
    """The session bead as a JSON-ready dict."""
    return {"id": b.id, "open": b.open, "created_at": format_time(b.created_at), "title": b.title,
            "labels": sorted(b.labels), "metadata": dict(sorted(b.metadata.items()))}


def work_json(w: WorkBead) -> dict[str, Any]:
    """The work bead as a JSON-ready dict."""
    return {"id": w.id, "status": w.status, "assignee": w.assignee, "routed_to": w.routed_to,
            "priority": w.priority, "ready": w.ready, "created_at": format_time(w.created_at), "title": w.title,
            "store": w.store, "type": w.type, "metadata": dict(w.metadata)}


def wait_json(w: WaitBead) -> dict[str, Any]:
    """The wait as a JSON-ready dict."""
    return {"id": w.id, "session_id": w.session_id, "state": w.state, "kind": w.kind, "dep_ids": list(w.dep_ids),
            "dep_mode": w.dep_mode, "registered_epoch": w.registered_epoch, "expires_at": w.expires_at,
            "reason": w.reason}


def wait_from_json(x: dict[str, Any]) -> WaitBead:
    """A WaitBead from its JSON (or scenario table) form; missing fields default."""
    deps = x.get("dep_ids", x.get("deps", ()))
    return WaitBead(str(x["id"]), str(x.get("session_id", x.get("session", ""))), str(x.get("state", "pending")),
                    str(x.get("kind", "deps")), tuple(str(d) for d in deps or ()), str(x.get("dep_mode", "all")),
                    str(x.get("registered_epoch", "")), str(x.get("expires_at", "")), str(x.get("reason", "")))


def runtime_json(s: RuntimeSession) -> dict[str, Any]:
    """The runtime session as a JSON-ready dict."""
    return {"name": s.name, "alive": s.alive, "running": s.running, "corpse": s.corpse,
            "session_id": s.session_id,
            "instance_token": s.instance_token, "template": s.template,
            "started_at": format_time(s.started_at), "last_activity": format_time(s.last_activity),
            "attached": s.attached, "pending_interaction": s.pending_interaction, "peek": s.peek,
            "meta": dict(sorted(s.meta.items())), "env": dict(sorted(s.env.items())), "command": s.command}


def _pending_json(p: PendingStart) -> dict[str, Any]:
    return {"name": p.name, "bead_id": p.bead_id, "instance_token": p.instance_token, "template": p.template,
            "env": dict(sorted(p.env.items())), "started_at": format_time(p.started_at),
            "ready_at": format_time(p.ready_at), "claim": p.claim, "wake_reason": p.wake_reason, "wave": p.wave,
            "identity": p.identity, "generation": p.generation, "command": p.command, "start_line": p.start_line}


def _pending_from(v: dict[str, Any]) -> PendingStart:
    return PendingStart(v["name"], v["bead_id"], v.get("instance_token", ""), v.get("template", ""),
                        dict(v.get("env", {})), parse_stamp(v["started_at"]), parse_stamp(v["ready_at"]),
                        bool(v.get("claim", False)), v.get("wake_reason", ""), int(v.get("wave", 0)),
                        v.get("identity", ""), v.get("generation", ""), v.get("command", ""),
                        v.get("start_line", ""))


def _drain_json(d: Drain) -> dict[str, Any]:
    return {"bead_id": d.bead_id, "reason": d.reason, "started_at": format_time(d.started_at),
            "deadline": format_time(d.deadline), "generation": d.generation, "acked": d.acked}


def _drain_from(v: dict[str, Any]) -> Drain:
    return Drain(v["bead_id"], v["reason"], parse_stamp(v["started_at"]), parse_stamp(v["deadline"]),
                 v.get("generation", ""), bool(v.get("acked", False)))


def _circuit_json(c: Circuit) -> dict[str, Any]:
    return {"restarts": [format_time(t) for t in c.restarts], "state": c.state, "opened_at": format_time(c.opened_at),
            "last_restart": format_time(c.last_restart), "last_progress": format_time(c.last_progress),
            "last_observed": format_time(c.last_observed), "signature": c.signature, "observed": c.observed,
            "open_restart_count": c.open_restart_count, "logged_open_once": c.logged_open_once}


def _circuit_from(v: dict[str, Any]) -> Circuit:
    return Circuit(tuple(parse_stamp(t) for t in v.get("restarts", [])), v.get("state", "CIRCUIT_CLOSED"),
                   parse_time(v.get("opened_at")), parse_time(v.get("last_restart")),
                   parse_time(v.get("last_progress")), parse_time(v.get("last_observed")),
                   v.get("signature") or "", bool(v.get("observed", False)), int(v.get("open_restart_count", 0)),
                   bool(v.get("logged_open_once", False)))


def _probe_json(p: IdleProbe) -> dict[str, Any]:
    return {"started_at": format_time(p.started_at), "ready": p.ready, "success": p.success,
            "completed_at": format_time(p.completed_at)}


def _probe_from(v: dict[str, Any]) -> IdleProbe:
    return IdleProbe(parse_stamp(v["started_at"]), bool(v.get("ready", False)), bool(v.get("success", False)),
                     parse_time(v.get("completed_at")))
