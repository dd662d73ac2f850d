"""Config drift (forward-pass steps 15 and 16): a live session whose `started_config_hash`
differs from its agent's current core fingerprint.

Legacy or other-version hashes are silently rebaselined. Attached sessions (or attached in
the last 5 minutes) defer. Manual sessions accept the drift. Named sessions defer while in
active use, else restart in place (`start-pending` + claim). Others defer on a pending
interaction or open assigned work, else begin a `config-drift` drain
(`[daemon].drift_drain_timeout`). A session started before its hash was written never
drifts. Live-only drift (`session_live`) is re-applied without a restart. A drift of the launch
half alone (the box unchanged) relaunches the agent in its box after the same deferrals, where
the session provider can relaunch (relaunchAgentForLaunchDrift).
"""

from __future__ import annotations

from core.config.city_config import Agent
from core.desired.entries import DesiredEntry
from core.formats.timefmt import format_time_seconds, parse_time
from core.reconcile import drains, hashes
from core.reconcile.context import TickContext
from core.reconcile.lease import lease_active
from core.reconcile.session_key import fresh_session_key
from core.trackers.exits import PRIMING_KEYS
from core.trackers.timers import timer_blocker
from core.world import beads as B
from core.world.beads import SessionBead

NAMED_ACTIVITY_THRESHOLD = 120.0
NAMED_RECENT_ACTIVITY_LIMIT = 30.0
ATTACHED_FALSE_NEGATIVE_LIMIT = 300.0
ATTACHED_REFRESH_INTERVAL = 120.0
DEFERRAL_KEYS = (B.CONFIG_DRIFT_DEFERRED_AT, B.CONFIG_DRIFT_DEFERRED_KEY, B.ATTACHED_CONFIG_DRIFT_DEFERRED_AT,
                 B.ATTACHED_CONFIG_DRIFT_DEFERRED_KEY)


def _rebaseline(ctx: TickContext, b: SessionBead, a, core_only: bool = False) -> SessionBead:
    patch = {B.STARTED_CONFIG_HASH: hashes.core_hash(a), B.CORE_HASH_BREAKDOWN: hashes.breakdown(a),
             B.STARTED_PROVISION_HASH: hashes.provision_hash(a), B.STARTED_LAUNCH_HASH: hashes.launch_hash(a)}
    if not core_only:
        patch.update({B.STARTED_LIVE_HASH: hashes.live_hash(a), B.LIVE_HASH: hashes.live_hash(a)})
    return ctx.patch(b.id, patch)


def pending_keeps_awake(ctx: TickContext, b: SessionBead) -> bool:
    """pendingInteractionKeepsAwake: a pending question, no wait hold, no active hold or
    quarantine."""
    if not ctx.rt.pending(b.session_name) or b.get(B.WAIT_HOLD).strip():
        return False
    return timer_blocker(b.get(B.HELD_UNTIL), b.get(B.QUARANTINED_UNTIL), ctx.now) == ""


def recently_attached(ctx: TickContext, b: SessionBead, key: str) -> bool:
    """True if config drift with this key was deferred for an attached session recently enough
    to still trust it."""
    if not key or b.get(B.ATTACHED_CONFIG_DRIFT_DEFERRED_KEY) != key:
        return False
    t = parse_time(b.get(B.ATTACHED_CONFIG_DRIFT_DEFERRED_AT))
    if t is None:
        return False
    return ctx.now < t or (ctx.now - t).total_seconds() < ATTACHED_FALSE_NEGATIVE_LIMIT


def record_attached(ctx: TickContext, b: SessionBead, key: str) -> None:
    """Record on the bead that drift `key` was deferred because the session is attached; an
    unchanged key is refreshed only once its record is old enough."""
    if key and b.get(B.ATTACHED_CONFIG_DRIFT_DEFERRED_KEY) == key:
        t = parse_time(b.get(B.ATTACHED_CONFIG_DRIFT_DEFERRED_AT))
        if t is not None and t <= ctx.now and (ctx.now - t).total_seconds() < ATTACHED_REFRESH_INTERVAL:
            return
    ctx.patch(b.id, {B.ATTACHED_CONFIG_DRIFT_DEFERRED_AT: format_time_seconds(ctx.now), B.ATTACHED_CONFIG_DRIFT_DEFERRED_KEY: key})


