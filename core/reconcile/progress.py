"""Progress-stall recycling (forward-pass step 7): a desired, live session whose runtime has
reported no activity for longer than `[session] progress_stall_timeout` (no claim held) or
`claim_holder_stall_timeout` (an in-progress claim held) is asked to restart fresh; the
restart-request step right after performs the handoff.

Both timeouts are opt-in (unset or non-positive disables them) and floored at 5 minutes
(ProgressStallTimeoutDuration). A session is exempt while a pending interaction keeps it awake,
while its start is in flight, or while it is attached; a claim-less worker of a pool at or below
its min floor is exempt from the claim-less recycle. The provider-health gate reads a registry
the model does not have, which Gas City treats as healthy (fail-open).
"""

from __future__ import annotations

from core.desired.entries import DesiredEntry
from core.formats.durations import format_duration, try_duration
from core.reconcile.config_drift import pending_keeps_awake
from core.reconcile.context import TickContext
from core.reconcile.lease import start_in_flight
from core.world.beads import SessionBead

PROGRESS_STALL_TIMEOUT_MINIMUM = 300.0


def stall_timeout(raw: str) -> float:
    """durationFloorOr(raw, 0, 5m): 0 when unset, unparseable or not positive."""
    d = try_duration(raw, 0.0) or 0.0
    if d <= 0:
        return 0.0
    return max(d, PROGRESS_STALL_TIMEOUT_MINIMUM)


def _min_positive(first: float, second: float) -> float:
    if first <= 0:
        return second
    if second <= 0:
        return first
    return min(first, second)


def open_pool_sessions(ctx: TickContext, template: str) -> int:
    """openPoolSessionCountForTemplate: open session beads of the template, as of now in the
    tick (a bead closed earlier in the tick no longer counts)."""
    return sum(1 for b in ctx.store.open_sessions() if ctx.template_of(b) == template)


def progress_stalled(ctx: TickContext, b: SessionBead, entry: DesiredEntry, alive: bool) -> bool:
    """True when the session is to be recycled (Gas City records restart_requested on its
    in-tick snapshot only; the caller hands the request to the restart-request step)."""
    claimless = stall_timeout(ctx.city.session.progress_stall_timeout)
    holder = stall_timeout(ctx.city.session.claim_holder_stall_timeout)
    gate = _min_positive(claimless, holder)
    name = b.session_name
    if gate <= 0 or not alive:
        return False
    last = ctx.rt.last_activity(name)
    if last is None or (ctx.now - last).total_seconds() <= gate:
        return False
    idle = (ctx.now - last).total_seconds()
    exempt = pending_keeps_awake(ctx, b) or start_in_flight(b, ctx.now, ctx.startup_timeout) or ctx.rt.attached(name)
    template = entry.template or ctx.template_of(b)
    floor_exempt = False
    a = ctx.agent(template)
    if not exempt and a is not None and a.min_count > 0:
        open_count = open_pool_sessions(ctx, template)
        if open_count <= a.min_count:
            floor_exempt = True
            ctx.decision("reconciler.session.progress_stall_exempt", "min_floor_idle_worker", "exempt", template, name,
                         pool_min=a.min_count, pool_open=open_count)
    holds_claim, claim_known = False, True
    if not exempt and (not floor_exempt or holder > 0):
        if any(fault[0] == "error" for fault in ctx.store.read_faults.values()):
            # fail safe: an unreadable claim check must not recycle a session that may hold work
            ctx.log(f"session reconciler: checking assigned work before progress-stall recycle for {name}: "
                    "store read failed")
            holds_claim, claim_known = True, False
        else:
            holds_claim = any(w.status == "in_progress" for w in ctx.work_of(b))
    stalled = False
    if claimless > 0 and not holds_claim and not (exempt or floor_exempt) and idle > claimless:
        ctx.log(f"session reconciler: {name} progress-stalled (no progress for >{format_duration(claimless)}, "
                "no open claim, provider healthy); requesting fresh restart")
        stalled = True
    if claim_known and holder > 0 and holds_claim and not exempt and idle > holder:
        ctx.log(f"session reconciler: {name} claim-holder-stalled (holds a claim but no progress for "
                f">{format_duration(holder)}, provider healthy, last activity {last.strftime('%Y-%m-%dT%H:%M:%SZ')}); "
                "requesting fresh restart")
        stalled = True
    return stalled
