"""ComputeAwakeSet (compute_awake_set.go): a pure decision, per open bead with a
session_name, of whether it should be awake and why. Later passes overwrite earlier ones;
overrides (attached, pending, ready wait, on-demand running, pin) come next; idle sleep,
hold and quarantine suppress last. Dependencies are not enforced here.

The ready-wait set comes from the durable waits (core/reconcile/waits.py). The work_query set
(WorkSet) is honoured as Gas City's ComputeAwakeSet honours it, but the controller tick feeds it
empty, as CityRuntime.beadReconcileTick does: work_query is the agents' claim path, not the
controller's demand signal (computeWorkSet is a legacy helper no tick calls). A scenario can give
a work_query result (`[work_query]`, `set_work_query`) to see what ComputeAwakeSet makes of it;
the app never runs the command and never has one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from core.config.model import City
from core.durations import try_duration
from core.identity import session_name_for
from core.timefmt import parse_time
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead

if TYPE_CHECKING:
    from core.reconcile.sleep_policy import Policy

ON_DEMAND_IDLE = 300.0


@dataclass
class AwakeBead:
    """One open session bead as compute_awake_set sees it: its identity, flags and timers."""
    id: str
    session_name: str
    template: str
    state: str  # compat state
    sleep_reason: str
    manual: bool
    pending_create: bool
    explicit_wake: bool
    dependency_only: bool
    named_identity: str
    configured_named: bool
    pinned: bool
    drained: bool
    wait_hold: bool
    held_until: datetime | None
    quarantined_until: datetime | None
    idle_since: datetime | None
    created_at: datetime
    restart_requested: bool
    reset_pending: bool
    current_bead: str


@dataclass
class AwakeNamed:
    """A configured named session: identity, qualified template, mode and runtime session name."""
    identity: str
    template: str
    mode: str
    runtime_name: str


@dataclass
class AwakeAgent:
    """A configured agent's wake-relevant settings (sleep_after_idle in seconds, 0 when off)."""
    qn: str
    suspended: bool
    sleep_after_idle: float
    min_active: int


@dataclass
class AwakeInput:
    """Everything compute_awake_set decides from; runtime sets hold session names."""
    agents: list[AwakeAgent]
    named: list[AwakeNamed]
    beads: list[AwakeBead]
    work: list[WorkBead]  # assigned, open or in_progress
    scale_counts: dict[str, int]
    named_demand: dict[str, bool]
    named_routed_demand: dict[str, bool]
    now: datetime
    running: set[str] = field(default_factory=set)
    attached: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    chat_idle_timeout: float = 0.0
    manual_grace: float = 0.0
    ready_wait: set[str] = field(default_factory=set)  # session bead ids whose durable wait is ready
    work_set: dict[str, bool] = field(default_factory=dict)  # template -> work_query found work
    named_work_query: dict[str, bool] = field(default_factory=dict)  # identity -> bridge-carried work_query


@dataclass
class AwakeDecision:
    """Whether a session should be awake, the reason, and the assigned work that wakes it."""
    should_wake: bool = False
    reason: str = ""
    has_assigned_work: bool = False
    assigned_work_bead: str = ""
    requires_fresh_cycle: bool = False


def _awake_demand(w: WorkBead) -> bool:
    """workBeadHasAwakeDemand: in-progress work unless it is blocked (a scenario's `ready =
    false` on an in-progress bead is an open blocking dependency, #4759); open work only
    once ready."""
    if w.status == "in_progress":
        return w.ready
    return w.status == "open" and w.ready


def assignee_matches(named: list[AwakeNamed], b: AwakeBead, assignee: str) -> bool:
    """sessionAssigneeMatches: the bead's id or session name, its named identity, or (for a
    configured-named bead without one) the identity of the named session whose runtime name it
    carries and whose template, when set, is the bead's."""
    if not assignee:
        return False
    if assignee in (b.id, b.session_name):
        return True
    if b.named_identity:
        return assignee == b.named_identity
    if not b.configured_named:
        return False
    return any(n.runtime_name and n.runtime_name == b.session_name and n.template in ("", b.template)
               and assignee == n.identity for n in named)


