"""The tick's demand snapshot (CityRuntime.loadDemandSnapshot): the desired-state build, then the
pool desired counts the reconciler and the awake computation read.

After the build, Gas City computes the pool desired states a second time (the build's own
computation only drives which beads it realizes), over the assigned work the build collected
and the open sessions as they stand after the build, with the build's ScaleCheckCounts. Then:

- retainScaleCheckPartialPoolDesired: for a template whose demand read was partial (a failing,
  non-integer or timed-out scale_check), the count never drops below the number of its open
  pool-managed sessions that are active, awake, or a pool create still holding its claim
  (scaleCheckPartialSessionRetainableInfo). One failed read therefore keeps the sessions it
  already has instead of draining them as `no-wake-reason`.
- mergeNamedSessionDemand: a named session with direct work (NamedSessionDemand) makes its
  backing template's count at least 1.

The result is DesiredStateResult.PoolDesiredCounts; the awake computation reads it as
ScaleCheckCounts (computeAwakeBridge), which is where `scaled:demand` comes from.

The model rebuilds the snapshot every tick: Gas City reuses it across patrol ticks only when an
event provider can invalidate it, which a scenario has no equivalent of.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.config.city_config import City
from core.desired.build import build_desired
from core.desired.context import BuildContext
from core.desired.demand import (
    Demand,
    alias_held_templates,
    compute_requests,
    filter_for_pool_demand,
    identity_index,
)
from core.desired.entries import DesiredResult
from core.tracefile.record import TraceRecord

if TYPE_CHECKING:
    from core.actions import Action
    from core.world.world import World


def load_demand_snapshot(city: City, world: World, semantics: str, actions: list[Action],
                         trace: list[TraceRecord]) -> DesiredResult:
    """Build the desired state (with its store side effects) and set its `pool_desired` to Gas
    City's PoolDesiredCounts. The recomputation records its pool decisions in `trace` too, as
    Gas City's traced second pass does."""
    res = build_desired(city, world, semantics, actions, trace)
    res.pool_desired = pool_desired_counts(city, world, semantics, res, trace)
    return res


def pool_desired_counts(city: City, world: World, semantics: str, res: DesiredResult,
                        trace: list[TraceRecord] | None) -> dict[str, int]:
    """PoolDesiredCounts(ComputePoolDesiredStates) over the current store and the build's assigned
    work and scale counts, then partial-read retention and the named-demand merge."""
    ctx = BuildContext(city, world, semantics, [], trace if trace is not None else [])
    ctx.result.scale_check_counts = dict(res.scale_check_counts)
    demand = Demand()
    demand.by_identity = identity_index(ctx)
    collected = [w for w in (world.store.work_bead(i) for i in res.collected_work_ids) if w is not None]
    demand.assigned = filter_for_pool_demand(ctx, demand.by_identity, collected)
    ctx.result.alias_held = alias_held_templates(ctx)
    compute_requests(ctx, demand)
    counts = dict(ctx.result.pool_requests)
    retain_partial(ctx, counts, res.partial_templates)
    merge_named_demand(ctx, counts, res.named_demand)
    return counts


def retainable(state: str, pool_managed: bool, pending_claim: bool) -> bool:
    """scaleCheckPartialSessionRetainableInfo: active or awake (the raw state metadata), or a pool
    create that still holds its pending-create claim (isPendingPoolCreateInfo)."""
    return state.strip() in ("active", "awake") or (pool_managed and pending_claim)


def retain_partial(ctx: BuildContext, counts: dict[str, int], partial: set[str]) -> dict[str, int]:
    """retainScaleCheckPartialPoolDesired, in place: raise each partial template's count to its
    retainable open pool-managed sessions (a bead's template normalized to the configured name
    first, so a legacy bound template is counted against its agent)."""
    if not partial:
        return counts
    retained: dict[str, int] = {}
    for b in ctx.store.open_sessions():
        template = ctx.normalize_template(b.template.strip())
        managed = b.pool_managed
        if template not in partial or not managed or not retainable(b.state, managed, b.pending_claim):
            continue
        retained[template] = retained.get(template, 0) + 1
    for template, n in retained.items():
        if counts.get(template, 0) < n:
            counts[template] = n
    return counts


def merge_named_demand(ctx: BuildContext, counts: dict[str, int], named_demand: dict[str, bool]) -> dict[str, int]:
    """mergeNamedSessionDemand, in place: a named session with direct work keeps its backing
    template's count at least 1."""
    for identity, ready in sorted(named_demand.items()):
        if not ready:
            continue
        spec = ctx.named_spec(identity)
        if spec is None:
            continue
        template = spec[1].qualified_name
        if counts.get(template, 0) < 1:
            counts[template] = 1
    return counts
