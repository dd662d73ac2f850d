"""The drain protocol (session_wake.go): a graceful stop with a cancel window.

begin: an in-memory record {reason, deadline, generation}, no bead write. advance (end of
every tick): cancel on a generation change or a wake reason (for cancelable reasons),
complete when the runtime is gone, stamp GC_DRAIN_ACK on the runtime the first time, and
stop it (token-fenced) past the deadline. The next tick's forward pass sees the ack and moves
the bead to `draining`/stop-pending (drain_ack.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from core.formats.goparse import atoi_or
from core.formats.timefmt import format_time, format_time_seconds
from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.memory import Drain
from core.world.runtime import (
    META_DRAIN_ACK,
    META_DRAIN_ACK_SOURCE,
    META_DRAIN_GENERATION,
    META_DRAIN_REASON,
    META_INSTANCE_TOKEN,
)

DRAIN_TIMEOUT = 300.0
ACK_KEYS = (META_DRAIN_ACK, META_DRAIN_ACK_SOURCE, META_DRAIN_REASON, META_DRAIN_GENERATION)


def cancelable(reason: str) -> bool:
    """drainReasonCancelable: any wake reason cancels all but these."""
    return reason not in ("config-drift", "orphaned", "suspended")


def pending_cancelable(reason: str) -> bool:
    """Whether a pending-create wake may cancel a drain with this reason."""
    return reason not in ("orphaned", "suspended")


def assigned_work_cancelable(reason: str) -> bool:
    """Whether assigned work may cancel a drain with this reason."""
    return reason in ("orphaned", "no-wake-reason")


def generation_number(text: str) -> int:
    """A generation as the drain tracker holds it: the number strconv.Atoi reads, 0 for a value
    it rejects (empty, spaced, not a number), so "02" and "2" are one generation."""
    return atoi_or(text)


def same_generation(b: SessionBead, d: Drain) -> bool:
    """True if the drain was begun for the bead's current generation, compared as numbers."""
    return generation_number(b.get(B.GENERATION)) == generation_number(d.generation)


def begin_drain(ctx: TickContext, b: SessionBead, reason: str, timeout: float = DRAIN_TIMEOUT) -> bool:
    """beginSessionDrain: no-op (False) when the bead is already draining."""
    if b.id in ctx.mem.drains:
        return False
    # the tracker keeps the parsed number (drainState.generation is an int), as its decimal text
    gen = str(generation_number(b.get(B.GENERATION)))
    d = Drain(b.id, reason, ctx.now, ctx.now + timedelta(seconds=timeout), gen)
    ctx.mem = ctx.mem.set("drains", b.id, d)
    ctx.action("drain", b.id, b.session_name, reason, f"deadline {format_time(d.deadline)}", ctx.template_of(b))
    ctx.log(f"Draining session '{b.session_name}': {reason}")
    return True


def clear_ack_meta(ctx: TickContext, name: str) -> None:
    """Blank the drain-ack runtime metadata of session `name`."""
    ctx.rt.set_meta(name, {k: "" for k in ACK_KEYS})


def forget(ctx: TickContext, bead_id: str) -> None:
    """Drop the bead's drain and idle probe from controller memory."""
    ctx.mem = ctx.mem.drop("drains", bead_id).drop("idle_probes", bead_id)


def cancel_if(ctx: TickContext, b: SessionBead, can_cancel: Callable[[str], bool]) -> bool:
    """cancelSessionDrainIf: cancel a drain of this generation whose reason allows it."""
    d = ctx.mem.drains.get(b.id)
    if d is None or not can_cancel(d.reason) or not same_generation(b, d):
        return False
    forget(ctx, b.id)
    if d.acked:
        clear_ack_meta(ctx, b.session_name)
    return True


def cancel(ctx: TickContext, b: SessionBead) -> bool:
    """Cancel the bead's drain if its reason is cancelable by a wake; True if one was canceled."""
    return cancel_if(ctx, b, cancelable)


def ack_matches(ctx: TickContext, b: SessionBead) -> tuple[str, bool]:
    """reconcilerDrainAckMatchesSession: (reason, True) for a reconciler ack of this
    generation."""
    name = b.session_name
    if ctx.rt.get_meta(name, META_DRAIN_ACK_SOURCE) != "reconciler":
        return "", False
    reason = ctx.rt.get_meta(name, META_DRAIN_REASON)
    gen = ctx.rt.get_meta(name, META_DRAIN_GENERATION)
    if not reason or not gen or gen != b.get(B.GENERATION).strip():
        return "", False
    return reason, True


def assigned_work_cancel_reason(ctx: TickContext, b: SessionBead) -> str:
    """assignedWorkDrainCancelReasonInfo: the reason an assigned-work cancel of the bead's drain
    is reported under: the tracked drain's reason when assigned work may cancel it, else a
    matching reconciler ack's reason when it may, else "orphaned"."""
    d = ctx.mem.drains.get(b.id)
    if d is not None and assigned_work_cancelable(d.reason):
        return d.reason
    reason, ok = ack_matches(ctx, b)
    if ok and assigned_work_cancelable(reason):
        return reason
    return "orphaned"


def stale_reconciler_ack(ctx: TickContext, b: SessionBead) -> bool:
    """True if the session's drain ack came from the reconciler for a missing or other generation."""
    name = b.session_name
    if ctx.rt.get_meta(name, META_DRAIN_ACK_SOURCE) != "reconciler":
        return False
    gen = ctx.rt.get_meta(name, META_DRAIN_GENERATION)
    if not gen:
        return True
    cur = b.get(B.GENERATION).strip()
    return cur == "" or cur != gen


