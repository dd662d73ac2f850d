"""Steps 1-4 of the build: demand counts, assigned work, resume tiers, nested caps, in-flight
creates and min fill (Gas City's pool_desired_state.go)."""

from __future__ import annotations

from core.config.model import Agent
from core.desired.context import BuildContext
from core.desired.model import Request
from core.identity import canonical_singleton, generic_ephemeral
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead, natural_key

LIVE_POOL_STATES = frozenset({"start-pending", "creating", "active", "awake", "draining", "quarantined"})


def ready_unassigned_by_template(ctx: BuildContext) -> dict[str, list[WorkBead]]:
    """Ready, unassigned, open work grouped by its normalized route target."""
    out: dict[str, list[WorkBead]] = {}
    for route in ctx.store.routes():
        target = ctx.normalize_route(route)
        for w in ctx.store.work_routed_to(route):
            if w.status == "open" and w.ready and not w.assignee:
                out.setdefault(target, []).append(w)
    for ws in out.values():
        ws.sort(key=lambda w: (-w.priority, natural_key(w.id)))
    return out


def assigned_work(ctx: BuildContext, by_identity: dict[str, SessionBead]) -> list[WorkBead]:
    """collectAssignedWorkBeads + filterAssignedWorkBeadsForPoolDemand: actionable work with an
    assignee whose route target is a configured agent."""
    out = []
    for w in ctx.store.assigned_work():
        if not (w.status == "in_progress" or (w.status == "open" and w.ready)):
            continue
        if route_target(ctx, w, by_identity):
            out.append(w)
    return out


def route_target(ctx: BuildContext, w: WorkBead, by_identity: dict[str, SessionBead]) -> str:
    if w.routed_to:
        t = ctx.normalize_route(w.routed_to)
        return t if ctx.agent(t) is not None else ""
    sess = by_identity.get(w.assignee)
    if sess is not None:
        return ctx.template_of(sess)
    t = ctx.identity_template(w.assignee)
    if t:
        return t
    if len(ctx.city.agents) == 1:
        return ctx.city.agents[0].qualified_name
    return ""


def identity_index(ctx: BuildContext) -> dict[str, SessionBead]:
    """Every assignee identity of every open, non-terminal session bead -> that bead (later wins)."""
    idx: dict[str, SessionBead] = {}
    for b in ctx.store.open_sessions():
        if b.get(B.PROVIDER_TERMINAL_ERROR):
            continue
        for ident in b.assignee_identities():
            idx[ident] = b
    return idx


def live_pool_count(ctx: BuildContext, qn: str) -> int:
    n = 0
    for b in ctx.store.open_by(B.TEMPLATE, qn):
        if b.pool_managed and not b.drained and not b.failed_create and (b.state in LIVE_POOL_STATES or b.pending_claim):
            n += 1
    return n


def compute_counts(ctx: BuildContext, ready: dict[str, list[WorkBead]]) -> dict[str, list[str]]:
    """ScaleCheckCounts per template; returns the remembered trigger work beads per template."""
    res = ctx.result
    triggers: dict[str, list[str]] = {}
    for a in ctx.agents_sorted:
        if not ctx.agent_active(a) or a.max_active_sessions == 0:
            continue
        qn = a.qualified_name
        named = ctx.city.named_for_template(qn)
        any_always = any(n.effective_mode == "always" for n in named)
        probe = ready.get(qn, [])
        default = len(probe)
        triggers[qn] = [w.id for w in probe]
        cold = live_pool_count(ctx, qn) == 0 and a.min_count == 0
        if a.has_scale_check:
            raw = ctx.world.scale_check(qn)
            custom = _scale_value(raw)
            if custom is None:
                res.partial_templates.add(qn)
                res.partial_reasons[qn] = f"scale_check result {raw!r} is not a non-negative integer"
                custom = 0
            count = custom
            if cold and not any_always and default:
                count = max(custom, min(default, 1))
        elif named:
            if any_always:
                continue  # #3687: an always-named template gets no routed pool demand
            count = min(default, 1)
        else:
            count = default
        res.scale_check_counts[qn] = count
    return triggers


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
    """Canonical singletons whose canonical alias is held by a live, non-pool holder (#3697)."""
    held: dict[str, str] = {}
    for a in ctx.agents_sorted:
        if not canonical_singleton(a, ctx.semantics):
            continue
        qn = a.qualified_name
        cands = ctx.store.open_by(B.ALIAS, qn) + [b for b in ctx.store.open_by(B.TEMPLATE, qn) if b.is_named]
        for b in cands:
            if b.pool_managed or b.drained or b.failed_create:
                continue
            held[qn] = b.id
            break
    return held


