"""Shared state of one desired-state build: config, store, clock and the lookups every step uses.

The template/identity resolution helpers follow Gas City's own (findAgentByTemplate,
normalizedSessionTemplate, resolvedSessionTemplate, NormalizePoolRouteTarget, ...): a bead or a
work route is matched to a configured agent exactly the way the controller matches it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from core.actions import Action
from core.config.city_config import Agent, City, NamedSession
from core.desired.alias import named_target
from core.desired.entries import DesiredResult
from core.desired.lookup import parse_qualified, template_lookup
from core.identity import (
    canonical_singleton,
    instance_expansion,
    multiple_sessions,
    session_name_for,
)
from core.tracefile.record import BuildRecord, TraceRecord
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.suspension import suspended_rigs

if TYPE_CHECKING:
    from core.world.world import World

_T = TypeVar("_T")


def controller_managed(b: SessionBead) -> bool:
    """Raw controller-capacity markers: pool_managed, a pool_slot, or a live pending-create claim
    on a pool-managed bead."""
    return b.derived(_controller_managed)


def _controller_managed(b: SessionBead) -> bool:
    return (b.get(B.POOL_MANAGED) == "true" or bool(b.get(B.POOL_SLOT).strip())
            or (b.pool_managed and b.pending_claim))


def has_terminal_provider_error(b: SessionBead) -> bool:
    """sessionHasProviderTerminalErrorInfo."""
    return b.derived(_has_terminal_provider_error)


def _has_terminal_provider_error(b: SessionBead) -> bool:
    if b.get(B.PROVIDER_TERMINAL_ERROR).strip():
        return True
    return (b.get(B.SESSION_HEALTH).strip() == "unhealthy" and b.get(B.SESSION_DRAINABLE) == "true"
            and bool(b.get(B.SESSION_HEALTH_REASON).strip()))


def stored_template(b: SessionBead) -> str:
    """The template as stored on the bead (legacy beads keep it in common_name)."""
    return b.template.strip() or b.get(B.COMMON_NAME).strip()


class BuildContext:
    """One build's inputs (config, store, clock, semantics), its result, and cached lookups."""

    def __init__(self, city: City, world: World, semantics: str, actions: list[Action],
                 trace: list[TraceRecord] | None = None, store_backed: bool = True) -> None:
        self.city = city
        self.world = world
        self.store = world.store
        self.store_backed = store_backed
        self.now: datetime = world.now
        self.semantics = semantics
        self.actions = actions
        self.trace = trace if trace is not None else []
        self.result = DesiredResult()
        self._template_cache: dict[tuple[str, int], str] = {}
        self.named_identities = {n.identity for n in city.named_sessions}
        self.rig_suspended = suspended_rigs(city, world.suspension)
        self.agents_sorted = sorted(city.agents, key=lambda a: a.qualified_name)
        self.assigned_work: list = []  # pool-demand assigned work beads (bp.assignedWorkBeads)
        self._live_assigned: tuple[int, dict] | None = None
        self._by_template: dict[str, list[str]] | None = None
        self.lookup = template_lookup(city, semantics)
        self._partial_cache: dict[str, set[str]] = {}
        # A store whose reads fail or come back partial makes the whole tick store-partial, work
        # or no work: Gas City's list queries fail before any bead is seen (storeQueryPartial).
        if store_backed and any(s == "city" or s not in self.rig_suspended for s in self.store.read_faults):
            self.result.store_query_partial = True

    def transport_error(self, a: Agent) -> str:
        """validateAgentSessionTransportForBuild for `a` ("" when its sessions can be created)."""
        from core.desired.provider import transport_error

        return self.city.derived(("transport_error", a.qualified_name), lambda: transport_error(self.city, a))

    def refuse_transport(self, a: Agent, what: str) -> bool:
        """True (after Gas City's `buildDesiredState: <what>: <error> (skipping)` line) when the
        agent's session transport cannot be routed by the city's session provider."""
        err = self.transport_error(a)
        if err:
            self.log(f"buildDesiredState: {what}: {err} (skipping)")
        return bool(err)

    def work_visible(self, w) -> bool:
        """coordClassStoreCandidates: demand is read from the city store and the stores of rigs
        that are not suspended (a work bead's `store` names its rig, "city" the city store). A
        store whose reads fail returns nothing; a partial read returns the first half of that
        store's open work (by id)."""
        if w.store and w.store in self.rig_suspended:
            return False
        fault = self.store.read_fault(w.store)
        if not fault:
            return True
        self.result.store_query_partial = True
        if fault == "error":
            return False
        return w.id in self._partial_visible(w.store or "city")

    def _partial_visible(self, store: str) -> set[str]:
        cached = self._partial_cache.get(store)
        if cached is None:
            cached = self._partial_cache[store] = self.store.partial_read_ids(store)
        return cached

    # ---- agent shape (semantics-aware) ----
    def in_suspended_rig(self, a: Agent) -> bool:
        return bool(a.dir) and a.dir in self.rig_suspended

    def agent_active(self, a: Agent) -> bool:
        return not a.suspended and not self.in_suspended_rig(a)

    # The agent's identity shape under this build's semantics; each mirrors an Agent method of
    # Gas City's internal/config/session_capacity.go.
    def uses_canonical_singleton(self, a: Agent) -> bool:
        """UsesCanonicalSingletonPoolIdentity: the template's one session takes the bare name."""
        return canonical_singleton(a, self.semantics)

    def supports_instance_expansion(self, a: Agent) -> bool:
        """SupportsInstanceExpansion: the template may run more than its bare-named session."""
        return instance_expansion(a, self.semantics)

    def cap(self, a: Agent) -> int | None:
        """ResolvedMaxActiveSessions: agent, else its rig, else the workspace; None = unlimited."""
        if a.max_active_sessions is not None:
            return a.max_active_sessions if a.max_active_sessions >= 0 else None
        rig = self.city.rig(a.dir) if a.dir else None
        if rig is not None and rig.max_active_sessions is not None:
            return rig.max_active_sessions if rig.max_active_sessions >= 0 else None
        ws = self.city.workspace.max_active_sessions
        if ws is not None and ws >= 0:
            return ws
        return None

    # ---- agent lookup ----
    def agent(self, qn: str) -> Agent | None:
        return self.city.agent(qn)

    def find_agent_by_template(self, template: str) -> Agent | None:
        """findAgentByTemplate: the exact qualified name, the V1 `dir/name` form of a
        binding-less agent, then a legacy bound form `dir/binding.name` of an unbound agent."""
        return self.lookup.find_agent_by_template(template)

    def normalize_template(self, template: str) -> str:
        """normalizeAgentTemplateIdentity."""
        template = (template or "").strip()
        a = self.lookup.find_agent_by_template(template)
        return a.qualified_name if a is not None else template

    def equivalent(self, a: str, b: str) -> bool:
        """agentTemplateIdentitiesEquivalent."""
        a, b = (a or "").strip(), (b or "").strip()
        if not a or not b:
            return False
        return a == b or self.normalize_template(a) == self.normalize_template(b)

    def normalize_route(self, target: str) -> str:
        """NormalizePoolRouteTarget: `rig/claude-2` -> `rig/claude` for a multi-session agent when
        2 is within its max (any N >= 1 when unlimited)."""
        return self.lookup.normalize_route(target)

    def legacy_pool_template(self, stored: str) -> str:
        """resolveLegacyPoolTemplate: a known template, else the unique expanding agent whose
        local name equals an unqualified stored template."""
        return self.lookup.legacy_pool_template(stored)

    def template_for_identity(self, identity: str) -> str:
        """resolvedTemplateForIdentity: the template an identity spelling belongs to (a template
        name, a legacy unqualified template, or a unique in-bounds instance identity)."""
        return self.lookup.template_for_identity(identity)

    def normalized_session_template(self, b: SessionBead) -> str:
        """normalizedSessionTemplateInfo: the bead's template when configured, else the template
        its agent_name (or agent: label), then its alias, resolve to; else the raw template."""
        # The first answer for a bead id holds for the whole build (a bead the build rewrites
        # keeps the template it was first resolved to); the answer for a bead object is kept on
        # the lookup across builds and ticks.
        cached = self._template_cache.get((b.id, 0))
        if cached is not None:
            return cached
        facts = self.lookup.bead_facts(b, self.world.tick)
        out = facts.get("normalized")
        if out is None:
            out = facts["normalized"] = self._normalized_session_template(b)
        self._template_cache[(b.id, 0)] = out
        return out

    def _normalized_session_template(self, b: SessionBead) -> str:
        out = b.template
        if out and (a := self.lookup.find_agent_by_template(out)) is not None:
            return a.qualified_name
        resolved = self.template_for_identity(b.recorded_agent_name) or self.template_for_identity(b.alias.strip())
        return resolved or out

    def template_of(self, b: SessionBead) -> str:
        """resolvedSessionTemplateInfo: the configured template a bead belongs to, recovering it
        from identity fields for legacy or alias-only beads (A8); a stored template that names no
        configured agent is returned as is (it then matches nothing)."""
        cached = self._template_cache.get((b.id, 1))
        if cached is not None:
            return cached
        facts = self.lookup.bead_facts(b, self.world.tick)
        out = facts.get("resolved")
        if out is None:
            out = facts["resolved"] = self._template_of(b)
        self._template_cache[(b.id, 1)] = out
        return out

    def _template_of(self, b: SessionBead) -> str:
        t = self.normalized_session_template(b)
        if t and self.lookup.find_agent_by_template(t) is not None:
            return self.normalize_template(t)
        st = stored_template(b)
        return (self.legacy_pool_template(st) or st) if st else ""

    def kept_for_agent(self, kind: str, a: Agent, b: SessionBead, compute: Callable[[], _T]) -> _T:
        """`compute()`, a `kind` of answer that depends on nothing but this build's config and
        semantics, agent `a` and bead `b`: kept with the bead's facts across passes and ticks
        (for this very agent object; the bead's facts are for this very bead object)."""
        facts = self.lookup.bead_facts(b, self.world.tick)
        key = (kind, a.qualified_name)
        got = facts.get(key)
        if got is None or got[0] is not a:
            got = facts[key] = (a, compute())
        return got[1]

    def open_for_template(self, qn: str) -> list[SessionBead]:
        """Open beads whose resolved template is `qn`, in creation order (the reuse candidates).
        The template index is built once per build; beads created later join it."""
        if self._by_template is None:
            index: dict[str, list[str]] = {}
            for b in self.store.open_sessions():
                t = self.template_of(b)
                if t:
                    index.setdefault(t, []).append(b.id)
            self._by_template = index
        out = []
        for bid in self._by_template.get(qn, []):
            bead = self.store.session(bid)
            if bead is not None and bead.open:
                out.append(bead)
        return out

    def track_created(self, b: SessionBead) -> None:
        """Add a bead created during the build to the template index."""
        if self._by_template is not None:
            t = self.template_of(b)
            if t:
                self._by_template.setdefault(t, []).append(b.id)

    def live_assigned_work(self, work_id: str):
        """The first open or in-progress bead of `assigned_work` with this id (None if none)."""
        if self._live_assigned is None or self._live_assigned[0] != id(self.assigned_work):
            by_id: dict = {}
            for w in self.assigned_work:
                if w.status in ("open", "in_progress"):
                    by_id.setdefault(w.id, w)
            self._live_assigned = (id(self.assigned_work), by_id)
        return self._live_assigned[1].get(work_id)

    # ---- named sessions ----
    def named_spec(self, identity: str) -> tuple[NamedSession, Agent] | None:
        """FindNamedSessionSpec: the [[named_session]] with this identity (or the unique binding
        form of a bare name) and its backing agent."""
        identity = named_target(identity or "")
        if not identity:
            return None
        n = self.city.named_by_identity(identity)
        if n is None and "." not in identity:
            cands = [x for x in self.city.named_sessions if x.binding and x.identity_name == f"{x.binding}.{identity}"]
            n = cands[0] if len(cands) == 1 else None
        if n is None:
            return None
        a = self.city.find_template(n.template_qualified)
        return (n, a) if a is not None else None

    def is_configured_named_identity(self, assignee: str) -> bool:
        """isConfiguredNamedSessionIdentity: a configured named identity whose backing agent is not
        suspended."""
        spec = self.named_spec(assignee)
        return spec is not None and not spec[1].suspended

    def named_runtime_name(self, identity: str) -> str:
        """The runtime session name of a named identity."""
        return session_name_for(self.city, identity)

    # ---- bookkeeping ----
    def log(self, line: str) -> None:
        self.result.logs.append(line)

    def sub_phase(self, name: str, **fields) -> None:
        """recordDemandSubPhase: an operation record of one demand sub-phase at the demand snapshot
        site; Gas City carries the operation name in the record's fields."""
        self.trace.append(BuildRecord("operation", "demand_snapshot.load", "retained", "complete",
                                      fields={"operation_name": name, **fields}, operation_name=name))

    def decision(self, site: str, reason: str, outcome: str, template: str = "", session_name: str = "",
                 **fields) -> None:
        """Record a trace decision in Gas City's site/reason/outcome vocabulary."""
        self.trace.append(BuildRecord("decision", site, reason, outcome, template, session_name, fields))


