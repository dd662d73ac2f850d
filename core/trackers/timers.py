"""The pure decision ladders for the idle-timeout and max-session-age timers
(Gas City's DecideIdleTimeout / DecideMaxSessionAge / DecideAssignedWorkExhausted).

A ladder asks for facts it lacks (pending interaction, assigned work) one at a time, so the
caller only gathers what the decision needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.formats.timefmt import parse_time

NONE, GATHER_PENDING, GATHER_WORK, DEFER, STOP = "none", "gather_pending", "gather_work", "defer", "stop"


@dataclass
class TimerFacts:
    """Runtime facts a timer decision depends on; None means not known."""
    triggered: bool = False
    blocker: str = ""  # "user_hold" | "quarantine" | ""
    pending: bool | None = None
    attached: bool = False
    assigned_work: bool | None = None


@dataclass(frozen=True)
class TimerDecision:
    """What a timer decided (action) and the trace codes and sleep reason to record for it."""
    action: str
    reason: str = ""  # trace reason code
    outcome: str = ""  # trace outcome code
    sleep_reason: str = ""
    cancel_drain: bool = False
    skip_wake_pass: bool = False


def _defer(reason: str, outcome: str, **kw) -> TimerDecision:
    return TimerDecision(DEFER, reason, outcome, **kw)


def decide_max_session_age(f: TimerFacts) -> TimerDecision:
    """Blocker, then pending interaction, then open assigned work, then stop."""
    if not f.triggered:
        return TimerDecision(NONE)
    if f.blocker:
        return _defer(f.blocker, "deferred_" + f.blocker)
    if f.pending is None:
        return TimerDecision(GATHER_PENDING)
    if f.pending:
        return _defer("pending", "deferred_pending")
    if f.assigned_work is None:
        return TimerDecision(GATHER_WORK)
    if f.assigned_work:
        return _defer("assigned_work", "deferred_busy")
    return TimerDecision(STOP, "max_session_age", "stop", "max-session-age")


def decide_idle_timeout(f: TimerFacts) -> TimerDecision:
    """Blocker, then pending interaction (cancels a drain, skips the wake pass), then an
    attached terminal, then awake assigned work, then stop."""
    if not f.triggered:
        return TimerDecision(NONE)
    if f.blocker:
        return _defer(f.blocker, "deferred_" + f.blocker)
    if f.pending is None:
        return TimerDecision(GATHER_PENDING)
    if f.pending:
        return _defer("pending", "deferred_pending", cancel_drain=True, skip_wake_pass=True)
    if f.attached:
        return _defer("attached", "deferred_attached")
    if f.assigned_work is None:
        return TimerDecision(GATHER_WORK)
    if f.assigned_work:
        return _defer("assigned_work", "deferred_busy")
    return TimerDecision(STOP, "idle_timeout", "stop", "idle-timeout")


def decide_assigned_work_exhausted() -> TimerDecision:
    """The decision to stop a session whose assigned-work defers are exhausted."""
    return TimerDecision(STOP, "assigned_work_exhausted", "stop_defer_exhausted", "assigned-work-exhausted")


def timer_blocker(held_until: str, quarantined_until: str, now: datetime) -> str:
    """lifecycleTimerBlocker: an active hold wins over an active quarantine."""
    h = parse_time(held_until)
    if h is not None and now < h:
        return "user_hold"
    q = parse_time(quarantined_until)
    if q is not None and now < q:
        return "quarantine"
    return ""
