"""The heal rule (healStatePatchWithRollback): rewrite a bead's advisory state from observed
runtime liveness, only when it differs."""

from __future__ import annotations

from datetime import datetime

from core.reconcile.lease import lease_active, lease_expired_for_rollback, start_requested
from core.reconcile.lifecycle import base_state, is_named_always, reconciled_state
from core.trackers.exits import PRIMING_KEYS
from core.world import beads as B
from core.world.beads import SessionBead


def _clear_claim(b: SessionBead, patch: dict[str, str]) -> None:
    if b.pending_claim:
        patch[B.PENDING_CREATE_CLAIM] = ""
        patch[B.PENDING_CREATE_STARTED_AT] = ""


def heal_patch(b: SessionBead, alive: bool, now: datetime, startup_timeout: float,
               rollback_available: bool = True) -> dict[str, str]:
    """The metadata heal writes for this observation ({} when the bead is already right).

    Alive -> awake. Dead: a drained base -> asleep/drained; start-pending stays; a creating
    bead that never woke -> start-pending; fresh creating stays; stale creating, failed-create
    (unless leased), expired leases and every other state -> asleep, resetting the
    conversation when an active or creating session disappeared without a deliberate reason.
    """
    if not b.open:
        return {}
    patch: dict[str, str] = {}
    state = b.state.strip()
    base = base_state(b)
    if not alive and base == "drained":
        if state != "asleep":
            patch[B.STATE] = "asleep"
        if not b.get(B.SLEEP_REASON).strip():
            patch[B.SLEEP_REASON] = "drained"
        return patch
    target, reset = reconciled_state(b, alive, now)
    if target == "" and base == "none":
        target = "awake" if alive else ("start-pending" if start_requested(b, now) else "asleep")
    stale_rollback = False
    if not alive and state == "failed-create":
        if b.pending_claim and lease_active(b, now, 0.0):
            return {}
        target = "asleep"
        _clear_claim(b, patch)
    if rollback_available and not alive and state in ("start-pending", "creating") and \
            lease_expired_for_rollback(b, now, startup_timeout):
        target = "asleep"
        stale_rollback = True
        _clear_claim(b, patch)
    if not target:
        return {}
    if state != target:
        patch[B.STATE] = target
        if target == "asleep" and (reset or stale_rollback) and not b.get(B.SLEEP_REASON).strip():
            patch[B.SLEEP_REASON] = "runtime-missing"
    if target == "asleep":
        if not b.get(B.SLEEP_REASON).strip() and state == "failed-create":
            patch[B.SLEEP_REASON] = "failed-create"
        if (reset or stale_rollback) and not is_named_always(b):
            patch.update({B.SESSION_KEY: "", B.STARTED_CONFIG_HASH: "", B.CONTINUATION_RESET_PENDING: "true"})
            patch.update({k: "" for k in PRIMING_KEYS})
    return {k: v for k, v in patch.items() if b.get(k) != v}
