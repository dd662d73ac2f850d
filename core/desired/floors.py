"""Step 8: dependency floors. A template that an existing session depends on gets one
dependency-only session when nothing else desires it (exempt from the create budget)."""

from __future__ import annotations

from core.config.model import Agent
from core.desired.context import BuildContext
from core.desired.model import DesiredEntry, Why
from core.desired.realize import bead_stale_suffixed, create_pool_bead, identifies_canonical, normalize_singleton, shape_why
from core.identity import generic_ephemeral, request_identity
from core.world import beads as B
from core.world.beads import SessionBead, natural_key


def _reusable_dep(ctx: BuildContext, b: SessionBead, qn: str) -> bool:
    return (not b.drained and not b.failed_create and not b.is_manual and not b.is_named
            and bool(b.session_name) and ctx.template_of(b) == qn)


def select_or_create(ctx: BuildContext, a: Agent) -> tuple[SessionBead, list[Why]]:
    qn = a.qualified_name
    beads = sorted(ctx.store.open_by(B.TEMPLATE, qn), key=lambda b: (b.created_at, natural_key(b.id)))
    if ctx.ucs(a):
        for b in beads:
            if _reusable_dep(ctx, b, qn) and identifies_canonical(b, qn) and not bead_stale_suffixed(a, b):
                nb, _, why = normalize_singleton(ctx, a, b)
                return nb, [Why("slot.canonical", "reused the canonical dependency bead")] + why
    for b in beads:
        if _reusable_dep(ctx, b, qn) and b.dependency_only:
            if ctx.ucs(a):
                nb, _, why = normalize_singleton(ctx, a, b)
                return nb, [Why("slot.canonical", "reused the earliest dependency-only bead")] + why
            return b, [Why("slot.claimed_existing", "reused the earliest dependency-only bead")]
    identity, slot = request_identity(a, 1, ctx.semantics)
    bead, why = create_pool_bead(ctx, a, identity, slot, "", dependency_only=True)
    return bead, [Why("slot.canonical" if slot == 0 else "slot.lowest_free", f"fresh floor bead as {identity}")] + why


def realize_floors(ctx: BuildContext) -> None:
    res = ctx.result
    visited: set[str] = set()

    def visit(template: str, root: str) -> None:
        if template in visited:
            return
        visited.add(template)
        a = ctx.agent(template)
        if a is None:
            return
        for dep in a.depends_on:
            d = ctx.agent(dep) or ctx.city.find_agent(dep)
            if d is None or not ctx.agent_active(d):
                continue
            ensure_floor(ctx, d, template)
            visit(d.qualified_name, root)

    for t in sorted(res.roots):
        visit(t, t)


def ensure_floor(ctx: BuildContext, a: Agent, dependent: str) -> None:
    res = ctx.result
    qn = a.qualified_name
    if not generic_ephemeral(a) or any(e.template == qn for e in res.entries.values()):
        return
    bead, why = select_or_create(ctx, a)
    identity = bead.agent_name or request_identity(a, 1, ctx.semantics)[0]
    env = {"GC_TEMPLATE": qn, "GC_ALIAS": "", "GC_AGENT": identity, "GC_SESSION_ORIGIN": "ephemeral",
           "GC_SESSION_NAME": bead.session_name, "GC_SESSION_ID": bead.id}
    res.entries[bead.session_name] = DesiredEntry(
        session_name=bead.session_name, template=qn, identity=bead.session_name, alias="", pool_slot=0,
        source="dependency-floor", bead_id=bead.id, dependency_only=True, env=env,
        why=[shape_why(ctx, a), Why("demand.dependency_floor", f"{dependent} depends_on {qn}; nothing else desires it")] + why)
