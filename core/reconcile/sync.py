"""Sync session beads to the desired state (syncSessionBeads, controller mode: sync never
closes orphaned or suspended beads; the reconciler owns that).

Before the per-entry pass: close failed-create named beads, close `duplicate` beads that share
a session_name with the canonical owner, and close named beads whose runtime name no longer
matches their spec (`reconfigured`). Then per desired entry: reuse the bead holding its
session_name (a named entry may reopen its closed canonical bead), or create one
(`start-pending` with a claim, or `active` when its runtime already runs); otherwise
diff-write identity metadata and claim the managed alias, recording `pool_alias_conflict`
under the deferred-singleton backoff when another open bead holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config.city_config import Agent
from core.desired.alias import (
    CLEAR_CONFLICT,
    alias_holder,
    alias_taken_error,
    conflict_count,
    retry_due,
)
from core.desired.entries import DesiredEntry, DesiredResult
from core.desired.named import matches_spec
from core.desired.realize import instance_token
from core.formats.goduration import go_quote
from core.formats.timefmt import format_time_seconds
from core.identity import (
    canonical_singleton,
    owns_pool_session_name,
    pool_session_name,
    resolve_pool_slot,
    session_name_for,
)
from core.reconcile.context import TickContext
from core.world import beads as B
from core.world.beads import SessionBead, natural_key, push_alias_history
from core.world.store import StoreWriteError


def owns_pool_name(b: SessionBead) -> bool:
    """beadOwnsPoolSessionName for a bead of the duplicate pass, which has a session name: the
    name is the pool name derived from the bead's own id."""
    return owns_pool_session_name(b.session_name, b.template, b.id)


def run_sync(ctx: TickContext, close: bool = False) -> None:
    """Sync session beads to the desired state: close failed named creates, duplicates and
    reconfigured named beads, then create or update a bead per desired entry. With `close`
    (skipClose off: `gc start`'s final one-shot sync, never the controller's) the beads no
    desired entry names are then closed `orphaned` or `suspended`."""
    desired = ctx.desired
    if desired is None:
        return
    for b in ctx.open_beads():
        if b.is_named and b.failed_create:
            ctx.close(b.id, "failed-create")
    close_duplicates(ctx)
    reconfigured = close_reconfigured_named(ctx)
    named_ids = {n.identity for n in ctx.city.named_sessions}
    for sn in sorted(desired.entries):
        e = desired.entries[sn]
        if e.named_identity and e.named_identity in reconfigured:
            continue
        sync_entry(ctx, e, named_ids)
    sync_desired_pool_slots(ctx, desired)
    if close:
        close_undesired(ctx, desired)


def close_undesired(ctx: TickContext, desired: DesiredResult) -> None:
    """syncSessionBeads' close pass (skipClose off): an open bead whose session name no desired
    entry has is kept when it is a configured named bead that preserveConfiguredNamedSessionBead
    holds, or one that blocks a configured named session (logged; one blocking several is
    Gas City's ambiguity error, logged, and closed like the rest); otherwise it is closed
    `suspended` when its name is a configured session name, else `orphaned`, once its runtime is
    stopped and no open work is assigned to it (closeSessionBeadIfRuntimeStoppedAndUnassigned).
    A named bead whose [[named_session]] was removed is archived instead (retire_removed_named)."""
    from core.reconcile.undesired import configured_names, preserved_named

    desired_names = set(desired.entries)
    names = configured_names(ctx)
    for b in ctx.open_beads():
        sn = b.session_name
        if not sn or sn in desired_names:
            continue
        if b.is_named:
            identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()
            if identity and ctx.city.named_by_identity(identity) is None:
                retire_removed_named(ctx, b, identity)
                continue
        if preserved_named(ctx, b) is not None:
            continue
        blocked = blocks_named_session(ctx, b)
        if len(blocked) > 1:
            # the lookup's error is logged and the bead is closed as any other undesired bead
            ctx.log(f"session beads: checking named-session conflict for {b.id}: ambiguous session identifier: "
                    f"bead {b.id} conflicts with multiple configured named sessions")
        elif blocked:
            ctx.log(f"session beads: live bead {b.id} blocks configured named session {go_quote(blocked[0])}; "
                    "leaving it open")
            continue
        reason = "suspended" if sn in names else "orphaned"
        if reason == "orphaned":
            _warn_plain_template(ctx, b)
        if ctx.has_open_work(b) or not stop_before_mutation(ctx, b, f"{reason} session"):
            continue
        if ctx.has_open_work(b):
            continue
        ctx.close_unassigned(b, reason)