class WorkIndex:
    """Assigned work grouped by assignee (input order kept), so each bead looks up only its
    own spellings instead of scanning all work."""

    def __init__(self, work: list[WorkBead]) -> None:
        self.by: dict[str, list[tuple[int, WorkBead]]] = {}
        for i, w in enumerate(work):
            self.by.setdefault(w.assignee.strip(), []).append((i, w))

    def of(self, named: list[AwakeNamed], b: AwakeBead) -> list[WorkBead]:
        keys = [b.id, b.session_name]
        if b.named_identity:
            keys.append(b.named_identity)
        elif b.configured_named:
            keys += [n.identity for n in named if n.runtime_name == b.session_name and n.template in ("", b.template)]
        out: dict[int, WorkBead] = {}
        for k in dict.fromkeys(keys):
            for i, w in self.by.get(k, ()):
                if assignee_matches(named, b, w.assignee.strip()):
                    out[i] = w
        return [out[i] for i in sorted(out)]


class _NamedModes:
    """Which configured named sessions of each mode a bead matches: by its named identity, or
    (a configured-named bead without one) by runtime name and template."""

    def __init__(self, named: list[AwakeNamed]) -> None:
        self.identities: dict[str, set[str]] = {}
        self.templates: dict[tuple[str, str], set[str]] = {}
        for n in named:
            self.identities.setdefault(n.mode, set()).add(n.identity)
            self.templates.setdefault((n.mode, n.runtime_name), set()).add(n.template)

    def matches(self, b: AwakeBead, mode: str) -> bool:
        if b.named_identity:
            return b.named_identity in self.identities.get(mode, ())
        if not b.configured_named:
            return False
        templates = self.templates.get((mode, b.session_name), ())
        return "" in templates or b.template in templates


class _FirstBeads:
    """The first bead (in input order) by named identity and by session name."""

    def __init__(self, beads: list[AwakeBead]) -> None:
        self.by_named: dict[str, AwakeBead] = {}
        self.by_session: dict[str, AwakeBead] = {}
        for b in beads:
            self.by_named.setdefault(b.named_identity, b)
            self.by_session.setdefault(b.session_name, b)


def _resolve_named_bead(first: _FirstBeads, n: AwakeNamed) -> str:
    b = first.by_named.get(n.identity)
    if b is not None:
        return b.session_name
    if not n.runtime_name:
        return ""
    b = first.by_session.get(n.runtime_name)
    if b is None or not b.configured_named or (n.template and b.template != n.template):
        return ""
    if b.named_identity and b.named_identity != n.identity:
        return ""
    return b.session_name


def bridge_named_work_query(inp: AwakeInput) -> None:
    """buildAwakeInputFromReconciler's named work-query carry: an on-demand named session whose
    backing template's work_query found work, and whose canonical bead exists, gets its own
    work-query signal (NamedSessionWorkQ) instead of the generic WorkSet path."""
    first = _FirstBeads(inp.beads)
    for n in inp.named:
        if n.mode != "on_demand" or not inp.work_set.get(n.template):
            continue
        if _resolve_named_bead(first, n):
            inp.named_work_query[n.identity] = True


def _pool_candidate(b: AwakeBead, template: str) -> bool:
    return (b.template == template and not b.named_identity and not b.configured_named and not b.manual
            and not b.drained and not b.dependency_only)


