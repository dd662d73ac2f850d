"""Exit classification for a dead session (lifecycle_exits.go, session_reconcile.go): rate
limit, rapid crash (wake failure), churn, productive death; and the counters and quarantine
they write to the bead. State lives on the bead, never in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.formats.timefmt import format_time_seconds, parse_time
from core.world import beads as B

STABILITY_THRESHOLD = 30.0
PRODUCTIVITY_THRESHOLD = 300.0
MAX_WAKE_ATTEMPTS = 5
MAX_CHURN_CYCLES = 3
QUARANTINE = 300.0
RATE_LIMIT_QUARANTINE = 1800.0

NONE, GATHER_SCREEN, RATE_LIMIT, RAPID_CRASH, CHURN, PRODUCTIVE_DEATH = (
    "none", "gather_screen", "rate_limit", "rapid_crash", "churn", "productive_death")

DELIBERATE_SLEEP_REASONS = B.DELIBERATE_SLEEP_REASONS
PRIMING_KEYS = (B.PRIMED_AT, B.PRIMING_ATTEMPTED_AT, B.PROMPT_HASH)


@dataclass
class ExitFacts:
    """What the exit checks know about one session this tick; `screen` is "", "rate_limit" or "other"."""
    alive: bool
    drain_pending: bool
    pending_claim: bool
    start_in_flight: bool
    sleep_reason: str
    last_woke_at: str
    now: datetime
    subprocess_provider: bool = False
    screen_available: bool = False
    screen: str = ""  # "" unknown | "rate_limit" | "other"


def decide_exit(f: ExitFacts) -> str:
    """DecideSessionExit. A crash candidate has a non-subprocess provider, no pending drain,
    a valid wake stamp and no create lease in flight."""
    if f.alive:
        return NONE
    woke = parse_time(f.last_woke_at)
    candidate = not f.subprocess_provider and not f.drain_pending and woke is not None and not f.start_in_flight
    if candidate and f.screen_available:
        if f.screen == "":
            return GATHER_SCREEN
        if f.screen == "rate_limit":
            return RATE_LIMIT
    if candidate and woke is not None and (f.now - woke).total_seconds() < STABILITY_THRESHOLD:
        return RAPID_CRASH
    if (f.pending_claim or f.subprocess_provider or f.drain_pending or f.sleep_reason in DELIBERATE_SLEEP_REASONS
            or woke is None):
        return NONE
    elapsed = (f.now - woke).total_seconds()
    if elapsed < STABILITY_THRESHOLD:
        return NONE
    if elapsed >= PRODUCTIVITY_THRESHOLD:
        return PRODUCTIVE_DEATH
    return CHURN


def _count(text: str) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def conversation_reset(clear_started_hash: bool) -> dict[str, str]:
    """ConversationResetPatch: the next wake starts a fresh conversation."""
    patch = {B.SESSION_KEY: "", B.CONTINUATION_RESET_PENDING: "true"}
    if clear_started_hash:
        patch[B.STARTED_CONFIG_HASH] = ""
        patch.update({k: "" for k in PRIMING_KEYS})
    return patch


def accrual(key: str, prior: int, threshold: int, sleep_reason: str, until: datetime) -> tuple[dict[str, str], bool]:
    """Bump counter `key` past `prior`; at `threshold` the patch also quarantines until `until` with
    `sleep_reason`. Returns the patch and whether it quarantines."""
    nxt = prior + 1
    if nxt >= threshold:
        return {key: str(nxt), B.QUARANTINED_UNTIL: format_time_seconds(until), B.SLEEP_REASON: sleep_reason}, True
    return {key: str(nxt)}, False


def wake_failure_patch(bead: B.SessionBead, now: datetime) -> tuple[dict[str, str], bool]:
    """recordWakeFailure: reset the conversation when it had one, count the attempt, and at
    the 5th quarantine for 5 minutes (sleep_reason=quarantine)."""
    patch: dict[str, str] = {}
    if bead.get(B.SESSION_KEY) or bead.get(B.STARTED_CONFIG_HASH):
        patch.update(conversation_reset(True))
    acc, quarantined = accrual(B.WAKE_ATTEMPTS, _count(bead.get(B.WAKE_ATTEMPTS)), MAX_WAKE_ATTEMPTS, "quarantine",
                               now + timedelta(seconds=QUARANTINE))
    patch.update(acc)
    return patch, quarantined


def churn_patch(bead: B.SessionBead, now: datetime) -> tuple[dict[str, str], bool]:
    """recordChurn: reset the conversation key, count the cycle, quarantine at the 3rd
    (sleep_reason=context-churn)."""
    patch: dict[str, str] = {}
    if bead.get(B.SESSION_KEY):
        patch.update(conversation_reset(False))
    acc, quarantined = accrual(B.CHURN_COUNT, _count(bead.get(B.CHURN_COUNT)), MAX_CHURN_CYCLES, "context-churn",
                               now + timedelta(seconds=QUARANTINE))
    patch.update(acc)
    return patch, quarantined


def rate_limit_patch(now: datetime) -> dict[str, str]:
    """RateLimitQuarantinePatch: asleep for 30 minutes, no crash counted."""
    return {B.STATE: "asleep", B.QUARANTINED_UNTIL: format_time_seconds(now + timedelta(seconds=RATE_LIMIT_QUARANTINE)),
            B.SLEEP_REASON: "rate_limit", B.LAST_WOKE_AT: "", B.PENDING_CREATE_CLAIM: "",
            B.PENDING_CREATE_STARTED_AT: ""}


def terminal_error_patch(reason: str, now: datetime) -> dict[str, str]:
    """markProviderTerminalError: asleep and unhealthy until an operator intervenes."""
    return {B.STATE: "asleep", B.SLEEP_REASON: "provider-terminal-error", B.LAST_WOKE_AT: "",
            B.PENDING_CREATE_CLAIM: "", B.PENDING_CREATE_STARTED_AT: "", B.SESSION_HEALTH: "unhealthy",
            B.SESSION_HEALTH_REASON: reason, B.SESSION_DRAINABLE: "true", B.PROVIDER_TERMINAL_ERROR: reason,
            B.PROVIDER_TERMINAL_ERROR_AT: format_time_seconds(now)}


def clear_wake_failures_patch(bead: B.SessionBead) -> dict[str, str]:
    """The patch that zeroes the bead's wake attempts and lifts its quarantine; empty if already clear."""
    patch = {}
    if bead.get(B.WAKE_ATTEMPTS) not in ("", "0"):
        patch[B.WAKE_ATTEMPTS] = "0"
    if bead.get(B.QUARANTINED_UNTIL):
        patch[B.QUARANTINED_UNTIL] = ""
    return patch


