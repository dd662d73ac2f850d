"""Alias ownership, deferral and the deferred-singleton retry backoff (#2810, #4562, #4741)."""

from __future__ import annotations

from datetime import datetime

from core.formats.goduration import go_quote
from core.formats.goparse import atoi_or
from core.formats.timefmt import format_time_seconds, parse_time
from core.world import beads as B
from core.world.beads import SessionBead, natural_key, push_alias_history
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


def conflict_count(text: str) -> int:
    """The deferred-alias conflict count as Gas City reads pool_alias_conflict_count:
    strconv.Atoi of the trimmed value, and 0 when that fails or is not positive."""
    return max(atoi_or(text.strip()), 0)


def retry_due(at: str, count_text: str, now: datetime) -> bool:
    """deferredSingletonAliasRetryDue: due when the stamp is missing, unparseable or in the
    future; otherwise when now - at >= backoff(count)."""
    t = parse_time(at)
    if t is None or t > now:
        return True
    return (now - t).total_seconds() >= backoff_seconds(conflict_count(count_text))


def next_retry_at(bead: SessionBead) -> datetime | None:
    """When the backoff next allows a retry of the bead's deferred alias (None without a stamp)."""
    from datetime import timedelta

    t = parse_time(bead.get(B.POOL_ALIAS_CONFLICT_AT))
    if t is None:
        return None
    return t + timedelta(seconds=backoff_seconds(conflict_count(bead.get(B.POOL_ALIAS_CONFLICT_COUNT))))


def _named_signals_match(b: SessionBead, owner: str) -> bool:
    """configuredNamedIdentitySignalsMatch: the bead's recorded named identity, alias,
    agent_name or template names `owner`."""
    owner = named_target(owner)
    if not owner:
        return False
    return any(named_target(v) == owner for v in (b.get(B.CONFIGURED_NAMED_IDENTITY), b.alias, b.agent_name,
                                                   b.template))


def named_target(target: str) -> str:
    """NormalizeNamedSessionTarget: trimmed, then one trailing slash removed."""
    return target.strip().removesuffix("/")


def superseded_named_predecessor(b: SessionBead, owner: str) -> bool:
    """The #4741 exception of ensureSessionAliasAvailable: `b` holds `owner` as its session_name,
    its raw state is `asleep`, it was a configured named session and its named signals name
    `owner`. Such a holder never blocks `owner`'s own live holder from claiming the alias; the
    check skips it entirely, so it keeps any alias it already has."""
    owner = owner.strip()
    return (bool(owner) and b.session_name.strip() == owner and b.state == "asleep"
            and (b.get(B.CONFIGURED_NAMED_SESSION).strip() == "true" or bool(b.get(B.CONFIGURED_NAMED_IDENTITY).strip()))
            and _named_signals_match(b, owner))


def alias_holder(store: Store, alias: str, self_id: str, owner: str, named_identities: set[str],
                 self_named_identity: str = "") -> tuple[SessionBead | None, str]:
    """ensureSessionAliasAvailable: the open bead (or reservation) that blocks `self_id` from
    claiming `alias`, with the rule that blocked it; (None, "") when the alias is free.

    An alias is blocked by another open, non-failed-create bead whose session_name, alias or
    agent_name equals it. Two exceptions serve the bead's own canonical identity (`owner`): a
    matching agent_name, and an asleep configured-named predecessor of that identity holding it
    as session_name (#4741; a drained bead whose raw state is `asleep` qualifies). Closed beads
    and alias_history never reserve. A configured [[named_session]] identity is reserved for that
    named session alone."""
    alias = alias.strip()
    if not alias:
        return None, ""
    holder, rule = _open_alias_holder(store, alias, self_id, owner)
    if holder is not None:
        return holder, rule
    if alias in named_identities:
        return None, _named_reservation(store, alias, self_id, owner, self_named_identity)
    return None, ""


def _open_alias_holder(store: Store, alias: str, self_id: str, owner: str) -> tuple[SessionBead | None, str]:
    """The oldest other open bead whose session_name, alias or agent_name is `alias`, with the
    field that matched; the owner's own agent_name and its superseded named predecessor pass."""
    seen: set[str] = set()
    cands: list[SessionBead] = []
    for key in (B.SESSION_NAME, B.ALIAS, B.AGENT_NAME):
        for b in store.open_by(key, alias):
            if b.id not in seen:
                seen.add(b.id)
                cands.append(b)
    if len(cands) > 1:
        cands.sort(key=lambda b: (b.created_at, natural_key(b.id)))
    for other in cands:
        if other.id == self_id or other.failed_create:
            continue
        if other.session_name.strip() == alias:
            if owner and owner == alias and superseded_named_predecessor(other, owner):
                continue
            return other, "session_name"
        if other.alias.strip() == alias:
            return other, "alias"
        if other.agent_name.strip() == alias:
            if owner and owner == alias:
                continue
            return other, "agent_name"
    return None, ""


_ALIAS_TAKEN = {
    "session_name": "conflicts with session name on",
    "alias": "already belongs to",
    "agent_name": "conflicts with concrete session identity on",
}


def alias_taken_error(alias: str, holder_id: str, rule: str) -> str:
    """The error ensureSessionAliasAvailable returns when `rule` (an `alias_holder` rule) blocks
    `alias`: ErrSessionAliasExists wrapped with the holder, or with the configured named session
    that reserves it."""
    if rule == "reserved":
        return f"session alias already exists: {go_quote(alias)} reserved for configured named session {alias}"
    return f"session alias already exists: {go_quote(alias)} {_ALIAS_TAKEN[rule]} {holder_id}"


def _named_reservation(store: Store, alias: str, self_id: str, owner: str, self_named_identity: str) -> str:
    """For an alias that is a configured named identity: "" when the claimant is that named
    session (by owner, by its own named identity, or by its bead's configured identity), else
    "reserved"."""
    if not owner and not self_named_identity and self_id:
        me = store.session(self_id)
        if me is not None and me.get(B.CONFIGURED_NAMED_SESSION).strip() == "true" \
                and me.get(B.CONFIGURED_NAMED_IDENTITY).strip() == alias:
            owner = alias
    if (owner or self_named_identity) == alias:
        return ""
    return "reserved"


def defer_changes(bead: SessionBead, alias: str, now: datetime) -> dict[str, str]:
    """recordDeferred...: clear the alias (old one to alias_history), count+1, stamp now."""
    count = conflict_count(bead.get(B.POOL_ALIAS_CONFLICT_COUNT))
    changes = {
        B.POOL_ALIAS_CONFLICT: alias,
        B.POOL_ALIAS_CONFLICT_COUNT: str(count + 1),
        B.POOL_ALIAS_CONFLICT_AT: format_time_seconds(now),
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