def compute_awake_set(inp: AwakeInput) -> dict[str, AwakeDecision]:  # noqa: C901 - a long function issue 13 item 5 splits into named passes
    """Decide, without side effects, whether each bead's session should be awake; keyed by session name."""
    now = inp.now
    agents = {a.qn: a for a in inp.agents}
    by_base: dict[str, AwakeAgent] = {}
    dup: set[str] = set()
    a: AwakeAgent | None  # a configured agent, or the lookup of one that may not be configured
    for a in inp.agents:
        base = a.qn.rsplit("/", 1)[-1]
        if base in by_base and by_base[base].qn != a.qn:
            dup.add(base)
        elif base not in dup:
            by_base[base] = a

    def lookup(name: str) -> AwakeAgent | None:
        if name in agents:
            return agents[name]
        base = name.rsplit("/", 1)[-1]
        return None if base in dup else by_base.get(base)

    first = _FirstBeads(inp.beads)
    named_modes = _NamedModes(inp.named)
    widx = WorkIndex(inp.work)
    work_of: dict[str, list[WorkBead]] = {b.id: widx.of(inp.named, b) for b in inp.beads}
    demand_of = {bid: any(_awake_demand(w) for w in ws) for bid, ws in work_of.items()}
    by_template: dict[str, list[AwakeBead]] = {}
    for b in inp.beads:
        by_template.setdefault(b.template, []).append(b)
    desired: dict[str, str] = {}
    for b in inp.beads:
        if b.pending_create:
            desired[b.session_name] = "pending-create"
    for b in inp.beads:
        if not b.explicit_wake or b.state == "closed" or b.dependency_only:
            continue
        a = agents.get(b.template)
        if a is not None and not a.suspended:
            desired[b.session_name] = "explicit-wake"
    for n in inp.named:
        a = lookup(n.identity)
        if a is not None and a.suspended:
            continue
        if n.mode == "always":
            sn = _resolve_named_bead(first, n)
            if sn:
                bead = first.by_session.get(sn)
                if bead is not None and not bead.dependency_only:
                    desired[sn] = "named-always"
            else:
                desired[n.identity] = "named-always"
        elif n.mode == "on_demand":
            if inp.named_demand.get(n.identity):
                reason = "named-demand"
            elif inp.named_routed_demand.get(n.identity):
                reason = "routed-demand"
            elif inp.named_work_query.get(n.identity):
                reason = "work-query"
            else:
                continue
            ta = agents.get(n.template)
            if ta is not None and ta.suspended:
                continue
            sn = _resolve_named_bead(first, n)
            if sn:
                bead = first.by_session.get(sn)
                if bead is not None and not bead.dependency_only and bead.state != "closed":
                    desired[sn] = reason
            else:
                desired[n.identity] = reason
    for template in sorted(inp.scale_counts):
        count = inp.scale_counts[template]
        if count <= 0:
            continue
        a = lookup(template)
        if a is None or a.suspended:
            continue
        mine = by_template.get(template, [])
        filled = sum(1 for b in mine if b.state != "closed" and not b.named_identity and not b.configured_named
                     and not b.manual and demand_of[b.id])
        for b in mine:
            if filled >= count:
                break
            if _pool_candidate(b, template) and b.state == "active" and not demand_of[b.id]:
                desired[b.session_name] = "scaled:demand"
                filled += 1
        for b in mine:
            if filled >= count:
                break
            if _pool_candidate(b, template) and b.state in ("start-pending", "creating") and not demand_of[b.id]:
                desired[b.session_name] = "scaled:creating"
                filled += 1
    named_templates = {n.template for n in inp.named}
    for template in sorted(inp.work_set):  # work_query: one session when scale_check has not caught up
        if not inp.work_set[template] or inp.scale_counts.get(template, 0) > 0:
            continue
        a = lookup(template)
        if a is None or a.suspended or template in named_templates:
            continue
        mine = by_template.get(template, [])
        active = [b for b in mine if _pool_candidate(b, template) and b.state == "active"]
        creating = [b for b in mine if _pool_candidate(b, template) and b.state in ("start-pending", "creating")]
        if active:
            desired[active[0].session_name] = "work-query"
        elif creating:
            desired[creating[0].session_name] = "work-query"
    for b in inp.beads:
        if b.manual and b.state != "closed" and not b.drained and b.template in agents:
            desired[b.session_name] = "manual"
    anchors: dict[str, str] = {}
    for b in inp.beads:
        if b.state == "closed":
            continue
        a = lookup(b.template)
        if a is not None and a.suspended:
            continue
        matched = [w for w in work_of[b.id] if _awake_demand(w)]
        if not matched:
            continue
        exact = next((w.id for w in matched if b.current_bead and w.id == b.current_bead), "")
        desired[b.session_name] = "assigned-work"
        anchors[b.session_name] = exact or matched[0].id
    for a in inp.agents:
        if a.suspended or a.min_active <= 0:
            continue
        covered = _min_covered(by_template.get(a.qn, []), desired, a.qn, now)
        if covered >= a.min_active:
            continue
        stops = sorted((b for b in by_template.get(a.qn, []) if _min_pool(b, a.qn) and b.state == "asleep"
                        and b.sleep_reason == "city-stop"), key=lambda b: b.id)
        for b in stops:
            if covered >= a.min_active:
                break
            if b.session_name in desired or _hard_blocked(b, now):
                continue
            desired[b.session_name] = "min-active"
            covered += 1
    for b in inp.beads:
        if not b.reset_pending or b.restart_requested or b.wait_hold:
            continue
        if desired.get(b.session_name) not in ("pending-create", "explicit-wake"):
            desired[b.session_name] = "reset-pending"

    result: dict[str, AwakeDecision] = {}
    for b in inp.beads:
        name = b.session_name
        d = AwakeDecision()
        if name in anchors:
            d.has_assigned_work = True
            d.assigned_work_bead = anchors[name]
            d.requires_fresh_cycle = bool(b.current_bead) and anchors[name] != b.current_bead
        if name in desired and (not b.wait_hold or b.pending_create or b.explicit_wake):
            d.should_wake, d.reason = True, desired[name]
        if name in inp.attached and not b.wait_hold:
            d.should_wake, d.reason = True, "attached"
        if name in inp.pending and not b.wait_hold:
            d.should_wake, d.reason = True, "pending"
        if b.id in inp.ready_wait:
            d.should_wake, d.reason = True, "wait-ready"
        if not d.should_wake and not b.drained and not b.wait_hold and b.sleep_reason != "idle-timeout" \
                and name in inp.running and named_modes.matches(b, "on_demand"):
            d.should_wake, d.reason = True, "on-demand:running"
        if not d.should_wake and b.pinned and b.state not in ("suspended", "closed") and not b.drained and \
                not b.dependency_only and not b.wait_hold:
            a = lookup(b.template)
            if a is not None and not a.suspended:
                d.should_wake, d.reason = True, "pin"
        a = lookup(b.template)
        holds_claimed = a is not None and not a.suspended and any(w.status == "in_progress" for w in work_of[b.id])
        if (d.should_wake and name not in inp.attached and name not in inp.pending and not b.pinned
                and not holds_claimed and b.idle_since is not None and not named_modes.matches(b, "always")
                and desired.get(name) not in ("assigned-work", "min-active", "reset-pending", "named-demand",
                                              "routed-demand", "work-query")
                and not (b.manual and inp.manual_grace > 0 and (now - b.created_at).total_seconds() < inp.manual_grace)):
            timeout = 0.0
            if b.manual and inp.chat_idle_timeout > 0:
                timeout = inp.chat_idle_timeout
            elif a is not None and a.sleep_after_idle > 0:
                timeout = a.sleep_after_idle
            elif named_modes.matches(b, "on_demand"):
                timeout = ON_DEMAND_IDLE
            if timeout > 0 and (now - b.idle_since).total_seconds() >= timeout:
                d.should_wake, d.reason = False, "idle-sleep"
        if b.held_until is not None and now < b.held_until:
            d.should_wake, d.reason = False, "held"
        if b.quarantined_until is not None and now < b.quarantined_until:
            d.should_wake, d.reason = False, "quarantined"
        result[name] = d
    return result