def clear_churn_patch(bead: B.SessionBead) -> dict[str, str]:
    """The patch that zeroes the bead's churn count; empty if already zero."""
    return {B.CHURN_COUNT: "0"} if bead.get(B.CHURN_COUNT) not in ("", "0") else {}


def woke_for(bead: B.SessionBead, now: datetime) -> float | None:
    """Seconds since the bead's last wake, or None if it has none."""
    t = parse_time(bead.get(B.LAST_WOKE_AT))
    return None if t is None else (now - t).total_seconds()


def clear_expired_timers_patch(bead: B.SessionBead, now: datetime) -> dict[str, str]:
    """healExpiredTimers: ClearExpiredHoldPatch and ClearExpiredQuarantinePatch for timers
    whose deadline has passed."""
    md = bead.metadata
    patch: dict[str, str] = {}
    sleep_reason = md.get(B.SLEEP_REASON, "")
    held = parse_time(md.get(B.HELD_UNTIL, ""))
    if held is not None and now > held:
        patch[B.HELD_UNTIL] = ""
        if sleep_reason == "user-hold":
            patch[B.SLEEP_REASON] = ""
    q = parse_time(md.get(B.QUARANTINED_UNTIL, ""))
    if q is not None and now > q:
        patch.update({B.QUARANTINED_UNTIL: "", B.WAKE_ATTEMPTS: "0", B.CHURN_COUNT: "0"})
        if sleep_reason in ("quarantine", "context-churn", "rate_limit"):
            patch[B.SLEEP_REASON] = ""
    return patch
