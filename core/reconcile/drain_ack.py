"""Drain acknowledgement: an acked runtime goes to `draining`/drain-ack-stop-pending with an
asynchronous stop; once the runtime is gone the bead is finalized (closed `drained` when
pool-managed or undesired and unassigned, else `drained`, or asleep/idle while it still owns
work).

The model runs the asynchronous stop at the end of the tick that queued it (Gas City's
goroutine kills and confirms within seconds, then pokes a follow-up tick)."""

from __future__ import annotations

from core.formats.timefmt import format_time_seconds
from core.reconcile.context import TickContext
from core.reconcile.drains import clear_ack_meta, forget, fresh_wake_reset
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.runtime import META_INSTANCE_TOKEN

STOP_PENDING = "drain-ack-stop-pending"


def is_stop_pending(b: SessionBead) -> bool:
    """True if the bead is draining with a drain-ack stop pending."""
    return b.state.strip() == "draining" and b.get(B.STATE_REASON).strip() == STOP_PENDING


def _refused_write(ctx: TickContext, before: int) -> str:
    """The error of a store write refused since `before` failed writes were recorded; ""."""
    failed = ctx.store.failed_writes
    if len(failed) <= before:
        return ""
    return failed[-1].split(": ", 1)[-1]


def mark_stop_pending(ctx: TickContext, b: SessionBead) -> bool:
    """markDrainAckStopPending: DrainAckStopPendingPatch and the drain tracker entry dropped.
    False (logged; no stop is queued) when the store refuses the write."""
    before = len(ctx.store.failed_writes)
    ctx.patch(b.id, {B.STATE: "draining", B.STATE_REASON: STOP_PENDING, B.DRAIN_AT: format_time_seconds(ctx.now),
                     B.PENDING_CREATE_CLAIM: "", B.PENDING_CREATE_STARTED_AT: ""})
    err = _refused_write(ctx, before)
    if err:
        ctx.log(f"session reconciler: marking drain-ack stop-pending {b.session_name}: {err}")
        return False
    forget(ctx, b.id)
    return True


def queue_async_stop(ctx: TickContext, b: SessionBead) -> None:
    """Queue an asynchronous stop of the bead's session for this tick, once per bead and session name."""
    key = (b.id, b.session_name)
    if key not in {(x[0], x[1]) for x in ctx.async_stops}:
        ctx.async_stops.append((b.id, b.session_name, b.get(B.INSTANCE_TOKEN)))


def run_async_stops(ctx: TickContext) -> None:
    """The queued drain-ack stops complete (token-fenced: a replaced runtime is left alone)."""
    for bead_id, name, token in ctx.async_stops:
        live = ctx.rt.get_meta(name, META_INSTANCE_TOKEN)
        if token and live and live != token:
            ctx.log(f"session reconciler: async drain-ack stop {name} skipped: instance token mismatch "
                    "(session was replaced)")
            continue
        b = ctx.store.session(bead_id)
        err = ctx.stop_error(name, "drain-ack", b)
        if err:  # the bead stays stop-pending; the next tick retries (queueDrainAckAsyncStop)
            ctx.log(f"session reconciler: async drain-ack stop {name}: {err}")
    ctx.async_stops.clear()


def finalize(ctx: TickContext, b: SessionBead, template: str, close_if_unassigned: bool) -> None:
    """finalizeDrainAckStoppedSession."""
    has_work = ctx.has_open_work_for_close_gate(b)
    if close_if_unassigned and not has_work and ctx.close_unassigned(b, "drained", reachable_only=True):
        clear_ack_meta(ctx, b.session_name)
        ctx.event("session.stopped", template, "drain acknowledged by agent", b.id)
        return
    if has_work:
        patch = {B.STATE: "asleep", B.STATE_REASON: "", B.SLEEP_REASON: "idle", B.LAST_WOKE_AT: "",
                 B.PENDING_CREATE_CLAIM: "", B.PENDING_CREATE_STARTED_AT: "", B.SLEEP_INTENT: "",
                 B.SLEPT_AT: format_time_seconds(ctx.now)}
    else:
        patch = {B.STATE: "drained", B.STATE_REASON: "", B.LAST_WOKE_AT: "", B.PENDING_CREATE_CLAIM: "",
                 B.PENDING_CREATE_STARTED_AT: ""}
    if b.get(B.WAKE_MODE) == "fresh":
        patch.update(fresh_wake_reset())
    if b.get(B.RESTART_REQUESTED) == "true":
        patch[B.RESTART_REQUESTED] = ""
    before = len(ctx.store.failed_writes)
    ctx.patch(b.id, patch)
    err = _refused_write(ctx, before)
    if err:  # nothing changed: no events, the bead stays stop-pending for the next tick
        ctx.log(f"session reconciler: finalizing drain-ack stopped {b.session_name}: {err}")
        return
    clear_ack_meta(ctx, b.session_name)
    forget(ctx, b.id)
    ctx.action("sleep", b.id, b.session_name, patch.get(B.SLEEP_REASON, "drained"), "drain-ack finalized", template)
    ctx.event("session.stopped", template, "drain acknowledged by agent", b.id)
    w = next(iter(ctx.work_of(b)), None) if has_work else None
    if w is not None:  # recordDrainAckAssignedWorkEvent records nothing when it finds no work bead
        ctx.event("session.drain_acked_with_assigned_work", template,
                  f"session drain-acked while still assigned to work bead {w.id}", b.id)


def reconcile_stop_pending(ctx: TickContext, b: SessionBead, template: str, desired: bool) -> bool:
    """Forward-pass step 1: a stop-pending bead re-queues its stop while the runtime lives,
    else is finalized. Returns whether the bead was handled (done for this tick)."""
    if not is_stop_pending(b):
        return False
    if ctx.running(b.session_name) or ctx.alive(b.session_name):
        queue_async_stop(ctx, b)
        return True
    finalize(ctx, b, template, (not desired) or b.pool_managed)
    return True


def finalize_stop_pending_sessions(ctx: TickContext) -> int:
    """Tick phase 7: finalize stop-pending beads whose runtime is gone, before demand, so
    freed pool slots are visible to allocation."""
    n = 0
    for b in ctx.open_beads():
        if not is_stop_pending(b):
            continue
        if ctx.running(b.session_name) or ctx.alive(b.session_name):
            queue_async_stop(ctx, b)
            continue
        finalize(ctx, b, ctx.template_of(b), b.pool_managed)
        n += 1
    return n