def _min_pool(b: AwakeBead, template: str) -> bool:
    return (b.template == template and not b.named_identity and not b.configured_named and not b.manual
            and not b.drained and not b.dependency_only and b.state != "closed")


def _hard_blocked(b: AwakeBead, now: datetime) -> bool:
    return b.wait_hold or (b.held_until is not None and now < b.held_until) or \
        (b.quarantined_until is not None and now < b.quarantined_until)


def _min_covered(beads: list[AwakeBead], desired: dict[str, str], template: str, now: datetime) -> int:
    n = 0
    for b in beads:
        if not _min_pool(b, template) or _hard_blocked(b, now):
            continue
        if b.state == "asleep":
            n += 1 if b.session_name in desired else 0
        elif b.state in ("active", "creating"):
            n += 1
    return n


# ---------------------------------------------------------------------------- input builder


def awake_agents(city: City, suspended) -> list[AwakeAgent]:
    """The city's agents as AwakeAgents; `suspended(agent)` is isAgentEffectivelySuspendedWith
    (a suspended city or rig suspends every agent in it)."""
    out = []
    for a in city.agents:
        sai = a.sleep_after_idle.strip()
        secs = 0.0 if not sai or sai == "off" else (try_duration(sai, 0.0) or 0.0)
        out.append(AwakeAgent(a.qualified_name, suspended(a), secs, a.min_count))
    return out


