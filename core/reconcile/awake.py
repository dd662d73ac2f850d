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

from core.config.city_config import City
from core.formats.durations import try_duration
from core.formats.timefmt import parse_time
from core.identity import session_name_for
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


class _Agents:
    """The configured agents by qualified name, and by base name where that base is unique
    (awakeAgentBaseName): a bead's template may carry either spelling."""

    def __init__(self, agents: list[AwakeAgent]) -> None:
        self.by_qn = {a.qn: a for a in agents}
        self.by_base: dict[str, AwakeAgent] = {}
        self.dup: set[str] = set()
        for a in agents:
            base = a.qn.rsplit("/", 1)[-1]
            if base in self.by_base and self.by_base[base].qn != a.qn:
                self.dup.add(base)
            elif base not in self.dup:
                self.by_base[base] = a

    def lookup(self, name: str) -> AwakeAgent | None:
        if name in self.by_qn:
            return self.by_qn[name]
        base = name.rsplit("/", 1)[-1]
        return None if base in self.dup else self.by_base.get(base)

    def active(self, name: str) -> AwakeAgent | None:
        """The agent for a name when it is configured and not suspended."""
        a = self.lookup(name)
        return a if a is not None and not a.suspended else None

    def suspended(self, name: str) -> bool:
        a = self.lookup(name)
        return a is not None and a.suspended


class _AwakeScan:
    """What ComputeAwakeSet's passes share: the input, its indexes, the desired set (session name
    -> wake reason) the Step 1 passes fill in order, and the assigned-work anchors."""

    def __init__(self, inp: AwakeInput) -> None:
        self.inp = inp
        self.agents = _Agents(inp.agents)
        self.first = _FirstBeads(inp.beads)
        self.named_modes = _NamedModes(inp.named)
        widx = WorkIndex(inp.work)
        self.work_of: dict[str, list[WorkBead]] = {b.id: widx.of(inp.named, b) for b in inp.beads}
        self.demand_of = {bid: any(_awake_demand(w) for w in ws) for bid, ws in self.work_of.items()}
        self.by_template: dict[str, list[AwakeBead]] = {}
        for b in inp.beads:
            self.by_template.setdefault(b.template, []).append(b)
        self.desired: dict[str, str] = {}
        self.anchors: dict[str, str] = {}


def _desire_pending_and_explicit(s: _AwakeScan) -> None:
    """A bead still carrying its create claim launches at least once; an explicit wake request
    wakes a bead of a configured, unsuspended template."""
    for b in s.inp.beads:
        if b.pending_create:
            s.desired[b.session_name] = "pending-create"
    for b in s.inp.beads:
        if not b.explicit_wake or b.state == "closed" or b.dependency_only:
            continue
        a = s.agents.by_qn.get(b.template)
        if a is not None and not a.suspended:
            s.desired[b.session_name] = "explicit-wake"


def _named_demand_reason(inp: AwakeInput, identity: str) -> str:
    if inp.named_demand.get(identity):
        return "named-demand"
    if inp.named_routed_demand.get(identity):
        return "routed-demand"
    if inp.named_work_query.get(identity):
        return "work-query"
    return ""


def _desire_named(s: _AwakeScan) -> None:
    """Named sessions: always-on ones wake; on-demand ones wake on demand, routed demand or
    their work query. A named session without a bead yet is desired under its identity."""
    for n in s.inp.named:
        if s.agents.suspended(n.identity):
            continue
        if n.mode == "always":
            reason = "named-always"
        elif n.mode == "on_demand":
            reason = _named_demand_reason(s.inp, n.identity)
            ta = s.agents.by_qn.get(n.template)
            if not reason or (ta is not None and ta.suspended):
                continue
        else:
            continue
        sn = _resolve_named_bead(s.first, n)
        if not sn:
            s.desired[n.identity] = reason
            continue
        bead = s.first.by_session.get(sn)
        if bead is not None and not bead.dependency_only and (n.mode == "always" or bead.state != "closed"):
            s.desired[sn] = reason


def _desire_scaled(s: _AwakeScan) -> None:
    """Agent templates (scaled): fill scale_check's count with pool beads, those already
    holding awake demand first, then active ones, then ones being created."""
    for template in sorted(s.inp.scale_counts):
        count = s.inp.scale_counts[template]
        if count <= 0 or s.agents.active(template) is None:
            continue
        mine = s.by_template.get(template, [])
        filled = sum(1 for b in mine if b.state != "closed" and not b.named_identity and not b.configured_named
                     and not b.manual and s.demand_of[b.id])
        for states, reason in ((("active",), "scaled:demand"), (("start-pending", "creating"), "scaled:creating")):
            for b in mine:
                if filled >= count:
                    break
                if _pool_candidate(b, template) and b.state in states and not s.demand_of[b.id]:
                    s.desired[b.session_name] = reason
                    filled += 1


