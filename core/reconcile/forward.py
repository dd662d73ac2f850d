"""Phase 1 of reconcileSessionBeads: the forward pass over open session beads in
depends_on topological order. Each step may end the session's tick; a session that reaches
the end becomes a wake target for the awake set."""

from __future__ import annotations

from dataclasses import dataclass

from core.desired.entries import DesiredEntry
from core.formats.durations import format_duration
from core.formats.goduration import go_quote
from core.formats.timefmt import format_time_seconds, parse_time
from core.reconcile import (
    config_drift,
    drain_ack,
    drains,
    exits_check,
    hashes,
    progress,
    sleep_policy,
    timers,
)
from core.reconcile.commit import recover_running_pending_create
from core.reconcile.context import TickContext
from core.reconcile.heal import heal_patch
from core.reconcile.lease import lease_expired_for_rollback, start_in_flight
from core.reconcile.lifecycle import RECONCILER_KNOWN_STATES
from core.reconcile.rollback import rollback_pending_create
from core.reconcile.session_key import fresh_session_key
from core.reconcile.starts import runtime_is_ours
from core.reconcile.undesired import handle_undesired
from core.trackers import circuit
from core.trackers import exits as X
from core.world import beads as B
from core.world.beads import SessionBead
from core.world.runtime import META_RESTART_REQUESTED, screen_rate_limited, terminal_error_reason

UNKNOWN_STATE_ESCALATION = 1800.0


@dataclass
class WakeTarget:
    """A bead that survived the forward pass, its desired entry, and whether its runtime is alive."""
    bead_id: str
    entry: DesiredEntry
    alive: bool


def topo_order(ctx: TickContext, beads: list[SessionBead]) -> list[SessionBead]:
    """Group by template, dependencies first (templates in first-seen order); a cycle keeps
    the original order."""
    deps = {a.qualified_name: list(a.depends_on) for a in ctx.city.agents if a.depends_on}
    if not deps:
        return beads
    by_tpl: dict[str, list[SessionBead]] = {}
    order: list[str] = []
    for b in beads:
        t = b.template
        if t not in by_tpl:
            by_tpl[t] = []
            order.append(t)
        by_tpl[t].append(b)
    out = _dependencies_first(order, deps, by_tpl)
    if out is None:
        return beads
    return [b for t in out for b in by_tpl[t]]


def _dependencies_first(order: list[str], deps: dict[str, list[str]], by_tpl: dict[str, list[SessionBead]]
                        ) -> list[str] | None:
    """The templates of `order`, each after its dependencies (depth first, dependencies without
    beads skipped); None on a dependency cycle. An explicit stack, not recursion: a long
    dependency chain must not exhaust Python's recursion limit."""
    color: dict[str, int] = {}  # 1 = on the current path, 2 = placed
    out: list[str] = []
    for root in order:
        if color.get(root, 0):
            continue
        color[root] = 1
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            t, j = stack[-1]
            ds = deps.get(t, ())
            if j >= len(ds):
                color[t] = 2
                out.append(t)
                stack.pop()
                continue
            stack[-1] = (t, j + 1)
            dep = ds[j]
            c = color.get(dep, 0)
            if c == 1:
                return None
            if c == 0 and dep in by_tpl:
                color[dep] = 1
                stack.append((dep, 0))
    return out