def awake_named(city: City) -> list[AwakeNamed]:
    """The city's configured named sessions as AwakeNamed, with their runtime session names."""
    return [AwakeNamed(n.identity, n.template_qualified, n.effective_mode, session_name_for(city, n.identity))
            for n in city.named_sessions]


def awake_bead(b: SessionBead, template: str, compat: str, drained: bool) -> AwakeBead:
    """Project a session bead's metadata into an AwakeBead for the given template and compat state."""
    return AwakeBead(
        id=b.id, session_name=b.session_name.strip(), template=template, state=compat,
        sleep_reason=b.get(B.SLEEP_REASON), manual=b.is_manual, pending_create=b.pending_claim,
        explicit_wake=b.get(B.WAKE_REQUEST).strip() == "explicit", dependency_only=b.dependency_only,
        named_identity=b.get(B.CONFIGURED_NAMED_IDENTITY).strip(), configured_named=b.is_named,
        pinned=b.get(B.PIN_AWAKE).strip() == "true", drained=drained, wait_hold=b.get(B.WAIT_HOLD) == "true",
        held_until=parse_time(b.get(B.HELD_UNTIL)), quarantined_until=parse_time(b.get(B.QUARANTINED_UNTIL)),
        idle_since=parse_time(b.get(B.DETACHED_AT)), created_at=b.created_at,
        restart_requested=b.get(B.RESTART_REQUESTED).strip() == "true",
        reset_pending=b.get(B.CONTINUATION_RESET_PENDING).strip() == "true" and bool(b.get(B.RESET_COMMITTED_AT).strip()),
        current_bead=b.get(B.CURRENTLY_PROCESSING).strip())


REASON_TO_WAKE = {"pending-create": "create", "attached": "attached", "pending": "pending", "pin": "pin",
                  "wait-ready": "wait", "assigned-work": "work", "named-demand": "work", "routed-demand": "work",
                  "work-query": "work"}


@dataclass
class WakeEval:
    """awakeSetToWakeEvals: the older WakeReason vocabulary plus the sleep policy verdict."""

    reasons: list[str]
    reason: str
    config_suppressed: bool
    has_assigned_work: bool
    policy: Policy | None = None


def wake_evals(decisions: dict[str, AwakeDecision], beads: list[AwakeBead]) -> dict[str, WakeEval]:
    """Turn awake decisions into WakeEvals keyed by bead id; beads without a decision are left out."""
    out = {}
    for b in beads:
        d = decisions.get(b.session_name)
        if d is None:
            continue
        reasons = [REASON_TO_WAKE.get(d.reason, "config")] if d.should_wake else []
        out[b.id] = WakeEval(reasons, d.reason, d.reason == "idle-sleep", d.has_assigned_work)
    return out
