"""Steps 1-4 of the build: demand counts, assigned work, resume tiers, nested caps, in-flight
creates and min fill (Gas City's buildDesiredStateWithSessionBeads demand phase and
pool_desired_state.go)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config.city_config import Agent
from core.desired.context import (
    BuildContext,
    has_terminal_provider_error,
)
from core.desired.entries import Request
from core.desired.reach import work_reachable
from core.desired.slots import raw_existing_slot
from core.identity import generic_ephemeral
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead, natural_key


@dataclass
class Demand:
    """What the demand phase learned, for the request and realize steps."""

    collected: list[WorkBead] = field(default_factory=list)  # actionable assigned work (result.AssignedWorkBeads)
    assigned: list[WorkBead] = field(default_factory=list)  # pool-demand assigned work (bp.assignedWorkBeads)
    ready_assigned: set[str] = field(default_factory=set)  # ids of assigned work that passed a readiness gate
    triggers: dict[str, list[str]] = field(default_factory=dict)  # template -> remembered demand work beads
    by_identity: dict[str, SessionBead] = field(default_factory=dict)  # assignee identity -> open session


def ready_unassigned_by_template(ctx: BuildContext) -> dict[str, list[WorkBead]]:
    """The default routed-work probe: ready, open, unassigned work grouped by its normalized route
    target (an in-range instance suffix collapses onto the template), deduplicated by id."""
    out: dict[str, list[WorkBead]] = {}
    for route in ctx.store.routes():
        target = ctx.normalize_template(ctx.normalize_route(route))
        for w in ctx.store.work_routed_to(route):
            if w.status == "open" and w.is_ready and not w.assignee.strip() and ctx.work_visible(w):
                out.setdefault(target, []).append(w)
    for ws in out.values():
        ws.sort(key=lambda w: (-w.priority, natural_key(w.id)))
    return out


def identity_index(ctx: BuildContext) -> dict[str, SessionBead]:
    """Every assignee identity of every open, non-terminal session bead -> that bead (later wins)."""
    idx: dict[str, SessionBead] = {}
    for b in ctx.store.open_sessions():
        if has_terminal_provider_error(b):
            continue
        for ident in b.assignee_identities():
            idx[ident] = b
    return idx


def collect_assigned_work(ctx: BuildContext, demand: Demand) -> None:
    """collectAssignedWorkBeads + filterAssignedWorkBeadsForPoolDemand. Collected, in order:
    in-progress assigned work; open routed work that still carries an assignee (kept for orphan
    release, with no readiness verdict); then open assigned work that passes the ready gate,
    probed per assignee (the identities of open sessions and explicit on_demand named sessions,
    minus assignees already holding captured ready work; every assignee when there is no such
    list at all). Pool demand keeps only beads whose route target is a configured agent."""
    collected: list[WorkBead] = []
    seen: set[str] = set()
    work = [w for w in ctx.store.assigned_work() if ctx.work_visible(w)]
    for w in work:
        if w.status == "in_progress" and w.assignee.strip():
            collected.append(w)
            seen.add(w.id)
            demand.ready_assigned.add(w.id)
    for w in ctx.store.open_work():  # in-progress pool work left without an assignee, for its release
        if w.status == "in_progress" and not w.assignee.strip() and ctx.work_visible(w) and w.id not in seen \
                and _recoverable_unassigned(ctx, w):
            collected.append(w)
            seen.add(w.id)
            demand.ready_assigned.add(w.id)
    for w in work:  # appendOpenAssignedMoleculeWorkUnique: assigned molecule roots are wake demand
        if w.molecule_root_demand and w.id not in seen:
            collected.append(w)
            seen.add(w.id)
            demand.ready_assigned.add(w.id)
    for w in work:
        if w.status == "open" and w.assignee.strip() and w.route and w.id not in seen:
            collected.append(w)
            seen.add(w.id)
    probe, probe_all = _ready_probe_assignees(ctx, collected, demand)
    if probe or probe_all:
        for w in work:
            if w.status != "open" or not w.is_ready or not w.assignee.strip():
                continue
            if not probe_all and w.assignee.strip() not in probe:
                continue
            demand.ready_assigned.add(w.id)
            if w.id not in seen:
                collected.append(w)
                seen.add(w.id)
    demand.collected = collected
    demand.assigned = filter_for_pool_demand(ctx, demand.by_identity, collected)


def _recoverable_unassigned(ctx: BuildContext, w: WorkBead) -> bool:
    """isRecoverableUnassignedInProgressPoolWork: routed to an agent that runs generic pool
    sessions, and not a canonical workflow root."""
    if not w.route or (w.get(B.KIND).strip() == B.KIND_WORKFLOW and not w.get(B.RUN_TARGET).strip()):
        return False
    a = ctx.find_agent_by_template(w.route)
    return a is not None and generic_ephemeral(a)


def filter_for_pool_demand(ctx: BuildContext, by_identity: dict[str, SessionBead],
                           collected: list[WorkBead]) -> list[WorkBead]:
    """filterAssignedWorkBeadsForPoolDemand: the collected work whose route target (gc.routed_to,
    else the template of the session its assignee names) is a configured agent that can reach
    the store the work lives in (assignedWorkIndexReachableFromAgent)."""
    out: list[WorkBead] = []
    for w in collected:
        target = w.route
        if not target:
            sess = by_identity.get(w.assignee.strip())
            if sess is not None:
                target = ctx.normalized_session_template(sess).strip() or sess.template.strip()
                if not target and len(ctx.city.agents) == 1:
                    target = ctx.city.agents[0].qualified_name
        if not target:
            continue
        a = ctx.find_agent_by_template(ctx.normalize_route(target))
        if a is None or not work_reachable(ctx, a, w):
            continue
        out.append(w)
    return out


def _ready_probe_assignees(ctx: BuildContext, collected: list[WorkBead], demand: Demand) -> tuple[set[str], bool]:
    """readyAssignedWorkAssignees: (assignees to probe, probe every assignee)."""
    skip = {w.assignee.strip() for w in collected if w.id in demand.ready_assigned}
    if skip:
        for b in ctx.store.open_sessions():
            ids = b.assignee_identities()
            if any(i in skip for i in ids):
                skip.update(ids)
    probe: set[str] = set()
    for b in ctx.store.open_sessions():
        probe.update(i for i in b.assignee_identities() if i.strip() and i not in skip)
    for n in ctx.city.named_sessions:
        if n.mode == "on_demand" and n.identity not in skip:
            probe.add(n.identity)
    if not probe:
        return probe, not skip
    return probe, False


def _live_pool_counts(ctx: BuildContext) -> dict[str, int]:
    """Live pool sessions per normalized template (the cold-pool test)."""
    counts: dict[str, int] = {}
    for b in ctx.store.open_sessions():
        if not b.pool_managed or b.state == "asleep" or b.drained:
            continue
        t = ctx.normalize_template(b.template)
        if t:
            counts[t] = counts.get(t, 0) + 1
    return counts


def compute_counts(ctx: BuildContext, demand: Demand) -> None:
    """ScaleCheckCounts per template. A custom scale_check is new demand (an error or a
    non-integer marks the template partial and counts 0); the default routed-work probe counts
    ready unassigned routed work, clamped to 1 for a cold custom pool's wake probe and for an
    on_demand named session's backing template; an `always` named template gets no routed demand."""
    res = ctx.result
    _report_unassigned_routed_reads(ctx)
    ready = ready_unassigned_by_template(ctx)
    live = _live_pool_counts(ctx)
    counts = res.scale_check_counts
    probe_reads = ProbeReads()
    for a in ctx.city.agents:
        if a.suspended or not generic_ephemeral(a) or ctx.in_suspended_rig(a):
            continue
        clamp = _template_demand(ctx, a, live, probe_reads)
        if clamp is not None:
            _count_routed_probe(counts, demand, a.qualified_name, ready.get(a.qualified_name, []), clamp)
    for qn in control_dispatcher_demand(ctx):
        if counts.get(qn, 0) < 1:
            counts[qn] = 1
    probe_reads.report(ctx)