def unknown_state(ctx: TickContext, b: SessionBead) -> None:
    """emitSessionUnknownStateDiagnostic: a throttled, durable session.unknown_state diagnostic
    naming the raw (untrimmed) state; a new value restarts the window; escalates once after 30
    minutes."""
    state, name = b.state, b.session_name.strip()
    first = b.get(B.UNKNOWN_STATE_FIRST_SEEN).strip()
    if not first or b.get(B.UNKNOWN_STATE_VALUE) != state:
        ctx.log(f"session reconciler: skipping {name} with unknown state {go_quote(state)}")
        ctx.event("session.unknown_state", b.id, f"session {go_quote(name)} has unrecognized state {go_quote(state)}; "
                  "reconciler is skipping it (forward-compatible rollback)", b.id)
        patch = {B.UNKNOWN_STATE_FIRST_SEEN: format_time_seconds(ctx.now), B.UNKNOWN_STATE_VALUE: state}
        if b.get(B.UNKNOWN_STATE_ESCALATED_AT).strip():
            patch[B.UNKNOWN_STATE_ESCALATED_AT] = ""
        ctx.patch(b.id, patch)
    elif not b.get(B.UNKNOWN_STATE_ESCALATED_AT).strip():
        t = parse_time(first)
        if t is not None and (ctx.now - t).total_seconds() >= UNKNOWN_STATE_ESCALATION:
            age = format_duration(round((ctx.now - t).total_seconds()))
            ctx.event("session.unknown_state", b.id, f"session {go_quote(name)} still has unrecognized state "
                      f"{go_quote(state)} after {age}; reconciler continues to skip it \u2014 operator or pack "
                      "recovery required", b.id)
            ctx.patch(b.id, {B.UNKNOWN_STATE_ESCALATED_AT: format_time_seconds(ctx.now)})
    ctx.decision("reconciler.session.skip_unknown_state", "unknown_state_skipped", "skipped", b.template,
                 b.session_name, state=state)


def forward_pass(ctx: TickContext, order: list[str], names: set[str]) -> list[WakeTarget]:
    """Run one_session over the open beads in `order`; the beads left to wake or sleep."""
    targets: list[WakeTarget] = []
    for bead_id in order:
        b = ctx.store.session(bead_id)
        if b is None or not b.open:
            continue
        t = one_session(ctx, b, names)
        if t is not None:
            targets.append(t)
    return targets


def _screen_known_desired(ctx: TickContext, b: SessionBead, names: set[str]) \
        -> tuple[SessionBead, DesiredEntry, str] | None:
    """Steps 1-3: a pending drain-ack stop, an unknown state, and a bead no longer desired may
    end the bead's tick; otherwise (bead, its desired entry, template)."""
    name = b.session_name.strip()
    entry = ctx.desired.entries.get(name) if ctx.desired is not None else None
    if entry is not None:
        ctx.mem = ctx.mem.drop("named_absence", b.id)
    template = entry.template if entry is not None else ctx.template_of(b)
    if reset_committed_at(b) is None:
        ctx.mem = ctx.mem.drop("reset_stalls", b.id)
    # 1. drain-ack stop pending
    if drain_ack.reconcile_stop_pending(ctx, b, template, entry is not None):
        return None
    # 2. unknown state
    if b.state not in RECONCILER_KNOWN_STATES:
        unknown_state(ctx, b)
        return None
    # clearSessionUnknownStateMarkers: a bead back in a known state drops the markers it carries
    markers = {k: "" for k in (B.UNKNOWN_STATE_FIRST_SEEN, B.UNKNOWN_STATE_VALUE, B.UNKNOWN_STATE_ESCALATED_AT)
               if b.get(k).strip()}
    if markers:
        b = ctx.patch(b.id, markers)
    # 3. not desired
    if entry is None:
        entry = handle_undesired(ctx, b, names)
        if entry is None:
            return None
        b = ctx.store.reread(b.id)
        template = entry.template
    return b, entry, template


@dataclass
class _SessionPass:
    """One desired bead going through steps 4-18: the bead as last patched, its entry and
    template, and what the runtime shows."""
    b: SessionBead
    entry: DesiredEntry
    template: str
    name: str
    running: bool = False
    alive: bool = False
    state_before: str = ""


def _observe_and_rollback(ctx: TickContext, s: _SessionPass) -> bool:
    """Steps 4-5: observe the runtime (a zombie's pane is captured), then roll back a pending
    create whose runtime belongs to another session or whose lease expired. True ends the tick."""
    s.running, s.alive = ctx.running(s.name), ctx.alive(s.name)
    record_reset_stall(ctx, s.b, s.template, s.name, s.alive)
    if s.running and not s.alive:
        zombie(ctx, s.b, s.entry, s.name)
        s.b = ctx.store.reread(s.b.id)
    b = s.b
    if s.alive and b.pending_claim and not runtime_is_ours(ctx, b):
        rollback_pending_create(ctx, b, s.template, "pending_create_rollback", "live runtime belongs to another session")
        return True
    if not s.alive and b.pending_claim and lease_expired_for_rollback(b, ctx.now, ctx.startup_timeout):
        if not exits_check.rate_limit_hold(ctx, b, s.alive):
            rollback_pending_create(ctx, b, s.template, "pending_create_lease_expired", "lease expired and no live runtime")
        return True
    return False


