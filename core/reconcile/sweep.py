"""The undesired pool sweep (sweepUndesiredPoolSessionBeads): open ephemeral beads that left
the desired set, with no live lease, not freshly started, no running runtime and no assigned
work, are closed `gc_swept`. Skipped on a boot reconcile."""

from __future__ import annotations

from core.formats.timefmt import parse_time
from core.reconcile.context import TickContext
from core.reconcile.lease import STALE_CREATING, lease_active
from core.world import beads as B

POST_CREATE_PROTECTION = 120.0


def sweep_undesired_pool(ctx: TickContext) -> int:
    """Close ephemeral pool beads no longer desired, not running, without open work and past
    their start protections; returns how many closed. Does nothing on boot."""
    if ctx.boot or ctx.desired is None or ctx.store_partial:
        return 0
    n = 0
    for b in ctx.open_beads():
        if b.session_name in ctx.desired.entries or b.is_manual or b.is_named:
            continue
        if lease_active(b, ctx.now, ctx.startup_timeout):
            continue
        state = b.state.strip()
        if state == "creating":
            started = parse_time(b.get(B.PENDING_CREATE_STARTED_AT)) or b.created_at
            if (ctx.now - started).total_seconds() < STALE_CREATING:
                continue
        if state in ("active", "awake") and b.get(B.STATE_REASON).strip() == "creation_complete":
            done = parse_time(b.get(B.CREATION_COMPLETE_AT))
            if done is not None and (ctx.now - done).total_seconds() < POST_CREATE_PROTECTION:
                continue
        if ctx.agent_of(b) is None or b.origin != "ephemeral":
            continue
        if ctx.running(b.session_name):
            continue
        if ctx.has_open_work(b):
            continue
        if ctx.close_unassigned(b, "gc_swept"):
            n += 1
    return n
