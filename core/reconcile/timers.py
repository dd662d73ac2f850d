"""Forward-pass steps 17 and 18: the max-session-age and idle-timeout timers, with the
assigned-work defer backstop. The trackers decide; this module gathers the facts their
ladders ask for and executes the outcome (kill, SleepPatch, event)."""

from __future__ import annotations

import math

from core.desired.entries import DesiredEntry
from core.formats.durations import format_duration
from core.formats.timefmt import format_time_seconds, parse_time
from core.reconcile import drains
from core.reconcile.config_drift import pending_keeps_awake
from core.reconcile.context import TickContext
from core.trackers import defer as D
from core.trackers import timers as T
from core.trackers.idle import check_idle
from core.trackers.max_age import check_max_age
from core.world import beads as B
from core.world.beads import SessionBead


def sleep_patch(ctx: TickContext, reason: str) -> dict[str, str]:
    """SleepPatch: asleep with a reason; the wake lease, claim and sleep intent cleared."""
    return {B.STATE: "asleep", B.STATE_REASON: "", B.SLEEP_REASON: reason, B.LAST_WOKE_AT: "",
            B.PENDING_CREATE_CLAIM: "", B.PENDING_CREATE_STARTED_AT: "", B.SLEEP_INTENT: "",
            B.SLEPT_AT: format_time_seconds(ctx.now)}


def _gather(ctx: TickContext, b: SessionBead, facts: T.TimerFacts, decide, work_pred) -> T.TimerDecision:
    dec = decide(facts)
    while dec.action in (T.GATHER_PENDING, T.GATHER_WORK):
        if dec.action == T.GATHER_PENDING:
            facts.pending = pending_keeps_awake(ctx, b)
        else:
            facts.assigned_work = work_pred(b)
        dec = decide(facts)
    return dec


def _kill(ctx: TickContext, b: SessionBead, reason: str, event: str, subject: str, template: str) -> SessionBead | None:
    """Stop a timed-out session and put its bead to sleep; None when the stop failed (logged
    by ctx.stop): Gas City then records no kill, writes no sleep and leaves the session awake
    for the rest of the tick."""
    if ctx.rt.get(b.session_name) is not None and not ctx.stop(b.session_name, reason, b):
        return None
    ctx.event(event, subject, f"{reason} stop", b.id)
    b = ctx.patch(b.id, sleep_patch(ctx, reason))
    ctx.action("sleep", b.id, b.session_name, reason, "", template)
    return b


def _max_age_work(ctx: TickContext, b: SessionBead) -> bool:
    """The max-age busy check: open assigned work; a failing live read of a store the session
    can reach is logged and counts as work (fails closed, so an aged session is not killed on a
    transient store error)."""
    err = ctx.reachable_read_error(b)
    if err:
        ctx.log(f"session reconciler: checking assigned work for max-age {b.session_name}: {err}")
        return True
    return ctx.has_open_work(b)


def max_age_step(ctx: TickContext, b: SessionBead, entry: DesiredEntry, alive: bool) -> tuple[SessionBead, bool]:
    """Returns the bead and whether it is still alive."""
    if not alive or not ctx.max_age_keys:
        return b, alive
    name, tpl = b.session_name, entry.template
    anchor = parse_time(b.get(B.CREATION_COMPLETE_AT))
    chk = check_max_age(ctx.max_age_keys, name, tpl, anchor, ctx.now)
    facts = T.TimerFacts(triggered=chk.fired)
    if chk.fired:
        facts.blocker = T.timer_blocker(b.get(B.HELD_UNTIL), b.get(B.QUARANTINED_UNTIL), ctx.now)
    dec = _gather(ctx, b, facts, T.decide_max_session_age, lambda bead: _max_age_work(ctx, bead))
    if dec.action == T.DEFER:
        ctx.decision("reconciler.session.max_session_age", dec.reason, dec.outcome, tpl, name, key=chk.key)
    elif dec.action == T.STOP:
        age = (ctx.now - anchor).total_seconds() if anchor else 0
        ctx.log(f"session reconciler: preemptive max-age restart for {entry.identity or tpl} (age={format_duration(math.floor(age + 0.5))})")
        ctx.decision("reconciler.session.max_session_age", dec.reason, dec.outcome, tpl, name, key=chk.key)
        killed = _kill(ctx, b, dec.sleep_reason, "session.max_age_killed", entry.identity or tpl, tpl)
        return (b, alive) if killed is None else (killed, False)
    return b, alive


def idle_step(ctx: TickContext, b: SessionBead, entry: DesiredEntry, alive: bool) -> tuple[SessionBead, bool, bool]:
    """Returns (bead, alive, skip_wake_pass)."""
    if not alive or not ctx.idle_keys:
        return b, alive, False
    name, tpl = b.session_name, entry.template
    chk = check_idle(ctx.idle_keys, name, tpl, ctx.rt.last_activity(name), ctx.now)
    facts = T.TimerFacts(triggered=chk.fired)
    if chk.fired:
        facts.blocker = T.timer_blocker(b.get(B.HELD_UNTIL), b.get(B.QUARANTINED_UNTIL), ctx.now)
        if not facts.blocker:
            facts.attached = ctx.rt.attached(name)
    dec = _gather(ctx, b, facts, T.decide_idle_timeout, ctx.has_awake_work)
    if dec.action == T.DEFER and dec.reason == "assigned_work":
        ctx.mem, exhausted = D.record_defer(ctx.mem, ctx.defer_keys, name, tpl, b.get(B.CURRENTLY_PROCESSING).strip())
        if exhausted:
            dec = T.decide_assigned_work_exhausted()
    else:
        ctx.mem = D.reset_defer(ctx.mem, name)
    if dec.action == T.DEFER:
        fields: dict[str, str | bool] = {"key": chk.key}
        if dec.cancel_drain:
            fields["drain_canceled"] = drains.cancel(ctx, b)
        ctx.decision("reconciler.session.idle_timeout", dec.reason, dec.outcome, tpl, name, **fields)
        return b, alive, dec.skip_wake_pass
    if dec.action == T.STOP:
        ctx.log(f"session reconciler: idle timeout for {entry.identity or tpl}")
        ctx.decision("reconciler.session.idle_timeout", dec.reason, dec.outcome, tpl, name, key=chk.key)
        event = "session.idle_killed"
        killed = _kill(ctx, b, dec.sleep_reason, event, entry.identity or tpl, tpl)
        return (b, alive, False) if killed is None else (killed, False, False)
    return b, alive, False
