"""Projection of a session bead's stored lifecycle (session.ProjectLifecycle, reduced to what
the reconciler reads): base state, compat state, and what heal rewrites the state to."""

from __future__ import annotations

from datetime import datetime

from core.reconcile.lease import attempt_stale
from core.world import beads as B
from core.world.beads import SessionBead

# knownSessionStates: anything else (archived, a newer controller's state, a bare
# `draining` without the stop-pending reason) is skipped by the forward pass.
RECONCILER_KNOWN_STATES = frozenset({"active", "asleep", "awake", "stopped", "suspended", "orphaned", "closed",
                                     "quarantined", "start-pending", "creating", "drained", "failed-create", ""})

# Sleep reasons that never reset a conversation when heal finds the runtime gone.
_NO_RESET_REASONS = frozenset({"idle", "idle-timeout", "no-wake-reason", "config-drift", "drained", "city-stop",
                               "user-hold", "wait-hold", "rate_limit", "runtime-missing"})


def base_state(b: SessionBead) -> str:
    """projectBaseState."""
    if not b.open:
        return "closed"
    s = b.state.strip()
    if s == "":
        return "none"
    if s in ("active", "awake"):
        return "active"
    if s == "asleep":
        return "drained" if b.get(B.SLEEP_REASON).strip() == "drained" else "asleep"
    return s


def compat_state(b: SessionBead) -> str:
    """compatStateForBase: the state ComputeAwakeSet sees."""
    base = base_state(b)
    return {"none": "", "active": "active", "drained": "asleep", "stopped": "asleep"}.get(base, base)


def reconciled_state(b: SessionBead, alive: bool, now: datetime) -> tuple[str, bool]:
    """(state heal wants, whether the continuation resets) for an observed runtime."""
    base = base_state(b)
    if alive:
        return "awake", False
    if base in ("none", "closed", "closing"):
        return compat_state(b), False
    if base == "start-pending":
        return "start-pending", False
    if base == "creating":
        if b.pending_claim and not b.get(B.LAST_WOKE_AT).strip():
            return "start-pending", False
        if not attempt_stale(b, now):  # creatingStateIsStale
            return "creating", False
        return "asleep", _resets(base, b)
    if base == "failed-create":
        return "failed-create", False
    if b.pending_claim:
        return "start-pending", False
    return "asleep", _resets(base, b)


def _resets(base: str, b: SessionBead) -> bool:
    if not b.get(B.SESSION_KEY).strip() and not b.get(B.STARTED_CONFIG_HASH).strip():
        return False
    if b.get(B.SLEEP_REASON).strip() in _NO_RESET_REASONS:
        return False
    return base in ("active", "creating")


def is_named_always(b: SessionBead) -> bool:
    """True for a configured named session in "always" mode (isNamedSessionInfo and the trimmed
    namedSessionModeInfo)."""
    return b.get(B.CONFIGURED_NAMED_SESSION).strip() == "true" and b.get(B.CONFIGURED_NAMED_MODE).strip() == "always"