def _warn_plain_template(ctx: TickContext, b: SessionBead) -> None:
    """The warning Gas City writes before closing an orphaned bead of a still-configured agent
    that no [[named_session]] declares, unless the bead's origin is ephemeral
    (isEphemeralSessionBead): a bead with a pool slot but a non-ephemeral origin still warns."""
    template = b.template.strip()
    if template and ctx.agent(template) is not None and not b.is_ephemeral \
            and ctx.city.named_by_identity(template) is None:
        ctx.log(f"session beads: plain template session {b.id} ({template}) is no longer controller-managed; "
                "declare [[named_session]] to keep a canonical alias-backed session")


def retire_removed_named(ctx: TickContext, b: SessionBead, identity: str) -> bool:
    """retireRemovedConfiguredNamedSessionBead: once its runtime is stopped, a named bead whose
    [[named_session]] was removed stays open as history, archived (RetireNamedSessionPatch:
    state `archived`, its alias, session name and canonical identity freed, holds cleared, the
    identity kept in retired_named_identity); the work it held is unclaimed
    (unclaimWorkAssignedToRetiredSessionBead) and its durable waits are canceled
    (cancelStateAssignedToRetiredSessionBead). False when the stop or the write failed."""
    if not stop_before_mutation(ctx, b, "removed named session"):
        return False
    now = format_time_seconds(ctx.now)
    patch = {B.STATE: "archived", B.STATE_REASON: "removed-configured-named-session", B.ARCHIVED_AT: now,
             B.CONTINUITY_ELIGIBLE: "false", B.PENDING_CREATE_CLAIM: "", B.PENDING_CREATE_STARTED_AT: "",
             B.ALIAS: "", B.SESSION_NAME: "", B.SESSION_NAME_EXPLICIT: "", B.CANONICAL_INSTANCE_NAME: "",
             B.CANONICAL_POOL_SLOT: "", B.SYNCED_AT: now, B.HELD_UNTIL: "", B.QUARANTINED_UNTIL: "",
             B.WAIT_HOLD: "", B.SLEEP_INTENT: "", B.SLEEP_REASON: ""}
    if identity:
        patch[B.RETIRED_NAMED_IDENTITY] = identity
    if ctx.patch(b.id, patch).get(B.STATE) != "archived":
        return False  # the store refused the write (logged with the tick's failed writes)
    unclaim_retired_work(ctx, b, b.fallback_route)
    for w in ctx.store.waits_in_order():
        if w.session_id == b.id and not w.terminal:
            ctx.store.put_wait(w.with_(state="canceled"))  # CancelWaits sets the state alone
    return True


def unclaim_retired_work(ctx: TickContext, b: SessionBead, fallback: str) -> None:
    """unclaimWorkAssignedToRetiredSessionBead: the open and in-progress work assigned to the
    retired session's identifiers (sessionAssignmentIdentifiers: id, session name, named
    identity) is released (ReleaseWorkBead): unassigned, reopened, cleared of its session
    affinity, and given `fallback` as gc.run_target when it has neither a run target nor a
    route. `b` is the bead as it was before its retirement patch."""
    for w in ctx.work_of(b):
        if w.status not in ("open", "in_progress") or not w.releasable:
            continue
        ctx.store.put_work(w.released(fallback))