def _drain_stall_restart(ctx: TickContext, s: _SessionPass) -> bool:
    """Steps 6-8: an acknowledged drain, a progress stall (asked to restart), a requested restart."""
    if drains.acked(ctx, s.name):
        if drain_ack_step(ctx, s.b, s.entry, s.alive):
            return True
        s.b = ctx.store.reread(s.b.id)
    stalled = progress.progress_stalled(ctx, s.b, s.entry, s.alive)
    done, s.b = restart_requested(ctx, s.b, s.entry, s.running or s.alive, stalled)
    return done


def _heal(ctx: TickContext, s: _SessionPass) -> bool:
    """Steps 9-10: resolve the sleep policy, screen a rate limit, heal the bead's state, finish a
    pending idle stop and reconcile detached_at. True ends the tick."""
    policy = sleep_policy.resolve(ctx, s.b)
    if exits_check.rate_limit_hold(ctx, s.b, s.alive):
        return True
    s.state_before = s.b.state.strip()
    patch = heal_patch(s.b, s.alive, ctx.now, ctx.startup_timeout)
    if patch:
        s.b = ctx.patch(s.b.id, patch)
    if s.b.get(B.SLEEP_INTENT) == "idle-stop-pending" and not s.running:
        # recoverPendingIdleSleep re-writes the sleep-policy fingerprint; SleepPatch never touches
        # it, so the bead keeps it as it is
        s.b = ctx.patch(s.b.id, timers.sleep_patch(ctx, "idle"))
        s.alive = False
    s.b = sleep_policy.reconcile_detached_at(ctx, s.b, policy, s.alive)
    return False


def _stability(ctx: TickContext, s: _SessionPass) -> bool:
    """Steps 11-14: rapid crash and churn end the tick; a stable session clears its failure
    counters; a live claimed bead commits its start unless one is still in flight."""
    if exits_check.check_stability(ctx, s.b, s.alive):
        return True
    s.b = ctx.store.reread(s.b.id)
    if exits_check.check_churn(ctx, s.b, s.alive):
        return True
    s.b = ctx.store.reread(s.b.id)
    woke = X.woke_for(s.b, ctx.now)
    if s.alive and woke is not None and woke >= X.STABILITY_THRESHOLD:
        s.b = ctx.patch(s.b.id, X.clear_wake_failures_patch(s.b))
    if s.alive and woke is not None and woke >= X.PRODUCTIVITY_THRESHOLD:
        s.b = ctx.patch(s.b.id, X.clear_churn_patch(s.b))
    if s.alive and s.b.pending_claim:
        if s.state_before in ("start-pending", "creating") and start_in_flight(s.b, ctx.now, ctx.startup_timeout):
            ctx.decision("reconciler.session.rollback_pending_create", "pending_create_recovery_in_flight",
                         "deferred", s.template, s.name)
            return True
        s.b = recover_running_pending_create(ctx, s.b, s.template)
    return False


def _config_drift(ctx: TickContext, s: _SessionPass) -> bool:
    """Steps 15-16: config drift of a live session; a dead named session with a stale hash."""
    restarted = False
    if s.alive:
        done, restarted = config_drift.alive_drift(ctx, s.b, s.entry)
        if done:
            return True
        if restarted:
            s.alive = False
        s.b = ctx.store.reread(s.b.id)
    if not s.alive and s.b.is_named and not restarted and not config_drift.pending_resume_preserving_restart(ctx, s.b):
        if config_drift.asleep_named_drift(ctx, s.b, s.entry):
            return True
        s.b = ctx.store.reread(s.b.id)
    return False