def is_legacy_manual_for(a: Agent, b: SessionBead) -> bool:
    """isLegacyManualSessionInfoForAgent: a multi-session template, origin explicitly ephemeral,
    not named, no pool markers, not dependency-only."""
    return b.derived(_legacy_manual_markers) and multiple_sessions(a)


def _legacy_manual_markers(b: SessionBead) -> bool:
    """The bead's part of isLegacyManualSessionInfoForAgent."""
    return (b.get(B.SESSION_ORIGIN).strip() == "ephemeral" and not b.is_named
            and b.get(B.POOL_MANAGED) != "true" and not b.get(B.POOL_SLOT).strip() and not b.dependency_only)


def is_manual_for(a: Agent, b: SessionBead) -> bool:
    """isManualSessionInfoForAgent."""
    return b.is_manual or is_legacy_manual_for(a, b)


def normalize_identity_for(a: Agent, identity: str) -> str:
    """normalizeSessionBeadQualifiedName: a bare persisted identity gets the agent's dir/binding."""
    from core.config.city_config import qualify

    identity = (identity or "").strip()
    if not identity:
        return ""
    if identity == a.qualified_name or "/" in identity:
        return identity
    if a.binding and identity.startswith(a.binding + "."):
        return identity
    return qualify(a.dir, a.binding, identity)


def session_qualified_name(a: Agent, b: SessionBead) -> str:
    """sessionBeadQualifiedNameInfo: the concrete identity persisted on a manual or legacy bead
    (agent_name, else an explicit or legacy session_name, else the alias)."""
    from core.config.city_config import qualify

    persisted = normalize_identity_for(a, b.recorded_agent_name)
    multi = multiple_sessions(a)
    if persisted and (not multi or persisted != a.qualified_name):
        return persisted
    explicit = b.session_name.strip() if b.get(B.SESSION_NAME_EXPLICIT) == "true" else ""
    alias = b.alias.strip()
    if not explicit and not alias and multi and (persisted == a.qualified_name or not persisted):
        explicit = b.session_name.strip()

    def from_identity(identity: str) -> str:
        identity = identity.strip()
        if not identity:
            return ""
        _, inst = parse_qualified(identity)
        if inst:
            identity = inst
        if a.binding and identity.startswith(a.binding + "."):
            identity = identity[len(a.binding) + 1:]
        return qualify(a.dir, a.binding, identity)

    if not multi:
        if not alias:
            q = from_identity(explicit)
            if q:
                return q
        return a.qualified_name
    q = from_identity(alias or explicit)
    return q or a.qualified_name
