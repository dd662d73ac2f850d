"""Orphaned pool work release (releaseOrphanedPoolAssignmentsWhenSnapshotsComplete,
releaseOrphanedPoolAssignments in pool_session_name.go), the first step of the bead reconcile.

Work routed to a pool template whose assignee no longer names any open session (its session
bead closed or vanished) goes back to the pool: open, unassigned, its session affinity cleared,
a `bead.dead_assignee_reopened` event and a `released orphaned pool work` line. In-progress pool
work left with no assignee is reopened too. The demand snapshot of this tick was taken before
the release, so the freed work counts as routed demand from the next tick on. A partial store
read (fault injection) makes assigned work look orphaned only by accident, so nothing is
released on such a tick.

Ownership follows the work's store (openSessionOwnsWork, makeOpenSessionStoreRefIndex): a work
bead that lives in a store (`store` set) is owned only by an open session whose agent reaches that
store (its configured rig's store, the city store for an agent without a rig; a `scope = "city"`
agent, or a session whose agent cannot be resolved, reaches every store); work without a store
reference is owned by any open session that answers to its assignee. A named identity keeps its
claim under the same rule (assigneePreservesNamedSessionRoute). Before releasing, the store is
asked once more (liveOpenSessionAssignmentExists): an open session bead whose id is a suffix of
the assignee after a "-" (directSessionBeadIDCandidates), or one labelled `gc:session`, that
answers to the assignee keeps the work claimed, whichever store the work lives in.

Work that carries a detached-work probe (`gc.detached`) is released only as the probe allows
(detachedProbeAllowsOrphanRelease): alive keeps it claimed, dead releases it and clears the
probe, and a failed probe keeps it until the third failure in a row (the count is in-memory,
lost with a controller restart). Gas City runs the probe (`tmux has-session`); citywatch runs
no command, so the answer comes from a scenario's `[detached_probe]`, and work whose probe has
no given answer is never released.
"""

from __future__ import annotations

from core.config.city_config import Agent
from core.desired.reach import CITY_STORE, configured_rig_name
from core.identity import generic_ephemeral
from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead

DETACHED = "gc.detached"
DETACHED_PROBE_ERROR_THRESHOLD = 3  # detachedProbeErrorThreshold
RELEASE_LOG = "releaseOrphanedPoolAssignments"
SESSION_LABEL = "gc:session"
# Store references an open session owns work under besides a rig or the city store: its agent
# reaches every store (scope = "city"), or its agent cannot be resolved (kept on any match).
ANY_STORE = "\x00any"


def _canonical_workflow_root(w: WorkBead) -> bool:
    """isCanonicalWorkflowRoot: a workflow root that is not a legacy run-target workflow."""
    return w.get(B.KIND).strip() == B.KIND_WORKFLOW and not w.get(B.RUN_TARGET).strip()


def _agent_store(ctx: TickContext, a: Agent) -> str:
    """The store reference of the work an agent serves (assignedWorkStoreRefForAgent); a
    city-scope agent serves every store (agentIsCrossStoreEligible)."""
    if a.scope.strip() == "city":
        return ANY_STORE
    return configured_rig_name(ctx, a) or CITY_STORE  # type: ignore[arg-type]  # reads ctx.city only


def _owner_index(ctx: TickContext, beads: list[SessionBead]) -> dict[str, set[str]]:
    """makeOpenSessionStoreRefIndex: each identity of an open session bead, with the stores it
    owns work in (openSessionReachableStoreRefInfo)."""
    index: dict[str, set[str]] = {}
    for b in beads:
        a = ctx.agent(ctx.normalize_template(b.template))
        ref = ANY_STORE if a is None else _agent_store(ctx, a)
        for ident in b.assignee_identities():
            index.setdefault(ident, set()).add(ref)
    return index


def _owned(index: dict[str, set[str]], assignee: str, w: WorkBead) -> bool:
    """openSessionOwnsWork: work without a store reference is owned by any session answering to
    its assignee; work in a store only by one whose agent reaches that store."""
    refs = index.get(assignee)
    if not refs:
        return False
    return not w.store or ANY_STORE in refs or w.store in refs


def _named_route(ctx: TickContext, assignee: str, template: str, w: WorkBead) -> bool:
    """assigneePreservesNamedSessionRoute: the assignee is a configured named session backed by
    the work's template whose agent reaches the work's store (its named holder claims it back)."""
    spec = ctx.city.named_by_identity(assignee)
    if spec is None or spec.template_qualified != template:
        return False
    if not w.store:
        return True
    a = ctx.city.find_template(spec.template_qualified)
    if a is None:
        return False
    ref = _agent_store(ctx, a)
    return ref == ANY_STORE or ref == w.store