_SESSION_PHASES = (_observe_and_rollback, _drain_stall_restart, _heal, _stability, _config_drift)


def one_session(ctx: TickContext, b: SessionBead, names: set[str]) -> WakeTarget | None:
    """Advance one open bead through the per-session steps (drain ack, unknown state, undesired,
    rollback, restart, heal, crash and churn, drift, age and idle), patching it as it goes;
    None if a step ended the bead's tick, otherwise its WakeTarget."""
    name = b.session_name.strip()
    screened = _screen_known_desired(ctx, b, names)
    if screened is None:
        return None
    b, entry, template = screened
    s = _SessionPass(b, entry, template, name)
    for phase in _SESSION_PHASES:
        if phase(ctx, s):
            return None
    # 17-18. max session age, then idle timeout
    s.b, s.alive = timers.max_age_step(ctx, s.b, s.entry, s.alive)
    s.b, s.alive, skip = timers.idle_step(ctx, s.b, s.entry, s.alive)
    if skip:
        return None
    return WakeTarget(s.b.id, s.entry, s.alive)


def reset_committed_at(b: SessionBead):
    """resetPendingCommittedAtInfo: the reset commit time of a pending conversation reset, None
    when no reset is pending (or its time does not parse)."""
    if b.get(B.CONTINUATION_RESET_PENDING).strip() != "true":
        return None
    return parse_time(b.get(B.RESET_COMMITTED_AT))


def record_reset_stall(ctx: TickContext, b: SessionBead, template: str, name: str, alive: bool) -> None:
    """recordResetStallIfDue: a committed conversation reset whose session is still not alive
    after the startup timeout is logged, evented (session.reset_stalled) and traced, once."""
    committed = reset_committed_at(b)
    if committed is None or alive or ctx.startup_timeout <= 0:
        return
    elapsed = (ctx.now - committed).total_seconds()
    if elapsed <= ctx.startup_timeout or b.id in ctx.mem.reset_stalls:
        return
    ctx.mem = ctx.mem.set("reset_stalls", b.id, True)
    raw = b.get(B.RESET_COMMITTED_AT).strip()
    msg = (f"session reconciler: reset stalled for {name}: elapsed_s={int(elapsed)} reset_committed_at={raw} "
           f"bead_id={b.id}")
    ctx.log(msg)
    ctx.event("session.reset_stalled", name, msg, b.id)
    ctx.decision("reconciler.session.reset_stalled", "reset_stalled", "failed", template, name, bead_id=b.id,
                 elapsed_s=int(elapsed), reset_committed_at=raw, startup_timeout_s=int(ctx.startup_timeout))


def zombie(ctx: TickContext, b: SessionBead, entry: DesiredEntry, name: str) -> None:
    """Runtime `name` runs but the agent process is dead: capture the pane. A terminal provider
    error marks the bead unhealthy; any other non-rate-limit output is a session.crashed event."""
    rs = ctx.rt.get(name)
    text = rs.peek if rs is not None else ""
    if not text:
        return
    reason = terminal_error_reason(text)
    if reason:
        exits_check.mark_terminal_error(ctx, b, reason)
    if not screen_rate_limited(text):
        ctx.event("session.crashed", entry.identity or entry.template, text, b.id)


