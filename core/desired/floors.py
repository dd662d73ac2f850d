"""Step 8: dependency floors (realizeDependencyFloors). Every template that an existing session
bead belongs to is a root; each agent it depends on (transitively) that nothing else desires
gets one dependency-only session, exempt from the create budget. No root bead, no floor.

A floor reuses only beads that carry `dependency_only = true`, which sync writes, never the
create. So when a refresh pass (refreshDesiredState, run twice per tick) floors a template whose
bead the build created moments earlier in the same tick, it cannot see that bead and mints a
second one, as Gas City does. The model records each such duplicate on the result
(`duplicate_floors`), in the new entry's why chain (`demand.duplicate_floor`), in the log and
as a warning of the tick.
"""

from __future__ import annotations

from core.config.city_config import Agent
from core.desired.context import BuildContext
from core.desired.discovery import canonical_identity
from core.desired.entries import DesiredEntry, Why
from core.desired.realize import (
    base_env,
    bead_stale_suffixed,
    create_pool_bead,
    identifies_canonical,
    normalize_singleton,
    shape_why,
)
from core.formats.goduration import go_quote
from core.identity import generic_ephemeral, qualified_instance, request_identity
from core.world.beads import SessionBead


def _reusable_dep(ctx: BuildContext, b: SessionBead, qn: str) -> bool:
    """reusableDependencyPoolSessionInfo: an open dependency-only bead of the template that is not
    manual, named, drained or failed-create and has a session name."""
    return (b.open and not b.is_manual and not b.drained and not b.failed_create and not b.is_named
            and b.dependency_only and ctx.template_of(b) == qn and bool(b.session_name.strip()))


def select_or_create(ctx: BuildContext, a: Agent) -> tuple[SessionBead | None, list[Why]]:
    """selectOrCreateDependencyPoolSessionBead: a canonical singleton's canonical dependency bead,
    else the earliest reusable dependency bead (normalized), else a fresh bead at slot 1."""
    qn = a.qualified_name
    cands = [b for b in ctx.open_for_template(qn) if _reusable_dep(ctx, b, qn)]
    if ctx.uses_canonical_singleton(a):
        for b in cands:
            if not bead_stale_suffixed(ctx, a, b) and identifies_canonical(b, qn):
                nb, why = normalize_singleton(ctx, a, b)
                return nb, [Why("slot.canonical", "reused the canonical dependency bead")] + why
    for b in cands:
        nb, why = normalize_singleton(ctx, a, b)
        return nb, [Why("slot.reused", "reused the earliest dependency-only bead")] + why
    identity, slot = request_identity(a, 1, ctx.semantics)
    bead, why, err = create_pool_bead(ctx, a, identity, slot, "", dependency_only=True)
    if bead is None:  # the create failed: err says why
        ctx.log(f"buildDesiredState: dependency floor {go_quote(qn)}: {err} (skipping)")
        return None, []
    why = [Why("slot.canonical" if slot == 0 else "slot.lowest_free", f"fresh floor bead as {identity}")] + why
    return bead, _note_duplicate(ctx, qn, bead) + why


def _lingering_duplicate(ctx: BuildContext, a: Agent, bead: SessionBead) -> list[Why]:
    """A reused floor bead whose earlier duplicate is still open: a pool bead of the same template,
    created before it as the floor's identity (the slot-1 or canonical one), that never got
    dependency_only and still holds its create claim (it keeps the alias and a slot until its
    lease lapses and the sweep closes it)."""
    qn = a.qualified_name
    floor_identity = request_identity(a, 1, ctx.semantics)[0]
    twins = sorted(b.id for b in ctx.open_for_template(qn)
                   if b.id != bead.id and not b.dependency_only and b.pending_claim and b.pool_managed
                   and not b.is_manual and not b.is_named
                   and b.agent_name == floor_identity and b.created_at <= bead.created_at)
    if not twins:
        return []
    return [Why("demand.duplicate_floor",
                f"{', '.join(twins)}, an earlier floor bead for {qn} that never got dependency_only, is still open "
                "with its create claim: a refresh pass could not reuse it and minted this one (Gas City "
                "refreshDesiredState); it keeps its alias until its lease lapses and the sweep closes it")]


