"""Shared state of one desired-state build: config, store, clock and the lookups every step uses."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from core.actions import Action
from core.config.model import Agent, City, qualify
from core.desired.model import DesiredResult, Why
from core.identity import canonical_singleton, instance_expansion, multiple_sessions, parse_slot, split_qualified
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead

if TYPE_CHECKING:
    from core.world.world import World


class BuildContext:
    def __init__(self, city: City, world: "World", semantics: str, actions: list[Action],
                 trace: list[dict] | None = None) -> None:
        self.city = city
        self.world = world
        self.store = world.store
        self.now: datetime = world.now
        self.semantics = semantics
        self.actions = actions
        self.trace = trace if trace is not None else []
        self.result = DesiredResult()
        self._template_cache: dict[str, str] = {}
        self.named_identities = {n.identity for n in city.named_sessions}
        self.rig_suspended = {r.name for r in city.rigs if r.suspended}
        self.agents_sorted = sorted(city.agents, key=lambda a: a.qualified_name)
        self.why: dict[str, list[Why]] = {}  # bead id -> rules collected during the build

    # ---- agents ----
    def agent(self, qn: str) -> Agent | None:
        return self.city.agent(qn)

    def in_suspended_rig(self, a: Agent) -> bool:
        return bool(a.dir) and a.dir in self.rig_suspended

    def agent_active(self, a: Agent) -> bool:
        return not a.suspended and not self.in_suspended_rig(a)

    def ucs(self, a: Agent) -> bool:
        return canonical_singleton(a, self.semantics)

    def sie(self, a: Agent) -> bool:
        return instance_expansion(a, self.semantics)

    def cap(self, a: Agent) -> int | None:
        """ResolvedMaxActiveSessions: agent, else its rig, else the workspace; None = unlimited."""
        if a.max_active_sessions is not None and a.max_active_sessions >= 0:
            return a.max_active_sessions
        if a.max_active_sessions is not None and a.max_active_sessions < 0:
            return None
        rig = self.city.rig(a.dir) if a.dir else None
        if rig is not None and rig.max_active_sessions is not None and rig.max_active_sessions >= 0:
            return rig.max_active_sessions
        ws = self.city.workspace.max_active_sessions
        if ws is not None and ws >= 0:
            return ws
        return None

    # ---- bead -> template ----
    def template_of(self, bead: SessionBead) -> str:
        """The configured template a bead belongs to ("" when none resolves). Recovers the
        template from identity fields for legacy or alias-only beads (A8)."""
        cached = self._template_cache.get(bead.id)
        if cached is not None:
            return cached
        qn = self._resolve_template(bead)
        self._template_cache[bead.id] = qn
        return qn

    def forget(self, bead_id: str) -> None:
        self._template_cache.pop(bead_id, None)

    def _resolve_template(self, bead: SessionBead) -> str:
        t = bead.template
        if t:
            a = self.city.agent(t) or self.city.find_agent(t)
            if a is not None:
                return a.qualified_name
            return ""
        for value in (bead.agent_name, bead.alias, bead.get(B.CONFIGURED_NAMED_IDENTITY)):
            if not value:
                continue
            a = self.city.agent(value)
            if a is not None:
                return a.qualified_name
            n = self.city.named_by_identity(value)
            if n is not None:
                return n.template_qualified
            for a in self.city.agents:
                if parse_slot(a, value) > 0 and value.startswith(a.dir + "/" if a.dir else ""):
                    return a.qualified_name
        return ""

    # ---- routing ----
    def normalize_route(self, route: str) -> str:
        """Collapse an in-range instance suffix (`rig/claude-1` -> `rig/claude`) and legacy bound
        forms (`dir/binding.name` for a binding-less agent) onto the template."""
        if not route:
            return ""
        if self.city.agent(route) is not None:
            return route
        dir_, binding, name = split_qualified(route)
        if binding:
            cand = self.city.agent(f"{dir_}/{name}" if dir_ else name)
            if cand is not None and not cand.binding:
                return cand.qualified_name
        base, dash, num = route.rpartition("-")
        if dash and num.isdigit() and self.city.agent(base) is not None:
            a = self.city.agent(base)
            n = int(num)
            if n >= 1 and (a.max_active_sessions is None or a.max_active_sessions < 0 or n <= a.max_active_sessions):
                return base
        return route

    def identity_template(self, identity: str) -> str:
        """The template an identity spelling belongs to (exact, slot or namepool instance)."""
        norm = self.normalize_route(identity)
        if self.city.agent(norm) is not None:
            return norm
        for a in self.city.agents:
            if parse_slot(a, identity) > 0:
                prefix = a.dir + "/" if a.dir else ""
                if identity.startswith(prefix) or not a.dir:
                    return a.qualified_name
        return ""

    # ---- work ----
    def assigned_to_bead(self, bead: SessionBead, work: list[WorkBead]) -> list[WorkBead]:
        keys = {bead.id, bead.session_name, bead.get(B.CONFIGURED_NAMED_IDENTITY)} - {""}
        return [w for w in work if w.assignee in keys]

    # ---- bookkeeping ----
    def note(self, bead_id: str, rule: str, detail: str) -> None:
        self.why.setdefault(bead_id, []).append(Why(rule, detail))

    def log(self, line: str) -> None:
        self.result.logs.append(line)

    def decision(self, site: str, reason: str, outcome: str, template: str = "", session_name: str = "",
                 **fields) -> None:
        rec = {"record_type": "decision", "site_code": site, "reason_code": reason, "outcome_code": outcome,
               "template": template, "session_name": session_name}
        if fields:
            rec["fields"] = fields
        self.trace.append(rec)


def is_manual_for(a: Agent, b: SessionBead) -> bool:
    """Manual, or legacy manual: a multi-session template, origin explicitly ephemeral, no pool
    markers."""
    if b.is_manual:
        return True
    return (multiple_sessions(a) and b.get(B.SESSION_ORIGIN) == "ephemeral" and not b.is_named
            and b.get(B.POOL_MANAGED) != "true" and not b.get(B.POOL_SLOT) and not b.dependency_only)


def manual_identity(a: Agent, b: SessionBead) -> str:
    if b.alias:
        return b.alias
    if b.agent_name and b.agent_name != a.qualified_name:
        return b.agent_name
    return qualify(a.dir, "", b.session_name)


