"""The tick orchestrator: phases in Gas City's order (CityRuntime.tick and
beadReconcileTick), nothing else.

hygiene -> drain-ack finalize -> demand snapshot (desired build, then PoolDesiredCounts with
partial-read retention) -> refresh desired state (before sync) -> sync -> refresh desired state
(after sync) -> bead reconcile (pool sweep, expired timers, circuit breakers, forward pass in
depends_on order, awake set, wake/sleep decisions, start waves, drain advance) -> the queued
async stops complete. docs/reconcile.md names the Go function each phase follows."""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING

from core.desired.build import build_desired
from core.desired.refresh import refresh_desired
from core.outcome import Outcome
from core.reconcile import records
from core.reconcile.breakers import observe_circuits
from core.reconcile.chat import auto_suspend_chat_sessions
from core.reconcile.context import TickContext
from core.reconcile.demand_snapshot import load_demand_snapshot, pool_desired_counts
from core.reconcile.drain_ack import finalize_stop_pending_sessions, run_async_stops
from core.reconcile.drains import advance_drains
from core.reconcile.forward import forward_pass, topo_order
from core.reconcile.hygiene import run_hygiene
from core.reconcile.orphans import release_orphaned_pool_work
from core.reconcile.route_recovery import recover_unrouted_work_routes
from core.reconcile.starts import complete_async_starts, execute_starts
from core.reconcile.sweep import sweep_undesired_pool
from core.reconcile.sync import run_sync
from core.reconcile.undesired import configured_names
from core.reconcile.waits import prepare_wait_wake_state
from core.reconcile.wake_apply import apply_wake_decisions, mature_idle_probes
from core.trackers import exits as X
from core.trackers.circuit import circuit_config
from core.trackers.defer import build_defer_keys
from core.trackers.idle import build_idle_keys
from core.trackers.max_age import build_max_age_keys

if TYPE_CHECKING:
    from core.config.city_config import City
    from core.world.world import World


def run_build(city: City, world: World, semantics: str) -> Outcome:
    """Only the desired-state build (with its store side effects). Its `pool_desired` is what the
    demand snapshot would derive from it (retention and named merge), computed untraced."""
    out = Outcome()
    world.store.journal.clear()
    out.desired = build_desired(city, world, semantics, out.actions, out.trace)
    out.desired.pool_desired = pool_desired_counts(city, world, semantics, out.desired, None)
    out.logs += out.desired.logs
    report_failed_writes(world.store, out)
    records.mutations(TickContext(city, world, semantics, out))
    return out


def run_sync_only(city: City, world: World, semantics: str, close: bool = False) -> Outcome:
    """The tick's phases up to and including session bead sync (demand snapshot, refresh, sync,
    refresh), without runtime hygiene, drain-ack finalization or the bead reconcile: what Gas
    City's syncSessionBeads tests observe, since a full tick's reconcile would act on the synced
    beads before anyone looked."""
    out = Outcome()
    world.store.journal.clear()
    ctx = TickContext(city, world, semantics, out)
    built = load_demand_snapshot(city, world, semantics, out.actions, out.trace)
    out.logs += built.logs
    ctx.desired = _refresh(ctx, built, "refresh_desired_state.before_sync")
    run_sync(ctx, close)
    ctx.desired = _refresh(ctx, ctx.desired, "refresh_desired_state.after_sync")
    out.desired = ctx.desired
    report_failed_writes(world.store, out)
    records.mutations(ctx)
    records.finish(ctx)
    return out


def run_hygiene_only(city: City, world: World, semantics: str) -> Outcome:
    """Only the tick's first phase, runtime and bead hygiene (dead corpses, runtimes bound to
    closed beads, stale creating beads): what Gas City's tests of those functions observe, since
    the rest of a tick would act on the beads they leave."""
    out = Outcome()
    world.store.journal.clear()
    ctx = TickContext(city, world, semantics, out)
    run_hygiene(ctx)
    report_failed_writes(world.store, out)
    records.mutations(ctx)
    records.finish(ctx)
    return out


