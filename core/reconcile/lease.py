"""The pending-create lease (session_reconciler.go): whether a create is still in flight, may
still start, or must be rolled back."""

from __future__ import annotations

from datetime import datetime

from core.formats.timefmt import parse_time
from core.world import beads as B
from core.world.beads import SessionBead

STALE_CREATING = 60.0  # staleCreatingStateTimeout
STALE_PENDING_CREATE = 300.0  # stalePendingCreateTimeout
NEVER_STARTED_LEASE = 600.0  # pendingCreateNeverStartedTimeout
STALE_KEY_DETECT_DELAY = 2.0
POOL_SPAWN_CLAIM_GRACE = 60.0


def _t(b: SessionBead, key: str) -> datetime | None:
    return parse_time(b.get(key).strip())


def start_in_flight(b: SessionBead, now: datetime, startup_timeout: float) -> bool:
    """pendingCreateStartInFlight: a claim or `creating` whose wake attempt is younger than
    startup_timeout + 7s."""
    if not b.pending_claim and b.state.strip() != "creating":
        return False
    woke = _t(b, B.LAST_WOKE_AT)
    if woke is None:
        return False
    timeout = startup_timeout if startup_timeout > 0 else 60.0
    return (now - woke).total_seconds() < timeout + STALE_KEY_DETECT_DELAY + 5.0


def attempt_stale(b: SessionBead, now: datetime) -> bool:
    """pendingCreateAttemptStale: 60s since pending_create_started_at (else created_at)."""
    anchor = _t(b, B.PENDING_CREATE_STARTED_AT) or b.created_at
    return (now - anchor).total_seconds() >= STALE_CREATING


def never_started_lease_expired(b: SessionBead, now: datetime) -> bool:
    """A claim that never woke lives 10 minutes from pending_create_started_at."""
    if not b.pending_claim or b.get(B.LAST_WOKE_AT).strip():
        return False
    anchor = _t(b, B.PENDING_CREATE_STARTED_AT) or b.created_at
    return (now - anchor).total_seconds() > NEVER_STARTED_LEASE


def lease_active(b: SessionBead, now: datetime, startup_timeout: float) -> bool:
    """True while the bead's pending-create claim still holds its lease: a start in flight, a
    never-started claim not yet expired, or a recent attempt."""
    if not b.pending_claim:
        return False
    if start_in_flight(b, now, startup_timeout):
        return True
    if not b.get(B.LAST_WOKE_AT).strip():
        return not never_started_lease_expired(b, now)
    return not attempt_stale(b, now)


def rollback_state(state: str) -> bool:
    """True if a bead in this state may have its pending create rolled back."""
    return state.strip() in ("start-pending", "creating", "asleep")


def lease_expired_for_rollback(b: SessionBead, now: datetime, startup_timeout: float) -> bool:
    """pendingCreateLeaseExpiredForRollback."""
    if not b.pending_claim or not rollback_state(b.state):
        return False
    if b.state.strip() != "asleep" and start_in_flight(b, now, startup_timeout):
        return False
    if not b.get(B.LAST_WOKE_AT).strip():
        return never_started_lease_expired(b, now)
    return attempt_stale(b, now)


def start_requested(b: SessionBead, now: datetime) -> bool:
    """sessionStartRequested: start-pending, a claim, or a fresh `creating`."""
    state = b.state.strip()
    if state == "start-pending" or b.pending_claim:
        return True
    if state != "creating":
        return False
    return not attempt_stale(b, now)


def within_spawn_claim_grace(b: SessionBead, now: datetime, startup_timeout: float) -> bool:
    """A freshly woken pool session gets startup_timeout + 60s to claim its work."""
    if not b.pool_managed:
        return False
    woke = _t(b, B.LAST_WOKE_AT)
    if woke is None:
        return False
    return (now - woke).total_seconds() < startup_timeout + POOL_SPAWN_CLAIM_GRACE
