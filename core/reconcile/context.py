"""Everything one controller tick shares: config, world, clock, the build's result, and the
helpers every phase uses to read facts and to write beads, actions, trace records and events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.actions import Action, Event
from core.config.city_config import Agent, City, NamedSession
from core.formats.durations import try_duration
from core.formats.timefmt import format_time
from core.identity import session_name_for
from core.outcome import Outcome
from core.tracefile.record import TickRecord
from core.trackers.keys import LifecycleKeys
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead
from core.world.memory import Memory
from core.world.suspension import city_suspended, suspended_rigs

if TYPE_CHECKING:
    from core.desired.entries import DesiredResult
    from core.desired.lookup import TemplateLookup
    from core.world.world import World

# How Gas City names a failed stop by its reason ("session reconciler: stopping aged <name>: ...");
# a stop of another reason keeps the model's own "stopping <name> (<reason>)" line.
_STOP_WHAT = {
    "max-session-age": "aged",
    "idle-timeout": "idle",
    "assigned-work-exhausted": "idle",
    "config-drift": "config-drift named session",
}


class TickContext:
    def __init__(self, city: City, world: World, semantics: str, out: Outcome) -> None:
        self.city = city
        self.world = world
        self.semantics = semantics
        self.out = out
        self.store = world.store
        self.rt = world.runtime
        self.now: datetime = world.now
        self.desired: DesiredResult | None = None
        self.startup_timeout = city.session.startup_timeout_seconds()
        self.drift_drain_timeout = try_duration(city.daemon.drift_drain_timeout, 120.0) or 120.0
        self.named_by_runtime: dict[str, NamedSession] = {
            session_name_for(city, n.identity): n for n in city.named_sessions}
        self.rig_suspended = suspended_rigs(city, world.suspension)
        self.city_suspended = city_suspended(city, world.suspension)
        self.follow_up = False  # a drain stamped an ack: Gas City pokes an immediate follow-up tick
        self.boot = False  # a boot reconcile defers sweeps and closes to the first real tick
        self.rollbacks = 0  # pending-create rollbacks this tick (at most 5)
        self.async_stops: list[tuple[str, str, str]] = []  # (bead id, session name, instance token)
        self.reset_committed_this_tick: set[str] = set()  # restart handoffs this tick (#2345)
        self.awake: dict = {}  # session name -> AwakeDecision, after the awake set
        self.policy_cache: dict = {}  # template -> sleep Policy (a function of the agent alone)
        self._agent_cache: dict = {}  # template spelling -> Agent | None (the config is fixed for a tick)
        self._lookup: TemplateLookup | None = None
        self._ts = format_time(self.now)
        self.wake_evals: dict = {}  # bead id -> WakeEval
        self.idle_keys = LifecycleKeys()
        self.max_age_keys = LifecycleKeys()
        self.defer_keys = LifecycleKeys()
        self._seq = 0

    @property
    def store_partial(self) -> bool:
        """storeQueryPartial: this tick's work reads failed or came back partial, so closes,
        rollbacks, drains and releases an incomplete view could make wrong are deferred."""
        return self.desired is not None and self.desired.store_query_partial

    # ------------------------------------------------------------------ memory
    @property
    def mem(self) -> Memory:
        return self.world.memory

    @mem.setter
    def mem(self, value: Memory) -> None:
        self.world.memory = value

    # ------------------------------------------------------------------ config lookups
    def agent(self, template: str) -> Agent | None:
        if not template:
            return None
        hit = self._agent_cache.get(template, False)
        if hit is False:
            hit = self._agent_cache[template] = self.city.agent(template) or self.city.find_agent(template)
        return hit

    def template_of(self, b: SessionBead) -> str:
        """normalizedSessionTemplate: the configured agent's qualified name, else the raw
        template metadata."""
        a = self.agent(b.template)
        return a.qualified_name if a is not None else b.template

    def normalize_template(self, template: str) -> str:
        """normalizeAgentTemplateIdentity: the qualified name of the agent a stored template
        names (findAgentByTemplate: exact, `dir/name` of a binding-less agent, or a legacy bound
        `dir/binding.name` of an agent that lost its binding), else the template trimmed."""
        if self._lookup is None:
            from core.desired.lookup import template_lookup

            self._lookup = template_lookup(self.city, self.semantics)  # the config is fixed for a tick
        template = template.strip()
        a = self._lookup.find_agent_by_template(template) if template else None
        return a.qualified_name if a is not None else template

    def agent_of(self, b: SessionBead) -> Agent | None:
        return self.agent(b.template)

    def agent_suspended(self, a: Agent | None) -> bool:
        """isAgentEffectivelySuspendedWith: the city, the agent, or its rig is suspended."""
        return a is not None and (self.city_suspended or a.suspended or (bool(a.dir) and a.dir in self.rig_suspended))

    # ------------------------------------------------------------------ liveness
    def running(self, name: str) -> bool:
        return bool(name) and self.rt.is_running(name)

    def alive(self, name: str) -> bool:
        return bool(name) and self.rt.alive(name)

    # ------------------------------------------------------------------ assigned work
    def identifiers(self, b: SessionBead) -> list[str]:
        """sessionAssignmentIdentifiersForConfig: bead id, session_name, named identity (and
        the configured identity a legacy named bead's runtime name resolves to)."""
        out = [v.strip() for v in (b.id, b.session_name, b.get(B.CONFIGURED_NAMED_IDENTITY)) if v.strip()]
        if b.get(B.CONFIGURED_NAMED_SESSION) == "true" and not b.get(B.CONFIGURED_NAMED_IDENTITY).strip():
            n = self.named_by_runtime.get(b.session_name.strip())
            tpl = self.template_of(b)
            if n is not None and (not tpl or tpl == n.template_qualified):
                out.append(n.identity)
        seen: list[str] = []
        for v in out:
            if v not in seen:
                seen.append(v)
        return seen

    def work_of(self, b: SessionBead, identities: Sequence[str] | None = None) -> list[WorkBead]:
        """Non-closed work assigned to any of the bead's identifiers (index lookups); the
        close-release passes sessionBeadAssigneeIdentities instead (alias and alias history too)."""
        out: dict[str, WorkBead] = {}
        for ident in (self.identifiers(b) if identities is None else identities):
            for w in self.store.work_assigned_to(ident):
                out[w.id] = w
        return [out[k] for k in sorted(out)]

    def has_open_work(self, b: SessionBead) -> bool:
        """sessionHasOpenAssignedWork: open or in-progress work assigned to the bead; a mail
        message or a session bead assigned to it is not work (OpenAssignedTo's
        excludeMailMessageBeads, HasNonSessionWork)."""
        return any(w.status in ("open", "in_progress") and w.releasable for w in self.work_of(b))

    def reachable_work_of(self, b: SessionBead, identities: Sequence[str] | None = None) -> list[WorkBead]:
        """work_of, limited to the stores the bead's agent can reach (reachableStoresForSessionInfo):
        every store for a city-scope agent or a bead whose agent is not configured, else its
        configured rig's store (the city store without a rig). Work without a store reference
        is reachable from every session."""
        from core.desired.reach import work_reachable

        work = self.work_of(b, identities)
        a = self.agent(self.template_of(b))
        if a is None:
            return work
        return [w for w in work if work_reachable(self, a, w)]  # type: ignore[arg-type]

    def has_reachable_open_work(self, b: SessionBead) -> bool:
        """The reconciler's close gates (reachableAssignedWorkScope): open or in-progress work in a
        store the session can reach; work it cannot reach does not keep its bead open. A failing
        read of a reachable store counts as work (the gates fail closed on a live-query error)."""
        return self.reachable_read_failed(b) or \
            any(w.status in ("open", "in_progress") and w.releasable for w in self.reachable_work_of(b))

    def reachable_read_failed(self, b: SessionBead) -> bool:
        """True when reads of a store the bead's session can reach fail this tick (an injected
        `fail_store_read` of mode error)."""
        return bool(self.reachable_read_error(b))

    def reachable_read_error(self, b: SessionBead) -> str:
        """The error text of a failing read of a store the bead's session can reach ("" when
        none fails): the city store's first, then the other stores' by name."""
        from core.desired.reach import CITY_STORE, configured_rig_name

        failed = sorted((s for s, f in self.store.read_faults.items() if f[0] == "error"),
                        key=lambda s: (s != CITY_STORE, s))
        if not failed:
            return ""
        a = self.agent(self.template_of(b))
        if a is None or a.scope.strip() == "city":
            return self.store.read_error(failed[0])
        home = configured_rig_name(self, a) or CITY_STORE  # type: ignore[arg-type]
        return self.store.read_error(home) if home in failed else ""

    def has_open_work_for_close_gate(self, b: SessionBead) -> bool:
        """The drain-ack finalize's close gate (sessionHasOpenAssignedWorkForReachableStoreForCloseGate):
        reachable open work, not counting the session's own mol-do-work drain step
        (isSessionOwnDrainStepBead)."""
        return self.reachable_read_failed(b) or any(
            w.status in ("open", "in_progress") and w.releasable and not self._is_own_drain_step(w)
            for w in self.reachable_work_of(b))

    def _is_own_drain_step(self, w: WorkBead) -> bool:
        """A step whose gc.step_ref ends in segment `drain` under a root compiled from mol-do-work
        (drainStepRootFormulaName: gc.formula_name, else the root's id)."""
        if w.get("gc.step_ref").strip().rsplit(".", 1)[-1] != "drain":
            return False
        root_id = w.get("gc.root_bead_id").strip()
        root = self.store.work_bead(root_id) if root_id else None
        if root is None:
            return False
        return (root.get("gc.formula_name").strip() or root.id) == "mol-do-work"

    def has_awake_work(self, b: SessionBead) -> bool:
        return any(w.actionable for w in self.work_of(b))

    # ------------------------------------------------------------------ writes
    def patch(self, bead_id: str, changes: dict[str, str]) -> SessionBead:
        if not changes:
            return self.store.reread(bead_id)
        return self.store.update_session(bead_id, changes)

    def close(self, bead_id: str, code: str, *, release: bool = True, reachable_only: bool = False) -> bool:
        """closeBead: ClosePatch, then release the work the session held (reopened,
        unassigned, routed back to its template). A `failed-create` close is
        closeFailedCreateBead's: it also clears the pending-create lease and sleep intent, and
        releases no work."""
        b = self.store.session(bead_id)
        if b is None or not b.open:
            return False
        extra = None
        if code == "failed-create":
            extra = {B.PENDING_CREATE_CLAIM: "", B.PENDING_CREATE_STARTED_AT: "", B.SLEEP_INTENT: ""}
            release = False
        if self.store.close_session(bead_id, code, self.now, extra).open:
            return False  # the store refused the close (logged with the tick's failed writes)
        self.mem = self.mem.drop("drains", bead_id).drop("idle_probes", bead_id).drop("named_absence", bead_id)
        if release:
            self.release_work(b, reachable_only)
        self.action("close", b.id, b.session_name, code, B.close_reason_text(code), self.template_of(b))
        return True

    def close_unassigned(self, b: SessionBead, code: str, *, reachable_only: bool = False) -> bool:
        """The close of closeSessionBeadIfUnassigned and its reachable-store form, for a caller
        whose work gate has passed: when `b` (the bead as the caller read it) is in state
        failed-create the bead is closed `failed-create` whatever `code` the caller gave
        (closeFailedCreateBead); otherwise it is closed `code`."""
        return self.close(b.id, "failed-create" if b.failed_create else code, reachable_only=reachable_only)

    def release_work(self, b: SessionBead, reachable_only: bool = False) -> None:
        """releaseWorkFromClosedSessionBead: the open and in-progress work assigned to any of
        the closed session's assignee identities (sessionBeadAssigneeIdentities: id,
        session_name, named identity, alias, alias history), in every store (city and rigs:
        workAssignmentStores), is released (ReleaseWorkBead: reopened, unassigned, cleared of its
        session affinity, and given the session's pool route as gc.run_target when it has no
        route at all). Mail messages and session beads are not work and are left alone.
        `reachable_only` limits it to the stores the close gate probed (closeBead with the gate's
        reachable scope), so work the gate could not judge is left alone."""
        route = b.fallback_route
        idents = b.assignee_identities()
        for w in (self.reachable_work_of(b, idents) if reachable_only else self.work_of(b, idents)):
            if w.status not in ("open", "in_progress") or not w.releasable:
                continue
            self.store.put_work(w.released(route))

    def stop(self, name: str, reason: str, bead: SessionBead | None = None) -> bool:
        """Stop the runtime; True when it was there and is now gone (a failed stop is logged)."""
        if self.rt.get(name) is None:
            return False
        err = self.stop_error(name, reason, bead)
        if err:
            what = _STOP_WHAT.get(reason)
            self.log(f"session reconciler: stopping {what} {name}: {err}" if what
                     else f"session reconciler: stopping {name} ({reason}): {err}")
            return False
        return True

    def stop_error(self, name: str, reason: str, bead: SessionBead | None = None) -> str:
        """Stop the runtime through the provider: "" when it is gone afterwards, else the
        provider's error (an injected stop fault keeps it running)."""
        from core.world.runtime import StopError

        if self.rt.get(name) is None:
            return ""
        try:
            self.rt.kill(name, self.template_of(bead) if bead else "")
        except StopError as e:
            return str(e) or "stop failed"
        self.action("stop", bead.id if bead else "", name, reason, "", self.template_of(bead) if bead else "")
        return ""

    # ------------------------------------------------------------------ records
    def action(self, kind: str, bead_id: str = "", session_name: str = "", reason: str = "", detail: str = "",
               template: str = "") -> None:
        self.out.actions.append(Action(kind, bead_id, session_name, reason, detail, template))

    def event(self, type_: str, subject: str, message: str = "", bead_id: str = "") -> None:
        self.out.events.append(Event(type_, subject, message, bead_id))

    def log(self, line: str) -> None:
        self.out.logs.append(line)

    def record(self, record_type: str, site: str, reason: str = "", outcome: str = "", template: str = "",
               session_name: str = "", **fields: Any) -> TickRecord:
        """One trace record in Gas City's vocabulary (SessionReconcilerTraceRecord), stamped with
        this tick; the caller may set its kind-specific keys."""
        self._seq += 1
        rec = TickRecord(record_type, site, reason, outcome, template, session_name, fields, seq=self._seq,
                         trace_id=f"cycle-{self.world.tick:016x}", tick=self.world.tick, ts=self._ts,
                         config_revision=self.city.revision)
        self.out.trace.append(rec)
        return rec

    def decision(self, site: str, reason: str, outcome: str, template: str = "", session_name: str = "",
                 **fields: Any) -> None:
        self.record("decision", site, reason, outcome, template, session_name, **fields)

    def operation(self, name: str, site: str = "controller.tick.phase", **fields: Any) -> None:
        """A phase record (record_type operation, reason retained, outcome complete)."""
        rec = self.record("operation", site, "retained", "complete", **fields)
        rec.operation_name = name

    def open_beads(self) -> list[SessionBead]:
        return self.store.open_sessions()