def _named_active_reason(ctx: TickContext, b: SessionBead, key: str) -> str:
    """shouldDeferNamedSessionConfigDrift: "" when the named session may restart now."""
    if b.get(B.PIN_AWAKE).strip() == "true":
        if b.get(B.CONFIG_DRIFT_DEFERRED_KEY) != key or not b.get(B.CONFIG_DRIFT_DEFERRED_AT):
            ctx.patch(b.id, {B.CONFIG_DRIFT_DEFERRED_AT: format_time_seconds(ctx.now), B.CONFIG_DRIFT_DEFERRED_KEY: key})
        return "pinned"
    name = b.session_name
    if pending_keeps_awake(ctx, b):
        return "pending_interaction"
    if ctx.rt.attached(name):
        return "attached"
    last = ctx.rt.last_activity(name)
    if last is None or (ctx.now - last).total_seconds() >= NAMED_ACTIVITY_THRESHOLD:
        return ""
    # recent activity defers for at most 30s from the first deferral of this drift
    first = parse_time(b.get(B.CONFIG_DRIFT_DEFERRED_AT))
    if b.get(B.CONFIG_DRIFT_DEFERRED_KEY) != key or first is None:
        ctx.patch(b.id, {B.CONFIG_DRIFT_DEFERRED_AT: format_time_seconds(ctx.now), B.CONFIG_DRIFT_DEFERRED_KEY: key})
        return "recent_activity"
    return "recent_activity" if (ctx.now - first).total_seconds() < NAMED_RECENT_ACTIVITY_LIMIT else ""


def reset_named_for_drift(ctx: TickContext, b: SessionBead, alive: bool, next_state: str) -> SessionBead:
    """resetConfiguredNamedSessionForConfigDriftInfo: kill a live runtime, then either restart
    in place (start-pending + claim, resume key and started hash kept when both are set) or
    repair an asleep bead; a reset that does not keep the resume key gets a fresh one."""
    if alive:
        ctx.stop(b.session_name, "config-drift", b)
    preserve = next_state in ("start-pending", "creating") and b.get(B.SESSION_KEY).strip() and \
        b.get(B.STARTED_CONFIG_HASH).strip()
    patch = {B.STATE: next_state, B.LAST_WOKE_AT: "", B.RESTART_REQUESTED: "", B.CONTINUATION_RESET_PENDING: "true",
             B.PENDING_CREATE_CLAIM: "", B.PENDING_CREATE_STARTED_AT: "", B.SESSION_KEY: "",
             B.STARTED_CONFIG_HASH: "", B.STARTED_LIVE_HASH: "", B.LIVE_HASH: ""}
    patch.update({k: "" for k in PRIMING_KEYS})
    patch.update({k: "" for k in DEFERRAL_KEYS})
    if next_state in ("start-pending", "creating"):
        patch[B.PENDING_CREATE_CLAIM] = "true"
        patch[B.PENDING_CREATE_STARTED_AT] = format_time_seconds(ctx.now)
    if preserve:
        patch[B.SESSION_KEY] = b.get(B.SESSION_KEY)
        patch[B.STARTED_CONFIG_HASH] = b.get(B.STARTED_CONFIG_HASH)
    else:  # ConfigDriftResetPatch: a reset that does not resume mints a fresh conversation key
        patch[B.SESSION_KEY] = fresh_session_key(b.id, ctx.now)
    return ctx.patch(b.id, patch)


def _drift_deferred_for_user(ctx: TickContext, b: SessionBead, a: Agent, tpl: str, key: str,
                             fields: dict[str, str]) -> bool:
    """Drift waits while a user is attached or was just attached; a manual session takes the
    new core hash as its baseline instead of restarting. True when deferred."""
    name = b.session_name
    if ctx.rt.attached(name):
        record_attached(ctx, b, key)
        canceled = drains.cancel_if(ctx, b, lambda r: r == "config-drift")
        ctx.decision("reconciler.session.config_drift", "config_drift", "deferred_attached", tpl, name,
                     active_reason="attached", drain_canceled=canceled, **fields)
        return True
    if recently_attached(ctx, b, key):
        ctx.decision("reconciler.session.config_drift", "config_drift", "deferred_attached", tpl, name,
                     active_reason="attached_recently", **fields)
        return True
    if b.is_manual:
        _rebaseline(ctx, b, a, core_only=True)
        drains.cancel_if(ctx, b, lambda r: r == "config-drift")
        ctx.decision("reconciler.session.config_drift", "config_drift", "deferred_active", tpl, name,
                     active_reason="manual_session", **fields)
        return True
    return False


def _named_drift_restart(ctx: TickContext, b: SessionBead, a: Agent, entry: DesiredEntry, tpl: str, key: str,
                         fields: dict[str, str], launch_only: bool) -> tuple[bool, bool]:
    """A drifted named session: deferred while active, relaunched when only its launch moved,
    otherwise reset and restarted in place. Returns (done, restarted_in_place)."""
    name = b.session_name
    reason = _named_active_reason(ctx, b, key)
    if reason:
        ctx.decision("reconciler.session.config_drift", "config_drift", "deferred_active", tpl, name,
                     active_reason=reason, **fields)
        return True, False
    if launch_only and relaunch(ctx, b, a, entry, fields):
        return True, False
    b = ctx.store.reread(b.id)  # a refused relaunch may have cleared a speculative key
    reset_named_for_drift(ctx, b, True, "start-pending")
    ctx.action("restart", b.id, name, "config-drift", "named session restarted in place", tpl)
    ctx.decision("reconciler.session.config_drift", "config_drift", "restart_in_place", tpl, name, **fields)
    ctx.event("session.draining", entry.identity or tpl, "config drift detected", b.id)
    return False, True


