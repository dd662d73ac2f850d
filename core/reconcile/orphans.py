"""Orphaned pool work release (releaseOrphanedPoolAssignmentsWhenSnapshotsComplete,
releaseOrphanedPoolAssignments in pool_session_name.go), the first step of the bead reconcile.

Work routed to a pool template whose assignee no longer names any open session (its session
bead closed or vanished) goes back to the pool: open, unassigned, its session affinity cleared,
a `bead.dead_assignee_reopened` event and a `released orphaned pool work` line. In-progress pool
work left with no assignee is reopened too. The demand snapshot of this tick was taken before
the release, so the freed work counts as routed demand from the next tick on. A partial store
read (fault injection) makes assigned work look orphaned only by accident, so nothing is
released on such a tick.

What the model simplifies: a detached-work probe (`gc.detached`) runs a command in Gas City;
the model runs none, so work carrying one is never released.
"""

from __future__ import annotations

from core.identity import generic_ephemeral
from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import WorkBead

SESSION_AFFINITY_KEYS = ("gc.session_affinity", "gc.continuation_group")
DETACHED = "gc.detached"


def _canonical_workflow_root(w: WorkBead) -> bool:
    """isCanonicalWorkflowRoot: a workflow root that is not a legacy run-target workflow."""
    return w.get(B.KIND).strip() == B.KIND_WORKFLOW and not w.get(B.RUN_TARGET).strip()


def _named_route(ctx: TickContext, assignee: str, template: str) -> bool:
    """assigneePreservesNamedSessionRoute: the assignee is a configured named session backed by
    the work's template (its named holder claims it back)."""
    spec = ctx.city.named_by_identity(assignee)
    return spec is not None and spec.template_qualified == template


def release_orphaned_pool_work(ctx: TickContext, partial: bool = False) -> list[str]:
    """Release the collected assigned work whose pool session is gone; returns the released
    ids (nothing on a tick whose store reads were partial)."""
    if partial or ctx.desired is None:
        return []
    from core.desired.lookup import template_lookup

    lookup = template_lookup(ctx.city, ctx.semantics)
    identities: set[str] = set()
    for b in ctx.open_beads():
        identities.update(b.assignee_identities())
    released: list[str] = []
    for wid in ctx.desired.collected_work_ids:
        w = ctx.store.work_bead(wid)
        if w is None or w.status not in ("open", "in_progress"):
            continue
        assignee = w.assignee.strip()
        if not assignee and w.status == "in_progress" and _canonical_workflow_root(w):
            continue
        template = w.route
        if not template:
            continue
        a = lookup.find_agent_by_template(template)
        if a is None or not generic_ephemeral(a):
            continue
        if not assignee:
            if w.status != "in_progress":
                continue
        elif assignee in identities or _named_route(ctx, assignee, template):
            continue
        if w.get(DETACHED).strip():
            continue
        meta = {k: v for k, v in w.metadata if k not in SESSION_AFFINITY_KEYS}
        ctx.store.put_work(w.with_(status="open", assignee="", metadata=meta))
        released.append(w.id)
        ctx.log(f"released orphaned pool work: {w.id}")
        ctx.event("bead.dead_assignee_reopened", w.id,
                  f"reopened routed work {w.id} assigned to dead session {assignee or '<unknown>'} "
                  f"(route {w.routed_to.strip() or '<unrouted>'}); assignee cleared so the pool can reclaim it")
    return released