def _direct_candidates(assignee: str) -> list[str]:
    """directSessionBeadIDCandidates: the assignee itself and every suffix that starts right
    after a "-" (a pool session name ends with its bead id, which has a "-" of its own); a
    suffix starting with "-" (the "--" that encodes "/") is never an id."""
    out = [assignee]
    for i, ch in enumerate(assignee):
        if ch == "-" and assignee[i + 1:i + 2] not in ("", "-"):
            out.append(assignee[i + 1:])
    return out


def _live_session_answers(ctx: TickContext, beads: list[SessionBead], assignee: str) -> bool:
    """liveOpenSessionAssignmentExists: a session bead fetched by a direct id candidate, or one
    the store lists under the gc:session label, is open and answers to the assignee."""
    for bid in _direct_candidates(assignee):
        b = ctx.store.session(bid)
        if b is not None and b.open and assignee in b.assignee_identities():
            return True
    return any(SESSION_LABEL in b.labels and assignee in b.assignee_identities() for b in beads)


def _detached_probe_allows_release(ctx: TickContext, w: WorkBead) -> tuple[bool, bool]:
    """detachedProbeAllowsOrphanRelease: (release allowed, clear gc.detached). No probe allows it;
    an alive probe keeps the claim, a dead one releases and clears; a failing probe keeps the
    claim until its third failure in a row. A probe without a scenario-given answer is not run
    and keeps the claim."""
    spec = w.get(DETACHED).strip()
    errors = ctx.mem.detached_probe_errors
    if not spec:
        ctx.mem = ctx.mem.drop("detached_probe_errors", w.id)
        return True, False
    answer = ctx.world.detached_probe.get(spec)
    if answer is None:
        return False, False
    if answer == "alive":
        ctx.mem = ctx.mem.drop("detached_probe_errors", w.id)
        ctx.log(f"{RELEASE_LOG}: skipping release: detached probe alive for {w.id}: {spec}")
        return False, False
    if answer == "dead":
        ctx.mem = ctx.mem.drop("detached_probe_errors", w.id)
        ctx.log(f"{RELEASE_LOG}: releasing {w.id}: detached probe dead: {spec}")
        return True, True
    count = errors.get(w.id, 0) + 1
    if count < DETACHED_PROBE_ERROR_THRESHOLD:
        ctx.mem = ctx.mem.set("detached_probe_errors", w.id, count)
        ctx.log(f"{RELEASE_LOG}: detached probe error for {w.id}: probe failed "
                f"(error {count}/{DETACHED_PROBE_ERROR_THRESHOLD})")
        return False, False
    ctx.mem = ctx.mem.drop("detached_probe_errors", w.id)
    ctx.log(f"{RELEASE_LOG}: releasing {w.id}: detached probe error after {count} errors: probe failed")
    return True, True


def release_orphaned_pool_work(ctx: TickContext, partial: bool = False) -> list[str]:
    """Release the collected assigned work whose pool session is gone; returns the released
    ids (nothing on a tick whose store reads were partial)."""
    if partial or ctx.desired is None:
        return []
    from core.desired.lookup import template_lookup

    lookup = template_lookup(ctx.city, ctx.semantics)
    open_beads = ctx.open_beads()
    index = _owner_index(ctx, open_beads)
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
        elif (_owned(index, assignee, w) or _named_route(ctx, assignee, template, w)
              or _live_session_answers(ctx, open_beads, assignee)):
            continue
        allowed, clear_detached = _detached_probe_allows_release(ctx, w)
        if not allowed:
            continue
        drop = B.SESSION_AFFINITY_KEYS + ((DETACHED,) if clear_detached else ())
        meta = {k: v for k, v in w.metadata if k not in drop}
        ctx.store.put_work(w.with_(status="open", assignee="", metadata=meta))
        released.append(w.id)
        ctx.log(f"released orphaned pool work: {w.id}")
        ctx.event("bead.dead_assignee_reopened", w.id,
                  f"reopened routed work {w.id} assigned to dead session {assignee or '<unknown>'} "
                  f"(route {w.routed_to.strip() or '<unrouted>'}); assignee cleared so the pool can reclaim it")
    return released