def blocks_named_session(ctx: TickContext, b: SessionBead) -> list[str]:
    """BeadConflictsWithNamedSession over the configured named sessions, in config order
    (FindConflictingNamedSessionSpecForBead): the identities whose runtime name this bead holds
    without matching the spec (NamedSessionBeadMatchesSpec: not a bead of the backing template),
    or which it holds as its alias. The named bead of an identity never blocks that identity.
    Gas City refuses an answer naming more than one (ErrAmbiguous)."""
    blocked: list[str] = []
    for spec in ctx.city.named_sessions:
        identity = spec.identity
        if b.is_named and b.get(B.CONFIGURED_NAMED_IDENTITY).strip() == identity:
            continue
        if b.session_name.strip() == session_name_for(ctx.city, identity):
            if not matches_spec(b, identity, spec.template_qualified):
                blocked.append(identity)
        elif b.alias.strip() == identity:
            blocked.append(identity)
    return blocked


def sync_desired_pool_slots(ctx: TickContext, desired: DesiredResult) -> None:
    """syncDesiredPoolSlots: for each instance-expanding (not canonical-singleton) template, the
    desired pool beads whose alias already agrees get their slot written: the entry's own slot
    first, else the slot the bead already holds (existingPoolSlotWithConfig), each slot to one
    bead in session-name order; a stale pool_slot is rewritten, pool_managed stamped."""
    from core.desired.context import BuildContext
    from core.desired.slots import existing_slot
    from core.identity import instance_expansion

    by_template: dict[str, list[str]] = {}
    agent_of: dict[str, Agent] = {}
    for sn, e in desired.entries.items():
        if e.manual or e.named_identity:
            continue
        a = ctx.agent(e.template)
        if a is None or not instance_expansion(a, ctx.semantics) or canonical_singleton(a, ctx.semantics):
            continue
        by_template.setdefault(e.template, []).append(sn)
        agent_of[e.template] = a
    if not by_template:
        return
    bctx = BuildContext(ctx.city, ctx.world, ctx.semantics, [])
    for template in sorted(by_template):
        a = agent_of[template]
        names = sorted(by_template[template])
        used: set[int] = set()
        slot_of: dict[str, int] = {}
        beads: dict[str, SessionBead] = {}
        for sn in names:
            holders = ctx.store.open_by(B.SESSION_NAME, sn)
            e = desired.entries[sn]
            if not holders or (e.alias and holders[-1].alias != e.alias):
                continue
            b = beads[sn] = holders[-1]
            slot = e.pool_slot if e.pool_slot > 0 and e.pool_slot not in used else existing_slot(bctx, a, b)
            if slot <= 0 or slot in used:
                continue
            used.add(slot)
            slot_of[sn] = slot
        for sn, slot in slot_of.items():  # in name order; each name's bead holds a positive slot
            b = beads[sn]
            batch = {}
            if b.get(B.POOL_MANAGED) != "true":
                batch[B.POOL_MANAGED] = "true"
            if b.get(B.POOL_SLOT) != str(slot):
                batch[B.POOL_SLOT] = str(slot)
            if batch:
                batch[B.SYNCED_AT] = format_time_seconds(ctx.now)
                ctx.patch(b.id, batch)


def close_duplicates(ctx: TickContext) -> None:
    """Among open beads sharing a session_name keep the one owning `<base>-<its id>`, else
    the later one; close the rest `duplicate` when they hold no work."""
    owner: dict[str, SessionBead] = {}
    for b in ctx.open_beads():
        sn = b.session_name.strip()
        if not sn:
            continue
        inc = owner.get(sn)
        if inc is None:
            owner[sn] = b
        elif owns_pool_name(inc) and not owns_pool_name(b):
            continue
        else:
            owner[sn] = b
    for b in ctx.open_beads():
        sn = b.session_name.strip()
        if sn and owner[sn].id != b.id and not ctx.has_open_work(b):
            ctx.close_unassigned(b, "duplicate")