def _template_demand(ctx: BuildContext, a: Agent, live: dict[str, int], probe_reads: ProbeReads) -> int | None:
    """One template's turn of ScaleCheckCounts: run its custom scale_check (a bad result marks
    it partial and counts 0) and note the stores its probes read; returns the clamp of its
    default routed-work probe (0 unclamped, 1 a wake probe), None when no default probe runs."""
    res = ctx.result
    qn = a.qualified_name
    named = ctx.city.named_for_template(qn)
    mode = named[0].effective_mode if named else ""
    if not a.has_scale_check:
        stores = _own_probe_stores(ctx, a)
        if not named:
            probe_reads.add(stores, qn, named=False)
            return 0  # authoritative, unclamped
        probe_reads.add(stores, qn, named=True)
        if mode == "always":
            return None  # the named pass owns it; routed work would only mint {name}-N phantoms
        probe_reads.add(stores, qn, named=False)
        return 1
    cold = live.get(qn, 0) == 0 and a.min_count == 0
    clamp: int | None = None
    if cold and named:
        probe_reads.add(_active_stores(ctx), qn, named=True, cold=True)
    if cold and mode != "always":
        clamp = 1
        probe_reads.add(_active_stores(ctx), qn, named=False, cold=True)
    raw = ctx.world.scale_check(qn)
    value = _scale_value(raw)
    if value is None:
        res.partial_templates.add(qn)
        res.partial_reasons[qn] = f"scale_check result {raw!r} is not a non-negative integer"
        value = 0
    res.scale_check_counts[qn] = value
    return clamp