def alive_drift(ctx: TickContext, b: SessionBead, entry: DesiredEntry) -> tuple[bool, bool]:
    """Step 15 for a live session. Returns (done, restarted_in_place)."""
    name, tpl = b.session_name, entry.template or ctx.template_of(b)
    stored = b.get(B.STARTED_CONFIG_HASH)
    a = ctx.agent(tpl)
    if not tpl or not stored or a is None:
        return False, False
    current = hashes.core_hash(a)
    if stored == current:
        if any(b.get(k) for k in DEFERRAL_KEYS):
            b = ctx.patch(b.id, {k: "" for k in DEFERRAL_KEYS})
        live_drift(ctx, b, a, entry)
        return False, False
    if hashes.legacy_or_mismatched(stored):
        _rebaseline(ctx, b, a)
        ctx.log(f"rebaselined legacy hash for {name} (stored={hashes.truncate_for_log(stored)} current={hashes.truncate_for_log(current)})")
        ctx.decision("reconciler.session.config_drift", "config_drift", hashes.rebaseline_outcome(stored), tpl, name,
                     stored_hash=stored, current_hash=current)
        return True, False
    key = f"{stored}:{current}"
    fields = {"stored_hash": stored, "current_hash": current}
    if _drift_deferred_for_user(ctx, b, a, tpl, key, fields):
        return True, False
    launch_only = launch_only_drift(b, a)
    if b.is_named:
        return _named_drift_restart(ctx, b, a, entry, tpl, key, fields, launch_only)
    if pending_keeps_awake(ctx, b):
        canceled = drains.cancel_if(ctx, b, drains.pending_cancelable)
        ctx.decision("reconciler.session.config_drift", "pending", "deferred_pending", tpl, name,
                     drain_canceled=canceled, **fields)
        return True, False
    if ctx.has_open_work(b):
        ctx.decision("reconciler.session.config_drift", "config_drift", "deferred_active", tpl, name,
                     active_reason="live_assigned_work", **fields)
        ctx.log(f"Skipping config-drift drain for '{name}': live assigned work found")
        return True, False
    if launch_only and relaunch(ctx, b, a, entry, fields):
        return True, False
    b = ctx.store.reread(b.id)  # a refused relaunch may have cleared a speculative key
    if drains.begin_drain(ctx, b, "config-drift", ctx.drift_drain_timeout):
        ctx.decision("reconciler.session.config_drift", "config_drift", "drain", tpl, name, **fields)
        ctx.event("session.draining", entry.identity or tpl, "config drift detected", b.id)
    return True, False


def launch_only_drift(b: SessionBead, a) -> bool:
    """Only the launch half moved (the box is unchanged): the session can be relaunched in its
    warm box. A session started before the halves were stamped is never launch-only."""
    stored_provision, stored_launch = b.get(B.STARTED_PROVISION_HASH), b.get(B.STARTED_LAUNCH_HASH)
    return (bool(stored_provision) and bool(stored_launch) and stored_provision == hashes.provision_hash(a)
            and stored_launch != hashes.launch_hash(a))


# Session providers whose runtimes cannot relaunch an agent in place (no RelaunchProvider).
NO_RELAUNCH_PROVIDERS = frozenset({"subprocess", "acp", "t3bridge"})