def close_reconfigured_named(ctx: TickContext) -> set[str]:
    """Close named beads whose session name no longer matches their configuration
    (closeSessionBeadIfRuntimeStoppedAndUnassigned): not while they hold open work, and only
    once their runtime is stopped (stopRuntimeBeforeSessionBeadMutation). Returns the
    identities this pass touched: a closed one is replaced by a fresh canonical bead on a
    later tick, a blocked one keeps its old bead; either way sync skips its desired entry now
    (Gas City's pass still sees the old bead under its old name)."""
    touched: set[str] = set()
    for b in ctx.open_beads():
        if not b.is_named:
            continue
        identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()
        spec = ctx.city.named_by_identity(identity)
        if spec is None:
            continue
        if b.session_name.strip() == session_name_for(ctx.city, spec.identity):
            continue
        touched.add(identity)
        if ctx.has_open_work(b) or not stop_before_mutation(ctx, b, "reconfigured"):
            continue
        ctx.close_unassigned(b, "reconfigured")
    return touched


def stop_before_mutation(ctx: TickContext, b: SessionBead, reason: str) -> bool:
    """stopRuntimeBeforeSessionBeadMutation: True once the bead's runtime is not running
    (stopping it if it is); a stop that fails, or returns with the runtime still running, is
    logged and leaves the bead as it is."""
    name = b.session_name.strip()
    if not name or not ctx.running(name):
        return True
    err = ctx.stop_error(name, reason, b)
    if not err and ctx.rt.get(name) is not None:
        err = "still running after stop"  # the stop returned but the session is still there
    if err:
        ctx.log(f"session beads: stopping {reason} {go_quote(name)} (bead {b.id}): {err}")
        return False
    return True


def launch_metadata(ctx: TickContext, e: DesiredEntry) -> dict[str, str]:
    """The command and resolved-provider keys sync stamps on a bead (`command`, `provider`,
    `provider_kind`, `builtin_ancestor`, `resume_*`; stampResolvedProviderSessionMetadata), only
    the non-empty ones (queueChangedResolvedProviderSessionMetadata never clobbers a stored value
    with an empty one)."""
    a = ctx.agent(e.template)
    if a is None:
        return {}
    from core.desired.provider import resolve_provider

    rp = ctx.city.derived(("resolved_provider", a.qualified_name), lambda: resolve_provider(ctx.city, a))
    return rp.session_metadata() if rp is not None else {}


def _agent_name(e: DesiredEntry, slot: int) -> str:
    if slot > 0 or (e.identity and e.identity != e.template):
        return e.identity
    return e.template


def _origin(e: DesiredEntry) -> str:
    if e.named_identity:
        return "named"
    return "manual" if e.manual else "ephemeral"


@dataclass
class _BeadSync:
    """One desired entry's bead as sync brings it up to date: the identity it should carry,
    the metadata batch, and the writes that wait on its alias being available."""
    e: DesiredEntry
    b: SessionBead
    origin: str
    slot: int
    agent_name: str
    managed_alias: str
    managed_pool: bool
    pool_instance: bool
    batch: dict[str, str] = field(default_factory=dict)
    guarded: dict[str, str] = field(default_factory=dict)


def _adopt_bead_pool_slot(ctx: TickContext, s: _BeadSync) -> None:
    """A bead that already holds a pool slot keeps it; its alias defaults to the canonical
    singleton's name, else to the agent name it records."""
    if s.pool_instance or s.b.pool_slot <= 0:
        return
    s.slot, s.pool_instance = s.b.pool_slot, True
    if not s.managed_alias:
        a = ctx.agent(s.e.template)
        s.managed_alias = a.qualified_name if a is not None and canonical_singleton(a, ctx.semantics) \
            else s.b.agent_name


def _sync_origin(ctx: TickContext, s: _BeadSync) -> None:
    """Template, origin and the pool/named markers."""
    e, b, batch = s.e, s.b, s.batch
    # Only an empty or rig-unqualified template is (re)written: a bead whose configured template
    # moved (a retargeted [[named_session]], a bead recovered to another agent) keeps the old one.
    tpl_agent = ctx.agent(e.template)
    if not b.template or (tpl_agent is not None and tpl_agent.dir and "/" not in b.template):
        batch[B.TEMPLATE] = e.template
    if b.get(B.SESSION_ORIGIN) != s.origin:
        batch[B.SESSION_ORIGIN] = s.origin
    if s.managed_pool and b.get(B.POOL_MANAGED) != "true":
        batch[B.POOL_MANAGED] = "true"
    if e.named_identity:
        if b.get(B.POOL_MANAGED):
            batch[B.POOL_MANAGED] = ""
        if b.get(B.POOL_SLOT):
            batch[B.POOL_SLOT] = ""