def drain_ack_step(ctx: TickContext, b: SessionBead, entry: DesiredEntry, alive: bool) -> bool:
    """Step 6 for a desired (or preserved) session whose runtime carries GC_DRAIN_ACK.
    True ends the session's tick."""
    name, tpl = b.session_name, entry.template
    if not alive and drains.stale_or_legacy_ack_before_start(ctx, b):
        drains.clear_ack_meta(ctx, name)
        return False
    if drains.stale_reconciler_ack(ctx, b):
        drains.clear_ack_meta(ctx, name)
        ctx.decision("reconciler.session.drain_ack", "stale_generation", "clear", tpl, name)
        return True
    reason, reconciler_owned = drains.ack_matches(ctx, b)
    if reconciler_owned and ctx.store_partial:
        ctx.log(f"Skipping reconciler drain-ack stop for '{name}': store query partial (transient failure)")
        ctx.decision("reconciler.session.drain_ack", "store_query_partial", "deferred", tpl, name,
                     store_query_partial=True, reconciler_owned_ack=True)
        return True
    work_cancels = reconciler_owned and drains.assigned_work_cancelable(reason) and alive and ctx.has_awake_work(b)
    if work_cancels and (drains.cancel_if(ctx, b, drains.assigned_work_cancelable)
                         or drains.cancel_recovered_ack(ctx, b, drains.assigned_work_cancelable)):
        drains.clear_ack_meta(ctx, name)
        ctx.decision("reconciler.drain.cancel", reason, "cancel_assigned_work", tpl, name)
        return True
    if _drift_ack_canceled(ctx, b, tpl, reason, reconciler_owned):
        return True
    if _pending_ack_canceled(ctx, b, tpl, reason, reconciler_owned):
        return True
    if alive:
        if drain_ack.mark_stop_pending(ctx, b):
            drain_ack.queue_async_stop(ctx, ctx.store.reread(b.id))
            ctx.decision("reconciler.session.drain_ack", "acknowledged", "stop_pending", tpl, name)
        return True
    drain_ack.finalize(ctx, b, tpl, b.pool_managed)
    return True


def _drift_ack_canceled(ctx: TickContext, b: SessionBead, tpl: str, reason: str, reconciler_owned: bool) -> bool:
    """A config-drift drain ack is canceled while a terminal is attached, or was attached since
    the drift began (the operator's session is not restarted under them)."""
    name = b.session_name
    d = ctx.mem.drains.get(b.id)
    drift_ack = (reconciler_owned and reason == "config-drift") or (d is not None and d.acked and d.reason == "config-drift")
    if not drift_ack:
        return False
    key = _drift_key(ctx, b, tpl)
    if ctx.rt.attached(name):
        if key:
            config_drift.record_attached(ctx, b, key)
        ctx.decision("reconciler.session.drain_ack", "config_drift_attached", "cancel_reconciler_ack", tpl, name,
                     drain_canceled=_cancel_drift_ack(ctx, b))
        return True
    if key and config_drift.recently_attached(ctx, b, key):
        ctx.decision("reconciler.session.drain_ack", "config_drift_recently_attached", "cancel_reconciler_ack",
                     tpl, name, drain_canceled=_cancel_drift_ack(ctx, b))
        return True
    return False


def _cancel_drift_ack(ctx: TickContext, b: SessionBead) -> bool:
    """Cancel the tracked config-drift drain (cancelSessionConfigDriftDrainInfo), or else clear
    the ack left on the runtime; True when a tracked drain was canceled."""
    canceled = drains.cancel_if(ctx, b, lambda r: r == "config-drift")
    if not canceled:
        drains.clear_ack_meta(ctx, b.session_name)
    return canceled


def _pending_ack_canceled(ctx: TickContext, b: SessionBead, tpl: str, reason: str, reconciler_owned: bool) -> bool:
    """A reconciler-owned, pending-cancelable drain ack is canceled while a pending interaction
    keeps the session awake."""
    if not config_drift.pending_keeps_awake(ctx, b):
        return False
    canceled = False
    if reconciler_owned and drains.pending_cancelable(reason):
        d = ctx.mem.drains.get(b.id)
        if d is not None and d.acked:
            canceled = drains.cancel_if(ctx, b, drains.pending_cancelable)
        else:
            canceled = drains.cancel_recovered_ack(ctx, b, drains.pending_cancelable)
    if canceled:
        ctx.decision("reconciler.session.drain_ack", "pending", "cancel_reconciler_ack", tpl, b.session_name)
    return canceled


def _drift_key(ctx: TickContext, b: SessionBead, tpl: str) -> str:
    a = ctx.agent(tpl)
    stored = b.get(B.STARTED_CONFIG_HASH)
    if a is None or not stored or stored == hashes.core_hash(a):
        return ""
    return f"{stored}:{hashes.core_hash(a)}"