class Caps:
    """Nested cap accounting: agent (resolved) -> rig -> workspace."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.agent_used: dict[str, int] = {}
        self.rig_used: dict[str, int] = {}
        self.ws_used = 0

    def remaining(self, a: Agent) -> tuple[int | None, str]:
        qn = a.qualified_name
        best: int | None = None
        why = ""
        cap = self.ctx.cap(a)
        if cap is not None:
            best, why = cap - self.agent_used.get(qn, 0), "agent_cap"
        rig = self.ctx.city.rig(a.dir) if a.dir else None
        if rig is not None and rig.max_active_sessions is not None and rig.max_active_sessions >= 0:
            r = rig.max_active_sessions - self.rig_used.get(rig.name, 0)
            if best is None or r < best:
                best, why = r, "rig_cap"
        ws = self.ctx.city.workspace.max_active_sessions
        if ws is not None and ws >= 0:
            r = ws - self.ws_used
            if best is None or r < best:
                best, why = r, "workspace_cap"
        return (None if best is None else max(best, 0)), why

    def take(self, a: Agent) -> None:
        self.agent_used[a.qualified_name] = self.agent_used.get(a.qualified_name, 0) + 1
        if a.dir:
            self.rig_used[a.dir] = self.rig_used.get(a.dir, 0) + 1
        self.ws_used += 1


def compute_requests(ctx: BuildContext, by_identity: dict[str, SessionBead], work: list[WorkBead],
                     triggers: dict[str, list[str]]) -> dict[str, list[Request]]:
    res = ctx.result
    held = res.alias_held
    resume: list[Request] = []
    wake_known: set[str] = set()
    for w in work:
        if w.status not in ("open", "in_progress") or not w.assignee:
            continue
        sess = by_identity.get(w.assignee)
        routed = ctx.normalize_route(w.routed_to) if w.routed_to else ""
        if not routed and sess is not None:
            routed = ctx.template_of(sess)
        if not routed and len(ctx.city.agents) == 1:
            routed = ctx.city.agents[0].qualified_name
        if sess is not None and ctx.template_of(sess) and ctx.template_of(sess) != routed:
            ctx.decision("reconciler.pool.route_mismatch", "route_mismatch", "skipped", routed, sess.session_name,
                         work_bead=w.id)
            continue
        a = ctx.agent(routed)
        if a is None or not ctx.agent_active(a) or a.max_active_sessions == 0:
            continue
        if sess is not None:
            if sess.is_named and ctx.semantics != "pre-1989":
                continue  # #1989: a named session's canonical bead is never pool demand
            resume.append(Request(routed, "resume", sess.id, w.id, w.priority))
            continue
        n = ctx.city.named_by_identity(w.assignee)
        if n is not None:
            backing = ctx.agent(n.template_qualified)
            if backing is not None and not backing.suspended:
                continue
        if ctx.identity_template(w.assignee) != routed:
            continue
        if not (ctx.sie(a) or ctx.ucs(a)):
            continue
        if routed in wake_known:
            continue
        wake_known.add(routed)
        resume.append(Request(routed, "wake-known-identity", "", w.id, w.priority))

    resume.sort(key=lambda r: (-r.priority, 0 if r.resume_like else 1))
    caps = Caps(ctx)
    accepted: dict[str, list[Request]] = {}
    seen_ids: set[str] = set()
    for r in resume:
        if r.session_bead_id and r.session_bead_id in seen_ids:
            continue
        a = ctx.agent(r.template)
        assert a is not None
        left, why = caps.remaining(a)
        if left is not None and left <= 0:
            res.rejected.append((r, why))
            ctx.decision(f"reconciler.pool.{why}", why, "rejected", r.template, work_bead=r.work_bead_id)
            continue
        if r.session_bead_id:
            seen_ids.add(r.session_bead_id)
        caps.take(a)
        accepted.setdefault(r.template, []).append(r)
        ctx.decision("reconciler.pool.accept", r.tier, "accepted", r.template, session_bead=r.session_bead_id,
                     work_bead=r.work_bead_id)

    # New demand: in-flight creates fill the first slots, then anonymous requests.
    for a in ctx.agents_sorted:
        qn = a.qualified_name
        if qn not in res.scale_check_counts or qn in held or not ctx.agent_active(a):
            continue
        scale = res.scale_check_counts[qn]
        left, why = caps.remaining(a)
        new_count = scale if left is None else min(scale, left)
        if new_count < scale:
            ctx.decision("reconciler.pool.new_demand_cap", why, "clamped", qn, scale=scale, allowed=new_count)
        if new_count <= 0:
            continue
        inflight = [b for b in ctx.store.open_by(B.TEMPLATE, qn)
                    if b.id not in seen_ids and b.origin == "ephemeral" and b.pool_managed
                    and not b.get(B.PROVIDER_TERMINAL_ERROR) and not b.is_named
                    and (b.pending_claim or b.state in ("creating", "start-pending"))]
        inflight.sort(key=lambda b: (b.created_at, natural_key(b.id)))
        trig = list(triggers.get(qn, []))
        for b in inflight[:new_count]:
            seen_ids.add(b.id)
            caps.take(a)
            accepted.setdefault(qn, []).append(Request(qn, "new", b.id, b.get(B.TRIGGER_BEAD_ID), 0, inflight=True))
            ctx.decision("reconciler.pool.inflight_reuse", "inflight", "accepted", qn, b.session_name)
        for j in range(new_count - min(len(inflight), new_count)):
            caps.take(a)
            wid = trig[j] if j < len(trig) else ""
            accepted.setdefault(qn, []).append(Request(qn, "new", "", wid, 0))

    # Min fill.
    for a in ctx.agents_sorted:
        qn = a.qualified_name
        if not ctx.agent_active(a) or qn in held or not generic_ephemeral(a) or a.min_count <= 0:
            continue
        while len(accepted.get(qn, [])) < a.min_count:
            left, why = caps.remaining(a)
            if left is not None and left <= 0:
                ctx.decision(f"reconciler.pool.{why}", why, "rejected", qn, floor=True)
                break
            caps.take(a)
            accepted.setdefault(qn, []).append(Request(qn, "new", "", "", 0, floor=True))
            ctx.decision("reconciler.pool.min_fill", "min_fill", "accepted", qn)
    res.requests = {k: accepted[k] for k in sorted(accepted) if accepted[k]}
    res.pool_desired = {k: len(v) for k, v in res.requests.items()}
    return res.requests