def _retry_conflicted_alias(ctx: TickContext, s: _BeadSync) -> None:
    """A managed pool bead that lost the canonical singleton alias to a conflict asks for it again."""
    if s.managed_alias or not s.managed_pool or s.pool_instance or not s.b.pool_managed:
        return
    a = ctx.agent(s.e.template)
    conflict = s.b.get(B.POOL_ALIAS_CONFLICT).strip()
    if a is not None and canonical_singleton(a, ctx.semantics) and conflict == a.qualified_name:
        s.managed_alias = conflict


def _sync_slot_and_agent_name(s: _BeadSync, needs_alias_sync: bool) -> None:
    """The pool slot (guarded when a pool instance's alias still has to be claimed) and the
    agent name, written when empty or still the legacy template spelling."""
    e, b = s.e, s.b
    if not b.get(B.POOL_SLOT) and not e.named_identity:
        target = s.guarded if (needs_alias_sync and s.managed_pool and s.pool_instance) else s.batch
        if e.pool_slot > 0:
            target[B.POOL_SLOT] = str(e.pool_slot)
        elif resolve_pool_slot(e.identity, e.template) > 0:
            target[B.POOL_SLOT] = str(resolve_pool_slot(e.identity, e.template))
    existing_agent = b.agent_name.strip()
    legacy = s.agent_name != "" and s.agent_name != e.template and \
        existing_agent in (e.template, e.template.rsplit("/", 1)[-1])
    if (existing_agent == "" or legacy) and s.agent_name:
        s.guarded[B.AGENT_NAME] = s.agent_name


def _sync_config_fields(ctx: TickContext, s: _BeadSync) -> None:
    """dependency_only, the configured-named fields, wake mode, continuation epoch, launch
    metadata, and the close fields of a reopened bead. The batch holds the values the bead
    should carry; sync_entry writes only those that differ (Gas City queues each key only when
    it changed)."""
    e, b, batch = s.e, s.b, s.batch
    batch[B.DEPENDENCY_ONLY] = "true" if e.dependency_only else ""
    named = e.named_identity
    batch[B.CONFIGURED_NAMED_SESSION] = "true" if named else ""
    batch[B.CONFIGURED_NAMED_IDENTITY] = named
    batch[B.CONFIGURED_NAMED_MODE] = e.named_mode if named else ""
    a = ctx.agent(e.template)
    batch[B.WAKE_MODE] = a.wake_mode if a is not None else ""
    if not b.get(B.CONTINUATION_EPOCH):
        batch[B.CONTINUATION_EPOCH] = "1"
    batch.update(launch_metadata(ctx, e))  # refreshed when the config changes, never blanked
    batch[B.CLOSE_REASON] = batch[B.CLOSED_AT] = ""


def _clear_conflict(ctx: TickContext, s: _BeadSync) -> None:
    """clearAliasConflict: blank the deferred-alias conflict marks the bead carries, logged when
    there were any."""
    cleared = {k: "" for k in CLEAR_CONFLICT if s.b.get(k)}
    if cleared:
        s.batch.update(cleared)
        ctx.log(f"session beads: clearing alias conflict for {s.agent_name}")