def reset_circuit(ctx: TickContext, b: SessionBead, what: str) -> bool:
    """resetSessionCircuitBreakerState for a named session's explicit restart (enabled or not);
    False, logged, when the bead's reset generation cannot be read: the restart waits."""
    identity = b.get(B.CONFIGURED_NAMED_IDENTITY).strip()
    if not identity:
        return True
    try:
        ctx.mem, patch = circuit.reset_persisted(ctx.mem, identity, b)
    except circuit.RestoreError as e:
        ctx.log(f"session reconciler: clearing session circuit breaker for {what}: loading session circuit "
                f"breaker reset generation for {b.id}: {e}")
        return False
    ctx.patch(b.id, patch)
    return True


def fresh_restart_session_key(ctx: TickContext, b: SessionBead, template: str) -> str:
    """freshRestartSessionKeyInfo: a provider that takes a session id (`template`'s resolved
    spec, else the bead's stamped session_id_flag) gets a new conversation key; any other
    provider, one that can only resume included, has its key cleared (""), so the next wake
    starts without resuming a stale conversation."""
    from core.desired.provider import resolve_provider
    a = ctx.agent(template)
    rp = resolve_provider(ctx.city, a) if a is not None else None
    if rp is not None and (rp.session_id_flag.strip() or rp.resume_flag.strip() or rp.resume_command.strip()
                           or rp.resume_style.strip()):
        return fresh_session_key(b.id, ctx.now) if rp.session_id_flag.strip() else ""
    return fresh_session_key(b.id, ctx.now) if b.get("session_id_flag").strip() else ""


def restart_requested(ctx: TickContext, b: SessionBead, entry: DesiredEntry, runtime_running: bool,
                      stalled: bool = False) -> tuple[bool, SessionBead]:
    """Step 8: an agent (GC_RESTART_REQUESTED), the operator (restart_requested) or the
    progress-stall step (`stalled`) asked for a fresh session. Kill the runtime and write the
    restart handoff; a pinned named session without a controller reset only has the request
    cleared."""
    name = b.session_name
    rt_req = runtime_running and bool(ctx.rt.get_meta(name, META_RESTART_REQUESTED))
    bead_req = b.get(B.RESTART_REQUESTED) == "true" or stalled
    if not rt_req and not bead_req:
        return False, b
    explicit_reset = b.get(B.CONTINUATION_RESET_PENDING).strip() == "true"
    if runtime_running and b.is_named and b.get(B.PIN_AWAKE).strip() == "true" and not explicit_reset:
        if rt_req:
            ctx.rt.set_meta(name, {META_RESTART_REQUESTED: ""})
        if bead_req:
            ctx.patch(b.id, {B.RESTART_REQUESTED: ""})
        ctx.log(f"session reconciler: skipping abrupt restart-requested kill for pinned named session {name} (bead {b.id})")
        return True, ctx.store.reread(b.id)
    if runtime_running:
        err = ctx.stop_error(name, "restart-requested", b)
        if err:  # the request stands: it is retried on the next tick
            ctx.log(f"session reconciler: stopping restart-requested {name}: {err}")
            return True, b
    if not reset_circuit(ctx, b, f"restart-requested {name}"):
        return True, b
    patch = {B.RESTART_REQUESTED: "", B.STARTED_CONFIG_HASH: "", B.CONTINUATION_RESET_PENDING: "true",
             B.RESET_COMMITTED_AT: format_time_seconds(ctx.now), B.LAST_WOKE_AT: "", B.PENDING_CREATE_CLAIM: "",
             B.PENDING_CREATE_STARTED_AT: "", B.SESSION_KEY: fresh_restart_session_key(ctx, b, entry.template or ctx.template_of(b))}
    patch.update({k: "" for k in X.PRIMING_KEYS})
    b = ctx.patch(b.id, patch)
    # The reset marker is for the next tick: this tick's awake set must not see it (#2345).
    ctx.reset_committed_this_tick.add(b.id)
    ctx.action("restart", b.id, name, "restart-requested", "fresh conversation on the next wake", entry.template)
    if runtime_running:
        ctx.log(f"Stopped restart-requested session '{name}'")
        return True, b
    return False, b