def run_async_commits(city: City, world: World, semantics: str, seconds: float) -> Outcome:
    """Move the clock forward by `seconds`, committing each slow start whose provider Start
    returns on the way at the instant it returns (commitAsyncStartResultWithContext runs in the
    start's goroutine, between ticks). The clock ends `seconds` later."""
    from core.formats.goparse import add_seconds

    out = Outcome()
    until = add_seconds(world.now, seconds)
    for ready in sorted({p.ready_at for p in world.runtime.pending_starts.values() if p.ready_at <= until}):
        if ready > world.now:
            world.advance((ready - world.now).total_seconds())
        ctx = TickContext(city, world, semantics, out)
        complete_async_starts(ctx)
    if until > world.now:
        world.advance((until - world.now).total_seconds())
    report_failed_writes(world.store, out)
    return out


def run_tick(city: City, world: World, semantics: str, trigger: str = "patrol") -> Outcome:
    """One regular controller tick."""
    world.tick += 1
    out = Outcome(ticks=1)
    lap = _Laps(out.timings)
    ctx = TickContext(city, world, semantics, out)
    records.cycle_start(ctx, trigger)
    completed = complete_async_starts(ctx)
    if completed:
        ctx.operation("reconcile_execution_completions", completed=completed)
    recover_unrouted_work_routes(ctx)
    ctx.operation("recover_unrouted_work_routes")
    running = world.runtime.running_names()
    ctx.idle_keys = build_idle_keys(city, semantics, running)
    ctx.max_age_keys = build_max_age_keys(city, semantics, running)
    ctx.defer_keys = build_defer_keys(city, semantics, running)
    reaped = run_hygiene(ctx)
    ctx.operation("tick.runtime_hygiene", reaped=reaped)
    finalized = finalize_stop_pending_sessions(ctx)
    ctx.operation("tick.finalize_drain_ack_stops", finalized=finalized)
    lap("prepare")
    built = load_demand_snapshot(city, world, semantics, out.actions, out.trace)
    out.logs += built.logs
    ctx.operation("load_demand_snapshot", site="demand_snapshot.load", trigger=trigger)
    _reload_snapshot(ctx, "load_session_snapshot.after_demand")
    ctx.desired = _refresh(ctx, built, "refresh_desired_state.before_sync")
    lap("build")
    run_sync(ctx)
    ctx.operation("sync_beads_and_update_index", site="session_sync.update_index")
    _reload_snapshot(ctx, "load_session_snapshot.after_sync")
    ctx.desired = _refresh(ctx, ctx.desired, "refresh_desired_state.after_sync")
    out.desired = ctx.desired
    lap("sync")
    bead_reconcile(ctx)
    run_async_stops(ctx)
    if auto_suspend_chat_sessions(ctx):
        ctx.operation("auto_suspend_chat_sessions")
    lap("reconcile")
    report_failed_writes(ctx.world.store, out)
    world.store.end_tick_faults()
    records.mutations(ctx)
    records.cycle_result(ctx, trigger)
    records.finish(ctx)
    lap("trace")
    return out


def report_failed_writes(store, out: Outcome) -> None:
    """The session bead writes the store refused this step (injected faults), as log lines (Gas
    City logs each failed write where it happens and goes on without it), and their beads."""
    out.logs += [f"session store: {line}" for line in store.failed_writes]
    out.faulted_beads |= store.faulted_beads
    store.failed_writes.clear()
    store.faulted_beads.clear()


def _reload_snapshot(ctx: TickContext, phase: str) -> None:
    """loadSessionBeadSnapshot: the model's store is always current, so reloading is only the
    phase record (with the open session count the snapshot would hold)."""
    ctx.operation(phase, site="session_snapshot.load", open_session_count=len(ctx.open_beads()))