def _sync_alias(ctx: TickContext, s: _BeadSync, named_ids: set[str], needs_alias_sync: bool) -> None:
    """Claim (or validate) the managed alias: on a conflict record it and keep the guarded
    writes back; otherwise clear old conflict marks, claim the alias, apply the guarded writes."""
    e, b, batch, alias = s.e, s.b, s.batch, s.managed_alias
    validate = not needs_alias_sync and bool(alias) and s.managed_pool and s.pool_instance
    if not (needs_alias_sync or validate):
        _clear_conflict(ctx, s)
        batch.update(s.guarded)
        return
    owner = self_named = ""
    if e.named_identity:
        owner = self_named = e.named_identity
    elif s.managed_pool and s.pool_instance:
        owner = alias
    holder, rule = (None, "") if not alias else alias_holder(ctx.store, alias, b.id, owner, named_ids, self_named)
    if holder is not None or rule:
        _record_conflict(ctx, b, e, alias, batch)
        if validate or (s.managed_pool and b.alias and b.alias != alias):
            batch[B.ALIAS] = ""
        err = alias_taken_error(alias, holder.id if holder is not None else "", rule)
        ctx.log(f"session beads: alias {go_quote(alias)} for {s.agent_name} unavailable: {err}")
        return
    _clear_conflict(ctx, s)
    if needs_alias_sync:
        batch[B.ALIAS] = alias
        batch[B.ALIAS_HISTORY] = push_alias_history(b.get(B.ALIAS_HISTORY), b.alias, alias)
        if alias:
            ctx.action("claim_alias", b.id, e.session_name, "sync", alias, e.template)
    batch.update(s.guarded)


def sync_entry(ctx: TickContext, e: DesiredEntry, named_ids: set[str]) -> None:
    """Create, reopen or update the bead for one desired entry, recording its id on the entry."""
    sn = e.session_name
    origin = _origin(e)
    slot = e.pool_slot if e.pool_slot > 0 else resolve_pool_slot(e.identity, e.template)
    agent_name = _agent_name(e, slot)
    managed_pool = origin == "ephemeral"
    managed_alias = e.alias.strip()
    if not managed_alias and managed_pool and slot > 0:
        managed_alias = e.identity
    holders = ctx.store.open_by(B.SESSION_NAME, sn)
    b = holders[-1] if holders else None
    if b is None and e.named_identity:
        b = reopen_named(ctx, e, sn)
    if b is None:
        create_bead(ctx, e, sn, origin, slot, agent_name, managed_alias, named_ids)
        return
    e.bead_id = b.id
    e.env["GC_SESSION_ID"] = b.id
    if e.named_identity and b.get(B.CONFIGURED_NAMED_IDENTITY).strip() not in ("", e.named_identity):
        ctx.log(f"session beads: configured named session {go_quote(e.named_identity)} conflicts with live bead {b.id}")
        return
    s = _BeadSync(e, b, origin, slot, agent_name, managed_alias, managed_pool, pool_instance=slot > 0)
    _adopt_bead_pool_slot(ctx, s)
    _sync_origin(ctx, s)
    _retry_conflicted_alias(ctx, s)
    needs_alias_sync = b.alias != s.managed_alias
    _sync_slot_and_agent_name(s, needs_alias_sync)
    _sync_config_fields(ctx, s)
    _sync_alias(ctx, s, named_ids, needs_alias_sync)
    batch = {k: v for k, v in s.batch.items() if b.get(k) != v}
    if batch:
        batch[B.SYNCED_AT] = format_time_seconds(ctx.now)
        ctx.patch(b.id, batch)


def _record_conflict(ctx: TickContext, b: SessionBead, e: DesiredEntry, alias: str, batch: dict[str, str]) -> None:
    """recordAliasConflict, with the deferred-singleton retry gate shared with the build."""
    a = ctx.agent(e.template)
    retry = (a is not None and canonical_singleton(a, ctx.semantics) and not b.alias.strip()
             and b.get(B.POOL_ALIAS_CONFLICT).strip() == alias)
    if b.get(B.POOL_ALIAS_CONFLICT).strip() == alias and b.get(B.POOL_ALIAS_CONFLICT_COUNT).strip() and not retry:
        return
    count = conflict_count(b.get(B.POOL_ALIAS_CONFLICT_COUNT))
    if retry and not retry_due(b.get(B.POOL_ALIAS_CONFLICT_AT), str(count), ctx.now):
        return
    batch[B.POOL_ALIAS_CONFLICT] = alias
    batch[B.POOL_ALIAS_CONFLICT_COUNT] = str(count + 1)
    batch[B.POOL_ALIAS_CONFLICT_AT] = format_time_seconds(ctx.now)
    ctx.action("defer_alias", b.id, b.session_name, "alias-held", alias, e.template)


