"""Step 6: configured [[named_session]] identities.

Each spec whose backing agent exists and is not suspended (nor in a suspended rig) is desired
when its mode is `always`, when it has a canonical bead, or when work is assigned to the named
identity itself. A live bead squatting its runtime name or alias blocks it for the tick.
"""

from __future__ import annotations

from core.desired.alias import named_target
from core.desired.context import BuildContext
from core.desired.entries import DesiredEntry, Why
from core.desired.reach import work_reachable
from core.formats.goduration import go_quote
from core.world import beads as B
from core.world.beads import SessionBead

CONTINUITY_CLOSED = frozenset({"closing", "closed", "failed-create"})


def continuity_eligible(b: SessionBead) -> bool:
    """NamedSessionContinuityEligible."""
    flag = b.get(B.CONTINUITY_ELIGIBLE).strip()
    if flag == "false":
        return False
    state = b.state.strip()
    if state == "archived":
        return flag == "true"
    return state not in CONTINUITY_CLOSED


def matches_spec(b: SessionBead, identity: str, backing: str) -> bool:
    """NamedSessionBeadMatchesSpec: the named bead of this identity, or a bead whose template or
    agent_name is the backing template."""
    if b.is_named and b.get(B.CONFIGURED_NAMED_IDENTITY).strip() == identity:
        return True
    return named_target(b.template) == backing or named_target(b.agent_name) == backing


def canonical_named_bead(ctx: BuildContext, identity: str, runtime_name: str, backing: str) -> SessionBead | None:
    """FindCanonicalNamedSessionInfo: the continuity-eligible configured-named bead of this
    identity, else a bead matching the spec whose session_name is the runtime name or identity."""
    for b in ctx.store.open_by(B.CONFIGURED_NAMED_IDENTITY, identity):
        if continuity_eligible(b) and b.is_named:
            return b
    cands: dict[str, SessionBead] = {}
    for name in (runtime_name, identity):
        for b in ctx.store.open_by(B.SESSION_NAME, name):
            cands[b.id] = b
    for b in sorted(cands.values(), key=lambda x: (x.created_at, x.id)):
        if continuity_eligible(b) and matches_spec(b, identity, backing):
            return b
    return None


def named_conflict(ctx: BuildContext, identity: str, runtime_name: str, backing: str) -> SessionBead | None:
    """FindNamedSessionConflictInfo: a live bead (not this identity's named bead) that holds the
    runtime name without matching the spec, or that holds the identity as its alias."""
    cands = {b.id: b for b in ctx.store.open_by(B.SESSION_NAME, runtime_name) + ctx.store.open_by(B.ALIAS, identity)}
    for b in sorted(cands.values(), key=lambda x: (x.created_at, x.id)):
        if b.is_named and b.get(B.CONFIGURED_NAMED_IDENTITY).strip() == identity:
            continue
        if b.session_name.strip() == runtime_name:
            if not matches_spec(b, identity, backing):
                return b
            continue
        if b.alias.strip() == identity:
            return b
    return None


def named_work_ready(ctx: BuildContext, identity: str, ready_assigned: set[str]) -> bool:
    """Direct named demand: in_progress work, or open work that passed the ready gate, whose
    assignee is exactly the identity (gc.routed_to never counts)."""
    spec = ctx.named_spec(identity)
    for w in (x for x in ctx.store.work_assigned_to(identity) if ctx.work_visible(x)):
        if spec is not None and not work_reachable(ctx, spec[1], w):
            continue
        if w.status == "in_progress" or (w.status == "open" and w.id in ready_assigned):
            return True
    return False


def pool_took_canonical(ctx: BuildContext, identity: str, canonical: SessionBead | None, key: str) -> bool:
    """Before #1989 only: the pool resume pass already realized this named session's canonical
    bead as a numbered pool instance (`name-1`), and that entry stands, so sync stamps the slot
    identity onto the bead (#1439). Today's controller never lets a pool request reach a named
    bead, so this never applies under other semantics."""
    if ctx.semantics != "pre-1989" or canonical is None:
        return False
    taken = ctx.result.entries.get(key)
    return taken is not None and not taken.named_identity and taken.bead_id == canonical.id


def build_named(ctx: BuildContext, ready_assigned: set[str]) -> None:
    """Materialize the desired [[named_session]] entries and record NamedSessionDemand / NamedSessionRoutedDemand."""
    res = ctx.result
    specs = []
    for n in ctx.city.named_sessions:
        spec = ctx.named_spec(n.identity)
        if spec is None:
            continue
        _, a = spec
        if a.suspended or ctx.in_suspended_rig(a):
            continue
        specs.append((n, a))
    for n, a in specs:
        identity = n.identity
        res.named_demand[identity] = ctx.store_backed and named_work_ready(ctx, identity, ready_assigned)
        res.named_routed_demand[identity] = ctx.uses_canonical_singleton(a) and res.scale_check_counts.get(a.qualified_name, 0) > 0
    for n, a in specs:
        identity = n.identity
        backing = a.qualified_name
        runtime = ctx.named_runtime_name(identity)
        work = res.named_demand[identity]
        canonical = canonical_named_bead(ctx, identity, runtime, backing) if ctx.store_backed else None
        mode = n.effective_mode
        if canonical is None:
            other = named_conflict(ctx, identity, runtime, backing) if ctx.store_backed else None
            if other is not None:
                continue
            if mode != "always" and not work:
                continue
        if ctx.refuse_transport(a, f"named session {go_quote(identity)}"):
            continue
        key = canonical.session_name.strip() if canonical is not None and canonical.session_name.strip() else runtime
        if pool_took_canonical(ctx, identity, canonical, key):
            continue
        why = [Why("shape.named", f"[[named_session]] {identity} (mode {mode}) on template {backing}")]
        if mode == "always":
            why.append(Why("demand.named_always", "mode = \"always\": kept materialized every tick"))
        elif work:
            why.append(Why("demand.named_on_demand", f"work is assigned directly to {identity}"))
        else:
            why.append(Why("demand.named_on_demand", "on_demand named session with an existing canonical bead stays desired"))
        why.append(Why("alias.claimed", f"named identity {identity} is reserved for this session"))
        env = {"GC_TEMPLATE": backing, "GC_ALIAS": identity, "GC_AGENT": identity, "GC_SESSION_ORIGIN": "named",
               "GC_SESSION_NAME": key, "GC_SESSION_ID": canonical.id if canonical is not None else identity}
        res.entries[key] = DesiredEntry(
            session_name=key, template=backing, identity=identity, alias=identity, pool_slot=0,
            source="named-always" if mode == "always" else "named-on-demand",
            bead_id=canonical.id if canonical is not None else "", named_identity=identity, named_mode=mode,
            env=env, why=why)
