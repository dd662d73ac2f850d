"""Durable waits and the ready-wait set (prepareWaitWakeStateWithSnapshot, cmd_wait.go), computed
in the bead reconcile before the awake set.

Each non-terminal wait of a session: canceled when the session's conversation moved on
(`continuation-stale`, its registered epoch is not the session's) or its bead closed
(`session-closed`); expired once `expires_at` has passed; a `ready` wait puts its session in
the ready-wait set; a `deps` wait becomes ready (and puts its session in the set) once its
dependencies are closed (all of them, or one with `dep_mode = "any"`), and fails when one it
needs does not exist. When a session is left with no live wait its wait hold is cleared
(clearSessionWaitHoldIfIdle). ComputeAwakeSet wakes a session in the ready-wait set with reason
`wait-ready`, wait hold or not.

What the model simplifies: a ready wait's nudge (finalizeReadyWaitFromNudge) is not modelled,
so a ready wait stays ready until the scenario or the session closes it.
"""

from __future__ import annotations

from core.formats.timefmt import format_time, parse_time
from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import WaitBead


def _deps_ready(ctx: TickContext, w: WaitBead) -> tuple[bool, str]:
    """depsWaitReadyDetailedFrom: (ready, error) over the wait's dependency work beads."""
    if not w.dep_ids:
        return False, ""
    closed, found_any, missing = 0, False, ""
    for dep in w.dep_ids:
        d = ctx.store.work_bead(dep)
        if d is None:
            if w.dep_mode != "any":
                return False, f"dependency {dep}: not found"
            missing = missing or f"dependency {dep}: not found"
            continue
        found_any = True
        if d.status == "closed":
            closed += 1
            if w.dep_mode == "any":
                return True, ""
    if w.dep_mode == "any":
        return False, missing if not found_any else ""
    return closed == len(w.dep_ids), ""


def _end(ctx: TickContext, w: WaitBead, state: str, reason: str) -> None:
    ctx.store.put_wait(w.with_(state=state, reason=reason))


def _clear_hold_if_idle(ctx: TickContext, session_id: str) -> None:
    """clearSessionWaitHoldIfIdle: with no live wait left the session's wait hold is cleared."""
    if any(x.session_id == session_id and not x.terminal for x in ctx.store.waits.values()):
        return
    b = ctx.store.session(session_id)
    if b is None:
        return
    patch = {B.WAIT_HOLD: "", B.SLEEP_INTENT: ""}
    if b.get(B.SLEEP_REASON) == "wait-hold":
        patch[B.SLEEP_REASON] = ""
    ctx.patch(b.id, patch)


def prepare_wait_wake_state(ctx: TickContext) -> set[str]:
    """The ready-wait set (session bead ids), after the tick's wait transitions."""
    ready: set[str] = set()
    for w in ctx.store.waits_in_order():
        sid = w.session_id
        if not sid or w.terminal:
            continue
        b = ctx.store.session(sid)
        if b is None:
            continue
        if not b.open and not w.registered_epoch:
            continue
        epoch = b.get(B.CONTINUATION_EPOCH)
        if w.registered_epoch and epoch and w.registered_epoch != epoch:
            _end(ctx, w, "canceled", "continuation-stale")
            _clear_hold_if_idle(ctx, sid)
            continue
        if not b.open:
            _end(ctx, w, "canceled", "session-closed")
            continue
        expires = parse_time(w.expires_at)
        if expires is not None and expires <= ctx.now:
            _end(ctx, w, "expired", f"expired at {format_time(expires)}")
            _clear_hold_if_idle(ctx, sid)
            continue
        if w.state == "ready":
            ready.add(sid)
            continue
        if w.kind != "deps":
            continue
        ok, err = _deps_ready(ctx, w)
        if err:
            _end(ctx, w, "failed", err)
            _clear_hold_if_idle(ctx, sid)
            continue
        if ok:
            ctx.store.put_wait(w.with_(state="ready"))
            ready.add(sid)
    return ready