def _count_routed_probe(counts: dict[str, int], demand: Demand, qn: str, probe: list[WorkBead], clamp: int) -> None:
    """The default probe's demand: its ready routed work (at most `clamp` when clamped) raises
    the template's count, and the work it counts becomes the template's triggers."""
    count = len(probe)
    if clamp and count > clamp:
        count = clamp
    if count > counts.get(qn, 0):
        counts[qn] = count
    if count > 0 and probe:
        demand.triggers.setdefault(qn, []).extend(w.id for w in probe[:count])


def _report_unassigned_routed_reads(ctx: BuildContext) -> None:
    """collectOpenUnassignedRoutedWork reads open work from the city store and every active rig
    store; a store whose read fails outright is logged under Gas City's store ref
    (`city:<city name>`, `rig:<rig>`) and skipped. A partial read is not logged there."""
    city_name = ctx.city.workspace.name.strip() or "city"
    for store in _active_stores(ctx):
        err = ctx.store.read_error(store)
        if err:
            ref = f"city:{city_name}" if store == "city" else f"rig:{store}"
            ctx.log(f"collectOpenUnassignedRoutedWork: {ref}: List(open): {err}")


def _store_key(store: str) -> str:
    return "city" if store == "city" else f"rig:{store}"


def _own_probe_stores(ctx: BuildContext, a: Agent) -> list[str]:
    """The stores a template's default routed-work probe reads (defaultScaleCheckTargetForAgent
    plus the city-store guard for rig pools): its rig's store and the city store, or the city
    store alone for a city agent."""
    if a.dir and ctx.city.rig(a.dir) is not None:
        return [a.dir, "city"]
    return ["city"]


def _active_stores(ctx: BuildContext) -> list[str]:
    """Every store a cold custom pool's wake probe reads: the city store and each rig store that
    is not suspended."""
    return ["city"] + [r.name for r in ctx.city.rigs if r.name not in ctx.rig_suspended]


class ProbeReads:
    """The Ready() reads of the default demand probes, grouped by store key as Gas City groups
    its targets (defaultScaleCheckCountsAndDemand for pool demand, defaultNamedSessionDemand for
    named-session backing templates). A read that fails or comes back partial marks every
    template of its group partial and is logged once per group. A template's own probe keys a
    rig store `rig:<rig>` (defaultScaleCheckTargetForAgent); the cold wake probe over every
    active store keys it by the bare rig name, so the same rig store can be two groups."""

    def __init__(self) -> None:
        self.groups: dict[tuple[bool, str], set[str]] = {}
        self.store_of: dict[str, str] = {}

    def add(self, stores: list[str], template: str, *, named: bool, cold: bool = False) -> None:
        for store in stores:
            key = store if cold else _store_key(store)
            self.store_of[key] = store
            self.groups.setdefault((named, key), set()).add(template)

    def report(self, ctx: BuildContext) -> None:
        res = ctx.result
        for named, phase in ((False, "demand_snapshot.default_scale_demand"),
                             (True, "demand_snapshot.named_session_demand")):
            targets = sum(len(ts) for (is_named, _), ts in self.groups.items() if is_named == named)
            if targets:
                ctx.sub_phase(phase, targets=targets)
        for named in (False, True):
            for (is_named, key), templates in sorted(self.groups.items()):
                if is_named != named:
                    continue
                store = self.store_of[key]
                fault = ctx.store.read_fault(store)
                if not fault:
                    continue
                res.store_query_partial = True
                err = "partial result" if fault == "partial" else ctx.store.read_error(store)
                tail = "using named demand=false" if named else "counts above may be a partial of one demand source"
                ctx.log(f"buildDesiredState: default scale_check {key} "
                        f"templates={','.join(sorted(templates))}: Ready(): {err} ({tail})")
                for t in templates:
                    res.partial_templates.add(t)
                    res.partial_reasons.setdefault(t, f"the default demand read of the {_store_key(store)} store "
                                                      f"{'came back partial' if fault == 'partial' else 'failed'}")


