"""Applying exit classification in the forward pass: the rate-limit hold, rapid crash
(wake failure) and churn accounting (checkRateLimitStability, checkStability, checkChurn)."""

from __future__ import annotations

from core.reconcile.context import TickContext
from core.reconcile.lease import start_in_flight
from core.trackers import exits as X
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.runtime import screen_rate_limited, terminal_error_reason


def facts(ctx: TickContext, b: SessionBead, alive: bool, screen_available: bool) -> X.ExitFacts:
    """The ExitFacts for this bead's session this tick."""
    return X.ExitFacts(alive=alive, drain_pending=b.id in ctx.mem.drains, pending_claim=b.pending_claim,
                       subprocess_provider=ctx.city.session.provider == "subprocess",
                       start_in_flight=start_in_flight(b, ctx.now, ctx.startup_timeout),
                       sleep_reason=b.get(B.SLEEP_REASON), last_woke_at=b.get(B.LAST_WOKE_AT), now=ctx.now,
                       screen_available=screen_available)


RATE_LIMIT_PEEK_LINES = 120  # rateLimitPeekLines


def peek(ctx: TickContext, b: SessionBead, lines: int = RATE_LIMIT_PEEK_LINES) -> str | None:
    """The last `lines` lines of the pane text of the bead's runtime (a provider Peek of that
    many lines); None when there is no pane to read."""
    rs = ctx.rt.get(b.session_name)
    if rs is None:
        return None
    return "\n".join(rs.peek.split("\n")[-lines:]) if rs.peek else rs.peek


def rate_limit_hold(ctx: TickContext, b: SessionBead, alive: bool) -> bool:
    """checkRateLimitStability: a crash candidate whose pane shows a terminal provider error
    is marked unhealthy; one showing a rate-limit screen sleeps 30 minutes with no crash
    counted. True when the session's tick is done."""
    if alive:
        return False  # a live session is never a crash candidate
    f = facts(ctx, b, alive, True)
    dec = X.decide_exit(f)
    while dec == X.GATHER_SCREEN:
        f.screen = "other"
        text = peek(ctx, b)
        if text is not None:
            reason = terminal_error_reason(text)
            if reason:
                mark_terminal_error(ctx, b, reason)
                return True
            if screen_rate_limited(text):
                f.screen = "rate_limit"
        dec = X.decide_exit(f)
    if dec != X.RATE_LIMIT:
        return False
    ctx.patch(b.id, X.rate_limit_patch(ctx.now))
    ctx.action("quarantine", b.id, b.session_name, "rate_limit", "provider rate-limit screen: hold 30m",
               ctx.template_of(b))
    return True


def mark_terminal_error(ctx: TickContext, b: SessionBead, reason: str) -> None:
    """Patch the bead as failed with a terminal provider error and record the decision."""
    ctx.patch(b.id, X.terminal_error_patch(reason, ctx.now))
    ctx.decision("reconciler.session.terminal_provider_error", reason, "unhealthy", ctx.template_of(b),
                 b.session_name, session_bead_id=b.id)


def record_wake_failure(ctx: TickContext, b: SessionBead) -> SessionBead:
    """Count a failed wake on the bead, quarantining it (with an action) once the limit is
    reached; returns the patched bead."""
    patch, quarantined = X.wake_failure_patch(b, ctx.now)
    b = ctx.patch(b.id, patch)
    if quarantined:
        ctx.action("quarantine", b.id, b.session_name, "quarantine",
                   f"wake_attempts={b.get(B.WAKE_ATTEMPTS)}; quarantined until {b.get(B.QUARANTINED_UNTIL)}",
                   ctx.template_of(b))
    return b


def check_stability(ctx: TickContext, b: SessionBead, alive: bool) -> bool:
    """A rapid crash (dead < 30s after waking) counts a wake failure and clears the wake
    stamp; True ends the session's tick (no same-tick restart)."""
    if alive:
        return False
    if rate_limit_hold(ctx, b, alive):
        return True
    if X.decide_exit(facts(ctx, b, alive, False)) != X.RAPID_CRASH:
        return False
    b = record_wake_failure(ctx, b)
    ctx.patch(b.id, {B.LAST_WOKE_AT: ""})
    return True


def check_churn(ctx: TickContext, b: SessionBead, alive: bool) -> bool:
    """Death 30s..5m after waking counts churn (3 -> quarantine `context-churn`); a death
    after 5m clears the churn count."""
    if alive:
        return False
    dec = X.decide_exit(facts(ctx, b, alive, False))
    if dec == X.CHURN:
        patch, quarantined = X.churn_patch(b, ctx.now)
        b = ctx.patch(b.id, patch)
        ctx.patch(b.id, {B.LAST_WOKE_AT: ""})
        if quarantined:
            ctx.action("quarantine", b.id, b.session_name, "context-churn",
                       f"churn_count={b.get(B.CHURN_COUNT)}", ctx.template_of(b))
        return True
    if dec == X.PRODUCTIVE_DEATH:
        ctx.patch(b.id, X.clear_churn_patch(b))
    return False