def _refresh(ctx: TickContext, built, phase: str):
    """One refreshDesiredState pass; a dependency floor it mints beside an earlier one of this
    tick becomes a warning of the tick (the operator's view of the controller hazard)."""
    before = len(built.duplicate_floors)
    res = refresh_desired(ctx.city, ctx.world, ctx.semantics, built, ctx.out.actions, ctx.out.trace)
    ctx.out.logs += res.logs
    for template, bead, earlier in res.duplicate_floors[before:]:
        ctx.out.warnings.append(
            f"duplicate dependency floor: {phase} created {bead} for {template} beside {', '.join(earlier)} "
            "(created earlier this tick, not yet marked dependency_only), as Gas City's refresh pass does")
    ctx.operation(phase, site="desired_state.build", desired_session_count=len(res.entries))
    return res


class _Laps:
    """Adds the seconds since the previous lap to `timings[phase]` (the phase timing hook)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = perf_counter()

    def __call__(self, phase: str) -> None:
        now = perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def bead_reconcile(ctx: TickContext) -> None:
    """beadReconcileTick + reconcileSessionBeads."""
    counts = dict(ctx.desired.pool_desired) if ctx.desired is not None else {}
    records.cycle_input_snapshot(ctx, counts)
    released = release_orphaned_pool_work(ctx, partial=ctx.store_partial)
    ctx.operation("bead_reconcile.release_orphaned_pool_assignments", released_count=len(released))
    swept = sweep_undesired_pool(ctx)
    ctx.operation("bead_reconcile.sweep_undesired_pool_sessions", swept=swept)
    names = configured_names(ctx)
    ready_wait = prepare_wait_wake_state(ctx)
    ctx.operation("bead_reconcile.prepare_wait_wake_state", configured_name_count=len(names),
                  ready_wait_count=len(ready_wait))
    # reconcileSessionBeads' phases, each with its operation record (recordPhase)
    ctx.operation("session_reconcile.build_deps", site="session_reconcile.build_deps",
                  dependency_template_count=sum(1 for a in ctx.city.agents if a.depends_on))
    for b in ctx.open_beads():
        patch = X.clear_expired_timers_patch(b, ctx.now)
        if patch:
            ctx.patch(b.id, patch)
    ctx.operation("session_reconcile.heal_and_retire_duplicates", site="session_reconcile.heal_retire",
                  session_count=len(ctx.open_beads()))
    ordered = [b.id for b in topo_order(ctx, ctx.open_beads())]
    ctx.operation("session_reconcile.topo_order", site="session_reconcile.topo_order",
                  ordered_session_count=len(ordered))
    records.session_baselines(ctx)
    records.template_summaries(ctx, counts)
    observe_circuits(ctx, ordered)
    ctx.operation("session_reconcile.circuit_breaker_restore", site="session_reconcile.circuit_breaker",
                  enabled=circuit_config(ctx.city) is not None, session_count=len(ordered))
    mature_idle_probes(ctx)
    targets = forward_pass(ctx, ordered, names)
    ctx.operation("session_reconcile.forward_pass", site="session_reconcile.forward_pass",
                  ordered_session_count=len(ordered), wake_target_count=len(targets), rollback_count=ctx.rollbacks)
    cands, evals = apply_wake_decisions(ctx, ordered, targets, ready_wait)
    ctx.operation("session_reconcile.apply_wake_sleep_decisions", site="session_reconcile.wake_sleep",
                  wake_target_count=len(targets), start_candidate_count=len(cands))
    woke = execute_starts(ctx, cands)
    ctx.operation("session_reconcile.execute_planned_starts", site="session_reconcile.start_execution",
                  start_candidate_count=len(cands), planned_wake_count=woke)
    advance_drains(ctx, evals)
    for bid in sorted(ctx.mem.idle_probes.keys()):
        probed = ctx.store.session(bid)
        if probed is None or not probed.open:
            ctx.mem = ctx.mem.drop("idle_probes", bid)
    ctx.operation("session_reconcile.advance_drains", site="session_reconcile.drain_advance")
    records.session_results(ctx, ordered)