CONTROL_DISPATCHER = "control-dispatcher"


def control_dispatcher_demand(ctx: BuildContext) -> set[str]:
    """openControlDispatcherDemand: deterministic control dispatchers (agent control-dispatcher
    running `convoy control --serve`, no provider) with open, unassigned work routed to their
    qualified name, or to the bare pre-binding route, need at least one session."""
    routes: dict[str, str] = {}
    for a in ctx.city.agents:
        if a.name != CONTROL_DISPATCHER or a.provider.strip() or "convoy control --serve" not in a.start_command:
            continue
        qn = a.qualified_name
        routes[qn] = qn
        dir_, _, name = qn.rpartition("/")
        if name != CONTROL_DISPATCHER and name.endswith("." + CONTROL_DISPATCHER):
            routes.setdefault(f"{dir_}/{CONTROL_DISPATCHER}" if dir_ else CONTROL_DISPATCHER, qn)
    out: set[str] = set()
    for route, qn in routes.items():
        if any(w.status == "open" and not w.assignee.strip() for w in ctx.store.work_routed_to(route)):
            out.add(qn)
    return out


def _scale_value(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    try:
        v = int(str(raw).strip())
    except ValueError:
        return None
    return v if v >= 0 else None


def alias_held_templates(ctx: BuildContext) -> dict[str, str]:
    """Canonical singletons whose canonical alias is held by a live, non-pool holder (#3697):
    an open bead that is not pool-managed, drained or failed-create, whose alias is the template
    or that is a configured named session on the template. Asleep holders still hold it."""
    held: dict[str, str] = {}
    for a in ctx.city.agents:
        if a.suspended or not ctx.uses_canonical_singleton(a):
            continue
        qn = a.qualified_name
        cands = ctx.store.open_by(B.ALIAS, qn) + [b for b in ctx.store.open_by(B.TEMPLATE, qn) if b.is_named]
        cands.sort(key=lambda b: (b.created_at, natural_key(b.id)))
        for b in cands:
            if b.pool_managed or b.drained or b.failed_create:
                continue
            held[qn] = b.id
            break
    return held


class Caps:
    """Nested cap accounting (nestedCapLimits + nestedCapUsage): agent (resolved max) -> rig ->
    workspace, with the requests accepted so far (the blockers a new-demand cap names)."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.agent_used: dict[str, int] = {}
        self.rig_used: dict[str, int] = {}
        self.ws_used = 0
        self.seen: set[str] = set()
        self.accepted: list[tuple[Request, str]] = []  # (request, its agent's rig)
        # the accepted requests by template and by rig, in acceptance order (the blockers of a cap)
        self.by_template: dict[str, list[Request]] = {}
        self.by_rig: dict[str, list[Request]] = {}
        # the limits read from the config, once per pass (the config is fixed for a build)
        self._rig_maxes: dict[str, int | None] = {}
        self._caps: dict[int, tuple[Agent, int | None]] = {}

    def _cap(self, a: Agent) -> int | None:
        got = self._caps.get(id(a))
        if got is None or got[0] is not a:
            got = self._caps[id(a)] = (a, self.ctx.cap(a))
        return got[1]

    def _rig_max(self, a: Agent) -> int | None:
        try:
            return self._rig_maxes[a.dir]
        except KeyError:
            pass
        rig = self.ctx.city.rig(a.dir) if a.dir else None
        out = None
        if rig is not None and rig.max_active_sessions is not None and rig.max_active_sessions >= 0:
            out = rig.max_active_sessions
        self._rig_maxes[a.dir] = out
        return out

    def _ws_max(self) -> int | None:
        ws = self.ctx.city.workspace.max_active_sessions
        return ws if ws is not None and ws >= 0 else None

    def rejection(self, a: Agent, tier: str = "new") -> tuple[str, dict]:
        """The cap a new request would exceed ("" when all have room) and its trace payload."""
        qn = a.qualified_name
        cap = self._cap(a)
        if cap is not None and self.agent_used.get(qn, 0) >= cap:
            return "agent_cap", {"agent_max": cap, "current": self.agent_used.get(qn, 0), "tier": tier}
        rm = self._rig_max(a)
        if rm is not None and self.rig_used.get(a.dir, 0) >= rm:
            return "rig_cap", {"rig": a.dir, "rig_max": rm, "current": self.rig_used.get(a.dir, 0), "tier": tier}
        wm = self._ws_max()
        if wm is not None and self.ws_used >= wm:
            return "workspace_cap", {"workspace_max": wm, "current": self.ws_used, "tier": tier}
        return "", {}

    def remaining(self, a: Agent, want: int) -> int:
        """capNewDemandCount: how many of `want` new requests fit under every cap."""
        if want <= 0:
            return 0
        left = want
        cap = self._cap(a)
        if cap is not None:
            left = min(left, cap - self.agent_used.get(a.qualified_name, 0))
        rm = self._rig_max(a)
        if rm is not None:
            left = min(left, rm - self.rig_used.get(a.dir, 0))
        wm = self._ws_max()
        if wm is not None:
            left = min(left, wm - self.ws_used)
        return max(left, 0)

    def blocking_scope(self, a: Agent, new_count: int) -> tuple[str, int, int, list[Request]]:
        """newDemandBlockingScope: the first cap (agent, rig, workspace) with no room beyond
        `new_count`, its max and current use, and the accepted requests that hold it."""
        qn = a.qualified_name
        cap = self._cap(a)
        if cap is not None and cap - self.agent_used.get(qn, 0) <= new_count:
            return "agent_cap", cap, self.agent_used.get(qn, 0), list(self.by_template.get(qn, ()))
        rm = self._rig_max(a)
        if rm is not None and rm - self.rig_used.get(a.dir, 0) <= new_count:
            return "rig_cap", rm, self.rig_used.get(a.dir, 0), list(self.by_rig.get(a.dir, ()))
        wm = self._ws_max()
        if wm is not None and wm - self.ws_used <= new_count:
            return "workspace_cap", wm, self.ws_used, [r for r, _ in self.accepted]
        return "", 0, 0, []

    def duplicate(self, r: Request) -> bool:
        return bool(r.session_bead_id) and r.session_bead_id in self.seen

    def take(self, a: Agent, r: Request) -> None:
        self.agent_used[a.qualified_name] = self.agent_used.get(a.qualified_name, 0) + 1
        if a.dir:
            self.rig_used[a.dir] = self.rig_used.get(a.dir, 0) + 1
        self.ws_used += 1
        if r.session_bead_id:
            self.seen.add(r.session_bead_id)
        self.accepted.append((r, a.dir))
        self.by_template.setdefault(r.template, []).append(r)
        self.by_rig.setdefault(a.dir, []).append(r)


def _priority_order(reqs: list[Request]) -> list[Request]:
    """Priority descending, resume-like before new at equal priority, otherwise stable."""
    return sorted(reqs, key=lambda r: (-r.priority, 0 if r.resume_like else 1))


def _session_templates(ctx: BuildContext) -> dict[str, str]:
    out: dict[str, str] = {}
    for b in ctx.store.open_sessions():
        if has_terminal_provider_error(b):
            continue
        t = ctx.normalized_session_template(b).strip()
        if t:
            out[b.id] = t
    return out


def resume_requests(ctx: BuildContext, demand: Demand) -> list[Request]:
    """The resume and wake-known-identity tiers: assigned work whose assignee resolves to an open
    session resumes it (unless it is a configured named session's bead); work assigned to the
    template identity itself with no session wakes one session of the template. Route mismatches
    between the work and its session's template are skipped."""
    sess_template = _session_templates(ctx)
    grouped: dict[str, list[tuple[WorkBead, SessionBead | None]]] = {}
    single = ctx.city.agents[0].qualified_name if len(ctx.city.agents) == 1 else ""
    for w in demand.assigned:
        if w.status not in ("in_progress", "open"):
            continue
        assignee = w.assignee.strip()
        if not assignee:
            continue
        sess = demand.by_identity.get(assignee)
        routed = w.route
        if not routed and sess is not None:
            routed = sess_template.get(sess.id, "") or single
        routed = ctx.normalize_template(ctx.normalize_route(routed))
        if sess is not None:
            st = sess_template.get(sess.id, "")
            if st and routed and not ctx.equivalent(routed, st):
                continue  # routed elsewhere than its session's template: Gas City skips it untraced
        grouped.setdefault(routed, []).append((w, sess))
    out: list[Request] = []
    for a in ctx.city.agents:
        if a.suspended or not generic_ephemeral(a):
            continue
        qn = a.qualified_name
        woken = False
        for w, sess in grouped.get(qn, []):
            if sess is not None:
                if sess.is_named and ctx.semantics != "pre-1989":
                    continue  # the named pass owns a named session's canonical bead
                out.append(Request(qn, "resume", sess.id, w.id, w.priority))
                continue
            assignee = w.assignee.strip()
            if ctx.is_configured_named_identity(assignee):
                continue  # a named identity's own work wakes the named session, not the pool
            if not ctx.equivalent(assignee, qn):
                continue  # assigned to a closed or unknown session: orphaned work, not respawned
            if woken:
                continue
            woken = True
            out.append(Request(qn, "wake-known-identity", "", w.id, w.priority))
            ctx.decision("reconciler.pool.wake_known_identity", "assigned_work", "scheduled", qn,
                         tier="wake-known-identity", work_bead=w.id)
    return out


def _consumes_new_demand(b: SessionBead) -> bool:
    """poolSessionConsumesNewDemandInfo: a pending create claim or a creating/start-pending state
    (no clock here: a stale creating bead still represents spent demand)."""
    return b.pending_claim or b.state.strip() in ("creating", "start-pending")


def inflight_requests(ctx: BuildContext, resumed: set[str]) -> dict[str, list[Request]]:
    """poolInFlightNewRequests: open pool-managed ephemeral beads that already represent spent new
    demand, per template, in creation order."""
    by_template: dict[str, list[SessionBead]] = {}
    for b in ctx.store.open_sessions():
        if has_terminal_provider_error(b) or b.id in resumed or not b.pool_managed or not _consumes_new_demand(b):
            continue
        t = ctx.normalized_session_template(b)
        if t:
            by_template.setdefault(t, []).append(b)
    out: dict[str, list[Request]] = {}
    for a in ctx.city.agents:
        if a.suspended or not generic_ephemeral(a):
            continue
        qn = a.qualified_name
        for b in by_template.get(qn, []):
            ephemeral_for = b.is_ephemeral or (
                ctx.supports_instance_expansion(a) and not b.is_named and not b.is_manual
                and raw_existing_slot(a, b, ctx.semantics) > 0)
            if not ephemeral_for:
                continue
            out.setdefault(qn, []).append(
                Request(qn, "new", b.id, b.get(B.TRIGGER_BEAD_ID).strip(), 0, inflight=True,
                        work_store_ref=b.get(B.TRIGGER_BEAD_STORE_REF).strip(),
                        brain_parent_sid=b.get(B.BRAIN_PARENT_SID).strip()))
    return out


def compute_requests(ctx: BuildContext, demand: Demand) -> dict[str, list[Request]]:
    """computePoolDesiredStates: resume tiers, then new demand capped before it is materialized
    (in-flight creates fill the first new slots, the rest are anonymous with the remembered demand
    beads as triggers), then every request through the nested caps in priority order, then the
    min fill. Sets result.requests and result.pool_requests (PoolDesiredCounts of the states)."""
    res = ctx.result
    held = res.alias_held
    resume = resume_requests(ctx, demand)
    usage = Caps(ctx)
    for r in _priority_order(resume):
        a = ctx.agent(r.template)
        if a is not None and not usage.duplicate(r) and not usage.rejection(a)[0]:
            usage.take(a, r)
    all_reqs = list(resume)
    inflight = inflight_requests(ctx, {r.session_bead_id for r in resume if r.session_bead_id})
    if res.scale_check_counts:
        for a in ctx.city.agents:
            if a.suspended:
                continue
            qn = a.qualified_name
            if qn not in res.scale_check_counts or qn in held:
                continue
            scale = res.scale_check_counts[qn]
            new_count = usage.remaining(a, scale)
            if scale > 0 and new_count < scale:
                _new_demand_cap_decision(ctx, usage, a, scale, new_count)
            pending = inflight.get(qn, [])
            n_inflight = min(len(pending), new_count)
            if scale > 0 and pending:
                ctx.decision("reconciler.pool.inflight_reuse", "inflight_reuse", "accepted", qn, scale_check=scale,
                             in_flight=len(pending), reused=n_inflight, anonymous_new=new_count - n_inflight)
            for r in pending[:n_inflight]:
                all_reqs.append(r)
                usage.take(a, r)
            trig = demand.triggers.get(qn, [])
            for j in range(n_inflight, new_count):
                wid = trig[j] if j < len(trig) else ""
                w = ctx.store.work_bead(wid) if wid else None
                r = Request(qn, "new", "", wid, 0, work_store_ref=w.store.strip() if w is not None else "",
                            brain_parent_sid=w.meta.get(B.BRAIN_PARENT_SID, "").strip() if w is not None else "")
                all_reqs.append(r)
                usage.take(a, r)
    accepted = apply_nested_caps(ctx, all_reqs, held)
    res.requests = {k: accepted[k] for k in sorted(accepted) if accepted[k]}
    res.pool_requests = {k: len(v) for k, v in res.requests.items()}
    return res.requests


def _new_demand_cap_decision(ctx: BuildContext, usage: Caps, a: Agent, scale: int, new_count: int) -> None:
    """recordNewDemandCapTrace: new demand the caps cut, with the binding cap and the accepted
    requests (sessions and work) that hold its capacity."""
    why, cap, current, blockers = usage.blocking_scope(a, new_count)
    if not why:
        return
    ctx.decision("reconciler.pool.new_demand_cap", why, "rejected", a.qualified_name, scale_check=scale,
                 accepted_new=new_count, blocked_new=scale - new_count, current=current, max=cap,
                 blocking_sessions=[r.session_bead_id for r in blockers if r.session_bead_id],
                 blocking_work_beads=[r.work_bead_id for r in blockers if r.work_bead_id],
                 active_capacity_kind=why)


def apply_nested_caps(ctx: BuildContext, reqs: list[Request], held: dict[str, str]) -> dict[str, list[Request]]:
    """applyNestedCaps: accept requests in priority order while every cap has room (dropping
    duplicate concrete sessions), then fill each agent's min_active_sessions."""
    caps = Caps(ctx)
    accepted: dict[str, list[Request]] = {}
    for r in _priority_order(reqs):
        a = ctx.agent(r.template)
        if a is None or caps.duplicate(r):
            continue
        why, payload = caps.rejection(a, r.tier)
        if why:
            ctx.decision(f"reconciler.pool.{why}", why, "rejected", r.template, **payload)
            ctx.result.rejected.append((r, why))
            continue
        accepted.setdefault(r.template, []).append(r)
        caps.take(a, r)
        ctx.decision("reconciler.pool.accept", "cap", "accepted", r.template, tier=r.tier)
    for a in ctx.city.agents:
        if a.suspended:
            continue
        qn = a.qualified_name
        if qn in held:
            continue
        while caps.agent_used.get(qn, 0) < a.min_count:
            r = Request(qn, "new", "", "", 0, floor=True)
            if caps.rejection(a)[0]:
                break
            accepted.setdefault(qn, []).append(r)
            ctx.decision("reconciler.pool.min_fill", "min_fill", "accepted", qn, min=a.min_count,
                         current=caps.agent_used.get(qn, 0), tier="new")
            caps.take(a, r)
    return accepted