def reopen_named(ctx: TickContext, e: DesiredEntry, sn: str) -> SessionBead | None:
    """reopenClosedConfiguredNamedSessionBead: a re-added named session reopens its closed
    canonical bead, only under the configured runtime name (a bead closed under another name,
    such as one closed `reconfigured`, is never revived) and never a failed create."""
    if sn != session_name_for(ctx.city, e.named_identity):
        return None
    closed = [b for b in ctx.store.sessions.values() if not b.open and b.session_name.strip() == sn
              and b.get(B.CONFIGURED_NAMED_IDENTITY).strip() == e.named_identity and reopen_eligible(b)]
    if not closed:
        return None
    closed.sort(key=lambda b: (b.created_at, natural_key(b.id)))
    b = closed[-1]
    identity = e.named_identity
    holder, rule = alias_holder(ctx.store, identity, b.id, identity, set())
    if holder is not None or rule:
        err = alias_taken_error(identity, holder.id if holder is not None else "", rule)
        ctx.log(f"session beads: alias {go_quote(identity)} for {identity} unavailable during reopen: {err}")
        return None
    live = [o for o in ctx.store.open_by(B.SESSION_NAME, sn) if o.id != b.id]
    if live:
        ctx.log(f"session beads: session_name {go_quote(sn)} for {identity} unavailable during reopen: "
                f"session name already exists: {go_quote(sn)} already belongs to {live[-1].id}")
        return None
    # syncSessionCachedState for a bead not yet found: active when its runtime runs, else
    # `stopped` (the reconcile's heal turns a claimed stopped bead into start-pending)
    running = ctx.running(sn)
    changes = reopen_patch(b, "active" if running else "stopped", format_time_seconds(ctx.now))
    changes[B.ALIAS] = identity
    b = ctx.store.reopen_session(b.id, changes)
    if not b.open:  # the store refused the reopen: the bead stays closed as it was
        err = ctx.store.failed_writes[-1].split(": ", 1)[-1]
        ctx.log(f"session beads: reopening configured named session {go_quote(identity)}: {err}")
        return None
    ctx.action("create_bead", b.id, sn, "reopen-named", identity, e.template)
    return b


# Wake blockers and crash counters a fresh spawn resets (ClearWakeBlockersPatch).
_CLEAR_WAKE_BLOCKERS = {B.HELD_UNTIL: "", B.QUARANTINED_UNTIL: "", B.WAIT_HOLD: "", B.SLEEP_INTENT: "",
                        B.WAKE_ATTEMPTS: "0", B.CHURN_COUNT: "0"}
# Start markers of the previous runtime a fresh spawn forgets: its completion and wake stamps,
# its drift baselines and its priming markers.
_STALE_START_MARKERS = (B.CREATION_COMPLETE_AT, B.LAST_WOKE_AT, B.STARTED_CONFIG_HASH, B.STARTED_LIVE_HASH,
                        B.LIVE_HASH, "startup_dialog_verified", B.PRIMED_AT, B.PRIMING_ATTEMPTED_AT, B.PROMPT_HASH)


def reopen_patch(b: SessionBead, state: str, now: str) -> dict[str, str]:
    """The metadata reopenClosedConfiguredNamedSessionBead writes with the status flip: the
    target state and a cleared close record; a reopen for a fresh spawn (not active) also takes
    a create claim stamped now, forgets the previous runtime's start markers, clears the wake
    blockers, zeroes the crash counters and drops the sleep reason; an active one drops the
    claim and its stamp."""
    fresh = state != "active"
    patch = {B.STATE: state, B.STATE_REASON: "", B.CLOSE_REASON: "", B.CLOSED_AT: "",
             B.PENDING_CREATE_CLAIM: "true" if fresh else "", B.SYNCED_AT: now}
    if not fresh:
        patch[B.PENDING_CREATE_STARTED_AT] = ""
        return patch
    patch[B.PENDING_CREATE_STARTED_AT] = now
    patch.update({k: "" for k in _STALE_START_MARKERS})
    patch.update(_CLEAR_WAKE_BLOCKERS)
    patch[B.SLEEP_REASON] = ""
    return patch


