"""Alias ownership, deferral and the deferred-singleton retry backoff (#2810, #4562, #4741)."""

from __future__ import annotations

from datetime import datetime

from core.timefmt import format_time, parse_time
from core.world import beads as B
from core.world.beads import SessionBead, push_alias_history
from core.world.store import Store

BACKOFF_BASE = 30.0
BACKOFF_CAP = 30 * 60.0


def backoff_seconds(count: int) -> float:
    """30 s for a count <= 1, doubling per conflict, capped at 30 minutes."""
    if count <= 1:
        return BACKOFF_BASE
    if count >= 8:
        return BACKOFF_CAP
    return min(BACKOFF_BASE * (2 ** (count - 1)), BACKOFF_CAP)


def retry_due(at: str, count_text: str, now: datetime) -> bool:
    """deferredSingletonAliasRetryDue: due when the stamp is missing, unparseable or in the
    future; otherwise when now - at >= backoff(count)."""
    t = parse_time(at)
    if t is None or t > now:
        return True
    try:
        count = int(count_text or 0)
    except ValueError:
        count = 0
    return (now - t).total_seconds() >= backoff_seconds(count)


def next_retry_at(bead: SessionBead) -> datetime | None:
    from datetime import timedelta

    t = parse_time(bead.get(B.POOL_ALIAS_CONFLICT_AT))
    if t is None:
        return None
    try:
        count = int(bead.get(B.POOL_ALIAS_CONFLICT_COUNT) or 0)
    except ValueError:
        count = 0
    return t + timedelta(seconds=backoff_seconds(count))


def alias_holder(store: Store, alias: str, self_id: str, owner: str, named_identities: set[str],
                 self_named_identity: str = "") -> tuple[SessionBead | None, str]:
    """ensureSessionAliasAvailable: the open bead (or reservation) that blocks `self_id` from
    claiming `alias`, with the rule that blocked it; (None, "") when the alias is free."""
    for key in (B.SESSION_NAME, B.ALIAS, B.AGENT_NAME):
        for other in store.open_by(key, alias):
            if other.id == self_id or other.failed_create:
                continue
            if key == B.SESSION_NAME:
                if (owner == alias and other.state == "asleep" and other.is_named and
                        owner in (other.get(B.CONFIGURED_NAMED_IDENTITY), other.alias, other.agent_name,
                                  other.template)):
                    continue  # #4741: a drained named predecessor yields its runtime name
                return other, "session_name"
            if key == B.AGENT_NAME and owner == alias:
                continue
            return other, key
    if alias in named_identities and owner != alias and self_named_identity != alias:
        return None, "reserved"
    return None, ""


def defer_changes(bead: SessionBead, alias: str, now: datetime) -> dict[str, str]:
    """recordDeferred...: clear the alias (old one to alias_history), count+1, stamp now."""
    try:
        count = int(bead.get(B.POOL_ALIAS_CONFLICT_COUNT) or 0)
    except ValueError:
        count = 0
    changes = {
        B.POOL_ALIAS_CONFLICT: alias,
        B.POOL_ALIAS_CONFLICT_COUNT: str(count + 1),
        B.POOL_ALIAS_CONFLICT_AT: format_time(now),
    }
    if bead.alias:
        changes[B.ALIAS] = ""
        changes[B.ALIAS_HISTORY] = push_alias_history(bead.get(B.ALIAS_HISTORY), bead.alias, "")
    return changes


CLEAR_CONFLICT = {B.POOL_ALIAS_CONFLICT: "", B.POOL_ALIAS_CONFLICT_COUNT: "", B.POOL_ALIAS_CONFLICT_AT: ""}


def in_deferred_state(bead: SessionBead) -> bool:
    """A bead whose alias is pending: empty alias and a conflict record, a pending create claim,
    or a creating/start-pending state."""
    if bead.alias:
        return False
    return bool(bead.get(B.POOL_ALIAS_CONFLICT)) or bead.pending_claim or bead.state in ("creating", "start-pending")
