"""The per-tick trace records that frame the decisions (Gas City's baseline records):
cycle_start, session_baseline, template_tick_summary, cycle_input_snapshot, mutation (from
the store journal), session_result and cycle_result. Records are `TickRecord`s with the
spec's field names; writing them to disk is someone else's job."""

from __future__ import annotations

from collections import Counter

from core.reconcile.context import TickContext
from core.world import beads as B


def cycle_start(ctx: TickContext, trigger: str) -> None:
    """Record the cycle_start trace record for this tick's trigger."""
    rec = ctx.record("cycle_start", "cycle.start")
    rec.tick_trigger = trigger
    rec.trigger_detail = "initial_reconcile" if ctx.boot else "controller_tick"
    rec.trace_mode, rec.trace_source = "baseline", "always_on"


def session_baselines(ctx: TickContext) -> None:
    """Record a session_baseline trace record for every open bead."""
    for b in ctx.open_beads():
        rec = ctx.record("session_baseline", "", "", "", ctx.template_of(b), b.session_name,
                         state=b.state, sleep_reason=b.get(B.SLEEP_REASON), session_bead_id=b.id)
        rec.trace_mode = "baseline"


def template_summaries(ctx: TickContext, pool_desired: dict[str, int]) -> None:
    """recordReconcileTraceInputs: a template_tick_summary for every template with an open bead,
    a desired entry, a pool-desired count or requested work, in name order: eligible unless it
    has none of the first three. `work_requested` is traceWorkRequestedByTemplate: the work set
    found work, the build counted demand, or a named session of the template has named demand."""
    desired = ctx.desired
    open_by: Counter = Counter(t for t in (ctx.template_of(b) for b in ctx.open_beads()) if t)
    desired_by: Counter = Counter(e.template for e in desired.entries.values() if e.template) if desired else Counter()
    requested: set[str] = {t for t, found in ctx.world.work_query.items() if found}
    if desired is not None:
        requested |= {t for t, n in desired.scale_check_counts.items() if n > 0}
        for identity, wanted in desired.named_demand.items():
            n = ctx.city.named_by_identity(identity) if wanted else None
            if n is not None and n.template_qualified:
                requested.add(n.template_qualified)
    templates = set(open_by) | set(desired_by) | set(pool_desired) | requested
    for qn in sorted(templates):
        dc, oc, pd = desired_by.get(qn, 0), open_by.get(qn, 0), pool_desired.get(qn, 0)
        status, reason = ("eligible", "retained") if (dc or oc or pd) else ("skipped", "no_demand")
        rec = ctx.record("template_tick_summary", "", reason, "", qn, "", desired_count=dc, open_count=oc,
                         pool_desired=pd, work_requested=qn in requested)
        rec.evaluation_status = status


def cycle_input_snapshot(ctx: TickContext, pool_desired: dict[str, int]) -> None:
    """Record the desired-state counts the tick starts from; nothing without a desired state."""
    d = ctx.desired
    if d is None:
        return
    ctx.record("cycle_input_snapshot", "desired_state.build", "retained", "applied", "", "",
               desired_count=len(d.entries), open_count=len(ctx.open_beads()),
               scale_check_counts=dict(sorted(d.scale_check_counts.items())), pool_desired=dict(sorted(pool_desired.items())),
               assigned_work_count=len(d.assigned_work_ids), partial_templates=sorted(d.partial_templates))


def mutations(ctx: TickContext) -> None:
    """One mutation record per store write this tick."""
    for w in ctx.store.journal:
        b = ctx.store.session(w.target_id) if w.target_kind == "session" else None
        rec = ctx.record("mutation", "bead_metadata", "unknown", "success", ctx.template_of(b) if b else "",
                         b.session_name if b else "",
                         diffs={k: {"before": v[0], "after": v[1]} for k, v in sorted(w.fields.items())})
        rec.target_kind, rec.target_id, rec.write_method = w.target_kind, w.target_id, w.method


def session_results(ctx: TickContext, evaluated: list[str]) -> None:
    """Record a session_result for each evaluated bead still in the store."""
    for bid in evaluated:
        b = ctx.store.session(bid)
        if b is None:
            continue
        rec = ctx.record("session_result", "", "", "complete", ctx.template_of(b), b.session_name,
                         state=b.state, sleep_reason=b.get(B.SLEEP_REASON), open=b.open, session_bead_id=b.id)
        rec.trace_mode = "baseline"


def cycle_result(ctx: TickContext, trigger: str) -> None:
    """Record the cycle_result: decision, operation, mutation, reason and outcome counts over the
    tick's trace, and the templates it touched."""
    decisions: Counter = Counter()
    ops: Counter = Counter()
    muts: Counter = Counter()
    reasons: Counter = Counter()
    outcomes: Counter = Counter()
    templates: set[str] = set()
    for r in ctx.out.trace:  # one pass: a large tick records thousands
        kind = r.record_type
        if kind == "decision":
            decisions[r.site_code] += 1
            if r.reason_code:
                reasons[r.reason_code] += 1
            if r.outcome_code:
                outcomes[r.outcome_code] += 1
            if r.template:
                templates.add(r.template)
        elif kind == "operation":
            ops[r.site_code if r.operation_name is None else r.operation_name] += 1
        elif kind == "mutation":
            muts[r.site_code] += 1
    touched = sorted(templates)
    ctx.record("cycle_result", "cycle.finish", "", "complete", "", "", phase="tick", trigger=trigger,
               templates_touched=touched, active_template_count=len(touched),
               decision_counts=dict(sorted(decisions.items())), operation_counts=dict(sorted(ops.items())),
               mutation_counts=dict(sorted(muts.items())), reason_counts=dict(sorted(reasons.items())),
               outcome_counts=dict(sorted(outcomes.items())), follow_up_requested=ctx.follow_up)


def finish(ctx: TickContext) -> None:
    """Number every record of the tick (build records included) and stamp its cycle."""
    for i, rec in enumerate(ctx.out.trace, 1):
        rec.stamp(i, f"cycle-{ctx.world.tick:016x}", ctx.world.tick)