def _note_duplicate(ctx: BuildContext, qn: str, bead: SessionBead) -> list[Why]:
    """Remember a fresh floor bead; when an earlier floor bead of the same template from this
    tick is still open, record the duplicate (the controller hazard) and explain it."""
    res = ctx.result
    earlier = tuple(bid for bid in res.floor_created.get(qn, [])
                    if (b := ctx.store.session(bid)) is not None and b.open and bid != bead.id)
    res.floor_created.setdefault(qn, []).append(bead.id)
    if not earlier:
        return []
    res.duplicate_floors.append((qn, bead.id, earlier))
    return [Why("demand.duplicate_floor",
                f"a second floor bead for {qn}: {', '.join(earlier)} was created for this floor earlier in the "
                "same tick, but floors only reuse beads marked dependency_only and sync writes that mark after "
                "the refresh pass (Gas City refreshDesiredState)")]


def realize_floors(ctx: BuildContext) -> None:
    """Give every dependency (transitively) of every root template its floor, depth first: a
    dependency's own dependencies are floored before its next sibling. An explicit stack, not
    recursion: a long dependency chain must not exhaust Python's recursion limit."""
    visited: set[str] = set()
    for root in sorted(ctx.result.roots):
        a = ctx.find_agent_by_template(root) if root and root not in visited else None
        visited.add(root)
        if a is None:
            continue
        stack: list[tuple[Agent, int]] = [(a, 0)]  # (agent, index of its next dependency)
        while stack:
            a, j = stack[-1]
            if j >= len(a.depends_on):
                stack.pop()
                continue
            stack[-1] = (a, j + 1)
            dep = a.depends_on[j]
            d = ctx.find_agent_by_template(dep)
            if d is None or d.suspended or ctx.in_suspended_rig(d):
                continue
            ensure_floor(ctx, d, a.qualified_name)
            if dep and dep not in visited:
                visited.add(dep)
                stack.append((d, 0))


def ensure_floor(ctx: BuildContext, a: Agent, dependent: str) -> None:
    """ensureDependencyOnlyTemplate: one dependency-only entry for a template nothing desires.
    Its Alias is empty and InstanceName is the session name; GC_ALIAS carries the canonical
    identity (the slot-1 instance while the bead has no slot stamped)."""
    res = ctx.result
    qn = a.qualified_name
    if not generic_ephemeral(a) or res.entries.of_template(qn):
        return
    if ctx.refuse_transport(a, f"dependency floor {go_quote(qn)}"):
        return
    why = [shape_why(ctx, a), Why("demand.dependency_floor", f"{dependent} depends_on {qn}; nothing else desires it")]
    # Gas City's no-store branch (bp.beadStore == nil) needs session beads to find roots; the
    # model's no-store build reads none, so it never realizes floors (build_desired returns
    # before the overlay) and that branch has no counterpart here.
    bead, bwhy = select_or_create(ctx, a)
    if bead is None:
        return
    if not any(w.rule == "demand.duplicate_floor" for w in bwhy):
        bwhy = _lingering_duplicate(ctx, a, bead) + bwhy
    identity = canonical_identity(ctx, a, bead)
    if ctx.supports_instance_expansion(a) and not ctx.uses_canonical_singleton(a) and identity == qn and not bead.is_named:
        identity = qualified_instance(a, 1)
    env = base_env(qn, bead, identity)
    bwhy = bwhy + [Why("alias.none", f"a dependency floor asks for no alias; it runs as {identity}")]
    res.entries[bead.session_name] = DesiredEntry(
        session_name=bead.session_name, template=qn, identity=bead.session_name, alias="", pool_slot=0,
        source="dependency-floor", bead_id=bead.id, dependency_only=True, env_identity_stamped=False, env=env,
        why=why + bwhy)