def _desire_work_query(s: _AwakeScan) -> None:
    """WorkSet: one session for a template whose work_query found work while scale_check has
    not caught up (its count is 0 or absent); named templates are left to their sessions."""
    named_templates = {n.template for n in s.inp.named}
    for template in sorted(s.inp.work_set):
        if not s.inp.work_set[template] or s.inp.scale_counts.get(template, 0) > 0:
            continue
        if s.agents.active(template) is None or template in named_templates:
            continue
        mine = s.by_template.get(template, [])
        active = [b for b in mine if _pool_candidate(b, template) and b.state == "active"]
        creating = [b for b in mine if _pool_candidate(b, template) and b.state in ("start-pending", "creating")]
        if active:
            s.desired[active[0].session_name] = "work-query"
        elif creating:
            s.desired[creating[0].session_name] = "work-query"


def _desire_manual(s: _AwakeScan) -> None:
    """Manual sessions of a configured template stay desired until closed or drained."""
    for b in s.inp.beads:
        if b.manual and b.state != "closed" and not b.drained and b.template in s.agents.by_qn:
            s.desired[b.session_name] = "manual"


def _desire_assigned_work(s: _AwakeScan) -> None:
    """Sessions with assigned work that has awake demand; the anchor is the bead the session
    records as current when it is among them, else the first."""
    for b in s.inp.beads:
        if b.state == "closed" or s.agents.suspended(b.template):
            continue
        matched = [w for w in s.work_of[b.id] if _awake_demand(w)]
        if not matched:
            continue
        exact = next((w.id for w in matched if b.current_bead and w.id == b.current_bead), "")
        s.desired[b.session_name] = "assigned-work"
        s.anchors[b.session_name] = exact or matched[0].id


def _desire_min_active(s: _AwakeScan) -> None:
    """Min-active wake: revive asleep city-stop pool beads (by id) until min_active_sessions
    are covered."""
    now = s.inp.now
    for a in s.inp.agents:
        if a.suspended or a.min_active <= 0:
            continue
        covered = _min_covered(s.by_template.get(a.qn, []), s.desired, a.qn, now)
        if covered >= a.min_active:
            continue
        stops = sorted((b for b in s.by_template.get(a.qn, []) if _min_pool(b, a.qn) and b.state == "asleep"
                        and b.sleep_reason == "city-stop"), key=lambda b: b.id)
        for b in stops:
            if covered >= a.min_active:
                break
            if b.session_name in s.desired or _hard_blocked(b, now):
                continue
            s.desired[b.session_name] = "min-active"
            covered += 1


def _desire_reset_pending(s: _AwakeScan) -> None:
    """A committed continuation reset wakes the session unless a restart or wait hold stands."""
    for b in s.inp.beads:
        if not b.reset_pending or b.restart_requested or b.wait_hold:
            continue
        if s.desired.get(b.session_name) not in ("pending-create", "explicit-wake"):
            s.desired[b.session_name] = "reset-pending"


def _wake_overrides(s: _AwakeScan, b: AwakeBead, d: AwakeDecision) -> None:
    """Step 2: the desired set (suppressed by a wait hold), then the attached, pending,
    ready-wait, on-demand running and pin overrides."""
    name, inp = b.session_name, s.inp
    if name in s.desired and (not b.wait_hold or b.pending_create or b.explicit_wake):
        d.should_wake, d.reason = True, s.desired[name]
    if name in inp.attached and not b.wait_hold:
        d.should_wake, d.reason = True, "attached"
    if name in inp.pending and not b.wait_hold:
        d.should_wake, d.reason = True, "pending"
    if b.id in inp.ready_wait:
        d.should_wake, d.reason = True, "wait-ready"
    if not d.should_wake and not b.drained and not b.wait_hold and b.sleep_reason != "idle-timeout" \
            and name in inp.running and s.named_modes.matches(b, "on_demand"):
        d.should_wake, d.reason = True, "on-demand:running"
    if not d.should_wake and b.pinned and b.state not in ("suspended", "closed") and not b.drained and \
            not b.dependency_only and not b.wait_hold and s.agents.active(b.template) is not None:
        d.should_wake, d.reason = True, "pin"


