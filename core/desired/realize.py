"""Step 5 of the build: turn pool requests into sessions (reuse, normalize, or create), under
the per-tick create budget (realizePoolDesiredSessions and build_desired_state_pool_info.go)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from core.actions import Action
from core.config.model import Agent
from core.desired.alias import CLEAR_CONFLICT, alias_holder, defer_changes, in_deferred_state, retry_due
from core.desired.context import BuildContext, is_manual_for, manual_identity
from core.desired.model import DesiredEntry, Request, Why
from core.desired.slots import claim_slot, existing_slot, lowest_free
from core.identity import pool_session_name, request_identity, sanitize, shape, stale_suffixed
from core.timefmt import format_time
from core.world import beads as B
from core.world.beads import SessionBead, natural_key, push_alias_history


@dataclass
class Plan:
    request: Request
    agent: Agent
    bead: SessionBead | None = None
    slot: int = 0
    create: bool = False
    granted: bool = False
    note: list[Why] | None = None


def instance_token(bead_id: str, generation: str) -> str:
    return "tok-" + hashlib.sha1(f"{bead_id}:{generation}".encode()).hexdigest()[:12]


def shape_why(ctx: BuildContext, a: Agent) -> Why:
    s = shape(a, ctx.city, ctx.semantics)
    kind = s.kind if s.kind != "named" else shape(a, None, ctx.semantics).kind
    return Why("shape." + kind.replace("-", "_"), shape(a, None, ctx.semantics).detail)


def reusable(ctx: BuildContext, b: SessionBead, qn: str, used: set[str], busy: set[str]) -> bool:
    return (b.open and not b.drained and not b.failed_create and b.state not in ("draining", "asleep")
            and not is_manual_for(ctx.agent(qn), b) and not b.is_named and b.id not in used and b.id not in busy
            and bool(b.session_name) and ctx.template_of(b) == qn)


def identifies_canonical(b: SessionBead, qn: str) -> bool:
    return qn in (b.agent_name, b.alias, b.title) or f"agent:{qn}" in b.labels


def bead_stale_suffixed(a: Agent, b: SessionBead) -> bool:
    if b.get(B.POOL_SLOT):
        return True
    for v in (b.agent_name, b.alias, b.title):
        if stale_suffixed(a, v):
            return True
    return any(stale_suffixed(a, lab[6:]) for lab in b.labels if lab.startswith("agent:"))


def busy_bead_ids(ctx: BuildContext, work_ids: list[str]) -> set[str]:
    """Beads that hold assigned work (by id, session_name or named identity; not by alias)."""
    keys = set()
    for wid in work_ids:
        w = ctx.store.work_bead(wid)
        if w is not None and w.assignee:
            keys.add(w.assignee)
    busy = set()
    for b in ctx.store.open_sessions():
        if b.id in keys or b.session_name in keys or (b.get(B.CONFIGURED_NAMED_IDENTITY) or "\0") in keys:
            busy.add(b.id)
    return busy


def normalize_singleton(ctx: BuildContext, a: Agent, b: SessionBead) -> tuple[SessionBead, bool, list[Why]]:
    """normalizeNonExpandingPoolSessionInfo: collapse a reused bead of a canonical singleton onto
    the canonical identity, or defer its alias when a live holder has it. Returns the bead as
    stored, whether the alias is deferred, and the why rules."""
    qn = a.qualified_name
    why: list[Why] = []
    changes: dict[str, str] = {}
    title = b.title
    if stale_suffixed(a, b.agent_name):
        changes[B.AGENT_NAME] = qn
    new_alias = b.alias
    if stale_suffixed(a, b.alias) or (not b.alias and b.get(B.POOL_ALIAS_CONFLICT) == qn):
        new_alias = qn
    if b.get(B.POOL_SLOT):
        changes[B.POOL_SLOT] = ""
    if stale_suffixed(a, b.title):
        title = qn
    labels = frozenset(l for l in b.labels if not (l.startswith("agent:") and stale_suffixed(a, l[6:])))
    if any(l.startswith("agent:") and stale_suffixed(a, l[6:]) for l in b.labels) or f"agent:{qn}" not in b.labels:
        labels = labels | {f"agent:{qn}"}
    if new_alias != b.alias:
        holder, rule = alias_holder(ctx.store, new_alias, b.id, qn, ctx.named_identities)
        if holder is not None or rule:
            who = holder.id if holder is not None else "a configured named session"
            if retry_due(b.get(B.POOL_ALIAS_CONFLICT_AT), b.get(B.POOL_ALIAS_CONFLICT_COUNT), ctx.now) or \
                    b.get(B.POOL_ALIAS_CONFLICT) != qn:
                b = ctx.store.update_session(b.id, defer_changes(b, qn, ctx.now))
                ctx.actions.append(Action("defer_alias", b.id, b.session_name, "alias-held",
                                          f"{qn} held by {who} ({rule})", qn))
            ctx.log(f"deferring singleton pool identity normalization for {b.id}: {qn} held by {who}")
            why.append(Why("alias.deferred", f"{qn} is held by {who} ({rule}); retry after backoff"))
            return b, True, why
        changes[B.ALIAS] = new_alias
        if b.alias:
            changes[B.ALIAS_HISTORY] = push_alias_history(b.get(B.ALIAS_HISTORY), b.alias, new_alias)
    final_alias = changes.get(B.ALIAS, b.alias)
    if final_alias == qn:
        changes.update({k: v for k, v in CLEAR_CONFLICT.items() if b.get(k)})
    if changes or title != b.title or labels != b.labels:
        ctx.log(f"collapsing phantom pool identity {b.agent_name or b.id} -> {qn}")
        b = ctx.store.update_session(b.id, changes, title=title, labels=labels)
        ctx.actions.append(Action("normalize", b.id, b.session_name, "canonical-singleton", f"-> {qn}", qn))
        why.append(Why("alias.normalized", f"stale slot identity collapsed onto {qn}"))
    return b, False, why


def plan_template(ctx: BuildContext, a: Agent, reqs: list[Request], used: set[str], busy: set[str]) -> list[Plan]:
    qn = a.qualified_name
    ucs = ctx.ucs(a)
    used_slots: set[int] = set()
    plans: list[Plan] = []
    candidates = sorted(ctx.store.open_by(B.TEMPLATE, qn), key=lambda b: (b.created_at, natural_key(b.id)))
    # Alias-only / legacy beads whose template resolves here.
    for b in ctx.store.open_sessions():
        if not b.template and ctx.template_of(b) == qn:
            candidates.append(b)
    for r in reqs:
        p = Plan(r, a, note=[])
        prefer = ctx.store.session(r.session_bead_id) if r.session_bead_id else None
        if prefer is not None and prefer.is_named:
            ctx.log(f"refusing to materialize named-session bead {prefer.id} as a pool instance of {qn}")
            continue
        if prefer is not None and prefer.id not in used and not prefer.failed_create and prefer.open:
            work = ctx.store.work_bead(r.work_bead_id) if r.work_bead_id else None
            preserve = (r.tier == "resume" and work is not None and work.assignee in prefer.assignee_identities())
            ex = existing_slot(a, prefer, ctx.semantics, preserve)
            slot = 0 if ucs else claim_slot(ex, used_slots)
            if slot == 0 and not ucs and not prefer.is_manual:
                ctx.log(f"concrete slot already claimed for {prefer.id} ({qn}); skipping")
                continue
            p.bead, p.slot = prefer, slot
            p.note.append(Why("slot.preserved" if preserve and ex == slot and ex > 0 else
                              ("slot.canonical" if ucs else ("slot.claimed_existing" if ex == slot else "slot.lowest_free")),
                              _slot_detail(ucs, slot, ex)))
        else:
            chosen = None
            if ucs:
                for b in candidates:
                    if reusable(ctx, b, qn, used, busy) and not bead_stale_suffixed(a, b) and identifies_canonical(b, qn):
                        chosen, p.slot = b, 0
                        p.note.append(Why("slot.canonical", "reused the bead that already carries the canonical identity"))
                        break
            if chosen is None:
                for b in candidates:
                    if not reusable(ctx, b, qn, used, busy):
                        continue
                    if ucs:
                        chosen, p.slot = b, 0
                        p.note.append(Why("slot.canonical", "earliest reusable bead, collapsed onto the canonical identity"))
                        break
                    ex = existing_slot(a, b, ctx.semantics)
                    if ex > 0 and ex in used_slots:
                        continue
                    chosen, p.slot = b, (ex if ex > 0 else lowest_free(used_slots))
                    p.note.append(Why("slot.claimed_existing" if ex > 0 else "slot.lowest_free", _slot_detail(False, p.slot, ex)))
                    break
            if chosen is not None:
                p.bead = chosen
            else:
                p.create = True
                p.slot = 0 if ucs else lowest_free(used_slots)
                p.note.append(Why("slot.canonical" if ucs else "slot.lowest_free", _slot_detail(ucs, p.slot, 0)))
        if p.bead is not None:
            used.add(p.bead.id)
        if p.slot > 0:
            used_slots.add(p.slot)
        plans.append(p)
    return plans


def _slot_detail(ucs: bool, slot: int, existing: int) -> str:
    if ucs:
        return "canonical singletons never take a slot (pool_slot stays empty)"
    if existing and existing == slot:
        return f"kept the slot its identity already names ({slot})"
    return f"lowest free slot ({slot})"


def grant_budget(ctx: BuildContext, plans: list[Plan]) -> None:
    """Fresh creates per tick are capped by [daemon].max_wakes_per_tick, fair-shared across
    templates (one token reserved per floor-bearing template first)."""
    budget = ctx.city.max_wakes_per_tick
    by_tpl: dict[str, list[Plan]] = {}
    for p in plans:
        if p.create:
            if p.agent.qualified_name in ctx.result.partial_templates:
                ctx.log(f"refusing fresh create for {p.agent.qualified_name}: scale_check read is partial")
                continue
            by_tpl.setdefault(p.agent.qualified_name, []).append(p)
    order = sorted(by_tpl)
    for t in order:
        if budget <= 0:
            break
        floor = [p for p in by_tpl[t] if p.request.floor]
        if floor:
            floor[0].granted = True
            budget -= 1
    while budget > 0:
        progressed = False
        for t in order:
            pending = [p for p in by_tpl[t] if not p.granted]
            if pending and budget > 0:
                pending[0].granted = True
                budget -= 1
                progressed = True
        if not progressed:
            break
    for t in order:
        denied = [p for p in by_tpl[t] if not p.granted]
        if denied:
            ctx.log(f"pool session create budget exhausted: {len(denied)} create(s) for {t} deferred")
            ctx.decision("reconciler.pool.create_budget", "create_budget_exhausted", "deferred", t, denied=len(denied))


def session_name_for_new(ctx: BuildContext, a: Agent, bead_id: str, identity: str) -> str:
    alias = a.tmux_alias.strip()
    if alias:
        rendered = alias.replace("{{.Agent}}", sanitize(identity)).replace("{{.Name}}", a.name)
        taken = bool(ctx.store.open_by(B.SESSION_NAME, rendered)) or any(
            b.session_name == rendered for b in ctx.store.sessions.values()) or rendered in {
            sanitize(n.identity) for n in ctx.city.named_sessions}
        return f"{rendered}-{bead_id}" if taken else rendered
    return pool_session_name(a.qualified_name, bead_id)


def create_pool_bead(ctx: BuildContext, a: Agent, identity: str, slot: int, trigger: str,
                     dependency_only: bool = False) -> tuple[SessionBead, list[Why]]:
    """Mint a start-pending pool bead; its alias is set only when free (else deferred)."""
    bid = ctx.store.new_id()
    sn = session_name_for_new(ctx, a, bid, identity)
    holder, rule = alias_holder(ctx.store, identity, bid, "", ctx.named_identities)
    md = {
        B.TEMPLATE: a.qualified_name, B.AGENT_NAME: identity, B.SESSION_NAME: sn,
        B.STATE: "start-pending", B.PENDING_CREATE_CLAIM: "true",
        B.PENDING_CREATE_STARTED_AT: format_time(ctx.now), B.SESSION_ORIGIN: "ephemeral",
        B.POOL_MANAGED: "true", B.GENERATION: "1", B.CONTINUATION_EPOCH: "1",
        B.INSTANCE_TOKEN: instance_token(bid, "1"), B.CANONICAL_INSTANCE_NAME: identity,
    }
    if slot > 0:
        md[B.POOL_SLOT] = str(slot)
        md[B.CANONICAL_POOL_SLOT] = str(slot)
    if dependency_only:
        md[B.DEPENDENCY_ONLY] = "true"
    if trigger:
        md[B.TRIGGER_BEAD_ID] = trigger
    why: list[Why] = []
    if holder is None and not rule:
        md[B.ALIAS] = identity
        why.append(Why("alias.claimed", f"{identity} was free at create"))
    else:
        who = holder.id if holder is not None else "a configured [[named_session]]"
        ctx.log(f"new pool session {bid}: alias {identity} unavailable (held by {who}); deferring alias")
        why.append(Why("alias.deferred", f"{identity} unavailable at create: held by {who} ({rule})"))
    bead = ctx.store.create_session(md, ctx.now, bead_id=bid, title=identity, labels=[f"agent:{identity}"])
    ctx.actions.append(Action("create_bead", bid, sn, "dependency-floor" if dependency_only else "pool-demand",
                              identity, a.qualified_name))
    if not md.get(B.ALIAS):
        ctx.actions.append(Action("defer_alias", bid, sn, "alias-unavailable", identity, a.qualified_name))
    return bead, why


def make_entry(ctx: BuildContext, a: Agent, b: SessionBead, identity: str, slot: int, source: str,
               why: list[Why], *, work_bead: str = "", dependency_only: bool = False) -> DesiredEntry:
    """Phase C: desired alias is the identity unless the bead is in a deferred alias state."""
    alias = identity
    stamped = True
    if b.alias != identity and in_deferred_state(b):
        alias, stamped = "", False
    origin = "manual" if b.is_manual else "ephemeral"
    env = {"GC_TEMPLATE": a.qualified_name, "GC_ALIAS": alias, "GC_AGENT": alias or b.session_name,
           "GC_SESSION_ORIGIN": origin, "GC_SESSION_NAME": b.session_name, "GC_SESSION_ID": b.id}
    return DesiredEntry(session_name=b.session_name, template=a.qualified_name, identity=identity, alias=alias,
                        pool_slot=slot, source=source, bead_id=b.id, manual=b.is_manual,
                        dependency_only=dependency_only, env_identity_stamped=stamped, work_bead_id=work_bead,
                        env=env, why=why)


DEMAND_WHY = {
    "resume": ("demand.resume", "assigned work {w} resumes this session"),
    "wake-known-identity": ("demand.wake_known_identity", "work {w} is assigned to this identity and no session holds it"),
    "new": ("demand.new", "new demand (scale_check / routed work){wt}"),
    "min-fill": ("demand.min_fill", "min_active_sessions floor"),
}


def realize(ctx: BuildContext) -> None:
    res = ctx.result
    used: set[str] = set()
    busy = busy_bead_ids(ctx, res.assigned_work_ids)
    plans: list[Plan] = []
    for qn, reqs in res.requests.items():
        a = ctx.agent(qn)
        assert a is not None
        plans += plan_template(ctx, a, reqs, used, busy)
    grant_budget(ctx, plans)
    for p in plans:
        a, r = p.agent, p.request
        qn = a.qualified_name
        why = [shape_why(ctx, a)]
        rule, text = DEMAND_WHY[r.source]
        if r.inflight:
            rule, text = "demand.inflight", "an in-flight create of this template fills new demand"
        why.append(Why(rule, text.format(w=r.work_bead_id, wt=f"; trigger {r.work_bead_id}" if r.work_bead_id else "")))
        why += p.note or []
        if p.create:
            if not p.granted:
                continue
            identity, slot = request_identity(a, p.slot, ctx.semantics)
            bead, awhy = create_pool_bead(ctx, a, identity, slot, r.work_bead_id)
            why += awhy
        else:
            bead = p.bead
            assert bead is not None
            if is_manual_for(a, bead):
                identity = manual_identity(a, bead)
                entry = make_entry(ctx, a, bead, identity, 0, "manual", why + [Why("shape.manual", "manual session keeps its own identity")])
                entry.alias = bead.alias
                entry.env["GC_ALIAS"] = bead.alias
                res.entries[bead.session_name] = entry
                continue
            if ctx.ucs(a):
                bead, deferred, nwhy = normalize_singleton(ctx, a, bead)
                why += nwhy
            identity, slot = request_identity(a, p.slot, ctx.semantics)
            if r.tier == "new" and r.work_bead_id and not bead.get(B.TRIGGER_BEAD_ID):
                bead = ctx.store.update_session(bead.id, {B.TRIGGER_BEAD_ID: r.work_bead_id})
        entry = make_entry(ctx, a, bead, identity, slot, r.source, why, work_bead=r.work_bead_id)
        if not entry.alias and not any(w.rule == "alias.deferred" for w in entry.why):
            entry.why.append(Why("alias.deferred", f"bead alias is pending ({bead.get(B.POOL_ALIAS_CONFLICT) or 'create'}); sync claims it"))
        elif entry.alias and not any(w.rule.startswith("alias.") for w in entry.why):
            entry.why.append(Why("alias.claimed", f"alias {entry.alias} (the instance identity)"))
        res.entries[bead.session_name] = entry