def relaunch(ctx: TickContext, b: SessionBead, a, entry: DesiredEntry, fields: dict) -> bool:
    """relaunchAgentForLaunchDrift: restart only the agent in its warm box and rebaseline the
    core, provision and launch hashes (the live hash is left to the live-drift clause). False
    (fall back to the full restart or drain) when the session provider cannot relaunch, or when
    the relaunch would resume a conversation key minted just now (a provider with a session-id
    flag and no key yet: the resume would name a conversation that does not exist)."""
    from core.desired.provider import resolve_provider

    if ctx.city.session.provider.strip() in NO_RELAUNCH_PROVIDERS:
        return False
    rp = resolve_provider(ctx.city, a)
    if rp is not None and rp.session_id_flag and not b.get(B.SESSION_KEY).strip():
        ctx.log(f"session reconciler: launch-drift relaunch for {b.session_name} minted a speculative resume key "
                "(no prior conversation); falling back to full restart")
        # relaunchAbortResidueFold: the key the preparation minted is cleared as a stale resume
        # key is (clearStaleResumeKeyMetadata), so the full restart starts a fresh conversation
        patch = {B.SESSION_KEY: "", B.STARTED_CONFIG_HASH: "", B.CONTINUATION_RESET_PENDING: "true"}
        patch.update({k: "" for k in PRIMING_KEYS})
        ctx.patch(b.id, patch)
        return False
    display = entry.identity or entry.template
    ctx.patch(b.id, {B.STARTED_CONFIG_HASH: hashes.core_hash(a), B.CORE_HASH_BREAKDOWN: hashes.breakdown(a),
                     B.STARTED_PROVISION_HASH: hashes.provision_hash(a), B.STARTED_LAUNCH_HASH: hashes.launch_hash(a)})
    ctx.rt.relaunch(b.session_name, ctx.now)
    ctx.log(f"Launch-only config change for '{display}', relaunched agent in warm box")
    # The Config handed to Relaunch is the drifted agent's: its command is the one sync stamps.
    from core.reconcile.sync import launch_metadata

    command = launch_metadata(ctx, entry).get(B.COMMAND, "")
    ctx.action("restart", b.id, b.session_name, "launch-drift",
               "launch-only change: agent relaunched in its box" + (f" with command {command}" if command else ""),
               entry.template)
    ctx.decision("reconciler.session.config_drift", "config_drift", "relaunch", entry.template, b.session_name,
                 **fields)
    ctx.event("session.updated", display, "agent relaunched (launch-only config change)", b.id)
    return True


def live_drift(ctx: TickContext, b: SessionBead, a, entry: DesiredEntry) -> None:
    """Core config matches: backfill, rebaseline or re-apply `session_live` (RunLive)."""
    stored, current = b.get(B.STARTED_LIVE_HASH), hashes.live_hash(a)
    if stored == current:
        return
    if not stored and not a.session_live:
        ctx.patch(b.id, {B.LIVE_HASH: current, B.STARTED_LIVE_HASH: current})
    elif hashes.legacy_or_mismatched(stored):
        _rebaseline(ctx, b, a)
        ctx.log(f"rebaselined legacy live hash for {b.session_name} (stored={hashes.truncate_for_log(stored)} current={hashes.truncate_for_log(current)})")
        ctx.decision("reconciler.session.live_drift", "live_drift", hashes.rebaseline_outcome(stored),
                     entry.template, b.session_name, stored_hash=stored, current_hash=current)
    else:
        ctx.log(f"Live config changed for '{entry.identity or entry.template}', re-applying...")
        ctx.patch(b.id, {B.LIVE_HASH: current, B.STARTED_LIVE_HASH: current})
        ctx.decision("reconciler.session.live_drift", "live_drift", "applied", entry.template, b.session_name,
                     stored_hash=stored, current_hash=current)
        ctx.event("session.updated", entry.identity or entry.template, "session_live re-applied", b.id)


def asleep_named_drift(ctx: TickContext, b: SessionBead, entry: DesiredEntry) -> bool:
    """Step 16: a dead named session with a stale hash is repaired in place (stays asleep,
    conversation reset). True ends the session's tick."""
    tpl = entry.template or ctx.template_of(b)
    stored = b.get(B.STARTED_CONFIG_HASH)
    a = ctx.agent(tpl)
    if not tpl or not stored or a is None:
        return False
    current = hashes.core_hash(a)
    if stored == current:
        return False
    if hashes.legacy_or_mismatched(stored):
        _rebaseline(ctx, b, a)
        ctx.log(f"rebaselined legacy hash for {b.session_name} (stored={hashes.truncate_for_log(stored)} "
                f"current={hashes.truncate_for_log(current)})")
        ctx.decision("reconciler.session.config_drift", "config_drift", hashes.rebaseline_outcome(stored), tpl,
                     b.session_name, stored_hash=stored, current_hash=current)
        return True
    reset_named_for_drift(ctx, b, False, "asleep")
    ctx.decision("reconciler.session.config_drift", "config_drift", "repair_in_place", tpl, b.session_name,
                 stored_hash=stored, current_hash=current)
    return True


def pending_resume_preserving_restart(ctx: TickContext, b: SessionBead) -> bool:
    """A named restart in place still leased in creating keeps its resume hash until the
    new process commits (the asleep drift repair must skip it)."""
    return (b.state.strip() in ("start-pending", "creating") and b.pending_claim and bool(b.get(B.SESSION_KEY).strip())
            and bool(b.get(B.STARTED_CONFIG_HASH).strip()) and parse_time(b.get(B.PENDING_CREATE_STARTED_AT)) is not None
            and lease_active(b, ctx.now, ctx.startup_timeout))

