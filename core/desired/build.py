"""The desired-state build, in Gas City's order. It has store side effects (creates,
normalizes and defers pool beads), exactly as buildDesiredStateWithSessionBeads does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.actions import Action
from core.config.city_config import City
from core.desired.context import BuildContext
from core.desired.demand import (
    Demand,
    alias_held_templates,
    collect_assigned_work,
    compute_counts,
    compute_requests,
    identity_index,
    ready_unassigned_by_template,
)
from core.desired.discovery import discover
from core.desired.entries import DesiredEntry, DesiredResult, Why
from core.desired.floors import realize_floors
from core.desired.named import build_named
from core.desired.realize import realize, shape_why
from core.desired.rehome import rehome_assigned_work, rehome_unassigned_routed_work
from core.desired.stamp import stamp_run_session_identity
from core.identity import generic_ephemeral, request_identity, session_name_for
from core.tracefile.record import TraceRecord
from core.world.suspension import city_suspended

if TYPE_CHECKING:
    from core.world.world import World


def build_desired(city: City, world: World, semantics: str = "current", actions: list[Action] | None = None,
                  trace: list[TraceRecord] | None = None, store_backed: bool = True) -> DesiredResult:
    """Compute this tick's desired sessions. Every entry carries its source tier and why chain;
    `actions` receives the store side effects (create_bead, normalize, defer_alias).

    `store_backed=False` is Gas City's legacy no-store mode: scale_check results are clamped to
    [min, max] and used as desired counts, identities come from slots 1..count, and no bead is
    read or written."""
    ctx = BuildContext(city, world, semantics, actions if actions is not None else [], trace, store_backed)
    res = ctx.result
    if city_suspended(city, world.suspension):
        res.suspended = True
        return res
    if not store_backed:
        build_without_store(ctx)
        build_named(ctx, set())
        res.base_keys = tuple(sorted(res.entries))
        return res
    demand = Demand()
    ctx.sub_phase("demand_snapshot.collect_open_session_beads", beads=len(ctx.store.open_sessions()), partial=False)
    demand.by_identity = identity_index(ctx)
    collect_assigned_work(ctx, demand)
    ctx.assigned_work = demand.assigned
    res.assigned_work_ids = [w.id for w in demand.assigned]
    res.collected_work_ids = [w.id for w in demand.collected]
    ctx.sub_phase("demand_snapshot.collect_assigned_work", beads=len(demand.collected),
                  partial=res.store_query_partial)
    stamp_run_session_identity(ctx, demand.collected)
    rehome_assigned_work(ctx, demand.collected)
    rehome_unassigned_routed_work(ctx)
    ctx.sub_phase("demand_snapshot.collect_unassigned_routed",
                  beads=sum(1 for w in ctx.store.open_work()
                            if w.status == "open" and w.routed_to.strip() and not w.assignee.strip()
                            and ctx.work_visible(w)))
    ctx.sub_phase("demand_snapshot.evaluate_pending_pools",
                  pools=sum(1 for a in city.agents if a.has_scale_check and generic_ephemeral(a)
                            and ctx.agent_active(a)))
    compute_counts(ctx, demand)
    res.alias_held = alias_held_templates(ctx)
    compute_requests(ctx, demand)
    realize(ctx)
    build_named(ctx, demand.ready_assigned)
    res.base_keys = tuple(sorted(res.entries))
    apply_overlay(ctx)
    return res


def apply_overlay(ctx: BuildContext) -> None:
    """applySessionBeadDesiredOverlay: rediscover open beads of configured templates, then give
    every dependency of their templates its floor. The build runs it once; each
    refreshDesiredState pass runs it again over the base entries."""
    discover(ctx)
    realize_floors(ctx)


def build_without_store(ctx: BuildContext) -> None:
    """The no-store pool pass: desired count = scale_check (or the routed-work probe) clamped to
    [min, max] (an error counts min); one entry per slot 1..count under the legacy runtime name."""
    res = ctx.result
    ready = ready_unassigned_by_template(ctx)
    for a in ctx.city.agents:
        if a.suspended or not generic_ephemeral(a) or ctx.in_suspended_rig(a):
            continue
        qn = a.qualified_name
        if a.has_scale_check:
            raw = ctx.world.scale_check(qn)
            try:
                count = int(str(raw).strip()) if not isinstance(raw, bool) else -1
            except ValueError:
                count = -1
            if count < 0:
                res.partial_templates.add(qn)
                res.partial_reasons[qn] = f"scale_check result {raw!r} is not a non-negative integer"
                count = a.min_count
        else:
            count = len(ready.get(qn, []))
        count = max(count, a.min_count)
        if a.max_active_sessions is not None and a.max_active_sessions >= 0:
            count = min(count, a.max_active_sessions)
        res.scale_check_counts[qn] = count
        for slot in range(1, count + 1):
            identity, pool_slot = request_identity(a, slot, ctx.semantics)
            sn = session_name_for(ctx.city, identity)
            why = [shape_why(ctx, a),
                   Why("demand.new", f"no bead store: scale_check clamped to [min, max] gives {count}; slot {slot}"),
                   Why("slot.canonical" if pool_slot == 0 else "slot.lowest_free",
                       "canonical singletons never take a slot" if pool_slot == 0 else f"slot {slot} of {count}"),
                   Why("alias.claimed", f"{identity} (no store: identities are not reserved)")]
            res.entries[sn] = DesiredEntry(
                session_name=sn, template=qn, identity=identity, alias=identity, pool_slot=pool_slot, source="new",
                env={"GC_TEMPLATE": qn, "GC_ALIAS": identity, "GC_AGENT": identity, "GC_SESSION_ORIGIN": "ephemeral",
                     "GC_SESSION_NAME": sn, "GC_SESSION_ID": identity},
                why=why)
        if count:
            res.pool_requests[qn] = res.pool_desired[qn] = count
