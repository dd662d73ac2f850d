"""Pending-create rollback: a create whose lease expired with no runtime (or whose live
runtime belongs to another bead) is closed `failed-create`, at most 5 per tick."""

from __future__ import annotations

from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import SessionBead

MAX_ROLLBACKS_PER_TICK = 5


def rollback_pending_create(ctx: TickContext, b: SessionBead, template: str, reason: str, detail: str,
                            budgeted: bool = True) -> bool:
    """Close the bead failed-create (an explicit session_name is released); True. The forward
    pass's rollbacks are deferred once the per-tick budget is spent (False: nothing rolled
    back, as attemptRollbackPendingCreate returns no batch); a failed start's rollback is not
    budgeted."""
    if budgeted and ctx.rollbacks >= MAX_ROLLBACKS_PER_TICK:
        ctx.log(f"session reconciler: deferring rollback of {b.session_name} ({detail}): rollback budget exhausted this tick")
        ctx.decision("reconciler.session.rollback_pending_create", reason, "rollback_deferred", template,
                     b.session_name, rollbacks_this_tick=ctx.rollbacks, max_rollbacks_per_tick=MAX_ROLLBACKS_PER_TICK)
        return False
    if budgeted:
        ctx.rollbacks += 1
    ctx.log(f"session reconciler: rolling back pending create {b.session_name}: {detail}")
    ctx.decision("reconciler.session.rollback_pending_create", reason, "rollback", template, b.session_name)
    close_failed_create(ctx, b)
    return True


def close_failed_create(ctx: TickContext, b: SessionBead) -> bool:
    """rollbackPendingCreate's writes alone, with no log line or trace record of their own (a
    failed start records its own): last_woke_at cleared, the bead closed `failed-create`, an
    explicit session_name released after the close. False, writing nothing, when the bead is
    already closed."""
    current = ctx.store.session(b.id)
    if current is None or not current.open:
        return False
    ctx.patch(b.id, {B.LAST_WOKE_AT: ""})
    ctx.close(b.id, "failed-create")
    if b.get(B.SESSION_NAME_EXPLICIT).strip() == "true":
        ctx.store.put_session(ctx.store.reread(b.id).with_meta({B.SESSION_NAME: ""}), "update")
    return True