_IDLE_EXEMPT_REASONS = ("assigned-work", "min-active", "reset-pending", "named-demand", "routed-demand", "work-query")


def _idle_sleep_applies(s: _AwakeScan, b: AwakeBead, d: AwakeDecision) -> bool:
    """Whether an awake decision is open to idle sleep: not attached, pending, pinned, holding
    claimed work, always-on, woken for a reason idle does not override, or in manual grace."""
    name, inp = b.session_name, s.inp
    holds_claimed = s.agents.active(b.template) is not None and \
        any(w.status == "in_progress" for w in s.work_of[b.id])
    return (d.should_wake and name not in inp.attached and name not in inp.pending and not b.pinned
            and not holds_claimed and b.idle_since is not None and not s.named_modes.matches(b, "always")
            and s.desired.get(name) not in _IDLE_EXEMPT_REASONS
            and not (b.manual and inp.manual_grace > 0
                     and (inp.now - b.created_at).total_seconds() < inp.manual_grace))


def _idle_timeout(s: _AwakeScan, b: AwakeBead) -> float:
    """The idle timeout that applies: the chat timeout for manual sessions, the agent's
    sleep_after_idle, or the on-demand default; 0 when none."""
    a = s.agents.lookup(b.template)
    if b.manual and s.inp.chat_idle_timeout > 0:
        return s.inp.chat_idle_timeout
    if a is not None and a.sleep_after_idle > 0:
        return a.sleep_after_idle
    if s.named_modes.matches(b, "on_demand"):
        return ON_DEMAND_IDLE
    return 0.0


def _suppress(s: _AwakeScan, b: AwakeBead, d: AwakeDecision) -> None:
    """Step 3: idle sleep, then hold, then quarantine put the session to sleep."""
    now = s.inp.now
    if _idle_sleep_applies(s, b, d) and b.idle_since is not None:
        timeout = _idle_timeout(s, b)
        if timeout > 0 and (now - b.idle_since).total_seconds() >= timeout:
            d.should_wake, d.reason = False, "idle-sleep"
    if b.held_until is not None and now < b.held_until:
        d.should_wake, d.reason = False, "held"
    if b.quarantined_until is not None and now < b.quarantined_until:
        d.should_wake, d.reason = False, "quarantined"


def _decide(s: _AwakeScan, b: AwakeBead) -> AwakeDecision:
    d = AwakeDecision()
    anchor = s.anchors.get(b.session_name)
    if anchor is not None:
        d.has_assigned_work = True
        d.assigned_work_bead = anchor
        d.requires_fresh_cycle = bool(b.current_bead) and anchor != b.current_bead
    _wake_overrides(s, b, d)
    _suppress(s, b, d)
    return d


_DESIRE_PASSES = (_desire_pending_and_explicit, _desire_named, _desire_scaled, _desire_work_query,
                  _desire_manual, _desire_assigned_work, _desire_min_active, _desire_reset_pending)


def compute_awake_set(inp: AwakeInput) -> dict[str, AwakeDecision]:
    """Decide, without side effects, whether each bead's session should be awake; keyed by session name."""
    s = _AwakeScan(inp)
    for desire in _DESIRE_PASSES:  # Step 1: the desired set, later passes overwriting earlier ones
        desire(s)
    return {b.session_name: _decide(s, b) for b in inp.beads}


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
    md = b.metadata
    return AwakeBead(
        id=b.id, session_name=b.session_name.strip(), template=template, state=compat,
        sleep_reason=md.get(B.SLEEP_REASON, ""), manual=b.is_manual, pending_create=b.pending_claim,
        explicit_wake=md.get(B.WAKE_REQUEST, "").strip() == "explicit", dependency_only=b.dependency_only,
        named_identity=md.get(B.CONFIGURED_NAMED_IDENTITY, "").strip(), configured_named=b.is_named,
        pinned=md.get(B.PIN_AWAKE, "").strip() == "true", drained=drained, wait_hold=md.get(B.WAIT_HOLD, "") == "true",
        held_until=parse_time(md.get(B.HELD_UNTIL, "")), quarantined_until=parse_time(md.get(B.QUARANTINED_UNTIL, "")),
        idle_since=parse_time(md.get(B.DETACHED_AT, "")), created_at=b.created_at,
        restart_requested=md.get(B.RESTART_REQUESTED, "").strip() == "true",
        reset_pending=md.get(B.CONTINUATION_RESET_PENDING, "").strip() == "true" and bool(md.get(B.RESET_COMMITTED_AT, "").strip()),
        current_bead=md.get(B.CURRENTLY_PROCESSING, "").strip())


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
