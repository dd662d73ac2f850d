"""Route recovery at the start of a tick (CityRuntime.recoverUnroutedWorkRoutes,
restoreCarriedWorkRoutes): open, unassigned work that carries a pool route in gc.run_target but
has no gc.routed_to gets gc.routed_to back, so the demand read (which keys on gc.routed_to) sees
it again. Work released from a closed session is stamped with gc.run_target only; this pass is
what returns it to pool demand on the next tick."""

from __future__ import annotations

from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import WorkBead

# the bare key a graph workflow launch stamps on its source bead (workflowIDMetadataKey)
WORKFLOW_ID = "workflow_id"


def carried_pool_route(w: WorkBead) -> str:
    """carriedPoolRoute: the gc.run_target of a legacy workflow root, or of a bead with no
    gc.kind, when it has no gc.routed_to; "" otherwise (a dispatcher or topology bead's
    run_target is not a pool route)."""
    if w.routed_to.strip():
        return ""
    kind = w.get(B.KIND).strip()
    if kind and kind != B.KIND_WORKFLOW:
        return ""
    return w.get(B.RUN_TARGET).strip()


def _workflow_drives(ctx: TickContext, w: WorkBead) -> bool:
    """liveGraphWorkflowDrivesBead, the attached-workflow half: the bead's workflow_id names a
    root that is not closed. (The convoy-first half, a live input convoy tracking the bead, is
    not modelled: the model's store holds no convoys.)"""
    root_id = w.get(WORKFLOW_ID).strip()
    root = ctx.store.work_bead(root_id) if root_id else None
    return root is not None and root.status != "closed"


def recover_unrouted_work_routes(ctx: TickContext) -> int:
    """Restore gc.routed_to across the city store and every rig store; returns how many beads
    were re-routed. A store whose read fails is logged and skipped; a partial read recovers
    only the work it returned."""
    by_store: dict[str, list[WorkBead]] = {}
    for w in ctx.store.open_work():
        by_store.setdefault(w.store or "city", []).append(w)
    total = 0
    for store in sorted(by_store, key=lambda s: (s != "city", s)):
        label = "city" if store == "city" else f"rig {store}"
        fault = ctx.store.read_fault(store)
        if fault == "error":
            ctx.log(f"gc start: route recovery ({label}): listing open work: {ctx.store.read_error(store)}")
            continue
        visible = ctx.store.partial_read_ids(store) if fault == "partial" else None
        restored = 0
        for w in by_store[store]:
            if visible is not None and w.id not in visible:
                continue
            route = carried_pool_route(w)
            if not route or w.status != "open" or w.assignee.strip() or _workflow_drives(ctx, w):
                continue
            ctx.store.update_work_metadata(w.id, {}, routed_to=route)
            restored += 1
        if restored:
            ctx.log(f"gc start: route recovery ({label}): restored gc.routed_to on {restored} ready bead(s) "
                    "from gc.run_target")
        total += restored
    return total