def stale_or_legacy_ack_before_start(ctx: TickContext, b: SessionBead) -> bool:
    """True if a drain ack left on the session should not survive a start: a stale reconciler ack
    or a set ack without a source; an agent's own ack is kept."""
    source = ctx.rt.get_meta(b.session_name, META_DRAIN_ACK_SOURCE)
    if source == "agent":
        return False
    if source == "reconciler":
        return stale_reconciler_ack(ctx, b)
    return ctx.rt.get_meta(b.session_name, META_DRAIN_ACK) == "1"


def acked(ctx: TickContext, name: str) -> bool:
    """isDrainAcked: the runtime carries GC_DRAIN_ACK=1."""
    return ctx.rt.get_meta(name, META_DRAIN_ACK) == "1"


def cancel_recovered_ack(ctx: TickContext, b: SessionBead, can_cancel: Callable[[str], bool]) -> bool:
    """A reconciler ack left on the runtime without a tracker entry (lost on restart)."""
    reason, ok = ack_matches(ctx, b)
    if not ok or not can_cancel(reason):
        return False
    clear_ack_meta(ctx, b.session_name)
    return True


def fresh_wake_reset() -> dict[str, str]:
    """The conversation reset a completed drain of a wake_mode=fresh session writes
    (applyFreshWakeConversationReset plus continuation_reset_pending): no session key, no
    started or live hashes, no startup-dialog or priming markers, and a reset pending."""
    return {B.SESSION_KEY: "", B.STARTED_CONFIG_HASH: "", B.STARTED_LIVE_HASH: "", B.LIVE_HASH: "",
            "startup_dialog_verified": "", B.PRIMED_AT: "", B.PRIMING_ATTEMPTED_AT: "", B.PROMPT_HASH: "",
            B.CONTINUATION_RESET_PENDING: "true"}


def complete_drain(ctx: TickContext, b: SessionBead, d: Drain) -> None:
    """CompleteDrainPatch: asleep with sleep_reason = the drain reason (fresh mode resets
    the conversation)."""
    patch = {B.STATE: "asleep", B.STATE_REASON: "", B.SLEEP_REASON: d.reason, B.LAST_WOKE_AT: "",
             B.PENDING_CREATE_CLAIM: "", B.PENDING_CREATE_STARTED_AT: "", B.SLEEP_INTENT: "",
             B.SLEPT_AT: format_time_seconds(ctx.now)}
    if b.get(B.WAKE_MODE) == "fresh":
        patch.update(fresh_wake_reset())
    ctx.patch(b.id, patch)
    ctx.action("sleep", b.id, b.session_name, d.reason, "drain complete", ctx.template_of(b))


def advance_drains(ctx: TickContext, wake_evals: dict) -> None:
    """advanceSessionDrains, over every tracked drain in bead-id order."""
    for bead_id, d in sorted(ctx.mem.drains.items()):  # a step drops only its own bead's drain
        b = ctx.store.session(bead_id)
        if b is None or not b.open:
            forget(ctx, bead_id)
            continue
        name, tpl = b.session_name, ctx.template_of(b)
        if not same_generation(b, d):
            forget(ctx, bead_id)
            if d.acked:
                clear_ack_meta(ctx, name)
            ctx.decision("reconciler.drain.stale", "stale_generation", "cancel", tpl, name, drain_reason=d.reason)
            continue
        if not ctx.running(name):
            complete_drain(ctx, b, d)
            forget(ctx, bead_id)
            ctx.decision("reconciler.drain.complete", d.reason, "complete", tpl, name)
            continue
        ev = wake_evals.get(bead_id)
        if ev is not None and "pending" in ev.reasons and pending_cancelable(d.reason) and \
                cancel_if(ctx, b, pending_cancelable):
            ctx.decision("reconciler.drain.cancel", d.reason, "cancel_pending", tpl, name)
            continue
        if ev is not None and ev.reason == "assigned-work" and "work" in ev.reasons and \
                assigned_work_cancelable(d.reason) and cancel_if(ctx, b, assigned_work_cancelable):
            ctx.decision("reconciler.drain.cancel", d.reason, "cancel_assigned_work", tpl, name)
            continue
        if cancelable(d.reason) and ev is not None and ev.reasons:
            forget(ctx, bead_id)
            if d.acked:
                clear_ack_meta(ctx, name)
            ctx.decision("reconciler.drain.cancel", d.reason, "cancel", tpl, name)
            continue
        if not d.acked:
            ctx.rt.set_meta(name, {META_DRAIN_ACK_SOURCE: "reconciler", META_DRAIN_REASON: d.reason,
                                   META_DRAIN_GENERATION: str(generation_number(d.generation)), META_DRAIN_ACK: "1"})
            d = Drain(d.bead_id, d.reason, d.started_at, d.deadline, d.generation, True)
            ctx.mem = ctx.mem.set("drains", bead_id, d)
            ctx.follow_up = True
            ctx.record("mutation", "runtime_meta", "unknown", "success", tpl, name, target_kind="provider_meta",
                       target_id=name, field="GC_DRAIN_ACK", before="", after="1", drain_reason=d.reason)
        if ctx.now > d.deadline:
            token = b.get(B.INSTANCE_TOKEN)
            live = ctx.rt.get_meta(name, META_INSTANCE_TOKEN)
            if token and live and live != token:
                forget(ctx, bead_id)
                ctx.decision("reconciler.drain.timeout", d.reason, "retry", tpl, name, error="instance token mismatch")
                continue
            ctx.stop(name, "drain-timeout", b)
            complete_drain(ctx, ctx.store.reread(bead_id), d)
            forget(ctx, bead_id)
            ctx.decision("reconciler.drain.timeout", d.reason, "complete", tpl, name)