NOT_REOPENABLE = frozenset({"duplicate", "duplicate-repair", "gc_swept", "orphaned", "reconfigured", "stale-session",
                            "failed-create"})


def reopen_eligible(b: SessionBead) -> bool:
    """closedNamedSessionReopenEligible (internal/session/named_config.go): not marked
    continuity-ineligible, and not closed as a duplicate, swept, orphaned, reconfigured, stale
    or failed create: those are replaced by a fresh bead."""
    if b.get(B.CONTINUITY_ELIGIBLE).strip() == "false":
        return False
    return b.get(B.CLOSE_REASON).strip() not in NOT_REOPENABLE and b.state.strip() not in NOT_REOPENABLE


def create_bead(ctx: TickContext, e: DesiredEntry, sn: str, origin: str, slot: int, agent_name: str,
                managed_alias: str, named_ids: set[str]) -> None:
    """Create the session bead for a desired entry with no holder: active if its runtime is
    running, otherwise start-pending with a claim. A held alias is left off the bead, or for a
    named entry stops the create."""
    state = "active" if ctx.running(sn) else "start-pending"
    bid = ctx.store.new_id()
    md = {B.STATE: state, B.GENERATION: "1", B.CONTINUATION_EPOCH: "1", B.INSTANCE_TOKEN: instance_token(bid, "1"),
          B.AGENT_NAME: agent_name, B.CANONICAL_INSTANCE_NAME: agent_name, B.SESSION_ORIGIN: origin,
          B.SYNCED_AT: format_time_seconds(ctx.now), B.TEMPLATE: e.template,
          B.SESSION_NAME: pool_session_name(e.template, bid) if slot > 0 else sn}
    a = ctx.agent(e.template)
    if a is not None and a.wake_mode:
        md[B.WAKE_MODE] = a.wake_mode
    md.update(launch_metadata(ctx, e))
    if slot > 0:
        md[B.POOL_SLOT] = md[B.CANONICAL_POOL_SLOT] = str(slot)
    if state != "active":
        md[B.PENDING_CREATE_CLAIM] = "true"
        md[B.PENDING_CREATE_STARTED_AT] = format_time_seconds(ctx.now)
    if e.dependency_only:
        md[B.DEPENDENCY_ONLY] = "true"
    if origin == "ephemeral":
        md[B.POOL_MANAGED] = "true"
    if e.named_identity:
        md.update({B.CONFIGURED_NAMED_SESSION: "true", B.CONFIGURED_NAMED_IDENTITY: e.named_identity,
                   B.CONFIGURED_NAMED_MODE: e.named_mode})
    if managed_alias:
        # the create asserts its managed alias as its own owner, whatever the entry's kind
        holder, rule = alias_holder(ctx.store, managed_alias, bid, managed_alias, named_ids)
        if holder is not None or rule:
            err = alias_taken_error(managed_alias, holder.id if holder is not None else "", rule)
            ctx.log(f"session beads: alias {go_quote(managed_alias)} for {agent_name} unavailable: {err}")
            if e.named_identity:  # a named create stops: Gas City reports the refusal as the create's error
                ctx.log(f"session beads: creating bead for {agent_name}: {err}")
                return
        else:
            md[B.ALIAS] = managed_alias
    try:
        b = ctx.store.create_session(md, ctx.now, bead_id=bid, title=agent_name, labels=[f"agent:{agent_name}"])
    except StoreWriteError as err:
        ctx.log(f"session beads: creating bead for {agent_name}: {err}")
        return
    e.bead_id = b.id
    e.env["GC_SESSION_ID"] = b.id
    ctx.action("create_bead", b.id, b.session_name, "sync", agent_name, e.template)
